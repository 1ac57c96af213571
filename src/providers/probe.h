// Probes as the compiler sees them: identity (provider, module, function,
// name), the provider that made the probe, what it attaches to (each
// provider's own facts, resolved when the probe is matched), and the
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

class Provider;

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
// (arg0..) are: a raw tracepoint's arguments, a system call's (on entry)
// or its return value (on return), for the calls listed, or a kernel
// function's arguments at its entry (a kprobe: where a kernel lacks the
// tracepoint a probe is otherwise built on).
enum class HookKind { RawTracepoint, SyscallEntry, SyscallReturn, KernelFunction };
struct Hook {
    HookKind kind = HookKind::RawTracepoint;
    std::string name;          // the raw tracepoint; the function's symbol
    std::vector<int> syscalls; // system call numbers
    // More raw tracepoints whose arguments have the same meaning (the
    // probe fires on each).
    std::vector<std::string> alsoNames;
    // Raw tracepoints: how many arguments each passes (name, then
    // alsoNames), resolved when the probe is matched.
    std::vector<size_t> argCounts;
};

struct Probe {
    uint32_t id = 0;
    const Provider *owner = nullptr; // the provider that made it
    std::string provider;
    std::string module;
    std::string function;
    std::string name;
    // What each provider records of its probes (see its file).
    uint64_t periodNs = 0;         // profile, tick, sched:::tick
    int syscallNr = -1;            // syscall
    std::string tracepoint;        // sdt: "subsystem/event"
    std::optional<UserProbe> user; // pid, USDT
    unsigned btfId = 0;            // fbt: the function's BTF id
    // proc, sched, io, rawtp: the hook; a D predicate over its native
    // arguments that must hold for the probe to fire (empty: always); and
    // args[i] as D expressions over them, of type argTypes[i] (empty:
    // args[i] is argi).
    Hook hook;
    std::string filter;
    std::vector<std::string> argExprs;

    // Resolved from the running system when the probe is matched (the
    // provider's resolve()): how many u64 arguments its hook passes
    // (reading past them is refused), an sdt probe's record layout; and the
    // native argument types (C spelling), when asked for
    // (ProbeCatalog::argumentTypes()).
    bool resolved = false, argumentsResolved = false;
    std::vector<std::string> argTypes;
    size_t contextArgs = 0;
    std::optional<TracepointFormat> format;

    std::string fullName() const { return provider + ":" + module + ":" + function + ":" + name; }
};

// A probe description as written, split into its four fields (an empty
// field matches anything). Fields may hold globs: * ? [...] and \ escapes.
struct ProbeDescription {
    std::string provider, module, function, name;
    std::string text() const { return provider + ":" + module + ":" + function + ":" + name; }
};

// Splits "a:b:c:d", "func:name" ... into a description; false if it has
// more than four fields.
bool parseProbeDescription(std::string_view text, ProbeDescription &out);
// DTrace's glob matching (as in gmatch(3GEN)).
bool globMatch(std::string_view pattern, std::string_view s);
bool hasGlob(std::string_view pattern);
// A description's field matches a value: empty, or a glob that matches.
bool fieldMatches(const std::string &pattern, const std::string &value);
// Whether a field could match a name made of these characters (a glob or
// an empty field could match anything): reading a provider's probes costs
// milliseconds, not worth it for BEGIN or tick-1s.
bool couldName(const std::string &pattern, std::string_view chars);
constexpr std::string_view kTracepointNameChars = "abcdefghijklmnopqrstuvwxyz0123456789_";

} // namespace dtrace::providers
