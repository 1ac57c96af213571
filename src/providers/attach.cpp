#include "providers/attach.h"

#include <bpf/bpf.h>
#include <linux/perf_event.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace dtrace::providers {

namespace {

int perfEventOpen(struct perf_event_attr *attr, int cpu) {
    return static_cast<int>(
        ::syscall(__NR_perf_event_open, attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

std::optional<std::string> attachTimer(const codegen::ProgramSpec &p, int progFd, int cpus,
                                       std::vector<bpf::Fd> &links) {
    struct perf_event_attr attr {};
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    attr.sample_period = p.periodNs;
    attr.disabled = 1;
    bool tick = p.attach == AttachKind::Tick;
    int attached = 0;
    int lastErr = 0;
    for (int cpu = 0; cpu < cpus; ++cpu) {
        int fd = perfEventOpen(&attr, cpu);
        if (fd < 0) {
            lastErr = errno; // an offline CPU
            continue;
        }
        bpf::Fd owned(fd);
        if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, progFd) != 0 ||
            ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) != 0) {
            lastErr = errno;
            continue;
        }
        links.push_back(std::move(owned));
        ++attached;
        if (tick) break; // tick-N fires on one CPU only
    }
    if (attached == 0)
        return "could not enable tracing: cannot create a CPU clock event for " +
               (p.probes.empty() ? std::string("profile") : p.probes.front()->name) + ": " +
               std::strerror(lastErr);
    return std::nullopt;
}

// A tracepoint's perf event (one, on CPU 0: its program runs wherever the
// tracepoint fires) with the program attached.
std::optional<std::string> attachTracepoint(const codegen::ProgramSpec &p, int progFd,
                                            std::vector<bpf::Fd> &links) {
    const Probe *probe = p.probes.empty() ? nullptr : p.probes.front();
    const TracepointFormat *fmt = probe ? tracepointFormat(*probe) : nullptr;
    if (!fmt) return "could not enable tracing: no tracepoint " + p.tracepoint + " in tracefs";
    struct perf_event_attr attr {};
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_TRACEPOINT;
    attr.config = fmt->id;
    attr.sample_period = 1;
    attr.wakeup_events = 1;
    int fd = perfEventOpen(&attr, 0);
    if (fd < 0)
        return "could not enable tracing: cannot open tracepoint " + p.tracepoint + ": " +
               std::strerror(errno);
    bpf::Fd owned(fd);
    if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, progFd) != 0 || ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) != 0)
        return "could not enable tracing: cannot attach to tracepoint " + p.tracepoint + ": " +
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

// Why a probe's uprobe could not be made, after its name.
std::string uprobeFailure(const Probe &probe, int err) {
    const UserProbe &u = *probe.user;
    std::string why =
        err == 524 /* ENOTSUPP */ ? "an instruction uprobes cannot probe" : std::strerror(err);
    return probe.fullName() + ": cannot create a uprobe on " + u.path + " at offset " +
           std::to_string(u.offset) + ": " + why;
}

// A uprobe perf event for each probe, restricted to its process, with the
// program linked to it under the probe's cookie.
std::optional<std::string> attachUprobes(const codegen::ProgramSpec &p, int progFd,
                                         std::vector<bpf::Fd> &links) {
    const UprobePmu &pmu = uprobePmu();
    if (pmu.type < 0)
        return std::string("could not enable tracing: this kernel has no uprobe PMU "
                           "(/sys/bus/event_source/devices/uprobe), so pid probes cannot fire");
    for (size_t i = 0; i < p.probes.size(); ++i) {
        const Probe &probe = *p.probes[i];
        const UserProbe &u = *probe.user;
        if (u.isEnabledOnly) continue;
        struct perf_event_attr attr {};
        attr.size = sizeof(attr);
        attr.type = static_cast<uint32_t>(pmu.type);
        if (u.isReturn) {
            if (pmu.retprobeBit < 0)
                return "could not enable " + probe.fullName() + ": this kernel has no uretprobes";
            attr.config |= 1ULL << pmu.retprobeBit;
        }
        if (u.semaphoreOffset != 0) {
            // The kernel counts the semaphore up while the probe is attached,
            // so the application's is-enabled test sees it traced.
            if (pmu.refCtrShift < 0)
                return "could not enable " + probe.fullName() +
                       ": this kernel cannot count USDT semaphores (no uprobe ref_ctr_offset)";
            attr.config |= u.semaphoreOffset << pmu.refCtrShift;
        }
        attr.config1 = reinterpret_cast<uint64_t>(u.path.c_str()); // uprobe_path
        attr.config2 = u.offset;                                   // probe_offset
        int fd = static_cast<int>(
            ::syscall(__NR_perf_event_open, &attr, u.pid, -1, -1, PERF_FLAG_FD_CLOEXEC));
        if (fd < 0) return "could not enable " + uprobeFailure(probe, errno);
        bpf::Fd event(fd);
        LIBBPF_OPTS(bpf_link_create_opts, opts);
        opts.perf_event.bpf_cookie = i < p.cookies.size() ? p.cookies[i] : probe.id;
        int link = bpf_link_create(progFd, fd, BPF_PERF_EVENT, &opts);
        if (link < 0)
            return "could not enable " + probe.fullName() +
                   ": cannot attach to its uprobe: " + std::strerror(errno);
        links.push_back(std::move(event));
        links.emplace_back(link);
    }
    return std::nullopt;
}

// uprobe_multi: the probes of each (file, process) in one link. A site
// the kernel cannot probe (an instruction uprobes refuse) fails the whole
// link: halve the set until the sites that fail are alone, and report them.
struct UprobeSite {
    const Probe *probe;
    uint64_t cookie;
};

