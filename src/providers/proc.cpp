// The proc provider: processes and threads created, exec'ing, exiting,
// and signals sent, handled and cleared, as probes on the kernel's hooks
// (raw tracepoints, system call returns) with DTrace's arguments
// (psinfo_t, lwpsinfo_t) as D expressions over the hooks' own.
#include "providers/hook_provider.h"
#include "providers/kprobes.h"
#include "providers/registry.h"
#include "providers/tracepoints.h"

namespace dtrace::providers {

namespace {

class ProcProvider final : public HookProvider {
  public:
    std::string_view name() const override { return "proc"; }

  protected:
    // proc: processes and threads being created, exec'ing, exiting, and
    // signals sent, handled and cleared.
    std::vector<Probe> probes() const override {
        constexpr const char *kChild = "((struct task_struct *)arg1)";
        const std::string child = kChild;
        // Whether a thread's exit ends its process: newer kernels say so in
        // the tracepoint; older ones leave it in the signal struct.
        bool groupDeadArg = false;
        if (auto fmt = readTracepointFormat("sched", "sched_process_exit"))
            for (const auto &f : fmt->fields) groupDeadArg |= f.name == "group_dead";
        // Older ones (6.1) call taskstats_exit(task, group_dead) just
        // before: a kprobe there has the same arguments. Without either,
        // the signal struct's count of live threads (which two threads
        // exiting at once can both see at 0).
        Hook exitHook = rawTracepoint("sched_process_exit");
        std::string lastThread = "arg1 != 0";
        if (!groupDeadArg) {
            auto taskstats =
                kprobesUnavailable() ? std::nullopt : traceableSymbol("taskstats_exit");
            if (taskstats)
                exitHook = Hook{HookKind::KernelFunction, *taskstats, {}, {}};
            else
                lastThread = "((struct task_struct *)arg0)->signal->live.counter == 0";
        }
        // SIGCHLD's codes: CLD_EXITED, CLD_KILLED, CLD_DUMPED.
        const char *reason = "(((struct task_struct *)arg0)->exit_code & 0x7f) == 0 ? 1 : "
                             "(((struct task_struct *)arg0)->exit_code & 0x80) ? 3 : 2";
        Hook forkReturn = syscalls(HookKind::SyscallReturn, {"clone", "clone3", "fork", "vfork"});
        std::vector<Probe> out;
        out.push_back(mapped("create", rawTracepoint("sched_process_fork"),
                             child + "->pid == " + child + "->tgid",
                             {{"psinfo_t *", "xlate <psinfo_t *> ((struct task_struct *)arg1)"}}));
        out.push_back(mapped("lwp-create", rawTracepoint("sched_process_fork"),
                             child + "->pid != " + child + "->tgid",
                             {{"lwpsinfo_t *", "xlate <lwpsinfo_t *> ((struct task_struct *)arg1)"},
                              {"psinfo_t *", "xlate <psinfo_t *> ((struct task_struct *)arg1)"}}));
        out.push_back(mapped("exec", syscalls(HookKind::SyscallEntry, {"execve"}), "",
                             {{"string", "copyinstr(arg0)"}}));
        out.push_back(mapped("exec-failure", syscalls(HookKind::SyscallReturn, {"execve"}),
                             "(long)arg0 < 0", {{"int", "(int)-(long)arg0"}}));
        out.push_back(mapped("exec-success", rawTracepoint("sched_process_exec"), "", {}));
        out.push_back(mapped("exit", std::move(exitHook), lastThread, {{"int", reason}}));
        out.push_back(mapped("lwp-exit", rawTracepoint("sched_process_exit"), "", {}));
        // A new thread's first return to user space is from the system call
        // that created it, returning 0 (in the new thread).
        out.push_back(mapped("start", forkReturn, "(long)arg0 == 0 && pid == tid", {}));
        out.push_back(mapped("lwp-start", forkReturn, "(long)arg0 == 0", {}));
        out.push_back(mapped("signal-send", rawTracepoint("signal_generate"), "",
                             {{"lwpsinfo_t *", "xlate <lwpsinfo_t *> ((struct task_struct *)arg2)"},
                              {"psinfo_t *", "xlate <psinfo_t *> ((struct task_struct *)arg2)"},
                              {"int", "(int)arg0"}}));
        out.push_back(mapped("signal-handle", rawTracepoint("signal_deliver"), "",
                             {{"int", "(int)arg0"},
                              {"siginfo_t *", "(siginfo_t *)arg1"},
                              {"void *", "((struct k_sigaction *)arg2)->sa.sa_handler"}}));
        out.push_back(mapped("signal-clear", syscalls(HookKind::SyscallReturn, {"rt_sigtimedwait"}),
                             "(long)arg0 > 0", {{"int", "(int)arg0"}}));
        return out;
    }
};

} // namespace

std::unique_ptr<Provider> makeProcProvider() {
    return std::make_unique<ProcProvider>();
}

} // namespace dtrace::providers
