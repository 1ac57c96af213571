// Every probe the providers offer, made lazily: a description asks each
// provider for the probes it could match, and the catalog keeps them (with
// their IDs) for the session.
#pragma once

#include "providers/probe.h"
#include "providers/provider.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dtrace::providers {

class ProbeCatalog {
  public:
    ProbeCatalog(); // with every provider of the registry
    explicit ProbeCatalog(std::vector<std::unique_ptr<Provider>> providers);
    ~ProbeCatalog();
    ProbeCatalog(const ProbeCatalog &) = delete;
    ProbeCatalog &operator=(const ProbeCatalog &) = delete;

    // The probes a description matches, resolved for enabling.
    std::vector<const Probe *> match(const ProbeDescription &desc);
    // Every probe whose provider matches, for `dtrace -l`.
    std::vector<const Probe *> list(const ProbeDescription &desc);
    const Probe *byId(uint32_t id) const;
    // Whether a description is a probe ID (digits alone).
    static bool isProbeId(std::string_view text);
    // The probe a probe ID names, as `dtrace -l` numbers probes (every
    // probe is listed first); nullptr, with DTrace's reason in why, when
    // none has it.
    const Probe *byListedId(std::string_view digits, std::string &why);
    // A probe's facts of the running system, read once.
    const Probe &resolved(const Probe &p);
    // Its native argument types (args[], dtrace -l -v), read once.
    const std::vector<std::string> &argumentTypes(const Probe &p);

    // For providers: adds a probe (the catalog gives it its ID).
    const Probe *add(Probe p);
    // Why the last match found no probes for a process (no such process,
    // no such function ...): DTrace's D_PROC_* tag and message.
    void setMatchError(std::string tag, std::string why) {
        matchErrorTag_ = std::move(tag);
        matchError_ = std::move(why);
    }
    const std::string &matchError() const { return matchError_; }
    const std::string &matchErrorTag() const { return matchErrorTag_; }
    // Why a description found no probes, where a provider it names
    // cannot work here (empty when it simply matches none).
    std::string whyNoProbes(const ProbeDescription &desc) const;
    // Process pid (started by dtrace) is about to exec path: its probes are
    // those of the objects that program will load.
    void expectExec(int pid, std::string path) { pendingExec_[pid] = std::move(path); }
    std::string pendingExec(int pid) const {
        auto it = pendingExec_.find(pid);
        return it == pendingExec_.end() ? std::string() : it->second;
    }

  private:
    std::vector<const Probe *> find(const ProbeDescription &desc);
    Probe &mine(const Probe &p);
    std::vector<std::unique_ptr<Provider>> providers_;
    std::vector<std::unique_ptr<Probe>> probes_;
    std::map<int, std::string> pendingExec_;
    std::string matchError_, matchErrorTag_;
};

} // namespace dtrace::providers
