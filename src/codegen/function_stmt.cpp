// Statement lowering for one clause function: actions, records and
// aggregations.
#include "codegen/function.h"
#include "codegen/program.h"

#include <algorithm>

namespace dtrace::codegen {

using namespace bpf;
using ir::NodeKind;
using ir::StmtKind;
using sema::TypeRef;

namespace {

bool recordsData(const std::vector<ir::StmtPtr> &body) {
    for (const auto &s : body) {
        switch (s->kind) {
        case StmtKind::Trace:
        case StmtKind::Printf:
        case StmtKind::Exit:
        case StmtKind::Printa:
        case StmtKind::AggregationAction:
        case StmtKind::SetOption:
        case StmtKind::Print:
        case StmtKind::Freopen:
        case StmtKind::Ftruncate:
        case StmtKind::Tracemem:
        case StmtKind::System: return true;
        case StmtKind::If:
            if (recordsData(s->thenBody) || recordsData(s->elseBody)) return true;
            break;
        default: break;
        }
    }
    return false;
}

bool speculates(const std::vector<ir::StmtPtr> &body) {
    for (const auto &s : body) {
        if (s->kind == StmtKind::Speculate) return true;
        if (s->kind == StmtKind::If && (speculates(s->thenBody) || speculates(s->elseBody)))
            return true;
    }
    return false;
}

bool hasIf(const std::vector<ir::StmtPtr> &body) {
    return std::any_of(body.begin(), body.end(),
                       [](const auto &s) { return s->kind == StmtKind::If; });
}

} // namespace

ValueDesc FunctionCompiler::describeValue(const TypeRef &t) const {
    return describeType(t, pb_.g.layout.strslot, pb_.g.strsize);
}

// How a value of type t is recorded (and keyed): strings in a strslot,
// scalars in 8 bytes, stacks and other objects as their bytes.
ValueDesc describeType(const TypeRef &t, uint32_t strslot, uint32_t strsize) {
    ValueDesc d;
    d.typeName = sema::typeName(t);
    if (sema::isString(t)) {
        d.kind = ValueDesc::Kind::String;
        d.size = strslot;
        d.typeSize = strsize;
    } else if (sema::isScalar(t)) {
        d.kind = ValueDesc::Kind::Integer;
        d.size = 8;
        d.typeSize = static_cast<uint32_t>(sema::typeSize(t));
        d.isSigned = sema::isSignedInt(t);
        d.isPointer = sema::isPointer(t);
    } else if (sema::isStack(t)) {
        d.kind = ValueDesc::Kind::Stack;
        d.userStack = sema::stripTypedefs(t)->stack == sema::Type::Stack::User;
        d.symbolForm = sema::stripTypedefs(t)->symbolForm;
        d.typeSize = static_cast<uint32_t>(sema::typeSize(t));
        d.size = d.typeSize;
    } else {
        d.kind = ValueDesc::Kind::Bytes;
        d.typeSize = static_cast<uint32_t>(sema::typeSize(t));
        d.size = std::max<uint32_t>(8, (d.typeSize + 7) & ~7u);
    }
    return d;
}

uint32_t FunctionCompiler::reserveRecord(uint32_t size, uint32_t align) {
    uint32_t off = (recordUsed_ + align - 1) / align * align;
    recordUsed_ = off + size;
    Generator &g = pb_.g;
    g.layout.recordSize = std::max(g.layout.recordSize, (recordUsed_ + 7) & ~7u);
    return off;
}

void FunctionCompiler::recordValue(const ir::Node &n, int slot, uint32_t offset, ValueDesc &desc) {
    Generator &g = pb_.g;
    uint32_t at = g.layout.record + offset;
    if (desc.kind == ValueDesc::Kind::Integer) {
        Reg r = get(slot, R0);
        if (r != R0) emit(movReg(R0, r));
        normalize(R0, n.type);
        emit(store(Size::DW, R9, static_cast<int16_t>(at), R0));
        return;
    }
    if (desc.kind == ValueDesc::Kind::String) {
        checkNotNull(n, slot);
        // Raw bytes show what follows the NUL: make it zeros.
        if (g.prog.options.rawbytes)
            for (uint32_t o = 0; o < desc.size; o += 8)
                emit(storeImm(Size::DW, R9, static_cast<int16_t>(at + o), 0));
    }
    Reg src = get(slot, R3);
    if (src != R3) emit(movReg(R3, src));
    emit(movReg(R1, R9));
    emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(at)));
    if (desc.kind == ValueDesc::Kind::String) {
        emit(movImm(R2, static_cast<int32_t>(desc.size)));
        f_->callHelper(BPF_FUNC_probe_read_kernel_str);
        return;
    }
    emit(movImm(R2, static_cast<int32_t>(desc.typeSize)));
    bool user = n.kind == NodeKind::Deref && n.userAddress;
    f_->callHelper(user ? BPF_FUNC_probe_read_user : BPF_FUNC_probe_read_kernel);
    Label ok = f_->newLabel();
    f_->jumpImm(BPF_JEQ, R0, 0, ok);
    src = get(slot, R3);
    faultBadRead(src, user);
    f_->bind(ok);
}

