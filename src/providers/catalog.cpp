#include "providers/elf_image.h"
#include "providers/kernel_functions.h"
#include "providers/probe.h"
#include "providers/stable.h"
#include "providers/syscalls.h"
#include "providers/usdt.h"
#include "providers/user_probes.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

namespace dtrace::providers {

bool parseProbeDescription(std::string_view text, ProbeDescription &out) {
    std::vector<std::string> fields(1);
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '\\' && i + 1 < text.size()) {
            fields.back() += c;
            fields.back() += text[++i];
        } else if (c == ':') {
            fields.emplace_back();
        } else {
            fields.back() += c;
        }
    }
    if (fields.size() > 4) return false;
    // Fields are right-aligned: "a:b" is function a, name b.
    while (fields.size() < 4) fields.insert(fields.begin(), std::string());
    out.provider = fields[0];
    out.module = fields[1];
    out.function = fields[2];
    out.name = fields[3];
    return true;
}

bool hasGlob(std::string_view p) {
    return p.find_first_of("*?[\\") != std::string_view::npos;
}

bool globMatch(std::string_view p, std::string_view s) {
    size_t pi = 0, si = 0;
    size_t starP = std::string_view::npos, starS = 0;
    while (si < s.size()) {
        if (pi < p.size()) {
            char c = p[pi];
            if (c == '*') {
                starP = pi++;
                starS = si;
                continue;
            }
            if (c == '?') {
                ++pi;
                ++si;
                continue;
            }
            if (c == '[') {
                size_t j = pi + 1;
                bool negate = j < p.size() && (p[j] == '!' || p[j] == '^');
                if (negate) ++j;
                bool matched = false;
                bool first = true;
                while (j < p.size() && (first || p[j] != ']')) {
                    first = false;
                    char lo = p[j];
                    if (j + 2 < p.size() && p[j + 1] == '-' && p[j + 2] != ']') {
                        if (s[si] >= lo && s[si] <= p[j + 2]) matched = true;
                        j += 3;
                    } else {
                        if (s[si] == lo) matched = true;
                        ++j;
                    }
                }
                if (j < p.size() && matched != negate) {
                    pi = j + 1;
                    ++si;
                    continue;
                }
            } else if (c == '\\' && pi + 1 < p.size()) {
                if (p[pi + 1] == s[si]) {
                    pi += 2;
                    ++si;
                    continue;
                }
            } else if (c == s[si]) {
                ++pi;
                ++si;
                continue;
            }
        }
        if (starP == std::string_view::npos) return false;
        pi = starP + 1;
        si = ++starS;
    }
    while (pi < p.size() && p[pi] == '*') ++pi;
    return pi == p.size();
}

namespace {

bool fieldMatches(const std::string &pattern, const std::string &value) {
    return pattern.empty() || globMatch(pattern, value);
}

bool matches(const ProbeDescription &d, const Probe &p) {
    // A process's modules go by more than one name (libc.so.6, libc.so, libc, a.out).
    bool module = p.user ? moduleMatches(d.module, {p.user->path, p.user->mainExecutable})
                         : fieldMatches(d.module, p.module);
    return fieldMatches(d.provider, p.provider) && module && fieldMatches(d.function, p.function) &&
           fieldMatches(d.name, p.name);
}

// "profile-97", "tick-10ms": the interval in ns, or nothing if the rate is
// not one DTrace accepts (below 200us, zero, malformed).
std::optional<uint64_t> parseRate(std::string_view spec) {
    size_t i = 0;
    uint64_t n = 0;
    while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i]))) {
        uint64_t d = spec[i] - '0';
        if (n > (UINT64_MAX - d) / 10) return std::nullopt;
        n = n * 10 + d;
        ++i;
    }
    if (i == 0 || n == 0) return std::nullopt;
    std::string_view unit = spec.substr(i);
    struct Unit {
        const char *name;
        uint64_t ns; // 0 means hz
    };
    static constexpr std::array<Unit, 15> units = {{{"", 0},
                                                    {"hz", 0},
                                                    {"ns", 1},
                                                    {"nsec", 1},
                                                    {"us", 1000},
                                                    {"usec", 1000},
                                                    {"ms", 1000000},
                                                    {"msec", 1000000},
                                                    {"s", 1000000000ull},
                                                    {"sec", 1000000000ull},
                                                    {"m", 60000000000ull},
                                                    {"min", 60000000000ull},
                                                    {"h", 3600000000000ull},
                                                    {"hour", 3600000000000ull},
                                                    {"d", 86400000000000ull}}};
    uint64_t period = 0;
    bool found = false;
    for (const Unit &u : units) {
        if (unit != u.name) continue;
        found = true;
        if (u.ns == 0) {
            period = 1000000000ull / n;
        } else {
            if (n > UINT64_MAX / u.ns) return std::nullopt;
            period = n * u.ns;
        }
    }
    if (!found && unit == "day") {
        found = true;
        period = n * 86400000000000ull;
    }
    if (!found) return std::nullopt;
    if (period < 200000) return std::nullopt; // DTrace's floor: 200us
    return period;
}

