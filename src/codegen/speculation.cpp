// Speculative tracing: speculation(), speculate(), commit() and discard().
//
// The kernel side is small: an array of SpecState (one per ID) in a
// memory-mapped map. speculation() claims a free one; speculate() tags the
// clause's record with the ID and generation and charges it to the
// speculation's specsize; commit() and discard() mark the speculation
// finishing and write a control record. Records reach the consumer in the
// ring buffer's order, so it can hold a speculation's records and print or
// drop them when the control record arrives; then it frees the ID.
#include "codegen/function.h"
#include "codegen/program.h"

namespace dtrace::codegen {

using namespace bpf;

void Generator::planSpeculations() {
    if (!prog.usesSpeculation) return;
    uint64_t nspec = prog.options.nspec;
    if (nspec > kMaxSpeculations)
        fail("D_UNSUPPORTED", prog.clauses.empty() ? SourceLoc{} : prog.clauses.front().loc,
             "nspec " + std::to_string(nspec) + " is more speculations than the " +
                 std::to_string(kMaxSpeculations) + " dtrace supports");
    out.nspec = static_cast<uint32_t>(nspec);
    MapSpec m;
    m.role = MapRole::Speculations;
    m.name = "specs";
    m.type = BPF_MAP_TYPE_ARRAY;
    m.keySize = 4;
    // One element, so that code addresses each SpecState directly.
    m.valueSize = static_cast<uint32_t>(std::max<uint64_t>(1, nspec) * sizeof(SpecState));
    m.maxEntries = 1;
    m.flags = BPF_F_MMAPABLE;
    specsMap = addMap(std::move(m));
}

// r = the SpecState of index r (clobbers r1).
namespace {
void specStateAddress(Function &f, Generator &g, Reg r) {
    f.emit(alu64Imm(BPF_LSH, r, 4));
    f.ldMapValue(R1, g.specsMap, 0);
    f.emit(alu64Reg(BPF_ADD, r, R1));
}
} // namespace

// dt_speculation(): r0 = a free speculation's ID, or 0: counted as busy
// when some speculation is being committed or discarded (it will be free
// soon), else as unavailable, as DTrace counts them. A global function,
// verified once however many clauses call it (its loop runs nspec times).
bpf::FunctionId ProgramBuilder::speculationFunction() {
    if (speculation_ >= 0) return speculation_;
    // One bpf_loop step: try to claim speculation `index`; the search
    // state (ID found, a finishing one seen) is at r2.
    FunctionId step = addFunction("dt_speculation_step", [&](Function &f) {
        Label claimed = f.newLabel(), notFinishing = f.newLabel(), stop = f.newLabel();
        f.jumpImm(BPF_JGE, R1, static_cast<int32_t>(g.out.nspec), stop);
        f.emit(movReg(R6, R1));
        f.emit(movReg(R7, R2));
        f.emit(movReg(R2, R6));
        specStateAddress(f, g, R2);
        f.emit(movImm(R0, kSpecInactive));
        f.emit(movImm(R3, kSpecClaiming));
        f.emit(atomicCmpxchg(Size::W, R2, offsetof(SpecState, state), R3));
        f.jumpImm(BPF_JEQ, R0, kSpecInactive, claimed);
        f.jumpImm(BPF_JNE, R0, kSpecFinishing, notFinishing);
        f.emit(storeImm(Size::DW, R7, 8, 1));
        f.bind(notFinishing);
        f.emit(movImm(R0, 0));
        f.emit(exitInsn());
        f.bind(claimed);
        f.emit(alu64Imm(BPF_ADD, R6, 1));
        f.emit(store(Size::DW, R7, 0, R6));
        f.bind(stop);
        f.emit(movImm(R0, 1));
        f.emit(exitInsn());
    });
    speculation_ = addFunction("dt_speculation", [&](Function &f) {
        makeGlobalFunction(f, {}, 0);
        Label none = f.newLabel(), unavailable = f.newLabel();
        f.emit(storeImm(Size::DW, FP, -16, 0)); // the ID claimed
        f.emit(storeImm(Size::DW, FP, -8, 0));  // a finishing speculation seen
        f.emit(movImm(R1, static_cast<int32_t>(g.out.nspec)));
        f.ldFunction(R2, step);
        f.emit(movReg(R3, FP));
        f.emit(alu64Imm(BPF_ADD, R3, -16));
        f.emit(movImm(R4, 0));
        f.callHelper(BPF_FUNC_loop);
        f.emit(load(Size::DW, R6, FP, -16));
        f.jumpImm(BPF_JEQ, R6, 0, none);
        f.emit(movReg(R2, R6));
        f.emit(alu64Imm(BPF_SUB, R2, 1));
        f.jumpImm(BPF_JGE, R2, static_cast<int32_t>(g.out.nspec), none);
        specStateAddress(f, g, R2);
        // A new generation with an empty buffer, then usable.
        f.emit(movImm(R3, 1));
        f.emit(atomicAdd(Size::W, R2, offsetof(SpecState, generation), R3));
        f.emit(storeImm(Size::DW, R2, offsetof(SpecState, used), 0));
        f.emit(movImm(R3, kSpecActive));
        f.emit(movImm(R0, kSpecClaiming));
        f.emit(atomicCmpxchg(Size::W, R2, offsetof(SpecState, state), R3));
        f.emit(movReg(R0, R6));
        f.emit(exitInsn());
        f.bind(none);
        f.emit(load(Size::DW, R1, FP, -8));
        f.jumpImm(BPF_JEQ, R1, 0, unavailable);
        emitDropIncrement(f, g, kSpecBusy);
        f.emit(movImm(R0, 0));
        f.emit(exitInsn());
        f.bind(unavailable);
        emitDropIncrement(f, g, kSpecUnavail);
        f.emit(movImm(R0, 0));
        f.emit(exitInsn());
    });
    return speculation_;
}

// dt_spec_finish(r1 = index, r2 = SpecOp, r3 = probe id): an active
// speculation becomes finishing and a control record tells the consumer
// what to do with it. Anything else (inactive, already finishing) is left
// alone, as DTrace does.
bpf::FunctionId ProgramBuilder::specFinishFunction() {
    if (specFinish_ >= 0) return specFinish_;
    specFinish_ = addFunction("dt_spec_finish", [&](Function &f) {
        makeGlobalFunction(f, {ParamKind::Scalar, ParamKind::Scalar, ParamKind::Scalar}, 0);
        Label nothing = f.newLabel(), lost = f.newLabel();
        constexpr int rec = -static_cast<int>(sizeof(SpecControlRecord));
        auto at = [](size_t field) { return static_cast<int16_t>(rec + static_cast<int>(field)); };
        f.jumpImm(BPF_JGE, R1, static_cast<int32_t>(g.out.nspec), nothing);
        f.emit(movReg(R9, R1));
        f.emit(movReg(R6, R2));
        f.emit(movReg(R7, R3));
        f.emit(movReg(R8, R9));
        specStateAddress(f, g, R8);
        f.emit(movImm(R0, kSpecActive));
        f.emit(movImm(R3, kSpecFinishing));
        f.emit(atomicCmpxchg(Size::W, R8, offsetof(SpecState, state), R3));
        f.jumpImm(BPF_JNE, R0, kSpecActive, nothing);
        f.emit(storeImm(Size::W, FP, at(offsetof(RecordHeader, epid)),
                        static_cast<int32_t>(kSpecControl)));
        f.emit(store(Size::W, FP, at(offsetof(RecordHeader, probeId)), R7));
        f.callHelper(BPF_FUNC_get_smp_processor_id);
        f.emit(store(Size::W, FP, at(offsetof(RecordHeader, cpu)), R0));
        f.emit(load(Size::W, R2, R8, offsetof(SpecState, generation)));
        f.emit(alu64Imm(BPF_LSH, R2, 16));
        f.emit(alu64Reg(BPF_OR, R2, R9));
        f.emit(alu64Imm(BPF_ADD, R2, 1));
        f.emit(store(Size::W, FP, at(offsetof(RecordHeader, speculation)), R2));
        f.emit(store(Size::W, FP, at(offsetof(SpecControlRecord, op)), R6));
        f.emit(storeImm(Size::W, FP, at(offsetof(SpecControlRecord, pad)), 0));
        f.ldMap(R1, g.buffersMap);
        f.emit(movReg(R2, FP));
        f.emit(alu64Imm(BPF_ADD, R2, rec));
        f.emit(movImm(R3, sizeof(SpecControlRecord)));
        // The consumer reads it at cleanrate: no wake-up per commit.
        f.emit(movImm(R4, BPF_RB_NO_WAKEUP));
        f.callHelper(BPF_FUNC_ringbuf_output);
        f.jumpImm(BPF_JNE, R0, 0, lost);
        f.bind(nothing);
        f.emit(movImm(R0, 0));
        f.emit(exitInsn());
        f.bind(lost);
        // The consumer will never hear of it: free the speculation here
        // (its records are lost with it) and count the drop.
        f.emit(storeImm(Size::W, R8, offsetof(SpecState, state), kSpecInactive));
        emitDropIncrement(f, g, kPrincipalDrops);
        f.emit(movImm(R0, 0));
        f.emit(exitInsn());
    });
    return specFinish_;
}

int FunctionCompiler::speculationCall() {
    f_->call(pb_.speculationFunction());
    int s = alloc();
    put(s, R0);
    return s;
}

// speculate(id): an ID that is not an active speculation abandons the
// clause (silently, or counted as busy while the speculation is being
// committed or discarded); else the record is tagged with it.
void FunctionCompiler::speculateAction(const ir::Stmt &s) {
    Generator &g = pb_.g;
    int v = value(*s.expr);
    Reg r = get(v, R2);
    if (r != R2) emit(movReg(R2, r));
    release(v);
    emit(alu64Imm(BPF_SUB, R2, 1));
    Label invalid = f_->newLabel(), active = f_->newLabel();
    f_->jumpImm(BPF_JGE, R2, static_cast<int32_t>(g.out.nspec), invalid);
    emit(movReg(R4, R2));
    specStateAddress(*f_, g, R2);
    emit(load(Size::W, R3, R2, offsetof(SpecState, state)));
    f_->jumpImm(BPF_JEQ, R3, kSpecActive, active);
    f_->jumpImm(BPF_JNE, R3, kSpecFinishing, invalid);
    bumpDrop(kSpecBusy);
    f_->bind(invalid);
    abandonClause();
    f_->bind(active);
    if (hasRecord_) {
        emit(load(Size::W, R3, R2, offsetof(SpecState, generation)));
        emit(alu64Imm(BPF_LSH, R3, 16));
        emit(alu64Reg(BPF_OR, R3, R4));
        emit(alu64Imm(BPF_ADD, R3, 1));
        emit(store(Size::W, R9,
                   static_cast<int16_t>(g.layout.record + offsetof(RecordHeader, speculation)),
                   R3));
    }
}

// commit(id), discard(id): 0 does nothing; an ID beyond nspec is an
// illegal operation.
void FunctionCompiler::finishSpeculation(const ir::Stmt &s, uint32_t op) {
    Generator &g = pb_.g;
    int v = value(*s.expr);
    Reg r = get(v, R1);
    if (r != R1) emit(movReg(R1, r));
    Label done = f_->newLabel(), valid = f_->newLabel();
    f_->jumpImm(BPF_JEQ, R1, 0, done);
    emit(alu64Imm(BPF_SUB, R1, 1));
    f_->jumpImm(BPF_JLT, R1, static_cast<int32_t>(g.out.nspec), valid);
    emit(movImm(R2, 0));
    fault(faultCode(Fault::IllOp), R2);
    f_->bind(valid);
    emit(movImm(R2, static_cast<int32_t>(op)));
    emit(load(Size::W, R3, R9, dctx::kProbeId));
    f_->call(pb_.specFinishFunction());
    f_->bind(done);
    release(v);
}

// Before a speculative record is written: charge it to its speculation
// (in DTrace's record units, as specsize counts them); a full speculation
// drops it (counted) instead.
void FunctionCompiler::chargeSpeculativeRecord(uint64_t charge) {
    Generator &g = pb_.g;
    Label plain = f_->newLabel();
    emit(load(Size::W, R2, R9,
              static_cast<int16_t>(g.layout.record + offsetof(RecordHeader, speculation))));
    f_->jumpImm(BPF_JEQ, R2, 0, plain);
    emit(alu64Imm(BPF_AND, R2, 0xffff));
    emit(alu64Imm(BPF_SUB, R2, 1));
    f_->jumpImm(BPF_JGE, R2, static_cast<int32_t>(g.out.nspec), endLabel_);
    specStateAddress(*f_, g, R2);
    f_->ldImm64(R3, charge);
    emit(movReg(R4, R3));
    emit(atomicFetchAdd(Size::DW, R2, offsetof(SpecState, used), R4));
    emit(alu64Reg(BPF_ADD, R4, R3));
    f_->ldImm64(R5, g.prog.options.specsize);
    f_->jumpReg(BPF_JLE, R4, R5, plain);
    emit(alu64Imm(BPF_NEG, R3, 0));
    emit(atomicAdd(Size::DW, R2, offsetof(SpecState, used), R3));
    bumpDrop(kSpecDrops);
    f_->jump(endLabel_);
    f_->bind(plain);
}

// Ends the clause without its record: a jump to the end, or from a part
// of a long clause, a return that tells the clause to end.
void FunctionCompiler::abandonClause() {
    if (inPart_) {
        emit(movImm(R0, kPartAbandon));
        emit(exitInsn());
        return;
    }
    f_->jump(endLabel_);
}

} // namespace dtrace::codegen
