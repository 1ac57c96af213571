// Expression lowering for one clause function.
#include "codegen/function.h"
#include "codegen/program.h"

#include <algorithm>

namespace dtrace::codegen {

using namespace bpf;
using ir::NodeKind;
using sema::TypeRef;

FunctionCompiler::FunctionCompiler(ProgramBuilder &pb, bpf::Function &f, const ir::Clause *clause,
                                   bool errorClause)
    : pb_(pb), f_(&f), clause_(clause), errorClause_(errorClause) {}

// ------------------------------------------------------------ temporaries

int FunctionCompiler::alloc() {
    for (size_t i = 0; i < slotsInUse_.size(); ++i)
        if (!slotsInUse_[i]) {
            slotsInUse_[i] = true;
            return static_cast<int>(i);
        }
    if (slotsInUse_.size() >= kRegSlots + kMaxStackSlots)
        fail("D_UNSUPPORTED", clause_ ? clause_->loc : SourceLoc{}, "expression too complex");
    slotsInUse_.push_back(true);
    maxSlots_ = std::max(maxSlots_, static_cast<int>(slotsInUse_.size()));
    return static_cast<int>(slotsInUse_.size() - 1);
}

void FunctionCompiler::release(int slot) {
    if (slot >= 0 && static_cast<size_t>(slot) < slotsInUse_.size()) slotsInUse_[slot] = false;
}

int16_t FunctionCompiler::stackOffset(int slot) const {
    return static_cast<int16_t>(kStackTemps - 8 * (slot - kRegSlots));
}

Reg FunctionCompiler::get(int slot, Reg scratch) {
    if (slot < kRegSlots) return static_cast<Reg>(R6 + slot);
    emit(load(Size::DW, scratch, FP, stackOffset(slot)));
    return scratch;
}

void FunctionCompiler::put(int slot, Reg src) {
    if (slot < kRegSlots) {
        Reg r = static_cast<Reg>(R6 + slot);
        if (r != src) emit(movReg(r, src));
        return;
    }
    emit(store(Size::DW, FP, stackOffset(slot), src));
}

// ---------------------------------------------------------------- helpers

void FunctionCompiler::loadImm(Reg r, int64_t v) {
    if (v >= INT32_MIN && v <= INT32_MAX)
        emit(movImm(r, static_cast<int32_t>(v)));
    else
        f_->ldImm64(r, static_cast<uint64_t>(v));
}

// Brings a register to its type's width: sign- or zero-extended.
void FunctionCompiler::normalize(Reg r, const TypeRef &t) {
    auto s = sema::stripTypedefs(t);
    if (!s || s->kind == sema::TypeKind::Pointer) return;
    uint64_t size = s->size;
    if (size >= 8 || size == 0) return;
    int shift = static_cast<int>(64 - size * 8);
    if (s->isSigned) {
        emit(alu64Imm(BPF_LSH, r, shift));
        emit(alu64Imm(BPF_ARSH, r, shift));
    } else if (size == 4) {
        emit(alu32Reg(BPF_MOV, r, r));
    } else {
        emit(alu64Imm(BPF_AND, r, size == 1 ? 0xff : 0xffff));
    }
}

// The word at this offset in the current task_struct, into dctx::kScratch;
// to `failed` when it cannot be read.
void FunctionCompiler::readCurrentTaskWord(int64_t offset, bpf::Label failed) {
    f_->callHelper(BPF_FUNC_get_current_task);
    emit(movReg(R3, R0));
    emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(offset)));
    readKernelToScratch(8, failed);
}

// The size bytes of kernel memory at r3 into dctx::kScratch; to `failed`
// when they cannot be read.
void FunctionCompiler::readKernelToScratch(int32_t size, bpf::Label failed) {
    emit(movReg(R1, R9));
    emit(alu64Imm(BPF_ADD, R1, dctx::kScratch));
    emit(movImm(R2, size));
    f_->callHelper(BPF_FUNC_probe_read_kernel);
    f_->jumpImm(BPF_JNE, R0, 0, failed);
}

// Records a fault and leaves the clause.
void FunctionCompiler::fault(uint32_t type, Reg value) {
    if (errorClause_) {
        // A fault in an ERROR clause is a double error: counted, not reported.
        f_->call(pb_.dropFunction(kDoubleErrors));
        emit(movImm(R0, 0));
        emit(exitInsn());
        return;
    }
    uint32_t pc = static_cast<uint32_t>(f_->size());
    emit(store(Size::DW, R9, dctx::kFaultValue, value));
    emit(storeImm(Size::W, R9, dctx::kFaultType, static_cast<int32_t>(type)));
    emit(storeImm(Size::DW, R9, dctx::kFaultPc, static_cast<int32_t>(pc)));
    emit(storeImm(Size::W, R9, dctx::kFaultClause, clause_->index));
    f_->jump(faultLabel_);
    faultUsed_ = true;
}

void FunctionCompiler::faultIfNonZero(Reg result, uint32_t type, Reg value) {
    Label ok = f_->newLabel();
    f_->jumpImm(BPF_JEQ, result, 0, ok);
    fault(type, value);
    f_->bind(ok);
}

