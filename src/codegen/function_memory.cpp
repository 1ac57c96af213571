// Addresses, loads and stores for one clause function: D variables,
// dynamic variables (thread-locals, associative arrays), kernel and user
// memory, alloca'd scratch memory; assignment and ++/--.
#include "codegen/function.h"
#include "codegen/program.h"

#include <algorithm>

namespace dtrace::codegen {

using namespace bpf;
using ir::NodeKind;
using sema::TypeRef;

// ------------------------------------------------------------- addresses

void FunctionCompiler::tlsKey(const ir::Variable &v) {
    f_->callHelper(BPF_FUNC_get_current_task);
    emit(store(Size::DW, FP, kStackTlsKey, R0));
    emit(storeImm(Size::DW, FP, kStackTlsKey + 8, v.id));
}

// Evaluates an associative array element's keys into the context's key
// buffer.
void FunctionCompiler::dynamicKey(const ir::Node &n) {
    const VarStorage &st = pb_.g.vars.at(n.var);
    std::vector<int> slots;
    std::vector<const ir::Node *> nodes;
    for (const auto &k : n.kids) {
        slots.push_back(value(*k));
        nodes.push_back(k.get());
    }
    buildKey(*n.var, slots, nodes, st.keySize, st.keyOffsets);
    for (int s : slots) release(s);
}

// Fills the key buffer in the per-CPU context from evaluated keys.
void FunctionCompiler::buildKey(const ir::Variable &, const std::vector<int> &keySlots,
                                const std::vector<const ir::Node *> &keyNodes, uint32_t keySize,
                                const std::vector<uint32_t> &offsets) {
    Generator &g = pb_.g;
    uint32_t base = g.layout.keys;
    auto byReference = [](const ir::Node *k) {
        return sema::isString(k->type) || sema::isStructOrUnion(k->type) || sema::isArray(k->type);
    };
    bool anyString = std::any_of(keyNodes.begin(), keyNodes.end(), byReference);
    if (anyString)
        for (uint32_t o = 0; o < keySize; o += 8)
            emit(storeImm(Size::DW, R9, static_cast<int16_t>(base + o), 0));
    for (size_t i = 0; i < keySlots.size(); ++i) {
        uint32_t off = base + offsets[i];
        if (sema::isString(keyNodes[i]->type)) {
            Reg r = get(keySlots[i], R3);
            if (r != R3) emit(movReg(R3, r));
            emit(movReg(R1, R9));
            emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(off)));
            emit(movImm(R2, static_cast<int32_t>(g.strsize + 1)));
            f_->callHelper(BPF_FUNC_probe_read_kernel_str);
        } else if (byReference(keyNodes[i])) {
            // A struct, union or array key is its bytes, not its address.
            Reg r = get(keySlots[i], R3);
            if (r != R3) emit(movReg(R3, r));
            emit(movReg(R1, R9));
            emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(off)));
            emit(movImm(R2, static_cast<int32_t>(sema::typeSize(keyNodes[i]->type))));
            f_->callHelper(BPF_FUNC_probe_read_kernel);
        } else {
            Reg r = get(keySlots[i], R0);
            emit(store(Size::DW, R9, static_cast<int16_t>(off), r));
        }
    }
}

