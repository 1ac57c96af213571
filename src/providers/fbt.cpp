// The fbt provider: an entry and a return probe for every kernel function
// the kernel's BTF describes, as fbt:vmlinux:FUNCTION:entry|return, typed
// from the function's prototype; each a program on the function's BPF
// trampoline (fentry, fexit), or on a kprobe and kretprobe where the kernel
// loads no trampolines but has kprobes.
#include "kernel/loader.h"
#include "providers/catalog.h"
#include "providers/firing.h"
#include "providers/kernel_functions.h"
#include "providers/kprobes.h"
#include "providers/registry.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <set>

namespace dtrace::providers {

namespace {

using namespace bpf;
namespace dctx = program::dctx;

// Functions a BPF program's own entry calls (the kernel refuses to trace
// them from BPF: it would recurse).
bool tracingMachinery(std::string_view name) {
    static constexpr std::array<std::string_view, 7> kDenied{
        "migrate_disable",   "migrate_enable",  "rcu_read_unlock_strict", "preempt_count_add",
        "preempt_count_sub", "__rcu_read_lock", "__rcu_read_unlock"};
    return std::find(kDenied.begin(), kDenied.end(), name) != kDenied.end();
}

// Functions a trampoline cannot take on every kernel: variadic ones, more
// than six parameters (x86-64 before 6.6), structs passed by value.
bool trampolineRefuses(unsigned btfId) {
    FunctionSignature sig = functionSignature(btfId);
    return sig.variadic || sig.parameters.size() > 6 || sig.structByValue;
}

// Trampolines where the kernel loads them (cheaper, and they see the
// return's arguments); kprobes where it does not but has them, and for
// the functions trampolines refuse. Decided once, on the first function
// probed. _DTRACE_FBT_KPROBES=1 asks for a kprobe a function, =multi for
// kprobe_multi (the tests of those paths on kernels that have all).
const char *forcedKprobes() {
    const char *e = std::getenv("_DTRACE_FBT_KPROBES");
    return e && *e && *e != '0' ? e : nullptr;
}
bool usesKprobes(unsigned btfId) {
    static const bool kprobes = [btfId] {
        if (forcedKprobes()) return true;
        return kernel::trampolinesUnavailable(btfId) && !kprobesUnavailable();
    }();
    return kprobes || (trampolineRefuses(btfId) && !kprobesUnavailable());
}

// A trampoline is a program of its own, loaded and verified for its
// function, and detaching it waits for two RCU-tasks grace periods: past
// this many functions that costs more than the firings save. One
// kprobe_multi program takes them all; without it, kprobes each detach
// after a plain RCU grace period (357 tcp_* functions on Debian 12's 6.1
// under the guest's emulator: 23 s with kprobes, 55 s with trampolines).
constexpr size_t kTrampolineFunctions = 128;

enum class Mechanism { Trampoline, Kprobe, KprobeMulti };

class FbtProvider final : public Provider {
  public:
    std::string_view name() const override { return "fbt"; }

    // Probes for the functions a description names (all of them only when
    // it names them all, as `dtrace -l` does).
    void provide(const ProbeDescription &d, ProbeCatalog &catalog) override {
        if (allMade_ || !fieldMatches(d.provider, "fbt") || !fieldMatches(d.module, "vmlinux"))
            return;
        if (!d.name.empty() && !fieldMatches(d.name, "entry") && !fieldMatches(d.name, "return"))
            return;
        if (!d.function.empty() && !hasGlob(d.function)) {
            if (auto f = kernelFunction(d.function); f && !tracingMachinery(f->name))
                add(*f, catalog);
            return;
        }
        // A glob takes the functions that can be traced (as DTrace's
        // listing offers them).
        for (const KernelFunction &f : kernelFunctions())
            if (fieldMatches(d.function, std::string(f.name)) && ftraceCanTrace(f.name) &&
                !tracingMachinery(f.name))
                add(f, catalog);
        if (d.function.empty() || d.function == "*") allMade_ = true;
    }
    // The function's parameters; on return, the returning instruction's
    // offset (not known to fexit: -1) and the value.
    void resolve(Probe &p) const override {
        p.resolved = true;
        FunctionSignature sig = functionSignature(p.btfId);
        p.contextArgs = sig.parameters.size();
        if (isEntry(p))
            p.argTypes = std::move(sig.parameters);
        else if (sig.returnType == "void")
            p.argTypes = {"int"};
        else
            p.argTypes = {"int", sig.returnType};
    }
    program::ProviderAttributes attributes() const override { return kFunctionProviderAttributes; }
    program::ProbeInfo::Flow flow(const Probe &p) const override {
        return isEntry(p) ? program::ProbeInfo::Flow::Entry : program::ProbeInfo::Flow::Return;
    }