void FunctionCompiler::compileClause() {
    Generator &g = pb_.g;
    const ir::Clause &c = *clause_;
    faultLabel_ = f_->newLabel();
    endLabel_ = f_->newLabel();
    f_->setSource({c.index, c.loc.line});
    emit(movReg(R9, R1));

    bool fresh = !g.clauseDescribed(c.index);
    ClauseDesc scratch;
    desc_ = fresh ? &g.clauseDesc(c) : &scratch;
    desc_->items.clear();
    desc_->isErrorClause = errorClause_;
    // A speculative clause records at least its EPID into the speculation.
    hasRecord_ = recordsData(c.body) || c.body.empty() || speculates(c.body);
    bool presence = hasIf(c.body) && recordsData(c.body);
    desc_->hasPresence = presence;

    if (g.layout.usesStacks) emit(store(Size::DW, FP, kStackProgramContext, R2));
    // Each clause starts with no scratch memory alloca'd.
    emit(storeImm(Size::DW, R9, dctx::kScratchTop, 0));
    if (c.predicate) {
        f_->setSource({c.index, c.predicate->loc.line});
        int p = value(*c.predicate);
        Reg r = get(p, R0);
        f_->jumpImm(BPF_JEQ, r, 0, endLabel_);
        release(p);
    }
    uint32_t rec = g.layout.record;
    if (hasRecord_) {
        emit(storeImm(Size::W, R9, static_cast<int16_t>(rec), c.index + 1));
        emit(load(Size::W, R0, R9, dctx::kProbeId));
        emit(store(Size::W, R9, static_cast<int16_t>(rec + 4), R0));
        if (g.prog.usesSpeculation)
            emit(storeImm(Size::W, R9,
                          static_cast<int16_t>(rec + offsetof(RecordHeader, speculation)), 0));
        recordUsed_ = sizeof(RecordHeader);
        if (presence) {
            emit(storeImm(Size::DW, R9, static_cast<int16_t>(rec + kPresenceOffset), 0));
            recordUsed_ += 8;
        }
        g.layout.recordSize = std::max(g.layout.recordSize, recordUsed_);
    }
    clauseBody(c.body);
    if (hasRecord_) {
        f_->setSource({c.index, c.loc.line});
        if (speculates(c.body)) chargeSpeculativeRecord(dtraceRecordBytes(*desc_));
        codegen::emitRecordOutput(*f_, g, rec, recordUsed_, hasExit_);
    }
    desc_->recordSize = recordUsed_;
    f_->bind(endLabel_);
    emit(movImm(R0, 0));
    emit(exitInsn());
    if (faultUsed_) {
        // The verifier refuses unreachable code: only emit what is used.
        f_->bind(faultLabel_);
        emit(movImm(R0, 1));
        emit(exitInsn());
    }
    if (fresh) g.markDescribed(c.index);
}

