#include "providers/kprobes.h"

#include <unordered_set>

#include "kernel/attach.h"
#include "kernel/loader.h"
#include "program/abi.h"
#include "providers/firing.h"
#include "providers/tracepoints.h"

#include <linux/bpf.h>

#include <fstream>
#include <set>

namespace dtrace::providers {

using namespace bpf;
namespace dctx = program::dctx;

std::optional<std::string> kprobesUnavailable() {
    if (kernel::kprobePmuAvailable()) return std::nullopt;
    return std::string("this kernel has no kprobes (no /sys/bus/event_source/devices/kprobe: "
                       "a kernel built without CONFIG_KPROBES)");
}

const std::vector<TraceableFunction> &traceableFunctions() {
    static const std::vector<TraceableFunction> all = [] {
        std::vector<TraceableFunction> out;
        const std::string &root = tracefsRoot();
        if (root.empty()) return out;
        std::ifstream in(root + "/available_filter_functions");
        std::set<std::pair<std::string, std::string>> seen;
        // "name" or "name [module]" a line.
        for (std::string line; std::getline(in, line);) {
            TraceableFunction f;
            size_t sp = line.find(' ');
            f.name = line.substr(0, sp);
            f.module = "vmlinux";
            if (size_t lb = line.find('[', sp == std::string::npos ? 0 : sp);
                lb != std::string::npos) {
                size_t rb = line.find(']', lb);
                f.module = line.substr(lb + 1, rb == std::string::npos ? rb : rb - lb - 1);
            }
            if (f.name.empty() || !seen.insert({f.module, f.name}).second) continue;
            out.push_back(std::move(f));
        }
        return out;
    }();
    return all;
}

std::optional<std::string> traceableSymbol(std::string_view function) {
    std::optional<std::string> copy;
    for (const TraceableFunction &f : traceableFunctions()) {
        if (f.module != "vmlinux" || f.name.compare(0, function.size(), function) != 0) continue;
        if (f.name.size() == function.size()) return f.name;
        if (f.name[function.size()] == '.' && !copy) copy = f.name;
    }
    return copy;
}

bool ftraceCanTrace(std::string_view function) {
    static const std::unordered_set<std::string_view> names = [] {
        std::unordered_set<std::string_view> out;
        for (const TraceableFunction &f : traceableFunctions())
            if (f.module == "vmlinux") out.insert(f.name);
        return out;
    }();
    return names.empty() || names.count(function) != 0;
}

ProgramShape kprobeShape(bool isReturn, const char *programName) {
    ProgramShape s;
    s.programType = BPF_PROG_TYPE_KPROBE;
    s.programName = programName;
    (void)isReturn;
    return s;
}

program::AttachTarget kprobeTarget(const Probe &p, bool isReturn) {
    program::AttachTarget t;
    t.kind = program::AttachTarget::Kind::Kprobe;
    t.name = p.function;
    t.kretprobe = isReturn;
    t.description = p.fullName();
    return t;
}

bool kprobeMultiAvailable() {
    return !kprobesUnavailable() && kernel::kprobeMultiSupported();
}

ProgramShape kprobeMultiShape(bool isReturn, const char *programName) {
    ProgramShape s = kprobeShape(isReturn, programName);
    s.shareKey = programName;
    s.identity = ProgramShape::Identity::Cookie;
    s.sameClausesOnly = true;
    return s;
}

program::AttachTarget kprobeMultiTarget(std::span<const Probe *const> probes,
                                        std::span<const uint64_t> cookies, bool isReturn) {
    program::AttachTarget t;
    t.kind = program::AttachTarget::Kind::KprobeMulti;
    t.kretprobe = isReturn;
    for (size_t i = 0; i < probes.size(); ++i) {
        t.functions.push_back(probes[i]->function);
        t.cookies.push_back(i < cookies.size() ? cookies[i] : probes[i]->id);
    }
    if (!probes.empty()) {
        t.name = probes.front()->provider + ":" + probes.front()->module;
        t.description = probes.front()->fullName();
    }
    return t;
}

void emitKprobeEntryArguments(Function &f, size_t n) {
    constexpr size_t kInRegisters = std::size(ptregs::kCallArgs);
    for (size_t i = 0; i < n && i < 10; ++i) {
        if (i < kInRegisters) {
            f.emit(load(Size::DW, R1, R6, ptregs::kCallArgs[i]));
        } else {
            // At the first instruction the return address is at sp: the
            // seventh argument is the word above it.
            f.emit(load(Size::DW, R3, R6, ptregs::kSp));
            f.emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(8 * (i - kInRegisters + 1))));
            f.emit(movReg(R1, R9));
            f.emit(alu64Imm(BPF_ADD, R1, dctx::kScratch));
            f.emit(movImm(R2, 8));
            f.callHelper(BPF_FUNC_probe_read_kernel);
            f.emit(load(Size::DW, R1, R9, dctx::kScratch));
        }
        f.emit(store(Size::DW, R9, static_cast<int16_t>(dctx::kArgs + 8 * i), R1));
    }
}

void emitKprobeReturnArguments(Function &f, bool hasValue) {
    f.emit(storeImm(Size::DW, R9, dctx::kArgs, -1));
    if (!hasValue) return;
    f.emit(load(Size::DW, R1, R6, ptregs::kReturn));
    f.emit(store(Size::DW, R9, dctx::kArgs + 8, R1));
}

} // namespace dtrace::providers
