#include "kernel/attach.h"

#include "util/messages.h"

#include <bpf/bpf.h>
#include <linux/perf_event.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <span>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

namespace dtrace::kernel {

namespace {

int perfEventOpen(struct perf_event_attr *attr, int cpu) {
    return static_cast<int>(
        ::syscall(__NR_perf_event_open, attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

// A one-CPU timer (tick-N) goes on CPU `first` if it can (-x cpu: the
// only CPU whose probes fire), else on the first CPU online.
std::optional<std::string> attachTimer(const program::AttachTarget &t, int progFd, int cpus,
                                       int first, std::vector<Fd> &links) {
    struct perf_event_attr attr {};
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    attr.sample_period = t.periodNs;
    attr.disabled = 1;
    int attached = 0;
    int lastErr = 0;
    for (int i = -1; i < cpus; ++i) {
        int cpu = i;
        if (i < 0 && (!t.oneCpu || first < 0 || first >= cpus)) continue;
        if (i < 0) cpu = first;
        int fd = perfEventOpen(&attr, cpu);
        if (fd < 0) {
            lastErr = errno; // an offline CPU
            continue;
        }
        Fd owned(fd);
        if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, progFd) != 0 ||
            ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) != 0) {
            lastErr = errno;
            continue;
        }
        links.push_back(std::move(owned));
        ++attached;
        if (t.oneCpu) break;
    }
    if (attached == 0)
        return "could not enable tracing: cannot create a CPU clock event for " + t.description +
               ": " + std::strerror(lastErr);
    return std::nullopt;
}

// A tracepoint's perf event (one, on CPU 0: its program runs wherever the
// tracepoint fires) with the program attached.
std::optional<std::string> attachTracepoint(const program::AttachTarget &t, int progFd,
                                            std::vector<Fd> &links) {
    if (!t.tracepointId) return "could not enable tracing: no tracepoint " + t.name + " in tracefs";
    struct perf_event_attr attr {};
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_TRACEPOINT;
    attr.config = t.tracepointId;
    attr.sample_period = 1;
    attr.wakeup_events = 1;
    int fd = perfEventOpen(&attr, 0);
    if (fd < 0)
        return "could not enable tracing: cannot open tracepoint " + t.name + ": " +
               std::strerror(errno);
    Fd owned(fd);
    if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, progFd) != 0 || ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) != 0)
        return "could not enable tracing: cannot attach to tracepoint " + t.name + ": " +
               std::strerror(errno);
    links.push_back(std::move(owned));
    return std::nullopt;
}

// The uprobe PMU's type and the config bit that makes a uretprobe, from
// sysfs (0 and -1 when the kernel has no uprobes).
struct UprobePmu {
    int type = -1;
    int retprobeBit = -1;
    int refCtrShift = -1; // where a USDT semaphore's offset goes in config
};

const UprobePmu &uprobePmu() {
    static const UprobePmu pmu = [] {
        UprobePmu u;
        if (FILE *f = std::fopen("/sys/bus/event_source/devices/uprobe/type", "r")) {
            if (std::fscanf(f, "%d", &u.type) != 1) u.type = -1;
            std::fclose(f);
        }
        if (FILE *f = std::fopen("/sys/bus/event_source/devices/uprobe/format/retprobe", "r")) {
            if (std::fscanf(f, "config:%d", &u.retprobeBit) != 1) u.retprobeBit = -1;
            std::fclose(f);
        }
        if (FILE *f =
                std::fopen("/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset", "r")) {
            if (std::fscanf(f, "config:%d", &u.refCtrShift) != 1) u.refCtrShift = -1;
            std::fclose(f);
        }
        return u;
    }();
    return pmu;
}

// The kprobe PMU's type and the config bit of a kretprobe (-1: none).
struct KprobePmu {
    int type = -1;
    int retprobeBit = -1;
};

const KprobePmu &kprobePmu() {
    static const KprobePmu pmu = [] {
        KprobePmu k;
        if (FILE *f = std::fopen("/sys/bus/event_source/devices/kprobe/type", "r")) {
            if (std::fscanf(f, "%d", &k.type) != 1) k.type = -1;
            std::fclose(f);
        }
        if (FILE *f = std::fopen("/sys/bus/event_source/devices/kprobe/format/retprobe", "r")) {
            if (std::fscanf(f, "config:%d", &k.retprobeBit) != 1) k.retprobeBit = -1;
            std::fclose(f);
        }
        return k;
    }();
    return pmu;
}