void attachUprobeSites(int progFd, const std::vector<UprobeSite> &sites,
                       std::vector<bpf::Fd> &links,
                       std::vector<std::pair<const Probe *, int>> &failed) {
    if (sites.empty()) return;
    std::vector<uint64_t> offsets, refCtrs, cookies;
    bool semaphores = false;
    for (const UprobeSite &s : sites) {
        offsets.push_back(s.probe->user->offset);
        refCtrs.push_back(s.probe->user->semaphoreOffset);
        semaphores |= s.probe->user->semaphoreOffset != 0;
        cookies.push_back(s.cookie);
    }
    const UserProbe &u = *sites.front().probe->user;
    int fd = bpf::createUprobeMultiLink(progFd, u.path, offsets,
                                        semaphores ? refCtrs : std::vector<uint64_t>{}, cookies,
                                        u.isReturn, u.pid);
    if (fd >= 0) {
        links.emplace_back(fd);
        return;
    }
    int err = errno;
    if (sites.size() == 1 || err == ESRCH || err == ENOENT) {
        for (const UprobeSite &s : sites) failed.emplace_back(s.probe, err);
        return;
    }
    size_t half = sites.size() / 2;
    attachUprobeSites(progFd, {sites.begin(), sites.begin() + static_cast<long>(half)}, links,
                      failed);
    attachUprobeSites(progFd, {sites.begin() + static_cast<long>(half), sites.end()}, links,
                      failed);
}

std::optional<std::string> attachUprobesMulti(const codegen::ProgramSpec &p, int progFd,
                                              std::vector<bpf::Fd> &links) {
    std::map<std::pair<std::string, int>, std::vector<UprobeSite>> groups;
    for (size_t i = 0; i < p.probes.size(); ++i) {
        const Probe *probe = p.probes[i];
        if (probe->user->isEnabledOnly) continue;
        groups[{probe->user->path, probe->user->pid}].push_back(
            {probe, i < p.cookies.size() ? p.cookies[i] : probe->id});
    }
    std::vector<std::pair<const Probe *, int>> failed;
    for (const auto &[key, sites] : groups) attachUprobeSites(progFd, sites, links, failed);
    if (failed.empty()) return std::nullopt;
    auto describe = [](const std::pair<const Probe *, int> &f) {
        return uprobeFailure(*f.first, f.second);
    };
    // Nothing enabled is an error; some sites a glob matched, a warning.
    if (failed.size() == p.probes.size()) return "could not enable " + describe(failed.front());
    for (size_t i = 0; i < failed.size() && i < 5; ++i)
        std::fprintf(stderr, "dtrace: could not enable %s\n", describe(failed[i]).c_str());
    if (failed.size() > 5)
        std::fprintf(stderr, "dtrace: ... and %zu more probes that could not be enabled\n",
                     failed.size() - 5);
    return std::nullopt;
}

} // namespace

std::optional<std::string> attachAll(const codegen::CompiledProgram &prog,
                                     const bpf::Session &session, std::vector<bpf::Fd> &links) {
    for (size_t i = 0; i < prog.programs.size(); ++i) {
        const auto &p = prog.programs[i];
        int progFd = session.programs.at(i).get();
        switch (p.attach) {
        case AttachKind::Begin:
        case AttachKind::End:
        case AttachKind::Error: break;
        case AttachKind::Profile:
        case AttachKind::Tick:
            if (auto err = attachTimer(p, progFd, session.cpus, links)) {
                // The deadman's own timer (a program with no probes) is a
                // safety net: without it, tracing goes on, and dtrace says so.
                if (p.probes.empty()) {
                    std::fprintf(stderr, "dtrace: the deadman is off: %s\n", err->c_str());
                    break;
                }
                return err;
            }
            break;
        case AttachKind::Tracepoint:
            if (auto err = attachTracepoint(p, progFd, links)) return err;
            break;
        case AttachKind::Uprobe: {
            bool multi =
                i < session.attachTypes.size() && session.attachTypes[i] == bpf::kUprobeMulti;
            if (auto err =
                    multi ? attachUprobesMulti(p, progFd, links) : attachUprobes(p, progFd, links))
                return err;
            break;
        }
        case AttachKind::Function: {
            int fd = bpf_link_create(
                progFd, 0, static_cast<enum bpf_attach_type>(p.expectedAttachType), nullptr);
            if (fd < 0)
                return "could not enable tracing: cannot attach to " +
                       (p.probes.empty() ? std::string("fbt") : p.probes.front()->fullName()) +
                       ": " + std::strerror(errno);
            links.emplace_back(fd);
            break;
        }
        case AttachKind::Mapped:
        case AttachKind::SyscallEntry:
        case AttachKind::SyscallReturn: {
            int fd = bpf_raw_tracepoint_open(p.tracepoint.c_str(), progFd);
            if (fd < 0)
                return "could not enable tracing: cannot attach to raw tracepoint " + p.tracepoint +
                       ": " + std::strerror(errno);
            links.emplace_back(fd);
            break;
        }
        }
    }
    return std::nullopt;
}

std::optional<std::string> runOnce(int progFd) {
    uint64_t ctx[2] = {0, 0};
    LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = ctx, .ctx_size_in = sizeof(ctx));
    if (bpf_prog_test_run_opts(progFd, &opts) != 0)
        return std::string("could not run BEGIN/END: ") + std::strerror(errno);
    return std::nullopt;
}

} // namespace dtrace::providers