void FunctionCompiler::callLookup(bpf::MapId map) {
    auto lookup = pb_.lookupFunction(map);
    if (lookup.takesMap) f_->ldMap(R1, map);
    f_->call(lookup.function);
}

void FunctionCompiler::bumpDrop(DropCounter which) {
    f_->call(pb_.dropFunction(which));
}

void FunctionCompiler::addressOf(Reg dst, const Address &a) {
    Reg r = get(a.slot, dst);
    if (r != dst) emit(movReg(dst, r));
    if (a.offset) emit(alu64Imm(BPF_ADD, dst, static_cast<int32_t>(a.offset)));
}

// Copies size bytes from a kernel or user address to dstPtr, faulting on
// a bad address.
void FunctionCompiler::checkedRead(Reg dstPtr, uint32_t size, Reg src, Space space) {
    emit(movReg(R3, src));
    if (dstPtr != R1) emit(movReg(R1, dstPtr));
    emit(movImm(R2, static_cast<int32_t>(size)));
    f_->callHelper(space == Space::User ? BPF_FUNC_probe_read_user : BPF_FUNC_probe_read_kernel);
    Label ok = f_->newLabel();
    f_->jumpImm(BPF_JEQ, R0, 0, ok);
    faultBadRead(R3 == src ? R3 : src, space == Space::User);
    f_->bind(ok);
}

// A failed read: DTrace's bad address; for a read of user memory, a kernel
// privilege fault at a kernel address (the kernel's user-copy routines
// refuse those) and a user privilege fault in a kernel thread, which has
// no user address space to read.
void FunctionCompiler::faultBadRead(Reg address, bool user) {
    if (!user) {
        fault(faultCode(Fault::BadAddr), address);
        return;
    }
    // The kind is worked out by a shared subprogram; the address survives
    // the call in the context's scratch words.
    emit(store(Size::DW, R9, dctx::kScratch + 8, address));
    if (address != R1) emit(movReg(R1, address));
    f_->call(pb_.userFaultFunction());
    emit(load(Size::DW, R1, R9, dctx::kScratch + 8));
    faultOfType(R0, R1);
}

void FunctionCompiler::faultOfType(Reg type, Reg value) {
    if (errorClause_) {
        fault(faultCode(Fault::BadAddr), value); // a double error: counted, whatever its type
        return;
    }
    uint32_t pc = static_cast<uint32_t>(f_->size());
    emit(store(Size::DW, R9, dctx::kFaultValue, value));
    emit(store(Size::W, R9, dctx::kFaultType, type));
    emit(storeImm(Size::DW, R9, dctx::kFaultPc, static_cast<int32_t>(pc)));
    emit(storeImm(Size::W, R9, dctx::kFaultClause, clause_->index));
    f_->jump(faultLabel_);
    faultUsed_ = true;
}

// --------------------------------------------------------------- values

int FunctionCompiler::value(const ir::Node &n) {
    NestingGuard guard(depth_, n.loc);
    if (sema::isString(n.type) && n.kind != NodeKind::Assign) return stringValue(n);
    switch (n.kind) {
    case NodeKind::Const: return constantValue(n);
    case NodeKind::String: return stringValue(n);
    case NodeKind::BuiltinVar: return builtin(n);
    case NodeKind::Var:
    case NodeKind::ArrayElem:
    case NodeKind::Member:
    case NodeKind::Deref:
    case NodeKind::Element: {
        bool dynamic = n.kind == NodeKind::ArrayElem ||
                       (n.kind == NodeKind::Var && n.var->scope == ir::Scope::ThreadLocal);
        if (dynamic && sema::isScalar(n.type)) {
            // A shared global function reads it (0 when it does not exist).
            const ir::Variable &var = *n.var;
            bool tls = !var.isAssoc();
            bpf::MapId map = tls ? pb_.g.tlsMap : pb_.g.vars.at(&var).map;
            if (!tls) dynamicKey(n);
            emit(movReg(R1, R9));
            emit(movImm(R2, static_cast<int32_t>(var.id)));
            f_->call(pb_.dynamicAccessFunction(map, tls, false));
            normalize(R0, n.type);
            int s = alloc();
            put(s, R0);
            return s;
        }
        Address a = address(n, false);
        if (!sema::isScalar(n.type)) {
            // An aggregate's value is its address (a real one, also for
            // structs in alloca'd scratch memory).
            int s = alloc();
            if (a.space == Space::Scratch) {
                emit(movImm(R5,
                            static_cast<int32_t>(std::max<uint64_t>(1, sema::typeSize(n.type)))));
                scratchPointer(R0, a, R5, faultCode(Fault::BadAddr));
            } else {
                addressOf(R0, a);
            }
            put(s, R0);
            release(a.slot);
            return s;
        }
        unsigned shift = n.kind == NodeKind::Member ? static_cast<unsigned>(n.offsetBits % 8) : 0;
        int s = loadScalar(a, n.type, shift, n.kind == NodeKind::Member ? n.bitSize : 0);
        return s;
    }
    case NodeKind::AddrOf: {
        Address a = address(*n.kids[0], false);
        int s = alloc();
        addressOf(R0, a);
        put(s, R0);
        release(a.slot);
        return s;
    }
    case NodeKind::Unary: {
        int s = value(*n.kids[0]);
        Reg r = get(s, R0);
        switch (n.op) {
        case ir::Op::Neg: emit(bpf::neg(r)); break;
        case ir::Op::BitNot: emit(alu64Imm(BPF_XOR, r, -1)); break;
        case ir::Op::LogNot: {
            Label zero = f_->newLabel(), done = f_->newLabel();
            f_->jumpImm(BPF_JEQ, r, 0, zero);
            emit(movImm(r, 0));
            f_->jump(done);
            f_->bind(zero);
            emit(movImm(r, 1));
            f_->bind(done);
            break;
        }
        default: break;
        }
        // Like DTrace, arithmetic is 64-bit: results narrow to their type
        // only when stored, cast or recorded.
        put(s, r);
        return s;
    }
    case NodeKind::Binary:
        if (n.op == ir::Op::LogAnd || n.op == ir::Op::LogOr || n.op == ir::Op::LogXor)
            return logical(n);
        if (n.op == ir::Op::Eq || n.op == ir::Op::Ne || n.op == ir::Op::Lt || n.op == ir::Op::Le ||
            n.op == ir::Op::Gt || n.op == ir::Op::Ge)
            return compare(n);
        return binary(n);
    case NodeKind::Conditional: return conditional(n);
    case NodeKind::Cast: return cast(n);
    case NodeKind::Assign: return assign(n);
    case NodeKind::IncDec: return incdec(n);
    case NodeKind::Call: return call(n);
    case NodeKind::Comma: {
        release(value(*n.kids[0]));
        return value(*n.kids[1]);
    }
    case NodeKind::ArgN:
    case NodeKind::AggregationRef: break;
    }
    fail("D_UNSUPPORTED", n.loc, "expression not supported yet");
}