    std::vector<ProgramShape> programShapes(const Probe &p) const override {
        switch (mechanism(p)) {
        case Mechanism::Kprobe:
            return {kprobeShape(!isEntry(p), isEntry(p) ? "dt_fbt_kprobe" : "dt_fbt_kretprobe")};
        case Mechanism::KprobeMulti:
            return {kprobeMultiShape(!isEntry(p), isEntry(p) ? "dt_fbt_kprobe" : "dt_fbt_kretprobe")};
        case Mechanism::Trampoline: break;
        }
        ProgramShape s;
        s.programType = BPF_PROG_TYPE_TRACING;
        s.programName = isEntry(p) ? "dt_fbt_entry" : "dt_fbt_return";
        return {s};
    }
    // The trampoline's context: the function's arguments as u64s, then
    // (fexit) its return value. Reading past them is refused.
    void emitArguments(FiringCode &code) const override {
        const Probe &p = *code.probes.front();
        Function &f = code.f;
        if (mechanism(p) != Mechanism::Trampoline) {
            // A program for many functions reads as many arguments as the
            // one with most has.
            size_t n = 0;
            bool value = false;
            for (const Probe *q : code.probes) {
                n = std::max(n, q->contextArgs);
                value |= q->argTypes.size() > 1;
            }
            if (isEntry(p))
                emitKprobeEntryArguments(f, n);
            else
                emitKprobeReturnArguments(f, value);
            return;
        }
        if (isEntry(p)) {
            emitContextArguments(f, p.contextArgs);
            return;
        }
        f.emit(storeImm(Size::DW, R9, dctx::kArgs, -1));
        if (p.argTypes.size() > 1) {
            f.emit(load(Size::DW, R1, R6, static_cast<int16_t>(8 * p.contextArgs)));
            f.emit(store(Size::DW, R9, dctx::kArgs + 8, R1));
        }
    }
    program::AttachTarget attachTarget(const ProgramShape &, std::span<const Probe *const> probes,
                                       std::span<const uint64_t> cookies) const override {
        const Probe &p = *probes.front();
        switch (mechanism(p)) {
        case Mechanism::Kprobe: return kprobeTarget(p, !isEntry(p));
        case Mechanism::KprobeMulti: return kprobeMultiTarget(probes, cookies, !isEntry(p));
        case Mechanism::Trampoline: break;
        }
        program::AttachTarget t;
        t.kind = program::AttachTarget::Kind::Trampoline;
        t.btfId = p.btfId;
        t.attachType = isEntry(p) ? BPF_TRACE_FENTRY : BPF_TRACE_FEXIT;
        t.description = p.fullName();
        return t;
    }

  private:
    static bool isEntry(const Probe &p) { return p.name == "entry"; }

    // How a probe's function is traced; decided when code is made, once
    // every description has made its probes (so it knows how many).
    Mechanism mechanism(const Probe &p) const {
        if (!multi_) {
            const char *forced = forcedKprobes();
            multi_ = kprobeMultiAvailable() &&
                     (forced ? std::string_view(forced) == "multi"
                             : functions_.size() > kTrampolineFunctions ||
                                   kernel::trampolinesUnavailable(p.btfId));
        }
        if (*multi_) return Mechanism::KprobeMulti;
        if (usesKprobes(p.btfId) ||
            (functions_.size() > kTrampolineFunctions && !kprobesUnavailable()))
            return Mechanism::Kprobe;
        return Mechanism::Trampoline;
    }

    void add(const KernelFunction &f, ProbeCatalog &catalog) {
        if (!functions_.insert(f.name).second) return;
        for (const char *probeName : {"entry", "return"}) {
            Probe p;
            p.owner = this;
            p.provider = "fbt";
            p.module = "vmlinux";
            p.function = std::string(f.name);
            p.name = probeName;
            p.btfId = f.btfId;
            catalog.add(std::move(p));
        }
    }
    std::set<std::string_view> functions_; // whose probes are made
    bool allMade_ = false;
    mutable std::optional<bool> multi_; // kprobe_multi for every function
};

} // namespace

std::unique_ptr<Provider> makeFbtProvider() {
    return std::make_unique<FbtProvider>();
}

} // namespace dtrace::providers