// A kprobe (or kretprobe) perf event on the function, on every CPU, with
// the program linked to it.
std::optional<std::string> attachKprobe(const program::AttachTarget &t, int progFd,
                                        std::vector<Fd> &links) {
    const KprobePmu &pmu = kprobePmu();
    if (pmu.type < 0 || (t.kretprobe && pmu.retprobeBit < 0))
        return "could not enable " + t.description + ": this kernel has no " +
               (t.kretprobe ? "kretprobes" : "kprobes");
    struct perf_event_attr attr {};
    attr.size = sizeof(attr);
    attr.type = static_cast<uint32_t>(pmu.type);
    if (t.kretprobe) attr.config |= 1ULL << pmu.retprobeBit;
    attr.config1 = reinterpret_cast<uint64_t>(t.name.c_str()); // kprobe_func
    attr.config2 = 0;                                          // probe_offset
    int fd = perfEventOpen(&attr, 0);
    if (fd < 0)
        return "could not enable " + t.description + ": cannot create a " +
               (t.kretprobe ? "kretprobe" : "kprobe") + " on " + t.name + ": " +
               std::strerror(errno);
    Fd event(fd);
    int link = bpf_link_create(progFd, fd, BPF_PERF_EVENT, nullptr);
    if (link < 0)
        return "could not enable " + t.description +
               ": cannot attach to its kprobe: " + std::strerror(errno);
    links.emplace_back(link); // it holds the perf event
    return std::nullopt;
}

// Why a site's uprobe could not be made, after its probe's name.
std::string uprobeFailure(const program::UprobeSite &u, int err) {
    std::string why = err == 524 /* ENOTSUPP */ ? "an instruction uprobes cannot probe"
                      : err == EMFILE
                          ? std::string(std::strerror(err)) +
                                " (each probe site holds files on this kernel: raise the "
                                "open-file limit, ulimit -n, or enable fewer probes)"
                          : std::strerror(err);
    return u.probe + ": cannot create a uprobe on " + u.path + " at offset " +
           std::to_string(u.offset) + ": " + why;
}

// A uprobe perf event for each site, restricted to its process, with the
// program linked to it under the site's cookie.
std::optional<std::string> attachUprobes(const program::AttachTarget &t, int progFd,
                                         std::vector<Fd> &links) {
    const UprobePmu &pmu = uprobePmu();
    if (pmu.type < 0)
        return std::string("could not enable tracing: this kernel has no uprobe PMU "
                           "(/sys/bus/event_source/devices/uprobe), so pid probes cannot fire");
    for (const program::UprobeSite &u : t.uprobes) {
        struct perf_event_attr attr {};
        attr.size = sizeof(attr);
        attr.type = static_cast<uint32_t>(pmu.type);
        if (u.isReturn) {
            if (pmu.retprobeBit < 0)
                return "could not enable " + u.probe + ": this kernel has no uretprobes";
            attr.config |= 1ULL << pmu.retprobeBit;
        }
        if (u.semaphoreOffset != 0) {
            // The kernel counts the semaphore up while the probe is attached,
            // so the application's is-enabled test sees it traced.
            if (pmu.refCtrShift < 0)
                return "could not enable " + u.probe +
                       ": this kernel cannot count USDT semaphores (no uprobe ref_ctr_offset)";
            attr.config |= u.semaphoreOffset << pmu.refCtrShift;
        }
        attr.config1 = reinterpret_cast<uint64_t>(u.path.c_str()); // uprobe_path
        attr.config2 = u.offset;                                   // probe_offset
        int fd = static_cast<int>(
            ::syscall(__NR_perf_event_open, &attr, u.pid, -1, -1, PERF_FLAG_FD_CLOEXEC));
        if (fd < 0) return "could not enable " + uprobeFailure(u, errno);
        Fd event(fd);
        LIBBPF_OPTS(bpf_link_create_opts, opts);
        opts.perf_event.bpf_cookie = u.cookie;
        int link = bpf_link_create(progFd, fd, BPF_PERF_EVENT, &opts);
        if (link < 0)
            return "could not enable " + u.probe +
                   ": cannot attach to its uprobe: " + std::strerror(errno);
        // The link holds the perf event: one descriptor a site, not two.
        links.emplace_back(link);
    }
    return std::nullopt;
}