int FunctionCompiler::constantValue(const ir::Node &n) {
    int s = alloc();
    Reg r = s < kRegSlots ? static_cast<Reg>(R6 + s) : R0;
    loadImm(r, n.value);
    put(s, r);
    return s;
}

int FunctionCompiler::stringTemp() {
    if (static_cast<uint32_t>(strTemps_) >= pb_.g.layout.strtmpSlots)
        fail("D_UNSUPPORTED", clause_ ? clause_->loc : SourceLoc{}, "too many string temporaries");
    return strTemps_++;
}

int FunctionCompiler::stringValue(const ir::Node &n) {
    Generator &g = pb_.g;
    switch (n.kind) {
    case NodeKind::String: {
        int s = alloc();
        f_->ldMapValue(R0, g.strtabMap, g.strtab.add(n.str));
        put(s, R0);
        return s;
    }
    case NodeKind::BuiltinVar: return builtin(n);
    case NodeKind::Var:
    case NodeKind::ArrayElem:
    case NodeKind::Member:
    case NodeKind::Element: {
        Address a = address(n, false);
        int s = alloc();
        addressOf(R0, a);
        if (n.kind == NodeKind::Var && n.var->scope != ir::Scope::ThreadLocal) {
            // A global or clause-local string set to NULL is NULL.
            Label notNull = f_->newLabel();
            emit(load(Size::B, R1, R0, static_cast<int16_t>(g.layout.strslot - 1)));
            f_->jumpImm(BPF_JEQ, R1, 0, notNull);
            emit(movImm(R0, 0));
            f_->bind(notNull);
        }
        put(s, R0);
        release(a.slot);
        return s;
    }
    case NodeKind::Cast: return cast(n);
    case NodeKind::Conditional: return conditional(n);
    case NodeKind::Call: return call(n);
    case NodeKind::Comma: {
        release(value(*n.kids[0]));
        return value(*n.kids[1]);
    }
    case NodeKind::Assign: return assign(n);
    case NodeKind::Binary: {
        // string + offset: the characters from the offset on (at most to
        // the NUL), copied into a temporary.
        int str = stringArg(*n.kids[0]);
        int off = value(*n.kids[1]);
        Reg rs = get(str, R1);
        if (rs != R1) emit(movReg(R1, rs));
        f_->call(pb_.subprogram(SubprogramKind::Strlen));
        Reg ro = get(off, R3);
        if (ro != R3) emit(movReg(R3, ro));
        Label notNegative = f_->newLabel(), inside = f_->newLabel();
        f_->jumpImm(BPF_JSGE, R3, 0, notNegative);
        emit(movImm(R3, 0));
        f_->bind(notNegative);
        f_->jumpReg(BPF_JLE, R3, R0, inside);
        emit(movReg(R3, R0));
        f_->bind(inside);
        rs = get(str, R0);
        emit(alu64Reg(BPF_ADD, R3, rs));
        int t = stringTemp();
        uint32_t toff = g.layout.strtmp + static_cast<uint32_t>(t) * g.layout.strslot;
        emit(movReg(R1, R9));
        emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(toff)));
        emit(movImm(R2, static_cast<int32_t>(g.strsize + 1)));
        f_->callHelper(BPF_FUNC_probe_read_kernel_str);
        release(off);
        emit(movReg(R0, R9));
        emit(alu64Imm(BPF_ADD, R0, static_cast<int32_t>(toff)));
        put(str, R0);
        return str;
    }
    case NodeKind::Deref: {
        Address a = address(n, false);
        int s = alloc();
        if (a.space == Space::Scratch) {
            emit(movImm(R5, static_cast<int32_t>(g.strsize + 1)));
            scratchPointer(R0, a, R5, faultCode(Fault::BadAddr));
        } else {
            // A string read from kernel memory.
            Reg r = get(a.slot, R3);
            if (r != R3) emit(movReg(R3, r));
            int t = stringTemp();
            uint32_t off = g.layout.strtmp + static_cast<uint32_t>(t) * g.layout.strslot;
            emit(movReg(R1, R9));
            emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(off)));
            emit(movImm(R2, static_cast<int32_t>(g.strsize + 1)));
            f_->callHelper(a.space == Space::User ? BPF_FUNC_probe_read_user_str
                                                  : BPF_FUNC_probe_read_kernel_str);
            emit(movReg(R0, R9));
            emit(alu64Imm(BPF_ADD, R0, static_cast<int32_t>(off)));
        }
        put(s, R0);
        release(a.slot);
        return s;
    }
    default: break;
    }
    fail("D_UNSUPPORTED", n.loc, "string expression not supported yet");
}

