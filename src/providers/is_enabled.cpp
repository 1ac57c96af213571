#include "providers/is_enabled.h"

#include "providers/elf_image.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

namespace dtrace::providers {

namespace {

constexpr uint8_t kNops[2] = {0x90, 0x90};
constexpr uint8_t kIncEax[2] = {0xff, 0xc0};

// Where the two nops of an is-enabled site are: after "xor %eax,%eax"
// (31 c0 or 33 c0), or after "xor %rax,%rax" (48 31 c0, 48 33 c0).
std::optional<uint64_t> nopsAt(const uint8_t bytes[5], uint64_t site) {
    size_t at = bytes[0] == 0x48 ? 1 : 0;
    if ((bytes[at] != 0x31 && bytes[at] != 0x33) || bytes[at + 1] != 0xc0) return std::nullopt;
    const uint8_t *rest = bytes + at + 2;
    if (std::memcmp(rest, kNops, 2) != 0 && std::memcmp(rest, kIncEax, 2) != 0) return std::nullopt;
    return site + at + 2;
}

std::string canonical(const std::string &path) {
    char buf[PATH_MAX];
    return realpath(path.c_str(), buf) ? std::string(buf) : path;
}

} // namespace

std::vector<IsEnabledSites> isEnabledSites(const codegen::CompiledProgram &prog) {
    std::map<std::pair<int, std::string>, std::set<uint64_t>> sites;
    for (const auto &p : prog.programs) {
        if (p.attach != AttachKind::Uprobe) continue;
        for (const Probe *probe : p.probes)
            if (probe->user && !probe->user->isEnabledSites.empty())
                sites[{probe->user->pid, probe->user->path}].insert(
                    probe->user->isEnabledSites.begin(), probe->user->isEnabledSites.end());
    }
    std::vector<IsEnabledSites> out;
    for (const auto &[key, offsets] : sites)
        out.push_back({key.first, key.second, {offsets.begin(), offsets.end()}});
    return out;
}

std::optional<std::string> IsEnabledPatches::apply(const IsEnabledSites &sites) {
    std::string path = canonical(sites.path);
    auto maps = executableMappings(sites.pid);
    std::string mem = "/proc/" + std::to_string(sites.pid) + "/mem";
    int fd = open(mem.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return "cannot enable the is-enabled probes of pid " + std::to_string(sites.pid) + ": " +
               mem + ": " + std::strerror(errno);
    std::optional<std::string> err;
    for (uint64_t offset : sites.offsets) {
        const ProcessMapping *m = nullptr;
        for (const ProcessMapping &candidate : maps)
            if (candidate.path == path && offset >= candidate.offset &&
                offset + 5 <= candidate.offset + (candidate.end - candidate.start))
                m = &candidate;
        if (!m) {
            err = "cannot enable an is-enabled probe of pid " + std::to_string(sites.pid) + ": " +
                  sites.path + " is not mapped";
            break;
        }
        uint64_t site = m->start + (offset - m->offset);
        uint8_t bytes[5];
        auto nops = pread(fd, bytes, sizeof bytes, static_cast<off_t>(site)) == 5
                        ? nopsAt(bytes, site)
                        : std::nullopt;
        if (!nops) {
            err = "cannot enable an is-enabled probe of pid " + std::to_string(sites.pid) +
                  ": no is-enabled site at offset " + std::to_string(offset) + " of " + sites.path;
            break;
        }
        if (pwrite(fd, kIncEax, 2, static_cast<off_t>(*nops)) != 2) {
            err = "cannot enable an is-enabled probe of pid " + std::to_string(sites.pid) + ": " +
                  std::strerror(errno);
            break;
        }
        patches_.push_back({sites.pid, *nops, path});
    }
    close(fd);
    return err;
}

void IsEnabledPatches::restore() {
    // Only where the file is still mapped and the patch still there: a
    // process that has gone or exec'd has nothing of ours left.
    for (const Patch &p : patches_) {
        bool mapped = false;
        for (const ProcessMapping &m : executableMappings(p.pid))
            mapped = mapped || (m.path == p.path && p.address >= m.start && p.address + 2 <= m.end);
        if (!mapped) continue;
        std::string mem = "/proc/" + std::to_string(p.pid) + "/mem";
        int fd = open(mem.c_str(), O_RDWR | O_CLOEXEC);
        if (fd < 0) continue;
        uint8_t bytes[2];
        if (pread(fd, bytes, 2, static_cast<off_t>(p.address)) == 2 &&
            std::memcmp(bytes, kIncEax, 2) == 0)
            (void)!pwrite(fd, kNops, 2, static_cast<off_t>(p.address));
        close(fd);
    }
    patches_.clear();
}

} // namespace dtrace::providers
