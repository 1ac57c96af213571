// What the providers of user-space probes share (pid, USDT): each probe is
// a uprobe on an ELF file, in one process; programs serve the probes of
// the same clauses and tell them apart by the uprobe's BPF cookie; a
// process's modules go by several names (libc.so.6, libc.so, libc, a.out).
#pragma once

#include "providers/provider.h"
#include "providers/user_probes.h"

#include <set>
#include <string>
#include <vector>

namespace dtrace::providers {

class UprobeProvider : public Provider {
  public:
    // A process's probes: their functions and arguments are the program's
    // own, unknown to DTrace.
    program::ProviderAttributes attributes() const override {
        using namespace program;
        return {kEvolvingIsaAttrs, kPrivateUnknownAttrs, kPrivateUnknownAttrs, kEvolvingIsaAttrs,
                kPrivateUnknownAttrs};
    }
    bool matches(const ProbeDescription &d, const Probe &p) const override;
    std::vector<ProgramShape> programShapes(const Probe &p) const override;
    void emitArguments(FiringCode &code) const override;
    std::vector<program::IsEnabledSites> isEnabledSites(const Probe &p) const override;
    program::AttachTarget attachTarget(const ProgramShape &shape,
                                       std::span<const Probe *const> probes,
                                       std::span<const uint64_t> cookies) const override;

  protected:
    // The objects of process pid a module field may name: those it has
    // mapped (or, about to exec, will map), and a library it has not loaded
    // yet that the field names.
    std::vector<ProcessObject> objectsOf(int pid, const std::string &module,
                                         const ProbeCatalog &catalog) const;
    // Those it has mapped, or (about to exec) will map.
    std::vector<ProcessObject> mappedObjectsOf(int pid, const ProbeCatalog &catalog) const;
    // Adds probes, each site once.
    void addProbes(std::vector<Probe> probes, ProbeCatalog &catalog);

  private:
    std::set<std::string> made_; // "pid:path:offset:provider:function:name"
};

} // namespace dtrace::providers