int FunctionCompiler::builtin(const ir::Node &n) {
    Generator &g = pb_.g;
    int s = alloc();
    auto probeString = [&](const std::string &text) {
        f_->ldMapValue(R0, g.strtabMap, g.strtab.add(text));
        put(s, R0);
        return s;
    };
    const providers::Probe *probe = errorClause_ ? nullptr : pb_.probe();
    bool dynamic = !pb_.ctx.probeKnownStatically() && !errorClause_;
    switch (n.builtin) {
    case ir::Builtin::Arg:
        emit(load(Size::DW, R0, R9, static_cast<int16_t>(dctx::kArgs + 8 * n.value)));
        break;
    case ir::Builtin::Pid:
        f_->callHelper(BPF_FUNC_get_current_pid_tgid);
        emit(alu64Imm(BPF_RSH, R0, 32));
        break;
    case ir::Builtin::Tid:
        f_->callHelper(BPF_FUNC_get_current_pid_tgid);
        emit(alu32Reg(BPF_MOV, R0, R0));
        break;
    case ir::Builtin::Uid:
        f_->callHelper(BPF_FUNC_get_current_uid_gid);
        emit(alu32Reg(BPF_MOV, R0, R0));
        break;
    case ir::Builtin::Gid:
        f_->callHelper(BPF_FUNC_get_current_uid_gid);
        emit(alu64Imm(BPF_RSH, R0, 32));
        break;
    case ir::Builtin::Ppid: {
        Label done = f_->newLabel();
        emit(movImm(R0, 0));
        put(s, R0);
        if (g.kernel.taskRealParent < 0 || g.kernel.taskTgid < 0) break;
        readCurrentTaskWord(g.kernel.taskRealParent, done);
        emit(load(Size::DW, R3, R9, dctx::kScratch));
        emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(g.kernel.taskTgid)));
        readKernelToScratch(4, done);
        emit(load(Size::W, R0, R9, dctx::kScratch));
        put(s, R0);
        f_->bind(done);
        return s;
    }
    case ir::Builtin::Execname: {
        int t = stringTemp();
        uint32_t off = g.layout.strtmp + static_cast<uint32_t>(t) * g.layout.strslot;
        emit(movReg(R1, R9));
        emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(off)));
        emit(movImm(R2, static_cast<int32_t>(std::min<uint32_t>(16, g.strsize + 1))));
        f_->callHelper(BPF_FUNC_get_current_comm);
        emit(movReg(R0, R9));
        emit(alu64Imm(BPF_ADD, R0, static_cast<int32_t>(off)));
        break;
    }
    case ir::Builtin::Execargs: {
        // The current process's arguments (its mm's arg_start to arg_end),
        // the NULs between them shown as spaces; "" for a kernel thread.
        int t = stringTemp();
        const int32_t off =
            static_cast<int32_t>(g.layout.strtmp + static_cast<uint32_t>(t) * g.layout.strslot);
        const auto S = static_cast<int32_t>(g.strsize);
        Label done = f_->newLabel();
        auto slotTo = [&](Reg r) {
            emit(movReg(r, R9));
            emit(alu64Imm(BPF_ADD, r, off));
        };
        auto argumentBytes = [&] { // r2 = arg_end - arg_start, at most strsize
            Label inRange = f_->newLabel();
            emit(load(Size::DW, R2, R9, dctx::kScratch + 8));
            emit(load(Size::DW, R3, R9, dctx::kScratch));
            emit(alu64Reg(BPF_SUB, R2, R3));
            f_->jumpImm(BPF_JSLE, R2, S, inRange);
            emit(movImm(R2, S));
            f_->bind(inRange);
        };
        slotTo(R1);
        emit(storeImm(Size::B, R1, 0, 0));
        if (g.kernel.taskMm >= 0 && g.kernel.mmArgStart >= 0) {
            readCurrentTaskWord(g.kernel.taskMm, done);
            emit(load(Size::DW, R3, R9, dctx::kScratch));
            f_->jumpImm(BPF_JEQ, R3, 0, done);
            emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(g.kernel.mmArgStart)));
            readKernelToScratch(16, done); // arg_start, arg_end
            argumentBytes();
            f_->jumpImm(BPF_JSLE, R2, 0, done);
            emit(load(Size::DW, R3, R9, dctx::kScratch));
            slotTo(R1);
            f_->callHelper(BPF_FUNC_probe_read_user);
            Label read = f_->newLabel();
            f_->jumpImm(BPF_JEQ, R0, 0, read);
            slotTo(R1);
            emit(storeImm(Size::B, R1, 0, 0));
            f_->jump(done);
            f_->bind(read);
            slotTo(R1);
            emit(alu64Imm(BPF_ADD, R1, S));
            emit(storeImm(Size::B, R1, 0, 0));
            argumentBytes();
            emit(alu64Imm(BPF_SUB, R2, 1));
            slotTo(R1);
            f_->call(pb_.subprogram(SubprogramKind::NulToSpace));
        }
        f_->bind(done);
        slotTo(R0);
        break;
    }
    case ir::Builtin::Timestamp:
    case ir::Builtin::Vtimestamp: {
        // Constant for the whole probe firing, as in DTrace.
        bool v = n.builtin == ir::Builtin::Vtimestamp;
        int16_t cache = v ? dctx::kVtimestamp : dctx::kTimestamp;
        Label have = f_->newLabel();
        emit(load(Size::DW, R0, R9, cache));
        f_->jumpImm(BPF_JNE, R0, 0, have);
        if (v && g.kernel.taskExecRuntime >= 0) {
            f_->callHelper(BPF_FUNC_get_current_task);
            emit(movReg(R3, R0));
            emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(g.kernel.taskExecRuntime)));
            emit(movReg(R1, R9));
            emit(alu64Imm(BPF_ADD, R1, dctx::kScratch));
            emit(movImm(R2, 8));
            f_->callHelper(BPF_FUNC_probe_read_kernel);
            emit(load(Size::DW, R0, R9, dctx::kScratch));
        } else {
            f_->callHelper(BPF_FUNC_ktime_get_ns);
        }
        emit(store(Size::DW, R9, cache, R0));
        f_->bind(have);
        break;
    }
    case ir::Builtin::Walltimestamp:
        f_->callHelper(BPF_FUNC_ktime_get_ns);
        f_->ldMapValue(R1, g.stateMap, 0);
        emit(load(Size::DW, R1, R1, offsetof(StateValue, walltimeOffset)));
        emit(alu64Reg(BPF_ADD, R0, R1));
        break;
    case ir::Builtin::Cpu: f_->callHelper(BPF_FUNC_get_smp_processor_id); break;
    case ir::Builtin::Id:
        if (errorClause_)
            loadImm(R0, g.errorProbeId);
        else if (probe && !dynamic)
            loadImm(R0, probe->id);
        else
            emit(load(Size::W, R0, R9, dctx::kProbeId));
        break;
    case ir::Builtin::Epid: loadImm(R0, clause_->index + 1); break;
    case ir::Builtin::Probeprov:
    case ir::Builtin::Probemod:
    case ir::Builtin::Probefunc:
    case ir::Builtin::Probename: {
        using Identity = providers::ProgramShape::Identity;
        const providers::ProbeRole role = errorClause_ ? providers::ProbeRole::Error : pb_.ctx.role;
        const Identity identity = errorClause_ ? Identity::Static : pb_.ctx.shape.identity;
        if (identity == Identity::Cookie) {
            // The probe's entry in the names table (its index in the
            // cookie), then the name's offset there: both checked, so the
            // verifier knows the string stays in the table.
            int field = n.builtin == ir::Builtin::Probeprov   ? 0
                        : n.builtin == ir::Builtin::Probemod  ? 1
                        : n.builtin == ir::Builtin::Probefunc ? 2
                                                              : 3;
            Label inTable = f_->newLabel(), inStrings = f_->newLabel();
            emit(load(Size::W, R1, R9, dctx::kFuncOffset));
            f_->jumpImm(BPF_JLT, R1, static_cast<int32_t>(g.cookieNames), inTable);
            emit(movImm(R1, 0));
            f_->bind(inTable);
            emit(alu64Imm(BPF_LSH, R1, 4));
            f_->ldMapValue(R0, g.strtabMap, g.cookieNamesOffset);
            emit(alu64Reg(BPF_ADD, R0, R1));
            emit(load(Size::W, R1, R0, static_cast<int16_t>(4 * field)));
            f_->jumpImm(BPF_JLE, R1, static_cast<int32_t>(g.cookieNamesMax), inStrings);
            emit(movImm(R1, 0));
            f_->bind(inStrings);
            f_->ldMapValue(R0, g.strtabMap, 0);
            emit(alu64Reg(BPF_ADD, R0, R1));
            break;
        }
        if (n.builtin == ir::Builtin::Probefunc && identity == Identity::SelectorTable) {
            // The name of the selector's probe's function, from the names
            // table (its offset checked, for the verifier).
            Label ok = f_->newLabel();
            emit(load(Size::W, R1, R9, dctx::kFuncOffset));
            uint32_t first = pb_.ctx.namesOffset;
            uint32_t max = first + (pb_.ctx.selectors - 1) * Generator::kNameWidth;
            f_->jumpImm(BPF_JLE, R1, static_cast<int32_t>(max), ok);
            emit(movImm(R1, static_cast<int32_t>(first)));
            f_->bind(ok);
            f_->ldMapValue(R0, g.strtabMap, 0);
            emit(alu64Reg(BPF_ADD, R0, R1));
            break;
        }
        // Otherwise the names are known here: a shared program's probes
        // have the same provider and module, and the same name unless the
        // clause was compiled for one of them alone (lockstat's).
        if (clause_ && clause_->probes.size() == 1) probe = clause_->probes.front();
        std::string prov, mod, func, name;
        if (role != providers::ProbeRole::Traced) {
            prov = "dtrace";
            name = role == providers::ProbeRole::Error   ? "ERROR"
                   : role == providers::ProbeRole::Begin ? "BEGIN"
                                                         : "END";
        } else if (probe) {
            prov = probe->provider;
            mod = probe->module;
            func = probe->function;
            name = probe->name;
        }
        const std::string &text = n.builtin == ir::Builtin::Probeprov   ? prov
                                  : n.builtin == ir::Builtin::Probemod  ? mod
                                  : n.builtin == ir::Builtin::Probefunc ? func
                                                                        : name;
        return probeString(text);
    }
    case ir::Builtin::Errno: emit(load(Size::DW, R0, R9, dctx::kErrno)); break;
    case ir::Builtin::Curthread: f_->callHelper(BPF_FUNC_get_current_task); break;
    case ir::Builtin::Caller:
    case ir::Builtin::Ucaller:
    case ir::Builtin::Stackdepth:
    case ir::Builtin::Ustackdepth: stackFrames(n); break;
    // Linux has no interrupt priority levels: every probe runs at 0.
    case ir::Builtin::Ipl: emit(movImm(R0, 0)); break;
    }
    normalize(R0, n.type);
    put(s, R0);
    return s;
}