// The storage of a thread-local variable or associative array element.
// Reads of missing elements see the zero area; writes create the element,
// or go to the sink (and count a drop) when the space is exhausted.
Address FunctionCompiler::dynamicAddress(const ir::Node &n, bool forWrite) {
    Generator &g = pb_.g;
    const ir::Variable &v = *n.var;
    const VarStorage &st = g.vars.at(&v);
    bpf::MapId map;
    auto keyPtr = [&](Reg r) {
        if (v.isAssoc()) {
            emit(movReg(r, R9));
            emit(alu64Imm(BPF_ADD, r, static_cast<int32_t>(g.layout.keys)));
        } else {
            emit(movReg(r, FP));
            emit(alu64Imm(BPF_ADD, r, kStackTlsKey));
        }
    };
    if (v.isAssoc()) {
        map = st.map;
        std::vector<int> slots;
        std::vector<const ir::Node *> nodes;
        for (const auto &k : n.kids) {
            slots.push_back(value(*k));
            nodes.push_back(k.get());
        }
        buildKey(v, slots, nodes, st.keySize, st.keyOffsets);
        for (int s : slots) release(s);
    } else {
        map = g.tlsMap;
        tlsKey(v);
    }
    Label have = f_->newLabel(), done = f_->newLabel();
    keyPtr(R2);
    callLookup(map);
    f_->jumpImm(BPF_JNE, R0, 0, have);
    if (!forWrite && sema::isString(n.type)) {
        emit(movImm(R0, 0)); // a missing string element is NULL
    } else if (!forWrite) {
        emit(movReg(R0, R9));
        emit(alu64Imm(BPF_ADD, R0, static_cast<int32_t>(g.layout.zero)));
    } else {
        Label sink = f_->newLabel();
        f_->ldMap(R1, map);
        keyPtr(R2);
        emit(movReg(R3, R9));
        emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(g.layout.zero)));
        emit(movImm(R4, BPF_NOEXIST));
        f_->callHelper(BPF_FUNC_map_update_elem);
        f_->jumpImm(BPF_JNE, R0, 0, sink);
        keyPtr(R2);
        callLookup(map);
        f_->jumpImm(BPF_JNE, R0, 0, have);
        f_->bind(sink);
        bumpDrop(kDynvarDrops);
        emit(movReg(R0, R9));
        emit(alu64Imm(BPF_ADD, R0, static_cast<int32_t>(g.layout.zero + g.layout.zeroSize)));
    }
    f_->jump(done);
    f_->bind(have);
    f_->bind(done);
    int s = alloc();
    put(s, R0);
    return {s, 0, Space::DMem};
}

Address FunctionCompiler::address(const ir::Node &n, bool forWrite) {
    Generator &g = pb_.g;
    switch (n.kind) {
    case NodeKind::Var: {
        const ir::Variable &v = *n.var;
        const VarStorage &st = g.vars.at(&v);
        if (v.scope == ir::Scope::Global) {
            int s = alloc();
            f_->ldMapValue(R0, g.globalsMap, st.offset);
            put(s, R0);
            return {s, 0, Space::DMem};
        }
        if (v.scope == ir::Scope::ClauseLocal) {
            int s = alloc();
            emit(movReg(R0, R9));
            put(s, R0);
            return {s, static_cast<int64_t>(g.layout.locals + st.offset), Space::DMem};
        }
        return dynamicAddress(n, forWrite);
    }
    case NodeKind::ArrayElem: return dynamicAddress(n, forWrite);
    case NodeKind::Deref: {
        int s = value(*n.kids[0]);
        return {s, 0, n.scratch ? Space::Scratch : n.userAddress ? Space::User : Space::Kernel};
    }
    case NodeKind::Member: {
        Address a = address(*n.kids[0], forWrite);
        a.offset += static_cast<int64_t>(n.offsetBits / 8);
        return a;
    }
    case NodeKind::Element: {
        const ir::Node &base = *n.kids[0];
        Address a;
        uint64_t count, elem;
        if (sema::isString(base.type)) {
            a = {value(base), 0, Space::DMem};
            checkNotNull(base, a.slot);
            count = g.layout.strslot;
            elem = 1;
        } else {
            a = address(base, forWrite);
            auto at = sema::stripTypedefs(base.type);
            count = at->count;
            elem = sema::typeSize(at->target);
        }
        int i = value(*n.kids[1]);
        Reg ri = get(i, R1);
        if (ri != R1) emit(movReg(R1, ri));
        if (a.space == Space::DMem) {
            Label ok = f_->newLabel();
            f_->jumpImm(BPF_JLT, R1, static_cast<int32_t>(count), ok);
            fault(faultCode(Fault::BadIndex), R1);
            f_->bind(ok);
        }
        if (elem != 1) emit(alu64Imm(BPF_MUL, R1, static_cast<int32_t>(elem)));
        Reg rb = get(a.slot, R2);
        emit(alu64Reg(BPF_ADD, rb, R1));
        put(a.slot, rb);
        release(i);
        return a;
    }
    default:
        if (sema::isString(n.type)) {
            int s = value(n);
            checkNotNull(n, s);
            return {s, 0, Space::DMem};
        }
        if (!sema::isScalar(n.type)) return {value(n), 0, Space::Kernel};
        break;
    }
    fail("D_UNSUPPORTED", n.loc, "cannot take the address of this expression");
}

