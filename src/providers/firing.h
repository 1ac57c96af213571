// Code that reads a firing's context as the kernel's hooks pass it, shared
// by the providers built on the same hooks (system calls, raw tracepoints,
// CPU-clock events). Each leaves its values in the per-CPU context
// (program::dctx) with the conventions of FiringCode (r6: the program's
// context, r9: the per-CPU context).
#pragma once

#include "bpf/assembler.h"
#include "program/plan.h"
#include "providers/provider.h"

#include <cstddef>
#include <cstdint>
#include <span>

namespace dtrace::providers {

// struct pt_regs on x86-64: its UAPI layout, stable (asm/ptrace.h).
namespace ptregs {
constexpr int16_t kArgs[6] = {112, 104, 96, 56, 72, 64};     // a system call's: di si dx r10 r8 r9
constexpr int16_t kCallArgs[6] = {112, 104, 96, 88, 72, 64}; // a function call's: di si dx cx r8 r9
constexpr int16_t kReturn = 80;                              // ax
constexpr int16_t kOrigAx = 120;                             // the system call's number
constexpr int16_t kIp = 128;
constexpr int16_t kCs = 136;
constexpr int16_t kSp = 152;
} // namespace ptregs

// r7 = the system call's number: on entry the raw tracepoint's second
// argument, on return read from the registers it passes.
void emitSyscallNumber(bpf::Function &f, bool entry);
// arg0..arg5: a system call's arguments, from the registers its entry's
// raw tracepoint passes (read in one piece into dctx::kScratch first).
void emitSyscallEntryArguments(bpf::Function &f);
// arg0 and arg1: a system call's return value.
void emitSyscallReturnArguments(bpf::Function &f);
// errno: a return value in [-4095, -1] is an error number.
void emitSyscallErrno(bpf::Function &f);
// Returns from the program unless r7, a system call's number, is one of
// these; then stores it in dctx::kSelector.
void emitSyscallFilter(bpf::Function &f, std::span<const int> syscalls);
// arg0..: the first n u64 arguments the kernel passes in an array (a raw
// tracepoint's, a traced function's). Only those: reading past them is
// refused.
void emitContextArguments(bpf::Function &f, size_t n);
// A CPU-clock event's: arg0 the kernel PC, or 0 in user mode; arg1 the
// user PC.
void emitTimerArguments(bpf::Function &f);

// A provider's own map (ProviderMaps), keyed by a word on the stack at
// fp+key: r0 = the entry's value, else to `none`; the value at fp+value
// stored; the entry deleted. Clobber r0-r5.
void emitStackKeyLookup(bpf::Function &f, bpf::MapId map, int16_t key, bpf::Label none);
void emitStackKeyUpdate(bpf::Function &f, bpf::MapId map, int16_t key, int16_t value);
void emitStackKeyDelete(bpf::Function &f, bpf::MapId map, int16_t key);

// A CPU-clock event's program (profile-N, tick-N, sched:::tick): one for
// each probe, on every CPU or (tick) one.
ProgramShape timerShape(bool oneCpu);
program::AttachTarget timerTarget(const Probe &p, bool oneCpu);

} // namespace dtrace::providers