// ra = ra op rb, with C's semantics for the operand types.
void FunctionCompiler::arith(ir::Op op, Reg ra, Reg rb, bool sgn, bool lhsSigned) {
    if (op == ir::Op::Div || op == ir::Op::Mod) {
        Label ok = f_->newLabel();
        f_->jumpImm(BPF_JNE, rb, 0, ok);
        emit(movImm(R0, 0));
        fault(faultCode(Fault::DivZero), R0);
        f_->bind(ok);
        if (!sgn) {
            emit(alu64Reg(op == ir::Op::Div ? BPF_DIV : BPF_MOD, ra, rb));
            return;
        }
        // Signed division from unsigned: divide magnitudes, fix the sign.
        // r3 = result is negative, r4 = |a|, r5 = |b|.
        Label aPos = f_->newLabel(), bPos = f_->newLabel(), done = f_->newLabel();
        emit(movReg(R4, ra));
        emit(movReg(R5, rb));
        emit(movImm(R3, 0));
        f_->jumpImm(BPF_JSGE, R4, 0, aPos);
        emit(bpf::neg(R4));
        emit(alu64Imm(BPF_XOR, R3, 1));
        f_->bind(aPos);
        f_->jumpImm(BPF_JSGE, R5, 0, bPos);
        emit(bpf::neg(R5));
        // As in DTrace, both quotient and remainder take the sign of a * b.
        emit(alu64Imm(BPF_XOR, R3, 1));
        f_->bind(bPos);
        emit(alu64Reg(op == ir::Op::Div ? BPF_DIV : BPF_MOD, R4, R5));
        f_->jumpImm(BPF_JEQ, R3, 0, done);
        emit(bpf::neg(R4));
        f_->bind(done);
        emit(movReg(ra, R4));
        return;
    }
    uint8_t code = BPF_ADD;
    switch (op) {
    case ir::Op::Add: code = BPF_ADD; break;
    case ir::Op::Sub: code = BPF_SUB; break;
    case ir::Op::Mul: code = BPF_MUL; break;
    case ir::Op::And: code = BPF_AND; break;
    case ir::Op::Or: code = BPF_OR; break;
    case ir::Op::Xor: code = BPF_XOR; break;
    case ir::Op::Shl: code = BPF_LSH; break;
    case ir::Op::Shr: code = lhsSigned ? BPF_ARSH : BPF_RSH; break;
    default: break;
    }
    emit(alu64Reg(code, ra, rb));
}

