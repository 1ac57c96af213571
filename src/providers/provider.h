// The interface every provider implements, one file per provider: which
// probes it has (made lazily, as descriptions name them), their arguments
// and stability, and what code generation and the runtime need to run the
// clauses of a firing: the kind of BPF program, how the program learns
// which probe fired and what its arguments are, and where the kernel
// attaches it. The core (catalog, code generation, runtime) never asks
// which provider a probe is from: adding a provider is its file and a line
// in the registry (registry.cpp).
#pragma once

#include "bpf/assembler.h"
#include "program/plan.h"
#include "program/stability.h"
#include "providers/probe.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dtrace::providers {

class ProbeCatalog;

// The attributes of providers that name a kernel function (fbt, rawfbt,
// syscall): functions and arguments private to the ISA.
inline constexpr program::ProviderAttributes kFunctionProviderAttributes{
    program::kEvolvingCommonAttrs, program::kPrivateUnknownAttrs, program::kPrivateIsaAttrs,
    program::kEvolvingCommonAttrs, program::kPrivateIsaAttrs};

// Those of providers that name a kernel tracepoint (sdt, rawtp): its name
// and arguments are the kernel's, private to the ISA.
inline constexpr program::ProviderAttributes kTracepointProviderAttributes{
    program::kEvolvingIsaAttrs, program::kPrivateUnknownAttrs, program::kPrivateUnknownAttrs,
    program::kPrivateIsaAttrs, program::kPrivateIsaAttrs};

// What a probe is to D itself: the dtrace provider's BEGIN, END and ERROR
// have meanings of their own; every other probe fires where its provider
// attaches it.
enum class ProbeRole { Traced, Begin, End, Error };

// The BPF program a probe's clauses are compiled into.
struct ProgramShape {
    uint32_t programType = 0; // enum bpf_prog_type
    std::string programName;  // "dt_sys_enter", "dt_profile", ...
    // Probes with equal non-empty keys share one program; an empty key
    // gives the probe a program of its own.
    std::string shareKey;
    // How a program shared by several probes learns which one fired: a
    // table indexed by a number the provider's code leaves in r7 (a system
    // call's number), or the uprobe's BPF cookie.
    enum class Identity { Static, SelectorTable, Cookie };
    Identity identity = Identity::Static;
    // SelectorTable: the provider's emitSelector code uses neither r9 nor
    // the stack above fp-16, so the program can look the selector up
    // before the per-CPU context and leave at once when no probe wants it.
    bool selectorWithoutContext = false;
    // Cookie: only probes enabled for the same clauses share a program.
    bool sameClausesOnly = false;
    // The raw tracepoint (or other hook) this shape's program attaches to;
    // a probe on several hooks has a shape, and a program, for each.
    std::string hook;
    // Frames of the tracing machinery at the top of a kernel stack taken
    // in this program (stack() leaves them off).
    int kernelStackSkip = 0;
    // The program fires at a user function's first instruction (its
    // context a pt_regs): the return address is at the top of the stack,
    // where no frame-pointer walk finds it (ucaller).
    bool userFunctionEntry = false;
    // False: a program of the provider's own, keeping state its probes
    // read (io: the block I/O each thread submitted last). It runs the
    // provider's emitFilter code and none of the clauses.
    bool runsClauses = true;
};

// The code a provider adds to a program's entry, before the clauses run.
// Conventions: r6 holds the program's own context (what the kernel passed
// it), r9 the per-CPU context (program::dctx); r0-r5 and r7-r8 are free,
// and the stack at fp-8 and below. Code may return from the program (r0 =
// 0) when the firing is not the probe's.
// Maps a provider's code keeps state in across firings (lockstat: when
// each thread's lock contention began), made by code generation: one for
// each name in a program, however many of its programs use it.
class ProviderMaps {
  public:
    virtual bpf::MapId providerMap(const program::MapSpec &spec) = 0;

  protected:
    ~ProviderMaps() = default;
};

