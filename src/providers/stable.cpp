#include "providers/stable.h"

#include "providers/syscalls.h"
#include "providers/tracepoints.h"

#include <initializer_list>

namespace dtrace::providers {

namespace {

struct Arg {
    const char *type; // the D type of args[i]
    const char *expr; // over the hook's arguments, arg0..
};

Probe mapped(std::string_view provider, std::string_view name, Hook hook, std::string filter,
             std::initializer_list<Arg> args) {
    Probe p;
    p.provider = std::string(provider);
    p.module = "vmlinux";
    p.name = std::string(name);
    p.attach = AttachKind::Mapped;
    p.hook = std::move(hook);
    p.filter = std::move(filter);
    for (const Arg &a : args) {
        p.argTypes.emplace_back(a.type);
        p.argExprs.emplace_back(a.expr);
    }
    return p;
}

Hook rawTracepoint(const char *name) {
    return Hook{HookKind::RawTracepoint, name, {}};
}

Hook syscalls(HookKind kind, std::initializer_list<const char *> names) {
    Hook h{kind, "", {}};
    for (const char *n : names)
        if (int nr = syscallNumber(n); nr >= 0) h.syscalls.push_back(nr);
    return h;
}

// proc: processes and threads being created, exec'ing, exiting, and
// signals sent, handled and cleared.
std::vector<Probe> procProbes() {
    constexpr const char *kChild = "((struct task_struct *)arg1)";
    const std::string child = kChild;
    // Whether a thread's exit ends its process: newer kernels say so in
    // the tracepoint; older ones leave it in the signal struct.
    bool groupDeadArg = false;
    if (auto fmt = readTracepointFormat("sched", "sched_process_exit"))
        for (const auto &f : fmt->fields) groupDeadArg |= f.name == "group_dead";
    std::string lastThread =
        groupDeadArg ? "arg1 != 0" : "((struct task_struct *)arg0)->signal->live.counter == 0";
    // SIGCHLD's codes: CLD_EXITED, CLD_KILLED, CLD_DUMPED.
    const char *reason = "(((struct task_struct *)arg0)->exit_code & 0x7f) == 0 ? 1 : "
                         "(((struct task_struct *)arg0)->exit_code & 0x80) ? 3 : 2";
    Hook forkReturn = syscalls(HookKind::SyscallReturn, {"clone", "clone3", "fork", "vfork"});
    std::vector<Probe> out;
    out.push_back(mapped("proc", "create", rawTracepoint("sched_process_fork"),
                         child + "->pid == " + child + "->tgid",
                         {{"psinfo_t *", "xlate <psinfo_t *> ((struct task_struct *)arg1)"}}));
    out.push_back(mapped("proc", "lwp-create", rawTracepoint("sched_process_fork"),
                         child + "->pid != " + child + "->tgid",
                         {{"lwpsinfo_t *", "xlate <lwpsinfo_t *> ((struct task_struct *)arg1)"},
                          {"psinfo_t *", "xlate <psinfo_t *> ((struct task_struct *)arg1)"}}));
    out.push_back(mapped("proc", "exec", syscalls(HookKind::SyscallEntry, {"execve"}), "",
                         {{"string", "copyinstr(arg0)"}}));
    out.push_back(mapped("proc", "exec-failure", syscalls(HookKind::SyscallReturn, {"execve"}),
                         "(long)arg0 < 0", {{"int", "(int)-(long)arg0"}}));
    out.push_back(mapped("proc", "exec-success", rawTracepoint("sched_process_exec"), "", {}));
    out.push_back(
        mapped("proc", "exit", rawTracepoint("sched_process_exit"), lastThread, {{"int", reason}}));
    out.push_back(mapped("proc", "lwp-exit", rawTracepoint("sched_process_exit"), "", {}));
    // A new thread's first return to user space is from the system call
    // that created it, returning 0 (in the new thread).
    out.push_back(mapped("proc", "start", forkReturn, "(long)arg0 == 0 && pid == tid", {}));
    out.push_back(mapped("proc", "lwp-start", forkReturn, "(long)arg0 == 0", {}));
    out.push_back(mapped("proc", "signal-send", rawTracepoint("signal_generate"), "",
                         {{"lwpsinfo_t *", "xlate <lwpsinfo_t *> ((struct task_struct *)arg2)"},
                          {"psinfo_t *", "xlate <psinfo_t *> ((struct task_struct *)arg2)"},
                          {"int", "(int)arg0"}}));
    out.push_back(mapped("proc", "signal-handle", rawTracepoint("signal_deliver"), "",
                         {{"int", "(int)arg0"},
                          {"siginfo_t *", "(siginfo_t *)arg1"},
                          {"void *", "((struct k_sigaction *)arg2)->sa.sa_handler"}}));
    out.push_back(mapped("proc", "signal-clear",
                         syscalls(HookKind::SyscallReturn, {"rt_sigtimedwait"}), "(long)arg0 > 0",
                         {{"int", "(int)arg0"}}));
    return out;
}

} // namespace

const std::vector<std::string_view> &stableProviders() {
    static const std::vector<std::string_view> names = {"proc"};
    return names;
}

std::vector<Probe> stableProviderProbes(std::string_view provider) {
    if (provider == "proc") return procProbes();
    return {};
}

} // namespace dtrace::providers