int FunctionCompiler::binary(const ir::Node &n) {
    int a = value(*n.kids[0]);
    int b = value(*n.kids[1]);
    Reg ra = get(a, R1);
    Reg rb = get(b, R2);
    arith(n.op, ra, rb, isSigned(n.type), isSigned(n.kids[0]->type));
    put(a, ra);
    release(b);
    return a;
}

int FunctionCompiler::compare(const ir::Node &n) {
    if (sema::isString(n.kids[0]->type) && n.kids[1]->isConstant()) {
        // s == NULL: s is NULL or "".
        int a = value(*n.kids[0]);
        Reg r = get(a, R1);
        Label isNull = f_->newLabel(), done = f_->newLabel();
        f_->jumpImm(BPF_JEQ, r, 0, isNull);
        emit(load(Size::B, R0, r, 0));
        f_->jumpImm(BPF_JEQ, R0, 0, isNull);
        emit(movImm(R0, n.op == ir::Op::Ne ? 1 : 0));
        f_->jump(done);
        f_->bind(isNull);
        emit(movImm(R0, n.op == ir::Op::Ne ? 0 : 1));
        f_->bind(done);
        put(a, R0);
        return a;
    }
    int a = value(*n.kids[0]);
    int b = value(*n.kids[1]);
    Reg ra, rb;
    bool sgn = isSigned(n.kids[0]->type) && isSigned(n.kids[1]->type);
    if (sema::isString(n.kids[0]->type) && (mayBeNull(*n.kids[0]) || mayBeNull(*n.kids[1]))) {
        // NULL equals only NULL; a NULL orders before any string.
        Label bothSet = f_->newLabel(), done = f_->newLabel();
        int c = alloc();
        Reg ra2 = get(a, R1);
        if (ra2 != R1) emit(movReg(R1, ra2));
        Reg rb2 = get(b, R2);
        if (rb2 != R2) emit(movReg(R2, rb2));
        Label oneNull = f_->newLabel();
        f_->jumpImm(BPF_JEQ, R1, 0, oneNull);
        f_->jumpImm(BPF_JNE, R2, 0, bothSet);
        f_->bind(oneNull);
        // r0 = (a != 0) - (b != 0)
        Label aZero = f_->newLabel(), bZero = f_->newLabel();
        emit(movImm(R0, 0));
        f_->jumpImm(BPF_JEQ, R1, 0, aZero);
        emit(movImm(R0, 1));
        f_->bind(aZero);
        f_->jumpImm(BPF_JEQ, R2, 0, bZero);
        emit(alu64Imm(BPF_SUB, R0, 1));
        f_->bind(bZero);
        put(c, R0);
        f_->jump(done);
        f_->bind(bothSet);
        f_->call(pb_.subprogram(SubprogramKind::Strcmp));
        put(c, R0);
        f_->bind(done);
        ra = get(c, R1);
        emit(movImm(R2, 0));
        rb = R2;
        release(b);
        release(a);
        a = c;
        b = -1;
        sgn = true;
    } else if (sema::isString(n.kids[0]->type)) {
        int c = strcmpCall(a, b);
        ra = get(c, R1);
        emit(movImm(R2, 0));
        rb = R2;
        release(b);
        release(a);
        a = c;
        b = -1;
        sgn = true;
    } else {
        ra = get(a, R1);
        rb = get(b, R2);
    }
    uint8_t code = BPF_JEQ;
    switch (n.op) {
    case ir::Op::Eq: code = BPF_JEQ; break;
    case ir::Op::Ne: code = BPF_JNE; break;
    case ir::Op::Lt: code = sgn ? BPF_JSLT : BPF_JLT; break;
    case ir::Op::Le: code = sgn ? BPF_JSLE : BPF_JLE; break;
    case ir::Op::Gt: code = sgn ? BPF_JSGT : BPF_JGT; break;
    case ir::Op::Ge: code = sgn ? BPF_JSGE : BPF_JGE; break;
    default: break;
    }
    Label yes = f_->newLabel();
    emit(movImm(R0, 1));
    f_->jumpReg(code, ra, rb, yes);
    emit(movImm(R0, 0));
    f_->bind(yes);
    put(a, R0);
    release(b);
    return a;
}