int FunctionCompiler::loadScalar(const Address &a, const TypeRef &t, unsigned bitShift,
                                 unsigned bitSize) {
    uint64_t size = sema::typeSize(t);
    if (size == 0 || size > 8) size = 8;
    uint64_t loadBytes = size;
    if (bitSize) {
        uint64_t need = (bitShift + bitSize + 7) / 8;
        loadBytes = need <= 1 ? 1 : need <= 2 ? 2 : need <= 4 ? 4 : 8;
    }
    Reg dst = a.slot < kRegSlots ? static_cast<Reg>(R6 + a.slot) : R0;
    if (a.space == Space::Scratch) {
        emit(movImm(R5, static_cast<int32_t>(loadBytes)));
        scratchPointer(R1, a, R5, faultCode(Fault::BadAddr));
        emit(load(sizeFor(loadBytes), dst, R1, 0));
    } else if (a.space == Space::DMem) {
        Reg p = get(a.slot, R1);
        // Scalars in D variables are stored as full 64-bit words.
        emit(load(sizeFor(loadBytes), dst, p, static_cast<int16_t>(a.offset)));
    } else {
        Reg p = get(a.slot, R3);
        if (p != R3) emit(movReg(R3, p));
        if (a.offset) emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(a.offset)));
        emit(movReg(R1, R9));
        emit(alu64Imm(BPF_ADD, R1, dctx::kScratch));
        emit(movImm(R2, static_cast<int32_t>(loadBytes)));
        f_->callHelper(a.space == Space::User ? BPF_FUNC_probe_read_user
                                              : BPF_FUNC_probe_read_kernel);
        Label ok = f_->newLabel();
        f_->jumpImm(BPF_JEQ, R0, 0, ok);
        p = get(a.slot, R3);
        if (p != R3) emit(movReg(R3, p));
        if (a.offset) emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(a.offset)));
        faultBadRead(R3, a.space == Space::User);
        f_->bind(ok);
        emit(load(sizeFor(loadBytes), dst, R9, dctx::kScratch));
    }
    if (bitSize) {
        if (bitShift) emit(alu64Imm(BPF_RSH, dst, static_cast<int32_t>(bitShift)));
        if (isSigned(t)) {
            emit(alu64Imm(BPF_LSH, dst, static_cast<int32_t>(64 - bitSize)));
            emit(alu64Imm(BPF_ARSH, dst, static_cast<int32_t>(64 - bitSize)));
        } else if (bitSize < 32) {
            emit(alu64Imm(BPF_AND, dst, static_cast<int32_t>((1u << bitSize) - 1)));
        } else if (bitSize < 64) {
            f_->ldImm64(R2, (1ull << bitSize) - 1);
            emit(alu64Reg(BPF_AND, dst, R2));
        }
    } else {
        normalize(dst, t);
    }
    put(a.slot, dst);
    return a.slot;
}

// Turns an alloca pointer (scratch offset + bias) into the real address
// helpers can read from.
void FunctionCompiler::scratchToAddress(Reg r) {
    emit(load(Size::DW, R0, R9, dctx::kSelfAddress));
    emit(alu64Reg(BPF_ADD, r, R0));
    emit(alu64Imm(BPF_ADD, r, static_cast<int32_t>(pb_.g.layout.scratch) - kScratchPointerBias));
}