// A long clause is verified in parts. The verifier's work on one function
// grows faster than its length, so statements beyond the first
// kPartInsns instructions go into global functions of about that size,
// each verified on its own; the clause calls them in turn, and a fault in
// one ends the clause as it would have inline.
void FunctionCompiler::clauseBody(const std::vector<ir::StmtPtr> &body) {
    constexpr size_t kPartInsns = 1500;
    size_t next = 0;
    while (next < body.size() && f_->size() < kPartInsns) {
        strTemps_ = 0;
        statement(*body[next++]);
    }
    int part = 0;
    while (next < body.size()) {
        std::string name =
            "dt_clause_" + std::to_string(clause_->index) + "_" + std::to_string(++part);
        bpf::FunctionId id = pb_.addFunction(name, [&](bpf::Function &pf) {
            makeGlobalFunction(pf, {bpf::ParamKind::Context}, 1);
            bpf::Function *outer = f_;
            bpf::Label outerFault = faultLabel_;
            bool outerFaultUsed = faultUsed_;
            auto outerSlots = slotsInUse_;
            f_ = &pf;
            inPart_ = true;
            faultLabel_ = f_->newLabel();
            faultUsed_ = false;
            slotsInUse_.clear();
            emit(bpf::movReg(bpf::R9, bpf::R1));
            size_t start = f_->size();
            do {
                strTemps_ = 0;
                statement(*body[next++]);
            } while (next < body.size() && f_->size() - start < kPartInsns);
            emit(bpf::movImm(bpf::R0, 0));
            emit(bpf::exitInsn());
            if (faultUsed_) {
                f_->bind(faultLabel_);
                emit(bpf::movImm(bpf::R0, 1));
                emit(bpf::exitInsn());
            }
            f_ = outer;
            inPart_ = false;
            faultLabel_ = outerFault;
            faultUsed_ = outerFaultUsed;
            slotsInUse_ = std::move(outerSlots);
        });
        emit(bpf::movReg(bpf::R1, bpf::R9));
        f_->call(id);
        if (pb_.g.prog.usesSpeculation) f_->jumpImm(BPF_JEQ, bpf::R0, kPartAbandon, endLabel_);
        f_->jumpImm(BPF_JNE, bpf::R0, 0, faultLabel_);
        faultUsed_ = true;
    }
}

void FunctionCompiler::statements(const std::vector<ir::StmtPtr> &body) {
    for (const auto &s : body) {
        strTemps_ = 0;
        statement(*s);
    }
}

// An action under if/else: a bit of the record's presence mask says
// whether it ran.
void FunctionCompiler::markPresent(RecordItem &item, SourceLoc loc) {
    if (conditionalDepth_ == 0) return;
    int bit = 0;
    for (const auto &it : desc_->items)
        if (it.presentBit >= bit) bit = it.presentBit + 1;
    if (bit >= 64) fail("D_UNSUPPORTED", loc, "too many conditional actions in one clause");
    item.presentBit = bit;
    int16_t at = static_cast<int16_t>(pb_.g.layout.record + kPresenceOffset);
    emit(load(Size::DW, R1, R9, at));
    f_->ldImm64(R2, 1ull << bit);
    emit(alu64Reg(BPF_OR, R1, R2));
    emit(store(Size::DW, R9, at, R1));
}