int FunctionCompiler::logical(const ir::Node &n) {
    int a = value(*n.kids[0]);
    Reg ra = get(a, R1);
    Label done = f_->newLabel();
    // Normalise a to 0/1.
    Label aZero = f_->newLabel(), aDone = f_->newLabel();
    f_->jumpImm(BPF_JEQ, ra, 0, aZero);
    emit(movImm(ra, 1));
    f_->jump(aDone);
    f_->bind(aZero);
    emit(movImm(ra, 0));
    f_->bind(aDone);
    put(a, ra);
    if (n.op == ir::Op::LogAnd) f_->jumpImm(BPF_JEQ, ra, 0, done);
    if (n.op == ir::Op::LogOr) f_->jumpImm(BPF_JNE, ra, 0, done);
    int b = value(*n.kids[1]);
    Reg rb = get(b, R2);
    Label bZero = f_->newLabel(), bDone = f_->newLabel();
    f_->jumpImm(BPF_JEQ, rb, 0, bZero);
    emit(movImm(R0, 1));
    f_->jump(bDone);
    f_->bind(bZero);
    emit(movImm(R0, 0));
    f_->bind(bDone);
    if (n.op == ir::Op::LogXor) {
        ra = get(a, R1);
        emit(alu64Reg(BPF_XOR, R0, ra));
    }
    put(a, R0);
    release(b);
    f_->bind(done);
    return a;
}

