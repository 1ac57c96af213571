#include "providers/firing.h"

#include "program/abi.h"

#include <algorithm>

namespace dtrace::providers {

using namespace bpf;
namespace dctx = program::dctx;

void emitSyscallNumber(Function &f, bool entry) {
    if (entry) {
        f.emit(load(Size::DW, R7, R6, 8));
        return;
    }
    // On the stack, not in the per-CPU context: the syscall provider looks
    // the number up before it finds the context.
    f.emit(load(Size::DW, R3, R6, 0));
    f.emit(alu64Imm(BPF_ADD, R3, ptregs::kOrigAx));
    f.emit(movReg(R1, FP));
    f.emit(alu64Imm(BPF_ADD, R1, -16));
    f.emit(movImm(R2, 8));
    f.callHelper(BPF_FUNC_probe_read_kernel);
    f.emit(load(Size::DW, R7, FP, -16));
}

void emitSyscallEntryArguments(Function &f) {
    // One read of the span of pt_regs that holds the arguments.
    const int16_t lo = *std::min_element(std::begin(ptregs::kArgs), std::end(ptregs::kArgs));
    const int16_t hi = *std::max_element(std::begin(ptregs::kArgs), std::end(ptregs::kArgs)) + 8;
    f.emit(load(Size::DW, R3, R6, 0)); // regs
    f.emit(alu64Imm(BPF_ADD, R3, lo));
    f.emit(movReg(R1, R9));
    f.emit(alu64Imm(BPF_ADD, R1, dctx::kScratch));
    f.emit(movImm(R2, hi - lo));
    f.callHelper(BPF_FUNC_probe_read_kernel);
    for (size_t i = 0; i < std::size(ptregs::kArgs); ++i) {
        f.emit(
            load(Size::DW, R1, R9, static_cast<int16_t>(dctx::kScratch + (ptregs::kArgs[i] - lo))));
        f.emit(store(Size::DW, R9, static_cast<int16_t>(dctx::kArgs + 8 * i), R1));
    }
}

void emitSyscallReturnArguments(Function &f) {
    f.emit(load(Size::DW, R1, R6, 8));
    f.emit(store(Size::DW, R9, dctx::kArgs, R1));
    f.emit(store(Size::DW, R9, dctx::kArgs + 8, R1));
}

void emitSyscallErrno(Function &f) {
    Label noErr = f.newLabel();
    f.emit(load(Size::DW, R1, R6, 8));
    f.jumpImm(BPF_JSGE, R1, 0, noErr);
    f.jumpImm(BPF_JSLT, R1, -4095, noErr);
    f.emit(neg(R1));
    f.emit(store(Size::DW, R9, dctx::kErrno, R1));
    f.bind(noErr);
}

void emitSyscallFilter(Function &f, std::span<const int> syscalls) {
    Label match = f.newLabel();
    for (int nr : syscalls) f.jumpImm(BPF_JEQ, R7, nr, match);
    f.emit(movImm(R0, 0));
    f.emit(exitInsn());
    f.bind(match);
    f.emit(store(Size::W, R9, dctx::kSelector, R7));
}

void emitContextArguments(Function &f, size_t n) {
    for (size_t i = 0; i < n && i < 10; ++i) {
        f.emit(load(Size::DW, R1, R6, static_cast<int16_t>(8 * i)));
        f.emit(store(Size::DW, R9, static_cast<int16_t>(dctx::kArgs + 8 * i), R1));
    }
}

void emitStackKeyLookup(Function &f, MapId map, int16_t key, Label none) {
    f.ldMap(R1, map);
    f.emit(movReg(R2, FP));
    f.emit(alu64Imm(BPF_ADD, R2, key));
    f.callHelper(BPF_FUNC_map_lookup_elem);
    f.jumpImm(BPF_JEQ, R0, 0, none);
}

void emitStackKeyUpdate(Function &f, MapId map, int16_t key, int16_t value) {
    f.ldMap(R1, map);
    f.emit(movReg(R2, FP));
    f.emit(alu64Imm(BPF_ADD, R2, key));
    f.emit(movReg(R3, FP));
    f.emit(alu64Imm(BPF_ADD, R3, value));
    f.emit(movImm(R4, BPF_ANY));
    f.callHelper(BPF_FUNC_map_update_elem);
}

void emitStackKeyDelete(Function &f, MapId map, int16_t key) {
    f.ldMap(R1, map);
    f.emit(movReg(R2, FP));
    f.emit(alu64Imm(BPF_ADD, R2, key));
    f.callHelper(BPF_FUNC_map_delete_elem);
}

void emitTimerArguments(Function &f) {
    Label user = f.newLabel(), done = f.newLabel();
    f.emit(load(Size::DW, R1, R6, ptregs::kIp));
    if constexpr (ptregs::kCs >= 0) {
        f.emit(load(Size::DW, R2, R6, ptregs::kCs));
        f.emit(alu64Imm(BPF_AND, R2, 3));
        f.jumpImm(BPF_JNE, R2, 0, user);
    }
    f.emit(store(Size::DW, R9, dctx::kArgs, R1));
    f.jump(done);
    f.bind(user);
    f.emit(store(Size::DW, R9, dctx::kArgs + 8, R1));
    f.bind(done);
}

ProgramShape timerShape(bool oneCpu) {
    ProgramShape s;
    s.programType = BPF_PROG_TYPE_PERF_EVENT;
    s.programName = oneCpu ? "dt_tick" : "dt_profile";
    return s;
}

program::AttachTarget timerTarget(const Probe &p, bool oneCpu) {
    program::AttachTarget t;
    t.kind = program::AttachTarget::Kind::Timer;
    t.periodNs = p.periodNs;
    t.oneCpu = oneCpu;
    t.description = p.name;
    return t;
}

} // namespace dtrace::providers
