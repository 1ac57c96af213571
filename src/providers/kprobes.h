// Kernel functions traced through kprobes and kretprobes: what fbt falls
// back to where the kernel loads no BPF trampolines, and what rawfbt is
// built on. The program's context is the probed function's pt_regs (at
// entry) or its caller's (at return).
#pragma once

#include "bpf/assembler.h"
#include "program/plan.h"
#include "providers/provider.h"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dtrace::providers {

// Why this kernel cannot make kprobes (no kprobe PMU: CONFIG_KPROBES off),
// or nothing when it can.
std::optional<std::string> kprobesUnavailable();

// The functions ftrace can trace, as tracefs lists them
// (available_filter_functions): compiler-made copies such as foo.isra.0
// included, each in vmlinux or its module. Read once; empty where tracefs
// cannot be read.
struct TraceableFunction {
    std::string module; // "vmlinux" or the module's name
    std::string name;
};
const std::vector<TraceableFunction> &traceableFunctions();
// The traceable symbol of a vmlinux function: its own name, or a copy the
// compiler made of it (function.isra.0, function.constprop.0).
std::optional<std::string> traceableSymbol(std::string_view function);

// Whether ftrace can trace a vmlinux function by this very name (neither a
// trampoline nor a kprobe can take one it cannot: notrace, inlined away);
// true where the list cannot be read.
bool ftraceCanTrace(std::string_view function);

// A kprobe (entry) or kretprobe (return) program for one function.
ProgramShape kprobeShape(bool isReturn, const char *programName);
program::AttachTarget kprobeTarget(const Probe &p, bool isReturn);

// Many functions' kprobes (or kretprobes) in one kprobe_multi link, where
// the kernel has it: one program for the probes with the same clauses, the
// probe that fired from the link's cookie.
bool kprobeMultiAvailable();
ProgramShape kprobeMultiShape(bool isReturn, const char *programName);
program::AttachTarget kprobeMultiTarget(std::span<const Probe *const> probes,
                                        std::span<const uint64_t> cookies, bool isReturn);

// arg0..: the first n arguments of a function at its first instruction:
// six in registers, the rest above the return address on the stack.
void emitKprobeEntryArguments(bpf::Function &f, size_t n);
// A return: arg0 the returning instruction's offset, which a kretprobe
// does not know (-1, as DTrace gives it), arg1 the return value.
void emitKprobeReturnArguments(bpf::Function &f, bool hasValue);

} // namespace dtrace::providers