int FunctionCompiler::conditional(const ir::Node &n) {
    int c = value(*n.kids[0]);
    Reg rc = get(c, R1);
    Label elseL = f_->newLabel(), done = f_->newLabel();
    f_->jumpImm(BPF_JEQ, rc, 0, elseL);
    int a = value(*n.kids[1]);
    Reg ra = get(a, R0);
    put(c, ra);
    release(a);
    f_->jump(done);
    f_->bind(elseL);
    int b = value(*n.kids[2]);
    Reg rb = get(b, R0);
    put(c, rb);
    release(b);
    f_->bind(done);
    return c;
}

int FunctionCompiler::cast(const ir::Node &n) {
    const ir::Node &x = *n.kids[0];
    if (sema::isVoid(n.type)) {
        release(value(x));
        return constantValue(ir::Node(NodeKind::Const, n.loc, n.type));
    }
    if (sema::isString(n.type)) {
        if (sema::isString(x.type)) return value(x);
        // A string from kernel memory: a pointer, or an array's address.
        Generator &g = pb_.g;
        Space space = Space::Kernel;
        int src;
        if (sema::isArray(x.type)) {
            Address a = address(x, false);
            space = a.space;
            src = alloc();
            addressOf(R0, a);
            put(src, R0);
            release(a.slot);
        } else {
            src = value(x);
            auto pt = sema::stripTypedefs(x.type);
            if (pt && pt->kind == sema::TypeKind::Pointer && pt->isUserland) space = Space::User;
            if (pt && pt->kind == sema::TypeKind::Pointer && pt->isDPtr) {
                Reg r = get(src, R1);
                if (r != R1) emit(movReg(R1, r));
                scratchToAddress(R1);
                put(src, R1);
            }
        }
        int t = stringTemp();
        uint32_t off = g.layout.strtmp + static_cast<uint32_t>(t) * g.layout.strslot;
        Reg rs = get(src, R3);
        if (rs != R3) emit(movReg(R3, rs));
        emit(movReg(R1, R9));
        emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(off)));
        emit(movImm(R2, static_cast<int32_t>(g.strsize + 1)));
        if (space == Space::DMem)
            f_->callHelper(BPF_FUNC_probe_read_kernel_str);
        else
            f_->callHelper(space == Space::User ? BPF_FUNC_probe_read_user_str
                                                : BPF_FUNC_probe_read_kernel_str);
        Label ok = f_->newLabel();
        f_->jumpImm(BPF_JSGT, R0, 0, ok);
        rs = get(src, R3);
        faultBadRead(rs, space == Space::User);
        f_->bind(ok);
        emit(movReg(R0, R9));
        emit(alu64Imm(BPF_ADD, R0, static_cast<int32_t>(off)));
        put(src, R0);
        return src;
    }
    if (sema::isArray(x.type)) {
        // An array decays to its address.
        Address a = address(x, false);
        int s = alloc();
        addressOf(R0, a);
        put(s, R0);
        release(a.slot);
        return s;
    }
    int s = value(x);
    Reg r = get(s, R0);
    normalize(r, n.type);
    put(s, r);
    return s;
}

} // namespace dtrace::codegen

namespace dtrace::codegen {

// A failed read of user memory: a kernel address is a kernel privilege
// fault (the kernel's user-copy routines refuse those), a kernel thread (no
// user address space to read) a user privilege fault, anything else a bad
// address.
bpf::FunctionId ProgramBuilder::userFaultFunction() {
    if (userFault_ >= 0) return userFault_;
    userFault_ = addFunction("dt_user_fault", [&](Function &f) {
        Label userHalf = f.newLabel(), badAddress = f.newLabel();
        f.jumpImm(BPF_JSGE, R1, 0, userHalf);
        f.emit(movImm(R0, static_cast<int32_t>(faultCode(Fault::KPriv))));
        f.emit(exitInsn());
        f.bind(userHalf);
        const int64_t mmOffset = g.kernel.taskMm;
        if (mmOffset >= 0) {
            f.callHelper(BPF_FUNC_get_current_task);
            f.emit(movReg(R3, R0));
            f.emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(mmOffset)));
            f.emit(storeImm(Size::DW, FP, -8, 0));
            f.emit(movReg(R1, FP));
            f.emit(alu64Imm(BPF_ADD, R1, -8));
            f.emit(movImm(R2, 8));
            f.callHelper(BPF_FUNC_probe_read_kernel);
            f.emit(load(Size::DW, R0, FP, -8));
            f.jumpImm(BPF_JNE, R0, 0, badAddress);
            f.emit(movImm(R0, static_cast<int32_t>(faultCode(Fault::UPriv))));
            f.emit(exitInsn());
        }
        f.bind(badAddress);
        f.emit(movImm(R0, static_cast<int32_t>(faultCode(Fault::BadAddr))));
        f.emit(exitInsn());
    });
    return userFault_;
}

} // namespace dtrace::codegen
