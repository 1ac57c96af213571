// Probes as the compiler and the loader see them: identity (provider,
// module, function, name), the kernel hook a probe attaches to, and the
// native types of its arguments.
#pragma once

#include "providers/tracepoints.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace dtrace::providers {

enum class AttachKind {
    Begin,         // dtrace:::BEGIN, run in dtrace's own context
    End,           // dtrace:::END
    Error,         // dtrace:::ERROR, called from the faulting program
    Profile,       // profile-N: a CPU-clock perf event on every CPU
    Tick,          // tick-N: a CPU-clock perf event on one CPU
    SyscallEntry,  // raw tracepoint sys_enter, filtered by number
    SyscallReturn, // raw tracepoint sys_exit, filtered by number
    Tracepoint,    // a kernel tracepoint (sdt): a perf event with the program attached
    Mapped,        // proc, sched, io, rawtp: a program of its own on a kernel hook
    Uprobe,        // pid, USDT: a uprobe (or uretprobe) on an ELF file, for one process
    Function,      // fbt: a BPF trampoline (fentry, or fexit for return) on a kernel function
};

// Where a USDT probe's argument is at its probe site, as its note says
// ("-4@%eax", "8@16(%rbp)", "4@$3"): a register (pt_regs offset), a
// constant, or memory at a register plus a displacement. size < 0: signed.
struct UsdtArgument {
    enum class Kind { Register, Constant, Memory, Unsupported };
    Kind kind = Kind::Unsupported;
    int size = 8;
    int regsOffset = 0;
    int64_t value = 0; // the constant, or the displacement
    bool operator<(const UsdtArgument &o) const {
        return std::tie(kind, size, regsOffset, value) <
               std::tie(o.kind, o.size, o.regsOffset, o.value);
    }
    bool operator==(const UsdtArgument &o) const = default;
};

// Where a pid or USDT probe's uprobe goes.
struct UserProbe {
    int pid = 0;
    std::string path;    // the ELF file
    uint64_t offset = 0; // in the file
    bool isReturn = false;
    bool mainExecutable = false; // in the process's executable ("a.out")
    // USDT: the probe site's arguments, and the file offset of its
    // semaphore (0: none), which the kernel counts up while it is traced.
    bool usdt = false;
    std::vector<UsdtArgument> arguments;
    uint64_t semaphoreOffset = 0;
    // DTrace-style USDT: the file offsets of the probe's is-enabled sites,
    // patched to yield 1 while it is traced.
    std::vector<uint64_t> isEnabledSites;
    // A function that only asks whether the probe is traced: no uprobe.
    bool isEnabledOnly = false;
};

// Where a Mapped probe's program attaches, and what its native arguments
// (arg0..) are: a raw tracepoint's arguments, or a system call's (on entry)
// or its return value (on return), for the calls listed.
enum class HookKind { RawTracepoint, SyscallEntry, SyscallReturn };
struct Hook {
    HookKind kind = HookKind::RawTracepoint;
    std::string name;          // the raw tracepoint
    std::vector<int> syscalls; // system call numbers
    // More raw tracepoints whose arguments have the same meaning (the
    // probe fires on each).
    std::vector<std::string> alsoNames;
};

struct Probe {
    uint32_t id = 0;
    std::string provider;
    std::string module;
    std::string function;
    std::string name;
    AttachKind attach = AttachKind::Begin;
    uint64_t periodNs = 0;         // profile, tick
    int syscallNr = -1;            // syscall
    std::string tracepoint;        // sdt: "subsystem/event"
    std::optional<UserProbe> user; // pid, USDT
    unsigned btfId = 0;            // fbt: the function's BTF id
    // Mapped probes: the hook; a D predicate over its native arguments that
    // must hold for the probe to fire (empty: always); and args[i] as D
    // expressions over them, of type argTypes[i] (empty: args[i] is argi).
    Hook hook;
    std::string filter;
    std::vector<std::string> argExprs;
    // Native argument types, C spelling; syscalls read theirs from tracefs
    // the first time they are asked for.
    mutable std::vector<std::string> argTypes;
    mutable bool argTypesLoaded = true;
    // sdt: the event's record layout, read with its argument types.
    mutable std::optional<TracepointFormat> format;