// Whether a name field could match a name made of these characters (a
// glob or an empty field could match anything): reading a provider's
// probes costs milliseconds, not worth it for BEGIN or tick-1s.
bool couldName(const std::string &pattern, std::string_view chars) {
    return hasGlob(pattern) || pattern.empty() ||
           pattern.find_first_not_of(chars) == std::string::npos;
}
constexpr std::string_view kTracepointNameChars = "abcdefghijklmnopqrstuvwxyz0123456789_";

constexpr std::array kStandardProfileProbes = {
    "profile-97",   "profile-199",  "profile-499", "profile-997", "profile-1999",
    "profile-4001", "profile-4999", "tick-1",      "tick-10",     "tick-100",
    "tick-500",     "tick-1000",    "tick-5000"};

} // namespace

ProbeCatalog::ProbeCatalog() {
    for (const char *n : {"BEGIN", "END", "ERROR"}) {
        Probe p;
        p.provider = "dtrace";
        p.name = n;
        p.attach = std::string_view(n) == "BEGIN" ? AttachKind::Begin
                   : std::string_view(n) == "END" ? AttachKind::End
                                                  : AttachKind::Error;
        addProbe(std::move(p));
    }
    for (const char *n : kStandardProfileProbes) profileProbe(n);
}

ProbeCatalog::~ProbeCatalog() = default;

// As the providers document them (Solaris Dynamic Tracing Guide).
ProbeStability probeStability(const Probe &p) {
    constexpr InterfaceAttributes stable{"Stable", "Stable", "Common"};
    constexpr InterfaceAttributes evolvingCommon{"Evolving", "Evolving", "Common"};
    constexpr InterfaceAttributes evolvingIsa{"Evolving", "Evolving", "ISA"};
    constexpr InterfaceAttributes privateIsa{"Private", "Private", "ISA"};
    constexpr InterfaceAttributes privateUnknown{"Private", "Private", "Unknown"};
    switch (p.attach) {
    case AttachKind::Begin:
    case AttachKind::End:
    case AttachKind::Error: return {stable, stable};
    case AttachKind::Profile:
    case AttachKind::Tick: return {evolvingCommon, evolvingCommon};
    case AttachKind::SyscallEntry:
    case AttachKind::SyscallReturn: return {evolvingCommon, privateIsa};
    case AttachKind::Tracepoint: return {evolvingIsa, privateIsa};
    case AttachKind::Mapped:
        if (p.provider == "rawtp") return {privateUnknown, privateIsa};
        return {evolvingIsa, evolvingIsa};
    case AttachKind::Uprobe:
        if (p.user && p.user->usdt) return {evolvingIsa, evolvingIsa};
        return {evolvingIsa, privateUnknown};
    case AttachKind::Function: return {privateUnknown, privateIsa};
    }
    return {privateUnknown, privateUnknown};
}

