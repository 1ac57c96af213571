#include "providers/hook_provider.h"

#include "providers/catalog.h"
#include "providers/firing.h"
#include "providers/kernel_functions.h"
#include "providers/kprobes.h"
#include "providers/syscall_table.h"

#include <algorithm>

namespace dtrace::providers {

void HookProvider::provide(const ProbeDescription &d, ProbeCatalog &catalog) {
    if (made_ || !couldName(d.name, "abcdefghijklmnopqrstuvwxyz0123456789_-") ||
        !fieldMatches(d.provider, std::string(name())))
        return;
    made_ = true;
    for (Probe &p : probes()) {
        if (checksHooks() && p.hook.kind == HookKind::RawTracepoint && !p.hook.name.empty() &&
            !rawTracepointExists(p.hook.name)) {
            missing_.push_back({p.name, p.hook.name});
            continue;
        }
        p.owner = this;
        catalog.add(std::move(p));
    }
}

// Said only to a description that names the provider and could name a
// probe left out.
std::string HookProvider::unavailableReason(const ProbeDescription &d) const {
    if (d.provider.empty() || !fieldMatches(d.provider, std::string(name()))) return {};
    std::vector<std::string> hooks;
    for (const auto &[probe, hook] : missing_)
        if (fieldMatches(d.name, probe) &&
            std::find(hooks.begin(), hooks.end(), hook) == hooks.end())
            hooks.push_back(hook);
    if (hooks.empty()) return {};
    std::string list;
    for (const std::string &h : hooks) list += (list.empty() ? "" : ", ") + h;
    return "the " + std::string(name()) + " provider's probes need the kernel tracepoint" +
           (hooks.size() > 1 ? "s " : " ") + list + ", which this kernel lacks";
}

void HookProvider::resolve(Probe &p) const {
    p.resolved = true;
    // A raw tracepoint passes as many arguments as its prototype has.
    if (p.hook.kind != HookKind::RawTracepoint) return;
    p.hook.argCounts.clear();
    p.hook.argCounts.push_back(rawTracepointArgTypes(p.hook.name).size());
    for (const std::string &also : p.hook.alsoNames)
        p.hook.argCounts.push_back(rawTracepointArgTypes(also).size());
}

Probe HookProvider::mapped(std::string_view probeName, Hook hook, std::string filter,
                           std::vector<Arg> args) const {
    Probe p;
    p.owner = this;
    p.provider = std::string(name());
    p.module = "vmlinux";
    p.name = std::string(probeName);
    p.hook = std::move(hook);
    p.filter = std::move(filter);
    for (Arg &a : args) {
        p.argTypes.push_back(std::move(a.type));
        p.argExprs.push_back(std::move(a.expr));
    }
    return p;
}

Hook HookProvider::rawTracepoint(const char *hookName) {
    return Hook{HookKind::RawTracepoint, hookName, {}, {}};
}

Hook HookProvider::kernelFunctionOr(const char *tracepoint, std::string_view function) {
    if (rawTracepointExists(tracepoint) || kprobesUnavailable()) return rawTracepoint(tracepoint);
    auto symbol = traceableSymbol(function);
    if (!symbol) return rawTracepoint(tracepoint);
    return Hook{HookKind::KernelFunction, *symbol, {}, {}};
}

Hook HookProvider::syscalls(HookKind kind, std::initializer_list<const char *> names) {
    Hook h{kind, "", {}, {}};
    for (const char *n : names)
        if (int nr = syscallNumber(n); nr >= 0) h.syscalls.push_back(nr);
    return h;
}

std::vector<ProgramShape> HookProvider::programShapes(const Probe &p) const {
    const Hook &h = p.hook;
    std::vector<std::string> hooks{h.kind == HookKind::SyscallEntry    ? "sys_enter"
                                   : h.kind == HookKind::SyscallReturn ? "sys_exit"
                                                                       : h.name};
    hooks.insert(hooks.end(), h.alsoNames.begin(), h.alsoNames.end());
    std::vector<ProgramShape> shapes;
    for (std::string &hook : hooks) {
        if (h.kind == HookKind::KernelFunction) {
            ProgramShape s = kprobeShape(false, ("dt_" + p.provider).c_str());
            s.hook = std::move(hook);
            shapes.push_back(std::move(s));
            continue;
        }
        ProgramShape s;
        s.programType = BPF_PROG_TYPE_RAW_TRACEPOINT;
        s.programName = "dt_" + p.provider;
        s.hook = std::move(hook);
        shapes.push_back(std::move(s));
    }
    return shapes;
}

// A hook on system calls runs for the calls it lists only.
void HookProvider::emitFilter(FiringCode &code) const {
    const Hook &h = code.probes.front()->hook;
    if (h.kind == HookKind::RawTracepoint || h.kind == HookKind::KernelFunction) return;
    emitSyscallNumber(code.f, h.kind == HookKind::SyscallEntry);
    emitSyscallFilter(code.f, h.syscalls);
}

void HookProvider::emitArguments(FiringCode &code) const {
    const Probe &p = *code.probes.front();
    switch (p.hook.kind) {
    case HookKind::SyscallEntry: emitSyscallEntryArguments(code.f); break;
    case HookKind::SyscallReturn: emitSyscallReturnArguments(code.f); break;
    case HookKind::KernelFunction: emitKprobeEntryArguments(code.f, 6); break;
    case HookKind::RawTracepoint: {
        // As many as this program's raw tracepoint passes.
        size_t n = 0;
        for (size_t i = 0; i <= p.hook.alsoNames.size() && i < p.hook.argCounts.size(); ++i)
            if ((i == 0 ? p.hook.name : p.hook.alsoNames[i - 1]) == code.shape.hook)
                n = p.hook.argCounts[i];
        emitContextArguments(code.f, n);
        break;
    }
    }
}

void HookProvider::emitErrno(FiringCode &code) const {
    if (code.probes.front()->hook.kind == HookKind::SyscallReturn) emitSyscallErrno(code.f);
}

program::AttachTarget HookProvider::attachTarget(const ProgramShape &shape,
                                                 std::span<const Probe *const> probes,
                                                 std::span<const uint64_t>) const {
    program::AttachTarget t;
    if (probes.front()->hook.kind == HookKind::KernelFunction) {
        t = kprobeTarget(*probes.front(), false);
        t.name = shape.hook;
        return t;
    }
    t.kind = program::AttachTarget::Kind::RawTracepoint;
    t.name = shape.hook;
    t.description = probes.front()->fullName();
    return t;
}

} // namespace dtrace::providers
