// The sched provider: threads going on and off CPU, sleeping, preempted,
// woken, queued, changing priority, and the clock tick, as probes on the
// scheduler's raw tracepoints with DTrace's arguments (lwpsinfo_t,
// psinfo_t, cpuinfo_t). sched:::tick is a CPU-clock event at the kernel's
// rate, like profile's.
#include "providers/firing.h"
#include "providers/hook_provider.h"
#include "providers/registry.h"

#include <unistd.h>

namespace dtrace::providers {

namespace {

class SchedProvider final : public HookProvider {
  public:
    std::string_view name() const override { return "sched"; }

    // The tick is a timer; the other probes are on hooks.
    bool separateEnabling(const Probe &p) const override { return !isTick(p); }
    std::vector<ProgramShape> programShapes(const Probe &p) const override {
        return isTick(p) ? std::vector<ProgramShape>{timerShape(false)}
                         : HookProvider::programShapes(p);
    }
    void emitFilter(FiringCode &code) const override {
        if (!isTick(*code.probes.front())) HookProvider::emitFilter(code);
    }
    void emitArguments(FiringCode &code) const override {
        if (isTick(*code.probes.front()))
            emitTimerArguments(code.f);
        else
            HookProvider::emitArguments(code);
    }
    void emitErrno(FiringCode &code) const override {
        if (!isTick(*code.probes.front())) HookProvider::emitErrno(code);
    }
    program::AttachTarget attachTarget(const ProgramShape &shape,
                                       std::span<const Probe *const> probes,
                                       std::span<const uint64_t> cookies) const override {
        if (isTick(*probes.front())) return timerTarget(*probes.front(), false);
        return HookProvider::attachTarget(shape, probes, cookies);
    }

  protected:
    // sched: threads going on and off CPU, woken, queued and ticked. Linux has
    // no hook where a thread is queued or dequeued as such: enqueue is a
    // thread woken (put on a run queue), dequeue a thread switched off CPU to
    // sleep (taken off its run queue).
    std::vector<Probe> probes() const override {
        auto task = [](int arg) {
            return "((struct task_struct *)arg" + std::to_string(arg) + ")";
        };
        auto lwp = [&](int arg) { return "xlate <lwpsinfo_t *> (" + task(arg) + ")"; };
        auto ps = [&](int arg) { return "xlate <psinfo_t *> (" + task(arg) + ")"; };
        std::vector<Probe> out;
        auto add = [&](const char *name, Hook hook, std::string filter,
                       std::vector<std::pair<const char *, std::string>> args) {
            Probe p = mapped(name, std::move(hook), std::move(filter), {});
            for (auto &[type, expr] : args) {
                p.argTypes.emplace_back(type);
                p.argExprs.push_back(std::move(expr));
            }
            out.push_back(std::move(p));
        };
        // sched_switch(preempt, prev, next, prev_state) runs as prev; the end
        // of __schedule (sched_exit_tp(is_switch)) runs as the thread that now
        // has the CPU: the switched-to thread after a switch, else the same.
        // Kernels before sched_exit_tp (6.1): on-cpu at the entry of
        // finish_task_switch, which runs as the switched-to thread;
        // remain-cpu is not to be had there.
        Hook switchedTo = kernelFunctionOr("sched_exit_tp", "finish_task_switch");
        add("on-cpu", switchedTo, switchedTo.kind == HookKind::RawTracepoint ? "arg0 != 0" : "",
            {});
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
            {{"lwpsinfo_t *", lwp(0)},
             {"psinfo_t *", ps(0)},
             {"cpuinfo_t *", taskCpu},
             {"int", "0"}});
        add("dequeue", rawTracepoint("sched_switch"), blocks,
            {{"lwpsinfo_t *", lwp(1)}, {"psinfo_t *", ps(1)}, {"cpuinfo_t *", "curcpu"}});
        add("wakeup", rawTracepoint("sched_waking"), "",
            {{"lwpsinfo_t *", lwp(0)}, {"psinfo_t *", ps(0)}});
        add("change-pri", rawTracepoint("sched_pi_setprio"), "",
            {{"lwpsinfo_t *", lwp(0)},
             {"psinfo_t *", ps(0)},
             {"int", "arg1 != 0 ? " + task(1) + "->prio : " + task(0) + "->normal_prio"}});
        // A thread asked to give up its CPU: sched_set_need_resched_tp(task,
        // ...) where the kernel has it (newer than 6.1), else resched_curr(rq) for
        // the run queue's current thread.
        Hook resched = kernelFunctionOr("sched_set_need_resched_tp", "resched_curr");
        std::string asked = resched.kind == HookKind::RawTracepoint
                                ? task(0)
                                : std::string("((struct rq *)arg0)->curr");
        add("surrender", resched, "",
            {{"lwpsinfo_t *", "xlate <lwpsinfo_t *> (" + asked + ")"},
             {"psinfo_t *", "xlate <psinfo_t *> (" + asked + ")"}});
        // The clock tick: a CPU-clock event at the kernel's user-visible rate,
        // in the context of whatever thread it interrupts.
        Probe tick;
        tick.owner = this;
        tick.provider = "sched";
        tick.module = "vmlinux";
        tick.name = "tick";
        long hz = sysconf(_SC_CLK_TCK);
        tick.periodNs = 1000000000ULL / static_cast<uint64_t>(hz > 0 ? hz : 100);
        tick.argTypes = {"lwpsinfo_t *", "psinfo_t *"};
        tick.argExprs = {"curlwpsinfo", "curpsinfo"};
        out.push_back(std::move(tick));
        return out;
    }

  private:
    static bool isTick(const Probe &p) { return p.periodNs != 0; }
};

} // namespace

std::unique_ptr<Provider> makeSchedProvider() {
    return std::make_unique<SchedProvider>();
}

} // namespace dtrace::providers