void FunctionCompiler::statement(const ir::Stmt &s) {
    NestingGuard guard(depth_, s.loc);
    Generator &g = pb_.g;
    f_->setSource({clause_->index, s.loc.line});
    switch (s.kind) {
    case StmtKind::Expr:
        if (s.needsDestructive) g.out.needsDestructive = true;
        release(value(*s.expr));
        return;
    case StmtKind::Trace: {
        RecordItem item;
        item.kind = ItemKind::Trace;
        ValueDesc d = describeValue(s.expr->type);
        int v = value(*s.expr);
        uint32_t off = reserveRecord(d.size, 8);
        recordValue(*s.expr, v, off, d);
        release(v);
        item.offset = off;
        item.values.push_back(d);
        item.valueOffsets.push_back(off);
        markPresent(item, s.loc);
        desc_->items.push_back(std::move(item));
        return;
    }
    case StmtKind::Printf:
    case StmtKind::Freopen:
    case StmtKind::System: {
        RecordItem item;
        item.kind = s.kind == StmtKind::Printf    ? ItemKind::Printf
                    : s.kind == StmtKind::Freopen ? ItemKind::Freopen
                                                  : ItemKind::System;
        item.format = s.parsedFormat;
        for (const auto &a : s.args) {
            ValueDesc d = describeValue(a->type);
            int v = value(*a);
            uint32_t off = reserveRecord(d.size, 8);
            recordValue(*a, v, off, d);
            release(v);
            item.values.push_back(d);
            item.valueOffsets.push_back(off);
        }
        item.offset = item.valueOffsets.empty() ? recordUsed_ : item.valueOffsets.front();
        markPresent(item, s.loc);
        desc_->items.push_back(std::move(item));
        if (s.needsDestructive) g.out.needsDestructive = true;
        return;
    }
    case StmtKind::Exit: exitAction(s); return;
    case StmtKind::Printa: {
        // The consumer prints the aggregations when it reads this record.
        RecordItem item;
        item.kind = ItemKind::Printa;
        item.format = s.parsedFormat;
        item.hasFormat = s.hasFormat;
        for (const auto *a : s.aggs) item.aggregations.push_back(a->id);
        item.offset = recordUsed_;
        markPresent(item, s.loc);
        desc_->items.push_back(std::move(item));
        return;
    }
    case StmtKind::Aggregate: aggregate(s); return;
    case StmtKind::AggregationAction: {
        // The consumer normalizes, clears or truncates when it reads this.
        RecordItem item;
        item.kind = ItemKind::AggregationAction;
        item.aggAction = s.aggAction;
        item.aggregations.push_back(s.aggs.at(0)->id);
        item.offset = recordUsed_;
        if (s.expr) {
            ValueDesc d = describeValue(s.expr->type);
            int v = value(*s.expr);
            uint32_t off = reserveRecord(d.size, 8);
            recordValue(*s.expr, v, off, d);
            release(v);
            item.values.push_back(d);
            item.valueOffsets.push_back(off);
        }
        markPresent(item, s.loc);
        desc_->items.push_back(std::move(item));
        return;
    }
    case StmtKind::Print: printAction(s); return;
    case StmtKind::Tracemem: tracememAction(s); return;
    case StmtKind::Ftruncate: {
        RecordItem item;
        item.kind = ItemKind::Ftruncate;
        item.offset = recordUsed_;
        markPresent(item, s.loc);
        desc_->items.push_back(std::move(item));
        return;
    }
    case StmtKind::SetOption: {
        RecordItem item;
        item.kind = ItemKind::SetOption;
        item.optionName = s.format;
        if (s.hasFormat) item.optionValue = s.str;
        item.offset = recordUsed_;
        markPresent(item, s.loc);
        desc_->items.push_back(std::move(item));
        return;
    }
    case StmtKind::Speculate: speculateAction(s); return;
    case StmtKind::Commit: finishSpeculation(s, kSpecCommit); return;
    case StmtKind::Discard: finishSpeculation(s, kSpecDiscard); return;
    case StmtKind::If: {
        int c = value(*s.expr);
        Reg r = get(c, R0);
        release(c);
        Label elseL = f_->newLabel(), done = f_->newLabel();
        f_->jumpImm(BPF_JEQ, r, 0, elseL);
        ++conditionalDepth_;
        statements(s.thenBody);
        f_->jump(done);
        f_->bind(elseL);
        statements(s.elseBody);
        --conditionalDepth_;
        f_->bind(done);
        return;
    }
    }
}

// print(p): the pointer and the bytes it points to (kMaxPrintBytes at most).
void FunctionCompiler::printAction(const ir::Stmt &s) {
    const ir::Node &p = *s.expr;
    RecordItem item;
    item.kind = ItemKind::Print;
    sema::TypeRef target = sema::stripTypedefs(p.type)->target;
    item.printType = pb_.g.typeDescriptor(target);
    ValueDesc pd = describeValue(p.type);
    int v = value(p);
    uint32_t poff = reserveRecord(8, 8);
    recordValue(p, v, poff, pd);
    auto bytes = static_cast<uint32_t>(std::min<uint64_t>(sema::typeSize(target), kMaxPrintBytes));
    ValueDesc dd;
    uint32_t doff = recordMemory(v, p.type, bytes, dd);
    release(v);
    item.offset = poff;
    item.values = {pd, dd};
    item.valueOffsets = {poff, doff};
    markPresent(item, s.loc);
    desc_->items.push_back(std::move(item));
}

