// What the providers made of kernel hooks share (proc, sched, io, rawtp):
// each probe is a raw tracepoint, or the entry or return of some system
// calls, with a D condition that must hold for the probe to fire and its
// args[] as D expressions over the hook's own arguments. A probe has a
// program of its own on each of its hooks, and a clause naming several is
// compiled for each (its arguments are its own).
#pragma once

#include "providers/provider.h"

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dtrace::providers {

class HookProvider : public Provider {
  public:
    // The provider's probes, made once when a description could name one.
    void provide(const ProbeDescription &d, ProbeCatalog &catalog) override;
    void resolve(Probe &p) const override;
    // The kernel lacks the tracepoints some of its probes need.
    std::string unavailableReason(const ProbeDescription &d) const override;
    bool separateEnabling(const Probe &) const override { return true; }

    std::vector<ProgramShape> programShapes(const Probe &p) const override;
    void emitFilter(FiringCode &code) const override;
    void emitArguments(FiringCode &code) const override;
    void emitErrno(FiringCode &code) const override;
    program::AttachTarget attachTarget(const ProgramShape &shape,
                                       std::span<const Probe *const> probes,
                                       std::span<const uint64_t> cookies) const override;

  protected:
    // The provider's probes, without IDs.
    virtual std::vector<Probe> probes() const = 0;

    // Building blocks for probes().
    struct Arg {
        std::string type; // the D type of args[i]
        std::string expr; // over the hook's arguments, arg0..
    };
    Probe mapped(std::string_view name, Hook hook, std::string filter, std::vector<Arg> args) const;
    static Hook rawTracepoint(const char *name);
    // The raw tracepoint where the kernel has it; else a kprobe on the
    // kernel function (or a compiler's copy of it, function.isra.0) whose
    // entry is the same moment; when neither can be had, the tracepoint
    // (its probes are then left out, and a description naming one told why).
    static Hook kernelFunctionOr(const char *tracepoint, std::string_view function);
    static Hook syscalls(HookKind kind, std::initializer_list<const char *> names);

    // Whether the provider's probes are made only where the running
    // kernel has their hooks (a probe on a newer kernel's tracepoint is
    // left out, and a description naming it told why).
    virtual bool checksHooks() const { return true; }

  private:
    bool made_ = false;
    // Probes left out, and the tracepoint each lacks.
    std::vector<std::pair<std::string, std::string>> missing_;
};

} // namespace dtrace::providers
