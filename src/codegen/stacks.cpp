// stack() and ustack(): program counters from bpf_get_stack, collected in
// the per-CPU context (zero-filled, so that equal stacks make equal
// aggregation keys). A ustack starts with the process ID, for the consumer
// to find the process's symbols.
#include "codegen/function.h"
#include "codegen/program.h"
#include "providers/firing.h"

namespace dtrace::codegen {

using namespace bpf;

int FunctionCompiler::stackValue(const ir::Node &n) {
    Generator &g = pb_.g;
    const bool user = sema::stripTypedefs(n.type)->stack == sema::Type::Stack::User;
    const auto bytes = static_cast<uint32_t>(sema::typeSize(n.type));
    uint32_t at = !n.kids.empty() ? g.layout.symbol
                  : user          ? g.layout.userStack
                                  : g.layout.kernelStack;
    for (uint32_t o = 0; o < bytes; o += 8)
        emit(storeImm(Size::DW, R9, static_cast<int16_t>(at + o), 0));
    uint32_t frames = at;
    if (user) {
        f_->callHelper(BPF_FUNC_get_current_pid_tgid);
        emit(alu64Imm(BPF_RSH, R0, 32));
        emit(store(Size::DW, R9, static_cast<int16_t>(at), R0));
        frames += 8;
    }
    if (!n.kids.empty()) {
        // func(pc) and the like: the one frame is the address given.
        int a = value(*n.kids[0]);
        Reg r = get(a, R0);
        emit(store(Size::DW, R9, static_cast<int16_t>(frames), r));
        release(a);
        int s = alloc();
        emit(movReg(R0, R9));
        emit(alu64Imm(BPF_ADD, R0, static_cast<int32_t>(at)));
        put(s, R0);
        return s;
    }
    // BEGIN and END fire in no probe context: their stacks are empty. A
    // part of a long clause has no program context to walk from.
    bool probeContext = pb_.ctx.role == providers::ProbeRole::Traced;
    if (probeContext && inPart_)
        fail("D_UNSUPPORTED", n.loc,
             std::string(user ? "ustack" : "stack") +
                 "( ) this far into a long clause: move it nearer the clause's start");
    // At a user function's entry the frame-pointer walk misses its
    // caller (the return address is on top of the stack, no frame made
    // yet): the walk goes one frame on, and the caller is put in second.
    const bool entry =
        user && probeContext && pb_.ctx.shape.userFunctionEntry && bytes - (frames - at) >= 16;
    if (probeContext) {
        uint32_t walk = entry ? frames + 8 : frames;
        emit(load(Size::DW, R1, FP, kStackProgramContext));
        emit(movReg(R2, R9));
        emit(alu64Imm(BPF_ADD, R2, static_cast<int32_t>(walk)));
        emit(movImm(R3, static_cast<int32_t>(bytes - (walk - at))));
        // Where the kernel stack starts in the tracing machinery, the
        // provider says how many frames to leave off.
        int32_t skip = user ? 0 : pb_.ctx.shape.kernelStackSkip;
        emit(movImm(R4, user ? BPF_F_USER_STACK : (skip & BPF_F_SKIP_FIELD_MASK)));
        f_->callHelper(BPF_FUNC_get_stack);
    }
    if (entry) {
        emit(load(Size::DW, R1, R9, static_cast<int16_t>(frames + 8)));
        emit(store(Size::DW, R9, static_cast<int16_t>(frames), R1));
        emit(load(Size::DW, R1, FP, kStackProgramContext));
        emit(load(Size::DW, R3, R1, providers::ptregs::kSp));
        emit(movReg(R1, R9));
        emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(frames + 8)));
        emit(movImm(R2, 8));
        f_->callHelper(BPF_FUNC_probe_read_user);
    }
    int s = alloc();
    emit(movReg(R0, R9));
    emit(alu64Imm(BPF_ADD, R0, static_cast<int32_t>(at)));
    put(s, R0);
    return s;
}

// caller and ucaller (the first frame of stack(), the second of ustack():
// the address the probed function returns to), stackdepth and ustackdepth
// (how many frames), into r0; 0 where there is no probe context.
void FunctionCompiler::stackFrames(const ir::Node &n) {
    const Generator &g = pb_.g;
    const bool user = n.builtin == ir::Builtin::Ucaller || n.builtin == ir::Builtin::Ustackdepth;
    const bool depth =
        n.builtin == ir::Builtin::Stackdepth || n.builtin == ir::Builtin::Ustackdepth;
    if (pb_.ctx.role != providers::ProbeRole::Traced) {
        emit(movImm(R0, 0));
        return;
    }
    if (inPart_)
        fail("D_UNSUPPORTED", n.loc,
             std::string(user ? "ustack" : "stack") +
                 " variables this far into a long clause: move the use nearer the clause's start");
    if (n.builtin == ir::Builtin::Ucaller && pb_.ctx.shape.userFunctionEntry) {
        // At a function's entry its return address is the word at the
        // top of the user stack.
        emit(load(Size::DW, R1, FP, kStackProgramContext));
        emit(load(Size::DW, R3, R1, providers::ptregs::kSp));
        emit(movReg(R1, R9));
        emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(g.layout.frames)));
        emit(movImm(R2, 8));
        f_->callHelper(BPF_FUNC_probe_read_user);
        Label read = f_->newLabel();
        f_->jumpImm(BPF_JEQ, R0, 0, read);
        emit(storeImm(Size::DW, R9, static_cast<int16_t>(g.layout.frames), 0));
        f_->bind(read);
        emit(movReg(R1, R9));
        emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(g.layout.frames)));
        emit(load(Size::DW, R0, R1, 0));
        return;
    }
    uint32_t want = depth ? Layout::kMaxFrames : user ? 2 : 1;
    emit(load(Size::DW, R1, FP, kStackProgramContext));
    emit(movReg(R2, R9));
    emit(alu64Imm(BPF_ADD, R2, static_cast<int32_t>(g.layout.frames)));
    emit(movImm(R3, static_cast<int32_t>(want * 8)));
    int32_t skip = user ? 0 : pb_.ctx.shape.kernelStackSkip;
    emit(movImm(R4, user ? BPF_F_USER_STACK : (skip & BPF_F_SKIP_FIELD_MASK)));
    f_->callHelper(BPF_FUNC_get_stack);
    Label none = f_->newLabel(), done = f_->newLabel();
    if (depth) {
        f_->jumpImm(BPF_JSLE, R0, 0, none);
        emit(alu64Imm(BPF_RSH, R0, 3));
        f_->jump(done);
    } else {
        f_->jumpImm(BPF_JSLT, R0, static_cast<int32_t>(want * 8), none);
        emit(movReg(R1, R9));
        emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(g.layout.frames + (want - 1) * 8)));
        emit(load(Size::DW, R0, R1, 0));
        f_->jump(done);
    }
    f_->bind(none);
    emit(movImm(R0, 0));
    f_->bind(done);
}

} // namespace dtrace::codegen
