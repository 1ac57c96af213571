#include "runtime/user_symbols.h"

#include <cxxabi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace dtrace::runtime {

namespace {

std::string demangle(const char *name) {
    if (std::strncmp(name, "_Z", 2) != 0) return name;
    int status = 0;
    char *out = abi::__cxa_demangle(name, nullptr, nullptr, &status);
    if (status != 0 || out == nullptr) return name;
    std::string s(out);
    std::free(out);
    return s;
}

} // namespace

const std::vector<UserSymbols::Mapping> &UserSymbols::mappings(int pid) {
    auto it = processes_.find(pid);
    if (it != processes_.end()) return it->second;
    return processes_[pid] = providers::executableMappings(pid);
}

const UserSymbols::ElfFile *UserSymbols::elf(int pid, const std::string &path) {
    if (auto it = files_.find(path); it != files_.end()) return it->second.get();
    // Through the process's root, so that files in containers are found.
    auto img = providers::readElfImage("/proc/" + std::to_string(pid) + "/root" + path);
    if (!img) img = providers::readElfImage(path);
    return (files_[path] = std::make_unique<ElfFile>(img ? std::move(*img) : ElfFile{})).get();
}

void UserSymbols::remember(int pid) {
    auto old = processes_.find(pid);
    std::vector<Mapping> kept;
    if (old != processes_.end()) kept = std::move(old->second), processes_.erase(old);
    // An exited process has no mappings left: keep what was read before.
    if (mappings(pid).empty() && !kept.empty()) processes_[pid] = std::move(kept);
}

std::optional<UserSymbol> UserSymbols::lookup(int pid, uint64_t addr) {
    // An address no mapping holds: the process may have mapped more (or
    // exec'd) since its mappings were read; read them again, once.
    auto holds = [&] {
        for (const Mapping &m : mappings(pid))
            if (addr >= m.start && addr < m.end) return true;
        return false;
    };
    // (remember() keeps what was read if the process has exited since: one
    // address outside its files, say in the vDSO, must not lose them.)
    if (!holds()) {
        remember(pid);
        if (!holds()) return std::nullopt;
    }
    for (const Mapping &m : mappings(pid)) {
        if (addr < m.start || addr >= m.end) continue;
        const ElfFile *f = elf(pid, m.path);
        UserSymbol out;
        out.module = m.path.substr(m.path.rfind('/') + 1);
        // The address in the file's own terms: its offset in the file,
        // then the virtual address the segment holding it was linked at.
        uint64_t fileOffset = addr - m.start + m.offset;
        uint64_t vaddr = addr;
        if (f->shared) {
            vaddr = fileOffset;
            for (const auto &seg : f->loads)
                if (seg.offset <= fileOffset) vaddr = fileOffset - seg.offset + seg.vaddr;
        }
        auto it = std::upper_bound(
            f->functions.begin(), f->functions.end(), vaddr,
            [](uint64_t a, const providers::ElfFunction &fn) { return a < fn.address; });
        if (it != f->functions.begin()) {
            const providers::ElfFunction &fn = *std::prev(it);
            if (fn.size == 0 || vaddr < fn.address + fn.size) {
                out.name = demangle(fn.name.c_str());
                out.offset = vaddr - fn.address;
            }
        }
        if (out.name.empty()) out.offset = fileOffset;
        return out;
    }
    return std::nullopt;
}

} // namespace dtrace::runtime