struct FiringCode {
    bpf::Function &f;
    const ProgramShape &shape;
    std::span<const Probe *const> probes; // the program's probes
    ProviderMaps *maps = nullptr;
};

class Provider {
  public:
    virtual ~Provider() = default;

    // The provider's name ("syscall"); for pid and USDT providers, the
    // kind of name ("pid<N>", "<provider><N>").
    virtual std::string_view name() const = 0;

    // ------------------------------------------------------ probes
    // Adds the probes every session has (dtrace:::BEGIN, profile-97 ...).
    virtual void provideFixed(ProbeCatalog &) {}
    // Adds to the catalog the probes of this provider that a description
    // could match and that are not there yet (reading what the running
    // system offers only when the description could name it).
    virtual void provide(const ProbeDescription &d, ProbeCatalog &catalog) = 0;
    // Why the provider has no probes for a description naming it, where
    // the running kernel lacks what it needs (empty otherwise).
    virtual std::string unavailableReason(const ProbeDescription &) const { return {}; }
    // Whether a probe of this provider matches a description (pid and USDT
    // modules go by several names).
    virtual bool matches(const ProbeDescription &d, const Probe &p) const;
    // Reads what the running system says of a probe to be enabled: its
    // record layout, how many arguments its hook passes, and (where that
    // costs nothing more) its argument types. Code generation reads only
    // the probe. Called for every probe a description matches: cheap.
    virtual void resolve(Probe &p) const;
    // Reads the argument types where they cost a read of their own (a
    // system call's tracefs format), when args[] or -l -v asks for them.
    virtual void resolveArguments(Probe &) const {}
    // DTrace's stability attributes, one for each part of a probe's name
    // and one for its arguments: what D's compiler weighs a description by
    // and what -l -v reports (the default is that of the SDT-style
    // providers: proc, sched, io, ...).
    virtual program::ProviderAttributes attributes() const {
        using namespace program;
        return {kEvolvingIsaAttrs, kPrivateUnknownAttrs, kPrivateUnknownAttrs, kEvolvingIsaAttrs,
                kEvolvingIsaAttrs};
    }
    virtual ProbeRole role(const Probe &) const { return ProbeRole::Traced; }
    // Whether a probe gets an enabling of its own (its args[] and condition
    // are D expressions of its own): a clause naming several is compiled
    // for each.
    virtual bool separateEnabling(const Probe &) const { return false; }
    // flowindent: whether a firing enters or returns.
    virtual program::ProbeInfo::Flow flow(const Probe &) const {
        return program::ProbeInfo::Flow::None;
    }

    // ------------------------------------------------------ code generation
    // The programs a probe's clauses go into (one per hook it fires on).
    virtual std::vector<ProgramShape> programShapes(const Probe &p) const = 0;
    // SelectorTable: loads the selector into r7; and each probe's selector.
    virtual void emitSelector(FiringCode &) const {}
    virtual uint32_t selector(const Probe &) const { return 0; }
    // Code that decides whether this firing is the probe's (a system call
    // hook of several calls): returns from the program when not.
    virtual void emitFilter(FiringCode &) const {}
    // The probe's arguments into dctx::kArgs (zeroed before), arg0 first.
    virtual void emitArguments(FiringCode &) const {}
    // errno of the firing into dctx::kErrno (zeroed before), where the
    // probe has one.
    virtual void emitErrno(FiringCode &) const {}
    // DTrace-style USDT: the is-enabled sites to patch while the probe is
    // traced.
    virtual std::vector<program::IsEnabledSites> isEnabledSites(const Probe &) const { return {}; }
    // Where the kernel attaches a program of these probes (cookies: each
    // probe's, for Identity::Cookie).
    virtual program::AttachTarget attachTarget(const ProgramShape &shape,
                                               std::span<const Probe *const> probes,
                                               std::span<const uint64_t> cookies) const = 0;
};

} // namespace dtrace::providers