// Probes a link could not take, one line each: nothing enabled is an
// error; some of what a glob matched, a warning (five lines, then a count).
std::optional<std::string> someNotEnabled(const std::vector<std::string> &why, size_t attempted) {
    if (why.empty()) return std::nullopt;
    if (why.size() == attempted) return "could not enable " + why.front();
    for (size_t i = 0; i < why.size() && i < 5; ++i)
        report(Severity::Warning, "could not enable " + why[i]);
    if (why.size() > 5)
        report(Severity::Warning, "... and " + std::to_string(why.size() - 5) +
                                      " more probes that could not be enabled");
    return std::nullopt;
}

// uprobe_multi: the sites of each (file, process) in one link. A site
// the kernel cannot probe (an instruction uprobes refuse) fails the whole
// link: halve the set until the sites that fail are alone, and report them.
using Sites = std::vector<const program::UprobeSite *>;
void attachUprobeSites(int progFd, const Sites &sites, std::vector<Fd> &links,
                       std::vector<std::pair<const program::UprobeSite *, int>> &failed) {
    if (sites.empty()) return;
    std::vector<uint64_t> offsets, refCtrs, cookies;
    bool semaphores = false;
    for (const program::UprobeSite *s : sites) {
        offsets.push_back(s->offset);
        refCtrs.push_back(s->semaphoreOffset);
        semaphores |= s->semaphoreOffset != 0;
        cookies.push_back(s->cookie);
    }
    const program::UprobeSite &u = *sites.front();
    int fd = createUprobeMultiLink(progFd, u.path, offsets,
                                   semaphores ? refCtrs : std::vector<uint64_t>{}, cookies,
                                   u.isReturn, u.pid);
    if (fd >= 0) {
        links.emplace_back(fd);
        return;
    }
    int err = errno;
    if (sites.size() == 1 || err == ESRCH || err == ENOENT) {
        for (const program::UprobeSite *s : sites) failed.emplace_back(s, err);
        return;
    }
    size_t half = sites.size() / 2;
    attachUprobeSites(progFd, {sites.begin(), sites.begin() + static_cast<long>(half)}, links,
                      failed);
    attachUprobeSites(progFd, {sites.begin() + static_cast<long>(half), sites.end()}, links,
                      failed);
}

std::optional<std::string> attachUprobesMulti(const program::AttachTarget &t, int progFd,
                                              std::vector<Fd> &links) {
    std::map<std::pair<std::string, int>, Sites> groups;
    for (const program::UprobeSite &u : t.uprobes) groups[{u.path, u.pid}].push_back(&u);
    std::vector<std::pair<const program::UprobeSite *, int>> failed;
    for (const auto &[key, sites] : groups) attachUprobeSites(progFd, sites, links, failed);
    std::vector<std::string> why;
    for (const auto &[site, err] : failed) why.push_back(uprobeFailure(*site, err));
    return someNotEnabled(why, t.uprobes.size());
}

// kprobe_multi: every function in one link. A function the kernel will
// not probe fails the whole link: halve the set until those are alone.
void attachKprobeFunctions(int progFd, const program::AttachTarget &t,
                           std::span<const size_t> which, std::vector<Fd> &links,
                           std::vector<std::pair<size_t, int>> &failed) {
    if (which.empty()) return;
    std::vector<std::string> functions;
    std::vector<uint64_t> cookies;
    for (size_t i : which) {
        functions.push_back(t.functions[i]);
        cookies.push_back(t.cookies[i]);
    }
    int fd = createKprobeMultiLink(progFd, functions, cookies, t.kretprobe);
    if (fd >= 0) {
        links.emplace_back(fd);
        return;
    }
    int err = errno;
    if (which.size() == 1) {
        failed.emplace_back(which.front(), err);
        return;
    }
    size_t half = which.size() / 2;
    attachKprobeFunctions(progFd, t, which.first(half), links, failed);
    attachKprobeFunctions(progFd, t, which.subspan(half), links, failed);
}

