// The pid provider: a process's functions as pidPID:MODULE:FUNCTION:NAME,
// NAME being entry, return or an offset into the function, each a uprobe
// on the ELF file that holds it (user_probes.h). A literal process ID
// only: DTrace does not glob over processes.
#include "providers/catalog.h"
#include "providers/registry.h"
#include "providers/uprobe_provider.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <unistd.h>

namespace dtrace::providers {

namespace {

class PidProvider final : public UprobeProvider {
  public:
    std::string_view name() const override { return "pid"; }

    void provide(const ProbeDescription &d, ProbeCatalog &catalog) override {
        if (!d.provider.starts_with("pid")) return;
        size_t digits = d.provider.find_last_not_of("0123456789") + 1;
        if (digits != 3 || digits == d.provider.size()) return;
        int pid = std::atoi(d.provider.c_str() + 3);
        if (pid <= 0) {
            catalog.setMatchError("D_PROC_BADPID", d.provider + " does not contain a valid pid");
            return;
        }
        if (kill(pid, 0) != 0 && errno == ESRCH) {
            catalog.setMatchError("D_PROC_GRAB", "failed to grab process " + std::to_string(pid));
            return;
        }
        if (pid == getpid()) {
            catalog.setMatchError("D_PROC_DYN",
                                  "process " + std::to_string(pid) + " is dtrace itself");
            return;
        }
        auto objects = objectsOf(pid, d.module, catalog);
        auto probes = userFunctionProbes(pid, d, objects);
        if (probes.empty()) {
            UserProbeError why = userProbeError(d, objects);
            if (!why.tag.empty()) {
                catalog.setMatchError(why.tag, why.message);
                return;
            }
        }
        addProbes(std::move(probes), catalog);
    }
    // flowindent: a function's entry and return (an offset probe is
    // neither).
    program::ProbeInfo::Flow flow(const Probe &p) const override {
        if (p.name == "entry") return program::ProbeInfo::Flow::Entry;
        if (p.name == "return") return program::ProbeInfo::Flow::Return;
        return program::ProbeInfo::Flow::None;
    }
};

} // namespace

std::unique_ptr<Provider> makePidProvider() {
    return std::make_unique<PidProvider>();
}

} // namespace dtrace::providers