const Probe *ProbeCatalog::addProbe(Probe p) {
    p.id = nextId_++;
    probes_.push_back(std::make_unique<Probe>(std::move(p)));
    return probes_.back().get();
}

const Probe *ProbeCatalog::byId(uint32_t id) const {
    if (id == 0 || id > probes_.size()) return nullptr;
    return probes_[id - 1].get();
}

const Probe *ProbeCatalog::profileProbe(std::string_view name) {
    for (const auto &p : probes_)
        if (p->provider == "profile" && p->name == name) return p.get();
    bool tick = name.substr(0, 5) == "tick-";
    bool profile = name.substr(0, 8) == "profile-";
    if (!tick && !profile) return nullptr;
    auto period = parseRate(name.substr(tick ? 5 : 8));
    if (!period) return nullptr;
    Probe p;
    p.provider = "profile";
    p.name = std::string(name);
    p.attach = tick ? AttachKind::Tick : AttachKind::Profile;
    p.periodNs = *period;
    if (profile) p.argTypes = {"uint64_t", "uint64_t"};
    return addProbe(std::move(p));
}

void ProbeCatalog::ensureSyscalls() {
    if (syscallsLoaded_) return;
    syscallsLoaded_ = true;
    for (const SyscallInfo &s : syscallTable()) {
        for (bool entry : {true, false}) {
            Probe p;
            p.provider = "syscall";
            p.module = "vmlinux";
            p.function = s.name;
            p.name = entry ? "entry" : "return";
            p.attach = entry ? AttachKind::SyscallEntry : AttachKind::SyscallReturn;
            p.syscallNr = s.nr;
            p.argTypesLoaded = false;
            addProbe(std::move(p));
        }
    }
}

void ProbeCatalog::addTracepoint(const std::string &subsystem, const std::string &event) {
    Probe p;
    p.provider = "sdt";
    p.module = subsystem;
    p.name = event;
    p.attach = AttachKind::Tracepoint;
    p.tracepoint = subsystem + "/" + event;
    p.argTypesLoaded = false;
    addProbe(std::move(p));
}

// sdt: every kernel tracepoint, as sdt:SUBSYSTEM::EVENT. Reading them all
// costs milliseconds, so only when the description could match one: a
// literal subsystem is read alone, and a literal name that no tracepoint
// could have (BEGIN, tick-1s) reads none.
void ProbeCatalog::ensureTracepoints(const ProbeDescription &d) {
    if (tracepointsLoaded_ || !fieldMatches(d.provider, "sdt") || !fieldMatches(d.function, ""))
        return;
    if (!couldName(d.name, kTracepointNameChars)) return;
    if (!d.module.empty() && !hasGlob(d.module)) {
        if (!tracepointSubsystems_.insert(d.module).second) return;
        for (const std::string &e : subsystemTracepoints(d.module)) addTracepoint(d.module, e);
        return;
    }
    tracepointsLoaded_ = true;
    for (const auto &[subsystem, event] : availableTracepoints()) {
        if (tracepointSubsystems_.count(subsystem)) continue;
        addTracepoint(subsystem, event);
    }
}

// proc (and the other stable providers): a handful of probes each, made
// when a description could name one of them.
void ProbeCatalog::ensureStableProviders(const ProbeDescription &d) {
    if (!couldName(d.name, "abcdefghijklmnopqrstuvwxyz0123456789_-")) return;
    for (std::string_view provider : stableProviders()) {
        std::string name(provider);
        if (!fieldMatches(d.provider, name) || !stableLoaded_.insert(name).second) continue;
        for (Probe &p : stableProviderProbes(provider)) addProbe(std::move(p));
    }
}

// The objects of process pid a description's module field may name: those
// it has mapped (or, about to exec, will map), and a library it has not
// loaded yet that the field names.
std::vector<ProcessObject> ProbeCatalog::objectsOf(int pid, const std::string &module) const {
    auto objects = mappedObjectsOf(pid);
    addLibraryLoadedLater(pid, module, objects);
    return objects;
}