std::optional<std::string> attachKprobesMulti(const program::AttachTarget &t, int progFd,
                                              std::vector<Fd> &links) {
    // In the order of their names, as the kernel looks them up.
    std::vector<size_t> order(t.functions.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return t.functions[a] < t.functions[b]; });
    std::vector<std::pair<size_t, int>> failed;
    attachKprobeFunctions(progFd, t, order, links, failed);
    const char *kind = t.kretprobe ? "kretprobe" : "kprobe";
    std::vector<std::string> why;
    for (const auto &[i, err] : failed)
        why.push_back(t.name + ":" + t.functions[i] + (t.kretprobe ? ":return" : ":entry") +
                      ": cannot create a " + kind + " on " + t.functions[i] + ": " +
                      std::strerror(err));
    return someNotEnabled(why, t.functions.size());
}

} // namespace

void attachAll(const program::CompiledProgram &prog, const Session &session,
               std::vector<Fd> &links) {
    using Kind = program::AttachTarget::Kind;
    for (size_t i = 0; i < prog.programs.size(); ++i) {
        const program::ProgramSpec &p = prog.programs[i];
        const program::AttachTarget &t = p.attach;
        if (p.role == program::ProgramRole::Continuation) continue; // tail-called, not attached
        int progFd = session.programs.at(i).get();
        std::optional<std::string> err;
        switch (t.kind) {
        case Kind::None: break;
        case Kind::Timer:
            err = attachTimer(t, progFd, session.cpus,
                              prog.options.cpu ? static_cast<int>(*prog.options.cpu) : -1, links);
            break;
        case Kind::Tracepoint: err = attachTracepoint(t, progFd, links); break;
        case Kind::Uprobes: {
            bool multi = i < session.attachTypes.size() && session.attachTypes[i] == kUprobeMulti;
            err = multi ? attachUprobesMulti(t, progFd, links) : attachUprobes(t, progFd, links);
            break;
        }
        case Kind::Trampoline: {
            int fd = bpf_link_create(progFd, 0, static_cast<enum bpf_attach_type>(t.attachType),
                                     nullptr);
            if (fd < 0)
                err = "could not enable tracing: cannot attach to " + t.description + ": " +
                      std::strerror(errno);
            else
                links.emplace_back(fd);
            break;
        }
        case Kind::Kprobe: err = attachKprobe(t, progFd, links); break;
        case Kind::KprobeMulti: err = attachKprobesMulti(t, progFd, links); break;
        case Kind::RawTracepoint: {
            int fd = bpf_raw_tracepoint_open(t.name.c_str(), progFd);
            if (fd < 0)
                err = "could not enable tracing: cannot attach to raw tracepoint " + t.name + ": " +
                      std::strerror(errno);
            else
                links.emplace_back(fd);
            break;
        }
        }
        if (!err) continue;
        // The deadman's own timer is a safety net: without it, tracing goes
        // on, and dtrace says so.
        if (p.role == program::ProgramRole::Deadman) {
            report(Severity::Warning, "the deadman is off: " + *err);
            continue;
        }
        throw Error(*err);
    }
}

void detachAll(std::vector<Fd> &links) {
    constexpr size_t kLinksPerThread = 16, kMaxThreads = 64;
    size_t threads = std::min(kMaxThreads, links.size() / kLinksPerThread);
    if (threads > 1) {
        std::vector<std::jthread> closers;
        size_t share = (links.size() + threads - 1) / threads;
        for (size_t first = 0; first < links.size(); first += share)
            closers.emplace_back([&links, first, last = std::min(links.size(), first + share)] {
                for (size_t i = first; i < last; ++i) links[i].reset();
            });
    }
    links.clear();
}

bool kprobePmuAvailable() {
    return kprobePmu().type >= 0;
}

void runOnce(int progFd) {
    uint64_t ctx[2] = {0, 0};
    LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = ctx, .ctx_size_in = sizeof(ctx));
    if (bpf_prog_test_run_opts(progFd, &opts) != 0)
        throw Error(std::string("could not run BEGIN/END: ") + std::strerror(errno));
}

} // namespace dtrace::kernel
