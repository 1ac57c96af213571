#include "kernel/is_enabled.h"

#include "kernel/loader.h"
#include "kernel/processes.h"
#include "util/messages.h"

#include <sys/mman.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

namespace dtrace::kernel {

namespace {

// What to write where, for a site whose first five bytes are `bytes`:
// our "31 c0 b0 00": the immediate, one byte (atomic for a running
// thread); "[48] 3x c0 90 90" (other tools' -G): the two nops, which a
// thread could see half-written, so only in a stopped process.
struct SitePatch {
    uint64_t at = 0; // from the site
    std::vector<uint8_t> original, patched;
    bool atomic = false;
};

std::optional<SitePatch> sitePatch(const uint8_t bytes[5]) {
    if (bytes[0] == 0x31 && bytes[1] == 0xc0 && bytes[2] == 0xb0 && bytes[3] <= 1)
        return SitePatch{3, {0x00}, {0x01}, true};
    size_t at = bytes[0] == 0x48 ? 1 : 0;
    if ((bytes[at] == 0x31 || bytes[at] == 0x33) && bytes[at + 1] == 0xc0 &&
        ((bytes[at + 2] == 0x90 && bytes[at + 3] == 0x90) ||
         (bytes[at + 2] == 0xff && bytes[at + 3] == 0xc0)))
        return SitePatch{at + 2, {0x90, 0x90}, {0xff, 0xc0}, false};
    return std::nullopt;
}

// A file as processes' mappings show it. On overlayfs (a container's root)
// they show the file underneath, whose device and inode are not what
// stat() of the path gives: a page of it mapped here shows which.
std::optional<FileId> fileId(const std::string &path) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return std::nullopt;
    FileId id{st.st_dev, st.st_ino};
    kernel::Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return id;
    void *page = mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (page == MAP_FAILED) return id;
    for (const ProcessMapping &m : fileMappings(getpid(), false))
        if (m.start == reinterpret_cast<uint64_t>(page)) id = {m.device, m.inode};
    munmap(page, 4096);
    return id;
}

bool isOf(const ProcessMapping &m, const FileId &file) {
    return FileId{m.device, m.inode} == file;
}

void warn(int pid, const std::string &why) {
    report(Severity::Warning, "warning: an is-enabled probe of pid " + std::to_string(pid) +
                                  " stays disabled (its probe still fires): " + why);
}

} // namespace

kernel::Fd openProcessMemory(int pid) {
    std::string mem = "/proc/" + std::to_string(pid) + "/mem";
    return kernel::Fd(open(mem.c_str(), O_RDWR | O_CLOEXEC));
}

IsEnabledSites IsEnabledPatches::patch(const IsEnabledSites &sites, bool stopped) {
    IsEnabledSites unmapped{sites.pid, sites.path, {}};
    auto file = fileId(sites.path);
    if (!file) {
        warn(sites.pid, sites.path + ": " + std::strerror(errno));
        return unmapped;
    }
    auto maps = executableMappings(sites.pid);
    kernel::Fd mem = openProcessMemory(sites.pid);
    if (!mem.valid()) {
        if (errno != ENOENT) warn(sites.pid, std::string("/proc/PID/mem: ") + std::strerror(errno));
        return unmapped;
    }
    for (uint64_t offset : sites.offsets) {
        const ProcessMapping *m = nullptr;
        for (const ProcessMapping &candidate : maps)
            if (isOf(candidate, *file) && offset >= candidate.offset &&
                offset + 5 <= candidate.offset + (candidate.end - candidate.start))
                m = &candidate;
        if (!m) {
            unmapped.offsets.push_back(offset);
            continue;
        }
        uint64_t site = m->start + (offset - m->offset);
        uint8_t bytes[5];
        auto p = pread(mem.get(), bytes, sizeof bytes, static_cast<off_t>(site)) == 5
                     ? sitePatch(bytes)
                     : std::nullopt;
        if (!p) {
            warn(sites.pid,
                 "no is-enabled site at offset " + std::to_string(offset) + " of " + sites.path);
            continue;
        }
        // Already enabled (another session traces it): not ours to undo.
        if (std::memcmp(bytes + p->at, p->patched.data(), p->patched.size()) == 0) continue;
        if (!p->atomic && !stopped) {
            warn(sites.pid, "the site at offset " + std::to_string(offset) + " of " + sites.path +
                                " can be changed only while the process is stopped (-c)");
            continue;
        }
        if (pwrite(mem.get(), p->patched.data(), p->patched.size(),
                   static_cast<off_t>(site + p->at)) != static_cast<ssize_t>(p->patched.size())) {
            warn(sites.pid, std::strerror(errno));
            continue;
        }
        // Two-byte patches stay: undoing them in a running process is as
        // unsafe as making them (the program then only asks needlessly).
        if (p->atomic) patches_.push_back({sites.pid, site, p->original, p->patched, *file});
    }
    return unmapped;
}

void IsEnabledPatches::apply(const IsEnabledSites &sites, bool stopped) {
    IsEnabledSites unmapped = patch(sites, stopped);
    if (!unmapped.offsets.empty()) pending_.push_back(std::move(unmapped));
}

void IsEnabledPatches::retryPending(bool stopped) {
    std::vector<IsEnabledSites> still;
    for (const IsEnabledSites &sites : pending_) {
        if (kill(sites.pid, 0) != 0 && errno == ESRCH) continue; // gone
        IsEnabledSites unmapped = patch(sites, stopped);
        if (!unmapped.offsets.empty()) still.push_back(std::move(unmapped));
    }
    pending_ = std::move(still);
}

void IsEnabledPatches::restore() {
    // Only where the file is still mapped and our bytes are still there: a
    // process that has gone or exec'd has nothing of ours left.
    std::map<int, std::vector<const Patch *>> byPid;
    for (const Patch &p : patches_) byPid[p.pid].push_back(&p);
    for (const auto &[pid, patches] : byPid) {
        auto maps = executableMappings(pid);
        kernel::Fd mem = openProcessMemory(pid);
        if (!mem.valid()) continue;
        for (const Patch *p : patches) {
            bool mapped = false;
            for (const ProcessMapping &m : maps)
                mapped = mapped || (isOf(m, p->file) && p->site >= m.start && p->site + 5 <= m.end);
            // Our whole "xor; mov $1,%al" still there, not just the byte.
            uint8_t now[5];
            if (!mapped ||
                pread(mem.get(), now, sizeof now, static_cast<off_t>(p->site)) != sizeof now)
                continue;
            auto expected = sitePatch(now);
            if (!expected || !expected->atomic ||
                std::memcmp(now + expected->at, p->patched.data(), p->patched.size()) != 0)
                continue;
            (void)!pwrite(mem.get(), p->original.data(), p->original.size(),
                          static_cast<off_t>(p->site + expected->at));
        }
    }
    patches_.clear();
    pending_.clear();
}

} // namespace dtrace::kernel
