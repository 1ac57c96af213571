// The io provider: block requests issued to a device (start) and
// completed (done), and threads waiting for I/O (wait-start as they go off
// CPU in io_schedule(), wait-done as they come back), with bufinfo_t,
// devinfo_t and fileinfo_t.
#include "providers/hook_provider.h"
#include "providers/registry.h"

namespace dtrace::providers {

namespace {

class IoProvider final : public HookProvider {
  public:
    std::string_view name() const override { return "io"; }

  protected:
    // io: block requests issued to a device and completed, and threads waiting
    // for I/O (going off CPU in io_schedule(), back on when it is done).
    std::vector<Probe> probes() const override {
        const std::string rq = "((struct request *)arg0)";
        auto bufArgs = [&](Hook hook) {
            return mapped("", std::move(hook), "",
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
        out.push_back(mapped("wait-start", rawTracepoint("sched_switch"),
                             "arg0 == 0 && arg3 != 0 && ((struct task_struct *)arg1)->in_iowait",
                             {}));
        Hook switchedTo = kernelFunctionOr("sched_exit_tp", "finish_task_switch");
        out.push_back(mapped(
            "wait-done", switchedTo,
            (switchedTo.kind == HookKind::RawTracepoint ? "arg0 != 0 && " : "") + inIowait, {}));
        return out;
    }
};

} // namespace

std::unique_ptr<Provider> makeIoProvider() {
    return std::make_unique<IoProvider>();
}

} // namespace dtrace::providers