// dst = a pointer the verifier accepts for `size` (in a register) bytes at
// the alloca'd address a, or a fault if they are not all inside memory
// this clause has alloca'd. Clobbers r0-r5.
void FunctionCompiler::scratchPointer(Reg dst, const Address &a, Reg size, uint32_t faultType) {
    const Layout &l = pb_.g.layout;
    Reg r = get(a.slot, R4);
    if (r != R4) emit(movReg(R4, r));
    if (a.offset) emit(alu64Imm(BPF_ADD, R4, static_cast<int32_t>(a.offset)));
    if (size != R5) emit(movReg(R5, size));
    emit(movReg(R1, R4));
    emit(alu64Imm(BPF_SUB, R1, kScratchPointerBias)); // offset into scratch
    emit(load(Size::DW, R3, R9, dctx::kScratchTop));
    Label bad = f_->newLabel(), ok = f_->newLabel();
    f_->jumpReg(BPF_JGE, R1, R3, bad); // before it (negative) or past the top
    emit(movReg(R0, R1));
    emit(alu64Reg(BPF_ADD, R0, R5));
    f_->jumpReg(BPF_JGT, R0, R3, bad);
    f_->jumpImm(BPF_JGT, R1, static_cast<int32_t>(l.scratchSize), bad);
    f_->jump(ok);
    f_->bind(bad);
    fault(faultType, R4);
    f_->bind(ok);
    emit(alu64Reg(BPF_ADD, R1, R9));
    emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(l.scratch)));
    if (dst != R1) emit(movReg(dst, R1));
}

// ------------------------------------------------------------- stores

void FunctionCompiler::copyString(Reg dst, int srcSlot) {
    Generator &g = pb_.g;
    if (dst != R1) emit(movReg(R1, dst));
    Reg rs = get(srcSlot, R3);
    if (rs != R3) emit(movReg(R3, rs));
    emit(movImm(R2, static_cast<int32_t>(g.strsize + 1)));
    f_->callHelper(BPF_FUNC_probe_read_kernel_str);
}

void FunctionCompiler::storeScalar(const ir::Node &target, int v) {
    bool dynamic = target.kind == NodeKind::ArrayElem ||
                   (target.kind == NodeKind::Var && target.var->scope == ir::Scope::ThreadLocal);
    if (dynamic && sema::isScalar(target.type)) {
        // A shared global function stores it (or deletes it, for 0).
        const ir::Variable &var = *target.var;
        bool tls = !var.isAssoc();
        bpf::MapId map = tls ? pb_.g.tlsMap : pb_.g.vars.at(&var).map;
        if (!tls) dynamicKey(target);
        Reg rv = get(v, R3);
        if (rv != R3) emit(movReg(R3, rv));
        normalize(R3, target.type);
        emit(movReg(R1, R9));
        emit(movImm(R2, static_cast<int32_t>(var.id)));
        f_->call(pb_.dynamicAccessFunction(map, tls, true));
        return;
    }
    if (dynamic) {
        // Storing zero deletes the element.
        Label nonzero = f_->newLabel(), done = f_->newLabel();
        Reg rv = get(v, R0);
        f_->jumpImm(BPF_JNE, rv, 0, nonzero);
        deleteDynamic(target);
        f_->jump(done);
        f_->bind(nonzero);
        Address a = address(target, true);
        Reg p = get(a.slot, R1);
        rv = get(v, R2);
        if (rv != R2) emit(movReg(R2, rv));
        normalize(R2, target.type);
        emit(store(Size::DW, p, static_cast<int16_t>(a.offset), R2));
        release(a.slot);
        f_->bind(done);
        return;
    }
    storeToMemory(target, v);
}

