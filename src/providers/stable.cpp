#include "providers/stable.h"

#include "providers/syscalls.h"
#include "providers/tracepoints.h"

#include <initializer_list>
#include <unistd.h>

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

// sched: threads going on and off CPU, woken, queued and ticked. Linux has
// no hook where a thread is queued or dequeued as such: enqueue is a
// thread woken (put on a run queue), dequeue a thread switched off CPU to
// sleep (taken off its run queue).
std::vector<Probe> schedProbes() {
    auto task = [](int arg) { return "((struct task_struct *)arg" + std::to_string(arg) + ")"; };
    auto lwp = [&](int arg) { return "xlate <lwpsinfo_t *> (" + task(arg) + ")"; };
    auto ps = [&](int arg) { return "xlate <psinfo_t *> (" + task(arg) + ")"; };
    std::vector<Probe> out;
    auto add = [&](const char *name, Hook hook, std::string filter,
                   std::vector<std::pair<const char *, std::string>> args) {
        Probe p = mapped("sched", name, std::move(hook), std::move(filter), {});
        for (auto &[type, expr] : args) {
            p.argTypes.emplace_back(type);
            p.argExprs.push_back(std::move(expr));
        }
        out.push_back(std::move(p));
    };
    // sched_switch(preempt, prev, next, prev_state) runs as prev; the end
    // of __schedule (sched_exit_tp(is_switch)) runs as the thread that now
    // has the CPU: the switched-to thread after a switch, else the same.
    add("on-cpu", rawTracepoint("sched_exit_tp"), "arg0 != 0", {});
    add("remain-cpu", rawTracepoint("sched_exit_tp"), "arg0 == 0", {});
    add("off-cpu", rawTracepoint("sched_switch"), "",
        {{"lwpsinfo_t *", lwp(2)}, {"psinfo_t *", ps(2)}});
    // A thread switched off still runnable (or preempted on its way to
    // sleep) is preempted; one that blocks sleeps. The idle thread does
    // neither.
    const std::string blocks = "arg0 == 0 && arg3 != 0";
    add("sleep", rawTracepoint("sched_switch"), blocks, {});
    add("preempt", rawTracepoint("sched_switch"),
        "(arg0 != 0 || arg3 == 0) && " + task(1) + "->pid != 0", {});
    std::string taskCpu = "(cpuinfo_t *)__cpuinfo(" + task(0) + "->thread_info.cpu)";
    Hook woken = rawTracepoint("sched_wakeup");
    woken.alsoNames = {"sched_wakeup_new"};
    add("enqueue", woken, "",
        {{"lwpsinfo_t *", lwp(0)}, {"psinfo_t *", ps(0)}, {"cpuinfo_t *", taskCpu}, {"int", "0"}});
    add("dequeue", rawTracepoint("sched_switch"), blocks,
        {{"lwpsinfo_t *", lwp(1)}, {"psinfo_t *", ps(1)}, {"cpuinfo_t *", "curcpu"}});
    add("wakeup", rawTracepoint("sched_waking"), "",
        {{"lwpsinfo_t *", lwp(0)}, {"psinfo_t *", ps(0)}});
    add("change-pri", rawTracepoint("sched_pi_setprio"), "",
        {{"lwpsinfo_t *", lwp(0)},
         {"psinfo_t *", ps(0)},
         {"int", "arg1 != 0 ? " + task(1) + "->prio : " + task(0) + "->normal_prio"}});
    add("surrender", rawTracepoint("sched_set_need_resched_tp"), "",
        {{"lwpsinfo_t *", lwp(0)}, {"psinfo_t *", ps(0)}});
    // The clock tick: a CPU-clock event at the kernel's user-visible rate,
    // in the context of whatever thread it interrupts.
    Probe tick;
    tick.provider = "sched";
    tick.module = "vmlinux";
    tick.name = "tick";
    tick.attach = AttachKind::Profile;
    long hz = sysconf(_SC_CLK_TCK);
    tick.periodNs = 1000000000ULL / static_cast<uint64_t>(hz > 0 ? hz : 100);
    tick.argTypes = {"lwpsinfo_t *", "psinfo_t *"};
    tick.argExprs = {"curlwpsinfo", "curpsinfo"};
    out.push_back(std::move(tick));
    return out;
}

// io: block requests issued to a device and completed, and threads waiting
// for I/O (going off CPU in io_schedule(), back on when it is done).
std::vector<Probe> ioProbes() {
    const std::string rq = "((struct request *)arg0)";
    auto bufArgs = [&](Hook hook) {
        return mapped("io", "", std::move(hook), "",
                      {{"bufinfo_t *", ""}, {"devinfo_t *", ""}, {"fileinfo_t *", ""}});
    };
    std::vector<Probe> out;
    for (auto [name, hook] :
         {std::pair{"start", "block_rq_issue"}, {"done", "block_rq_complete"}}) {
        Probe p = bufArgs(rawTracepoint(hook));
        p.name = name;
        // Requests for a device's data (not flushes, which have no device
        // part and no bytes).
        p.filter = rq + "->part != 0";
        p.argExprs = {"xlate <bufinfo_t *> (" + rq + ")", "xlate <devinfo_t *> (" + rq + ")",
                      "xlate <fileinfo_t *> (" + rq + ")"};
        out.push_back(std::move(p));
    }
    const std::string inIowait = "((struct task_struct *)curthread)->in_iowait";
    out.push_back(mapped("io", "wait-start", rawTracepoint("sched_switch"),
                         "arg0 == 0 && arg3 != 0 && ((struct task_struct *)arg1)->in_iowait", {}));
    out.push_back(
        mapped("io", "wait-done", rawTracepoint("sched_exit_tp"), "arg0 != 0 && " + inIowait, {}));
    return out;
}

} // namespace

const std::vector<std::string_view> &stableProviders() {
    static const std::vector<std::string_view> names = {"proc", "sched", "io"};
    return names;
}

std::vector<Probe> stableProviderProbes(std::string_view provider) {
    if (provider == "proc") return procProbes();
    if (provider == "sched") return schedProbes();
    if (provider == "io") return ioProbes();
    return {};
}

} // namespace dtrace::providers