    std::string fullName() const { return provider + ":" + module + ":" + function + ":" + name; }
};

// A probe description as written, split into its four fields (an empty
// field matches anything). Fields may hold globs: * ? [...] and \ escapes.
struct ProbeDescription {
    std::string provider, module, function, name;
    std::string text() const { return provider + ":" + module + ":" + function + ":" + name; }
};

// DTrace's interface attributes: two stability levels and a dependency
// class, for a probe's description and for its arguments.
struct InterfaceAttributes {
    const char *names, *data, *dependency;
};
struct ProbeStability {
    InterfaceAttributes probe, arguments;
};
ProbeStability probeStability(const Probe &p);

// The native types of a probe's arguments (args[]).
const std::vector<std::string> &probeArgTypes(const Probe &p);
// An sdt probe's record layout (read once); null when tracefs has none.
const TracepointFormat *tracepointFormat(const Probe &p);

// Splits "a:b:c:d", "func:name" ... into a description; false if it has
// more than four fields.
bool parseProbeDescription(std::string_view text, ProbeDescription &out);
// DTrace's glob matching (as in gmatch(3GEN)).
bool globMatch(std::string_view pattern, std::string_view s);
bool hasGlob(std::string_view pattern);

struct ProcessObject; // user_probes.h

// Every probe the providers offer, created lazily by provider.
class ProbeCatalog {
  public:
    ProbeCatalog();
    ~ProbeCatalog();
    std::vector<const Probe *> match(const ProbeDescription &desc);
    // Every probe whose provider matches, for `dtrace -l`.
    std::vector<const Probe *> list(const ProbeDescription &desc);
    const Probe *byId(uint32_t id) const;
    // Process pid (started by dtrace) is about to exec path: its probes are
    // those of the objects that program will load.
    void expectExec(int pid, std::string path) { pendingExec_[pid] = std::move(path); }
    // Why the last match found no probes for a process (no such process).
    const std::string &matchError() const { return matchError_; }

  private:
    const Probe *addProbe(Probe p);
    void ensureSyscalls();
    void ensureStableProviders(const ProbeDescription &desc);
    void ensureTracepoints(const ProbeDescription &desc);
    void ensureUserProbes(const ProbeDescription &desc);
    void ensureUsdtOfAllProcesses(const ProbeDescription &desc);
    void ensureKernelFunctions(const ProbeDescription &desc);
    void ensureRawTracepoints(const ProbeDescription &desc);
    void ensureProviders(const ProbeDescription &desc);
    std::vector<ProcessObject> objectsOf(int pid, const std::string &module) const;
    std::vector<ProcessObject> mappedObjectsOf(int pid) const;
    void addUsdtProbes(int pid, std::vector<Probe> probes);
    void addTracepoint(const std::string &subsystem, const std::string &event);
    const Probe *profileProbe(std::string_view name);

    std::vector<std::unique_ptr<Probe>> probes_;
    bool syscallsLoaded_ = false;
    bool tracepointsLoaded_ = false;
    std::set<std::string> stableLoaded_;         // proc, sched, io
    std::set<std::string> tracepointSubsystems_; // read one by one
    uint32_t nextId_ = 1;
    std::map<int, std::string> pendingExec_;
    std::set<std::string> userProbeKeys_; // pid probes made: "pid:path:offset:name"
    // Provider globs over all processes already looked for, and the USDT
    // providers of each file read (by device and inode).
    std::set<std::string> usdtGlobsScanned_;
    std::map<std::pair<uint64_t, uint64_t>, std::set<std::string>> usdtProvidersOf_;
    std::set<std::string_view> fbtFunctions_; // functions whose fbt probes are made
    bool allFbtMade_ = false;
    bool rawTracepointsMade_ = false;
    std::string matchError_;
};

} // namespace dtrace::providers