// Deletes a thread-local variable or associative array element.
void FunctionCompiler::deleteDynamic(const ir::Node &target) {
    Generator &g = pb_.g;
    {
        const ir::Variable &var = *target.var;
        const VarStorage &st = g.vars.at(&var);
        if (var.isAssoc()) {
            std::vector<int> slots;
            std::vector<const ir::Node *> nodes;
            for (const auto &k : target.kids) {
                slots.push_back(value(*k));
                nodes.push_back(k.get());
            }
            buildKey(var, slots, nodes, st.keySize, st.keyOffsets);
            for (int s : slots) release(s);
            f_->ldMap(R1, st.map);
            emit(movReg(R2, R9));
            emit(alu64Imm(BPF_ADD, R2, static_cast<int32_t>(g.layout.keys)));
        } else {
            tlsKey(var);
            f_->ldMap(R1, g.tlsMap);
            emit(movReg(R2, FP));
            emit(alu64Imm(BPF_ADD, R2, kStackTlsKey));
        }
        f_->callHelper(BPF_FUNC_map_delete_elem);
    }
}

void FunctionCompiler::storeToMemory(const ir::Node &target, int v) {
    Address a = address(target, true);
    if (a.space != Space::DMem && a.space != Space::Scratch)
        fail("D_UNSUPPORTED", target.loc, "cannot store to kernel memory");
    uint64_t size = 8;
    if (target.kind == NodeKind::Member || target.kind == NodeKind::Element) {
        size = sema::typeSize(target.type);
        if (size == 0 || size > 8) size = 8;
    }
    if (target.kind == NodeKind::Deref) {
        size = sema::typeSize(target.type);
        if (size == 0 || size > 8) size = 8;
    }
    Reg p = get(a.slot, R1);
    if (a.space == Space::Scratch) {
        emit(movImm(R5, static_cast<int32_t>(size)));
        scratchPointer(R1, a, R5, faultCode(Fault::BadAddr));
        p = R1;
        a.offset = 0;
    }
    if (target.kind == NodeKind::Member && target.bitSize) {
        unsigned shift = static_cast<unsigned>(target.offsetBits % 8);
        unsigned bits = target.bitSize;
        uint64_t need = (shift + bits + 7) / 8;
        Size sz = need <= 1 ? Size::B : need <= 2 ? Size::H : need <= 4 ? Size::W : Size::DW;
        uint64_t mask = (bits >= 64 ? ~0ull : ((1ull << bits) - 1)) << shift;
        if (p != R1) emit(movReg(R1, p));
        emit(load(sz, R3, R1, static_cast<int16_t>(a.offset)));
        f_->ldImm64(R4, ~mask);
        emit(alu64Reg(BPF_AND, R3, R4));
        Reg rv = get(v, R2);
        emit(movReg(R5, rv));
        if (shift) emit(alu64Imm(BPF_LSH, R5, static_cast<int32_t>(shift)));
        f_->ldImm64(R4, mask);
        emit(alu64Reg(BPF_AND, R5, R4));
        emit(alu64Reg(BPF_OR, R3, R5));
        emit(store(sz, R1, static_cast<int16_t>(a.offset), R3));
    } else {
        Reg rv = get(v, R2);
        if (rv != R2) emit(movReg(R2, rv));
        normalize(R2, target.type);
        emit(store(sizeFor(size), p, static_cast<int16_t>(a.offset), R2));
    }
    release(a.slot);
}

void FunctionCompiler::storeAggregate(const ir::Node &target, const ir::Node &valueNode, int v) {
    Generator &g = pb_.g;
    Address a = address(target, true);
    if (a.space != Space::DMem && a.space != Space::Scratch)
        fail("D_UNSUPPORTED", target.loc, "cannot store to kernel memory");
    if (a.space == Space::Scratch) {
        uint32_t size = sema::isString(target.type)
                            ? g.strsize + 1
                            : static_cast<uint32_t>(sema::typeSize(target.type));
        emit(movImm(R5, static_cast<int32_t>(size)));
        scratchPointer(R1, a, R5, faultCode(Fault::BadAddr));
    } else {
        addressOf(R1, a);
    }
    release(a.slot);
    if (sema::isString(target.type)) {
        copyString(R1, v);
        return;
    }
    uint64_t size = sema::typeSize(target.type);
    Reg rs = get(v, R3);
    if (rs != R3) emit(movReg(R3, rs));
    emit(movImm(R2, static_cast<int32_t>(size)));
    bool user = valueNode.kind == NodeKind::Deref && valueNode.userAddress;
    f_->callHelper(user ? BPF_FUNC_probe_read_user : BPF_FUNC_probe_read_kernel);
    Label ok = f_->newLabel();
    f_->jumpImm(BPF_JEQ, R0, 0, ok);
    rs = get(v, R3);
    faultBadRead(rs, user);
    f_->bind(ok);
    (void)g;
}