// Those it has mapped, or (about to exec) will map.
std::vector<ProcessObject> ProbeCatalog::mappedObjectsOf(int pid) const {
    auto pending = pendingExec_.find(pid);
    return processObjects(pid, pending == pendingExec_.end() ? "" : pending->second);
}

// USDT probes of process pid, each site once.
void ProbeCatalog::addUsdtProbes(int pid, std::vector<Probe> probes) {
    for (Probe &p : probes) {
        std::string key = std::to_string(pid) + ":" + p.user->path + ":" +
                          std::to_string(p.user->offset) + ":" + p.provider + ":" + p.name;
        if (userProbeKeys_.insert(key).second) addProbe(std::move(p));
    }
}

// pidN: the functions of process N, made when a description names them
// (a literal process ID: DTrace does not glob over processes).
// Any other PROVIDERpid: the USDT probes of process pid (PROVIDER may be
// a glob).
void ProbeCatalog::ensureUserProbes(const ProbeDescription &d) {
    if (hasGlob(d.provider) && !d.provider.starts_with("pid")) {
        ensureUsdtOfAllProcesses(d);
        return;
    }
    size_t digits = d.provider.find_last_not_of("0123456789") + 1;
    if (digits == 0 || digits == d.provider.size()) return;
    std::string prefix = d.provider.substr(0, digits);
    if (prefix != "pid") {
        // profile-97 and tick-1s are not processes.
        if (prefix.back() == '-' || prefix.back() == '\\') return;
        int pid = std::atoi(d.provider.c_str() + digits);
        if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH)) return;
        addUsdtProbes(pid, usdtProbes(pid, prefix, d, objectsOf(pid, d.module)));
        return;
    }
    int pid = std::atoi(d.provider.c_str() + 3);
    if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH)) {
        matchError_ = "failed to grab pid " + std::to_string(pid) + ": " +
                      (pid <= 0 ? "the kernel has no user functions" : std::strerror(ESRCH));
        return;
    }
    for (Probe &p : userFunctionProbes(pid, d, objectsOf(pid, d.module))) {
        std::string key = std::to_string(pid) + ":" + p.user->path + ":" +
                          std::to_string(p.user->offset) + ":" + p.function + ":" + p.name;
        if (userProbeKeys_.insert(key).second) addProbe(std::move(p));
    }
}

// A provider glob (myprov*:::): the USDT probes of every process whose
// provider, with its pid, it matches. Each file's providers are read once
// (by device and inode: each process names it through its own root), and
// only the objects with a matching provider are read in full.
void ProbeCatalog::ensureUsdtOfAllProcesses(const ProbeDescription &d) {
    if (d.provider.find_first_of("*?[\\") == 0) return; // "*:::x" would read every process
    if (!usdtGlobsScanned_.insert(d.text()).second) return;
    DIR *proc = opendir("/proc");
    if (!proc) return;
    const int self = getpid();
    while (dirent *ent = readdir(proc)) {
        int pid = std::atoi(ent->d_name);
        if (pid <= 0 || pid == self) continue;
        std::vector<ProcessObject> objects;
        for (ProcessObject &obj : mappedObjectsOf(pid)) {
            struct stat st;
            if (!moduleMatches(d.module, obj) || stat(obj.path.c_str(), &st) != 0) continue;
            auto key =
                std::make_pair(static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino));
            auto known = usdtProvidersOf_.find(key);
            if (known == usdtProvidersOf_.end())
                known = usdtProvidersOf_.emplace(key, usdtProviderNames(readUsdtSections(obj.path)))
                            .first;
            bool wanted = false;
            for (const std::string &name : known->second)
                wanted = wanted || globMatch(d.provider, name + std::to_string(pid));
            if (wanted) objects.push_back(std::move(obj));
        }
        if (objects.empty()) continue;
        auto probes = usdtProbes(pid, "", d, objects);
        std::erase_if(probes, [&](const Probe &p) { return !globMatch(d.provider, p.provider); });
        addUsdtProbes(pid, std::move(probes));
    }
    closedir(proc);
}

