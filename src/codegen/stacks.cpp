// stack() and ustack(): program counters from bpf_get_stack, collected in
// the per-CPU context (zero-filled, so that equal stacks make equal
// aggregation keys). A ustack starts with the process ID, for the consumer
// to find the process's symbols.
#include "codegen/function.h"
#include "codegen/program.h"

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
    if (probeContext) {
        emit(load(Size::DW, R1, FP, kStackProgramContext));
        emit(movReg(R2, R9));
        emit(alu64Imm(BPF_ADD, R2, static_cast<int32_t>(frames)));
        emit(movImm(R3, static_cast<int32_t>(bytes - (frames - at))));
        // Where the kernel stack starts in the tracing machinery, the
        // provider says how many frames to leave off.
        int32_t skip = user ? 0 : pb_.ctx.shape.kernelStackSkip;
        emit(movImm(R4, user ? BPF_F_USER_STACK : (skip & BPF_F_SKIP_FIELD_MASK)));
        f_->callHelper(BPF_FUNC_get_stack);
    }
    int s = alloc();
    emit(movReg(R0, R9));
    emit(alu64Imm(BPF_ADD, R0, static_cast<int32_t>(at)));
    put(s, R0);
    return s;
}

} // namespace dtrace::codegen