// Copies `bytes` bytes from the address in slot (of type addressType:
// alloca'd, user or kernel memory) into the record; a bad address faults.
// Returns their offset in the record; desc describes them.
uint32_t FunctionCompiler::recordMemory(int slot, const TypeRef &addressType, uint32_t bytes,
                                        ValueDesc &desc) {
    desc.kind = ValueDesc::Kind::Bytes;
    desc.typeSize = bytes;
    desc.size = (bytes + 7) & ~7u;
    uint32_t off = reserveRecord(desc.size, 8);
    auto pt = sema::stripTypedefs(addressType);
    bool pointer = pt && pt->kind == sema::TypeKind::Pointer;
    bool user = pointer && pt->isUserland;
    Reg r = get(slot, R3);
    if (r != R3) emit(movReg(R3, r));
    if (pointer && pt->isDPtr) scratchToAddress(R3);
    emit(movReg(R1, R9));
    emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(pb_.g.layout.record + off)));
    emit(movImm(R2, static_cast<int32_t>(bytes)));
    f_->callHelper(user ? BPF_FUNC_probe_read_user : BPF_FUNC_probe_read_kernel);
    Label ok = f_->newLabel();
    f_->jumpImm(BPF_JEQ, R0, 0, ok);
    r = get(slot, R3);
    faultBadRead(r, user);
    f_->bind(ok);
    return off;
}

// tracemem(address, size[, shown]): the bytes, then how many to show.
void FunctionCompiler::tracememAction(const ir::Stmt &s) {
    RecordItem item;
    item.kind = ItemKind::Tracemem;
    auto bytes = static_cast<uint32_t>(s.params.at(0));
    int v = value(*s.expr);
    ValueDesc dd;
    uint32_t doff = recordMemory(v, s.expr->type, bytes, dd);
    release(v);
    item.values.push_back(dd);
    item.valueOffsets.push_back(doff);
    item.offset = doff;
    if (!s.args.empty()) {
        ValueDesc sd = describeValue(s.args[0]->type);
        int n = value(*s.args[0]);
        uint32_t soff = reserveRecord(8, 8);
        recordValue(*s.args[0], n, soff, sd);
        release(n);
        item.values.push_back(sd);
        item.valueOffsets.push_back(soff);
    }
    markPresent(item, s.loc);
    desc_->items.push_back(std::move(item));
}

void FunctionCompiler::exitAction(const ir::Stmt &s) {
    Generator &g = pb_.g;
    int v = value(*s.expr);
    f_->ldMapValue(R1, g.stateMap, 0);
    Reg r = get(v, R2);
    emit(store(Size::W, R1, offsetof(StateValue, exitStatus), r));
    emit(storeImm(Size::W, R1, offsetof(StateValue, activity), kExiting));
    RecordItem item;
    item.kind = ItemKind::Exit;
    ValueDesc d = describeValue(s.expr->type);
    uint32_t off = reserveRecord(8, 8);
    recordValue(*s.expr, v, off, d);
    release(v);
    item.offset = off;
    item.values.push_back(d);
    item.valueOffsets.push_back(off);
    markPresent(item, s.loc);
    desc_->items.push_back(std::move(item));
    hasExit_ = true;
}

// r2 (the value) becomes its quantize() bucket: 63 for 0, 63 + n for a
// positive value whose highest bit is bit n (1-based), 63 - n for a
// negative one (at least 0). Clobbers r4 and r5.
void FunctionCompiler::quantizeBucket() {
    Label zero = f_->newLabel(), positive = f_->newLabel(), done = f_->newLabel();
    auto highBit = [&] { // r4 = the highest set bit of r2 (>= 1), 1-based
        emit(movImm(R4, 1));
        for (int shift : {32, 16, 8, 4, 2, 1}) {
            Label skip = f_->newLabel();
            emit(movReg(R5, R2));
            emit(alu64Imm(BPF_RSH, R5, shift));
            f_->jumpImm(BPF_JEQ, R5, 0, skip);
            emit(movReg(R2, R5));
            emit(alu64Imm(BPF_ADD, R4, shift));
            f_->bind(skip);
        }
    };
    f_->jumpImm(BPF_JEQ, R2, 0, zero);
    f_->jumpImm(BPF_JSGT, R2, 0, positive);
    emit(alu64Imm(BPF_NEG, R2, 0));
    highBit();
    emit(movImm(R2, kQuantizeZeroBucket));
    emit(alu64Reg(BPF_SUB, R2, R4));
    f_->jumpImm(BPF_JSGE, R2, 0, done);
    emit(movImm(R2, 0));
    f_->jump(done);
    f_->bind(positive);
    highBit();
    emit(movImm(R2, kQuantizeZeroBucket));
    emit(alu64Reg(BPF_ADD, R2, R4));
    f_->jump(done);
    f_->bind(zero);
    emit(movImm(R2, kQuantizeZeroBucket));
    f_->bind(done);
}