// fbt: an entry and a return probe for each function the kernel's BTF
// describes, made for the functions a description names (all of them only
// when it names them all, as `dtrace -l` does).
void ProbeCatalog::ensureKernelFunctions(const ProbeDescription &d) {
    if (allFbtMade_ || !fieldMatches(d.provider, "fbt") || !fieldMatches(d.module, "vmlinux"))
        return;
    if (!d.name.empty() && !fieldMatches(d.name, "entry") && !fieldMatches(d.name, "return"))
        return;
    auto add = [&](const KernelFunction &f) {
        if (!fbtFunctions_.insert(f.name).second) return;
        for (const char *name : {"entry", "return"}) {
            Probe p;
            p.provider = "fbt";
            p.module = "vmlinux";
            p.function = std::string(f.name);
            p.name = name;
            p.attach = AttachKind::Function;
            p.btfId = f.btfId;
            p.argTypesLoaded = false;
            addProbe(std::move(p));
        }
    };
    if (!d.function.empty() && !hasGlob(d.function)) {
        if (auto f = kernelFunction(d.function)) add(*f);
        return;
    }
    for (const KernelFunction &f : kernelFunctions())
        if (fieldMatches(d.function, std::string(f.name))) add(f);
    if (d.function.empty() || d.function == "*") allFbtMade_ = true;
}

// rawtp: every raw tracepoint BTF declares, as rawtp:SUBSYSTEM::NAME (the
// subsystem of the tracefs event of that name; vmlinux for those tracefs
// does not show), its arguments the tracepoint's own.
void ProbeCatalog::ensureRawTracepoints(const ProbeDescription &d) {
    if (rawTracepointsMade_ || !fieldMatches(d.provider, "rawtp") || !fieldMatches(d.function, ""))
        return;
    // Reading BTF costs milliseconds: not for a name no raw tracepoint has
    // (BEGIN, tick-1s), nor for "entry" without the provider named.
    if (!couldName(d.name, kTracepointNameChars) ||
        (d.provider.empty() && (d.name == "entry" || d.name == "return")))
        return;
    rawTracepointsMade_ = true;
    std::map<std::string, std::string, std::less<>> subsystems;
    for (auto &[subsystem, event] : availableTracepoints()) subsystems.emplace(event, subsystem);
    for (std::string_view name : rawTracepointNames()) {
        Probe p;
        p.provider = "rawtp";
        auto s = subsystems.find(name);
        p.module = s == subsystems.end() ? "vmlinux" : s->second;
        p.name = std::string(name);
        p.attach = AttachKind::Mapped;
        p.hook.kind = HookKind::RawTracepoint;
        p.hook.name = p.name;
        p.argTypesLoaded = false;
        addProbe(std::move(p));
    }
}

void ProbeCatalog::ensureProviders(const ProbeDescription &d) {
    ensureUserProbes(d);
    if (fieldMatches(d.provider, "syscall")) ensureSyscalls();
    ensureTracepoints(d);
    ensureStableProviders(d);
    ensureKernelFunctions(d);
    ensureRawTracepoints(d);
}

std::vector<const Probe *> ProbeCatalog::match(const ProbeDescription &d) {
    matchError_.clear();
    // profile-N and tick-N exist as soon as someone names them.
    if (fieldMatches(d.provider, "profile") && d.module.empty() && d.function.empty() &&
        !hasGlob(d.name))
        profileProbe(d.name);
    ensureProviders(d);
    std::vector<const Probe *> out;
    for (const auto &p : probes_)
        if (matches(d, *p)) out.push_back(p.get());
    return out;
}

std::vector<const Probe *> ProbeCatalog::list(const ProbeDescription &d) {
    ensureProviders(d);
    std::vector<const Probe *> out;
    for (const auto &p : probes_)
        if (matches(d, *p)) out.push_back(p.get());
    return out;
}

} // namespace dtrace::providers