int FunctionCompiler::assign(const ir::Node &n) {
    const ir::Node &target = *n.kids[0];
    const ir::Node &val = *n.kids[1];
    if (!sema::isScalar(target.type)) {
        bool dynamicTarget =
            target.kind == NodeKind::ArrayElem ||
            (target.kind == NodeKind::Var && target.var->scope == ir::Scope::ThreadLocal);
        if (val.isConstant() && (!sema::isString(target.type) || dynamicTarget)) {
            // `x = 0` for a struct-valued dynamic variable deletes it.
            deleteDynamic(target);
            return constantValue(val);
        }
        // A global or clause-local string variable holds NULL as "" with a
        // mark in its slot's last byte (read back as NULL).
        const bool markedString = sema::isString(target.type) && target.kind == NodeKind::Var &&
                                  target.var->scope != ir::Scope::ThreadLocal;
        auto setNullMark = [&](bool isNull) {
            Address a = address(target, true);
            addressOf(R1, a);
            release(a.slot);
            if (isNull) emit(storeImm(Size::B, R1, 0, 0));
            emit(storeImm(Size::B, R1, static_cast<int16_t>(pb_.g.layout.strslot - 1),
                          isNull ? 1 : 0));
        };
        if (markedString && val.isConstant() && val.value == 0) {
            setNullMark(true);
            return constantValue(val);
        }
        int v = value(val);
        if (sema::isString(target.type) && mayBeNull(val)) {
            // Storing NULL: a dynamic variable is deleted, another is marked.
            Label notNull = f_->newLabel(), done = f_->newLabel();
            Reg r = get(v, R1);
            f_->jumpImm(BPF_JNE, r, 0, notNull);
            if (dynamicTarget) {
                deleteDynamic(target);
            } else if (markedString) {
                setNullMark(true);
            } else {
                Address a = address(target, true);
                addressOf(R1, a);
                release(a.slot);
                emit(storeImm(Size::B, R1, 0, 0));
            }
            f_->jump(done);
            f_->bind(notNull);
            storeAggregate(target, val, v);
            if (markedString) setNullMark(false);
            f_->bind(done);
            return v;
        }
        storeAggregate(target, val, v);
        if (markedString) setNullMark(false);
        return v;
    }
    if (!n.str.empty()) {
        // Compound assignment: target = target op value; the target is
        // read before the value is evaluated.
        int old = value(target);
        int v = value(val);
        Reg ro = get(old, R1);
        Reg rv = get(v, R2);
        arith(n.op, ro, rv, isSigned(val.type), isSigned(target.type));
        normalize(ro, target.type);
        put(v, ro);
        release(old);
        storeScalar(target, v);
        return v;
    }
    int v = value(val);
    storeScalar(target, v);
    return v;
}

int FunctionCompiler::incdec(const ir::Node &n) {
    const ir::Node &target = *n.kids[0];
    int old = value(target);
    int nw = alloc();
    Reg ro = get(old, R1);
    emit(movReg(R0, ro));
    emit(alu64Imm(BPF_ADD, R0, static_cast<int32_t>(n.value)));
    normalize(R0, target.type);
    put(nw, R0);
    storeScalar(target, nw);
    if (n.isPostfix) {
        release(nw);
        return old;
    }
    release(old);
    return nw;
}

} // namespace dtrace::codegen