// r2 (the value) becomes its lquantize() bucket: 0 below base, 1 + (v -
// base) / step up to limit, levels + 1 from limit on.
void FunctionCompiler::lquantizeBucket(const std::vector<int64_t> &params) {
    auto base = static_cast<int32_t>(params[0]), limit = static_cast<int32_t>(params[1]);
    auto step = static_cast<int32_t>(params[2]);
    auto levels = static_cast<int32_t>(lquantizeLevels(params));
    Label below = f_->newLabel(), above = f_->newLabel(), done = f_->newLabel();
    f_->jumpImm(BPF_JSLT, R2, base, below);
    f_->jumpImm(BPF_JSGE, R2, limit, above);
    emit(alu64Imm(BPF_SUB, R2, base));
    emit(alu64Imm(BPF_DIV, R2, step));
    emit(alu64Imm(BPF_ADD, R2, 1));
    f_->jumpImm(BPF_JLE, R2, levels, done);
    f_->bind(above);
    emit(movImm(R2, levels + 1));
    f_->jump(done);
    f_->bind(below);
    emit(movImm(R2, 0));
    f_->bind(done);
}

// r2 (the value) becomes its llquantize() bucket (see LlquantizeLayout):
// its magnitude against the zero and overflow bounds, then a binary search
// of the bucket bounds. Clobbers r0, r4 and r5.
void FunctionCompiler::llquantizeBucket(const std::vector<int64_t> &params) {
    const ir::LlquantizeLayout l = ir::llquantizeLayout(params);
    const auto p = static_cast<int32_t>(l.lower.size());
    Label positive = f_->newLabel(), notZero = f_->newLabel(), inRange = f_->newLabel(),
          found = f_->newLabel(), negative = f_->newLabel(), done = f_->newLabel();
    auto constant = [&](Reg r, int64_t v) {
        if (v >= INT32_MIN && v <= INT32_MAX)
            emit(movImm(r, static_cast<int32_t>(v)));
        else
            f_->ldImm64(r, static_cast<uint64_t>(v));
    };
    emit(movReg(R4, R2));
    f_->jumpImm(BPF_JSGE, R4, 0, positive);
    emit(alu64Imm(BPF_NEG, R4, 0));
    f_->bind(positive);
    // r4 = |value|, unsigned (INT64_MIN stays 2^63: overflow).
    constant(R0, l.zeroLimit);
    f_->jumpReg(BPF_JGE, R4, R0, notZero);
    emit(movImm(R2, p + 1));
    f_->jump(done);
    f_->bind(notZero);
    constant(R0, l.overflow);
    f_->jumpReg(BPF_JLT, R4, R0, inRange);
    Label negativeOverflow = f_->newLabel();
    f_->jumpImm(BPF_JSLT, R2, 0, negativeOverflow);
    emit(movImm(R2, 2 * p + 2));
    f_->jump(done);
    f_->bind(negativeOverflow);
    emit(movImm(R2, 0));
    f_->jump(done);
    f_->bind(inRange);
    // r5 = the last bucket whose lower bound is at most r4.
    std::function<void(int32_t, int32_t)> search = [&](int32_t lo, int32_t hi) {
        if (lo >= hi) {
            emit(movImm(R5, lo));
            f_->jump(found);
            return;
        }
        int32_t mid = (lo + hi + 1) / 2;
        Label below = f_->newLabel();
        constant(R0, l.lower[static_cast<size_t>(mid)]);
        f_->jumpReg(BPF_JLT, R4, R0, below);
        search(mid, hi);
        f_->bind(below);
        search(lo, mid - 1);
    };
    search(0, p - 1);
    f_->bind(found);
    f_->jumpImm(BPF_JSLT, R2, 0, negative);
    emit(movReg(R2, R5));
    emit(alu64Imm(BPF_ADD, R2, p + 2));
    f_->jump(done);
    f_->bind(negative);
    emit(movImm(R2, p));
    emit(alu64Reg(BPF_SUB, R2, R5));
    f_->bind(done);
}

void FunctionCompiler::aggregate(const ir::Stmt &s) {
    Generator &g = pb_.g;
    const AggStorage &st = g.aggs.at(s.agg);
    std::vector<int> keySlots;
    std::vector<const ir::Node *> keyNodes;
    for (const auto &k : s.keys) {
        keySlots.push_back(value(*k));
        keyNodes.push_back(k.get());
    }
    int arg = s.args.empty() ? -1 : value(*s.args[0]);
    int increment = s.args.size() > 1 ? value(*s.args[1]) : -1;
    Label have = f_->newLabel(), done = f_->newLabel();
    if (st.keyed) {
        ir::Variable dummy;
        buildKey(dummy, keySlots, keyNodes, st.keySize - kAggTagSize, st.keyOffsets);
        const auto tag = static_cast<int16_t>(g.layout.keys + st.keySize - kAggTagSize);
        emit(load(Size::W, R0, R9, dctx::kCpu));
        emit(store(Size::W, R9, static_cast<int16_t>(tag + offsetof(AggregationTag, cpu)), R0));
        emit(storeImm(Size::W, R9, static_cast<int16_t>(tag + offsetof(AggregationTag, slot)),
                      static_cast<int32_t>(st.slot)));
        auto keyPtr = [&] {
            emit(movReg(R2, R9));
            emit(alu64Imm(BPF_ADD, R2, static_cast<int32_t>(g.layout.keys)));
        };
        keyPtr();
        callLookup(st.map);
        f_->jumpImm(BPF_JNE, R0, 0, have);
        f_->ldMap(R1, st.map);
        keyPtr();
        if (isHistogram(s.agg->func)) {
            f_->ldMapValue(R3, g.histogramZeroMap, 0);
        } else {
            emit(movReg(R3, R9));
            emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(g.layout.zero)));
        }
        emit(movImm(R4, BPF_NOEXIST));
        f_->callHelper(BPF_FUNC_map_update_elem);
        keyPtr();
        callLookup(st.map);
        f_->jumpImm(BPF_JNE, R0, 0, have);
        bumpDrop(kAggDrops);
        f_->jump(done);
    } else {
        emit(storeImm(Size::W, FP, -8, static_cast<int32_t>(st.slot)));
        emit(movReg(R2, FP));
        emit(alu64Imm(BPF_ADD, R2, -8));
        callLookup(st.map);
        f_->jumpImm(BPF_JEQ, R0, 0, done);
    }
    f_->bind(have);
    emit(movReg(R1, R0));
    Reg ra = arg >= 0 ? get(arg, R3) : R3;
    switch (s.agg->func) {
    case ir::AggFunc::Count:
        emit(load(Size::DW, R2, R1, 0));
        emit(alu64Imm(BPF_ADD, R2, 1));
        emit(store(Size::DW, R1, 0, R2));
        break;
    case ir::AggFunc::Sum:
        emit(load(Size::DW, R2, R1, 0));
        emit(alu64Reg(BPF_ADD, R2, ra));
        emit(store(Size::DW, R1, 0, R2));
        break;
    case ir::AggFunc::Avg:
        emit(load(Size::DW, R2, R1, 0));
        emit(alu64Imm(BPF_ADD, R2, 1));
        emit(store(Size::DW, R1, 0, R2));
        emit(load(Size::DW, R2, R1, 8));
        emit(alu64Reg(BPF_ADD, R2, ra));
        emit(store(Size::DW, R1, 8, R2));
        break;
    case ir::AggFunc::Stddev: {
        // count, sum, and the sum of squares in 128 bits (low, high) as
        // DTrace keeps it: |v| = hi * 2^32 + lo, so v^2 = hi^2 * 2^64 +
        // hi * lo * 2^33 + lo^2.
        Label positive = f_->newLabel(), noCarry1 = f_->newLabel(), noCarry2 = f_->newLabel();
        emit(load(Size::DW, R2, R1, 0));
        emit(alu64Imm(BPF_ADD, R2, 1));
        emit(store(Size::DW, R1, 0, R2));
        emit(load(Size::DW, R2, R1, 8));
        emit(alu64Reg(BPF_ADD, R2, ra));
        emit(store(Size::DW, R1, 8, R2));
        emit(movReg(R2, ra));
        f_->jumpImm(BPF_JSGE, R2, 0, positive);
        emit(alu64Imm(BPF_NEG, R2, 0));
        f_->bind(positive);
        emit(alu32Reg(BPF_MOV, R3, R2)); // lo
        emit(alu64Imm(BPF_RSH, R2, 32)); // hi
        emit(movReg(R5, R3));
        emit(alu64Reg(BPF_MUL, R5, R2)); // hi * lo
        emit(alu64Reg(BPF_MUL, R3, R3)); // lo^2
        emit(alu64Reg(BPF_MUL, R2, R2)); // hi^2
        emit(movReg(R0, R5));
        emit(alu64Imm(BPF_LSH, R0, 33));
        emit(alu64Reg(BPF_ADD, R3, R0));
        f_->jumpReg(BPF_JGE, R3, R0, noCarry1);
        emit(alu64Imm(BPF_ADD, R2, 1));
        f_->bind(noCarry1);
        emit(alu64Imm(BPF_RSH, R5, 31));
        emit(alu64Reg(BPF_ADD, R2, R5));
        emit(load(Size::DW, R0, R1, 16));
        emit(alu64Reg(BPF_ADD, R0, R3));
        emit(store(Size::DW, R1, 16, R0));
        f_->jumpReg(BPF_JGE, R0, R3, noCarry2);
        emit(alu64Imm(BPF_ADD, R2, 1));
        f_->bind(noCarry2);
        emit(load(Size::DW, R0, R1, 24));
        emit(alu64Reg(BPF_ADD, R0, R2));
        emit(store(Size::DW, R1, 24, R0));
        break;
    }
    case ir::AggFunc::Min:
    case ir::AggFunc::Max: {
        // value at 0, "has a value" flag at 8.
        Label set = f_->newLabel();
        emit(load(Size::DW, R2, R1, 8));
        f_->jumpImm(BPF_JEQ, R2, 0, set);
        emit(load(Size::DW, R4, R1, 0));
        f_->jumpReg(s.agg->func == ir::AggFunc::Min ? BPF_JSGE : BPF_JSLE, ra, R4, done);
        f_->bind(set);
        emit(store(Size::DW, R1, 0, ra));
        emit(storeImm(Size::DW, R1, 8, 1));
        break;
    }
    case ir::AggFunc::Quantize:
    case ir::AggFunc::Lquantize:
    case ir::AggFunc::Llquantize: {
        // r2 = the bucket, then r1 = its address; r4, r5 scratch.
        Label index = f_->newLabel();
        uint32_t buckets = st.valueSize / 8 - 1;
        emit(storeImm(Size::DW, R1, static_cast<int16_t>(buckets * 8), 1)); // fired
        emit(movReg(R2, ra));
        if (s.agg->func == ir::AggFunc::Quantize)
            quantizeBucket();
        else if (s.agg->func == ir::AggFunc::Lquantize)
            lquantizeBucket(s.agg->params);
        else
            llquantizeBucket(s.agg->params);
        f_->bind(index);
        f_->jumpImm(BPF_JGE, R2, static_cast<int32_t>(buckets), done);
        emit(alu64Imm(BPF_LSH, R2, 3));
        emit(alu64Reg(BPF_ADD, R1, R2));
        Reg ri = R5;
        if (increment >= 0)
            ri = get(increment, R5);
        else
            emit(movImm(R5, 1));
        emit(load(Size::DW, R2, R1, 0));
        emit(alu64Reg(BPF_ADD, R2, ri));
        emit(store(Size::DW, R1, 0, R2));
        break;
    }
    default: fail("D_UNSUPPORTED", s.loc, "aggregating function not supported yet");
    }
    f_->bind(done);
    for (int k : keySlots) release(k);
    if (arg >= 0) release(arg);
    if (increment >= 0) release(increment);
}

} // namespace dtrace::codegen
