#include "runtime/user_symbols.h"

#include <cxxabi.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

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

// Reads the function symbols of one symbol table section.
void readSymbols(Elf *e, Elf_Scn *scn, const GElf_Shdr &sh, std::vector<std::string> &names,
                 std::vector<std::pair<uint64_t, uint64_t>> &ranges) {
    Elf_Data *data = elf_getdata(scn, nullptr);
    if (!data || sh.sh_entsize == 0) return;
    size_t n = sh.sh_size / sh.sh_entsize;
    for (size_t i = 0; i < n; ++i) {
        GElf_Sym sym;
        if (!gelf_getsym(data, static_cast<int>(i), &sym)) continue;
        if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_value == 0) continue;
        const char *name = elf_strptr(e, sh.sh_link, sym.st_name);
        if (!name || !*name) continue;
        names.emplace_back(name);
        ranges.emplace_back(sym.st_value, sym.st_size);
    }
}

} // namespace

const std::vector<UserSymbols::Mapping> &UserSymbols::mappings(int pid) {
    auto it = processes_.find(pid);
    if (it != processes_.end()) return it->second;
    std::vector<Mapping> maps;
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/maps", pid);
    if (FILE *f = std::fopen(path, "r")) {
        char line[4096];
        while (std::fgets(line, sizeof line, f)) {
            unsigned long long start, end, offset;
            char perms[8], file[4096] = {0};
            int n = std::sscanf(line, "%llx-%llx %7s %llx %*s %*s %4095[^\n]", &start, &end, perms,
                                &offset, file);
            if (n < 5 || perms[2] != 'x' || file[0] != '/') continue;
            maps.push_back({start, end, offset, file});
        }
        std::fclose(f);
    }
    return processes_[pid] = std::move(maps);
}

const UserSymbols::ElfFile *UserSymbols::elf(int pid, const std::string &path) {
    if (auto it = files_.find(path); it != files_.end()) return it->second.get();
    auto file = std::make_unique<ElfFile>();
    // Through the process's root, so that files in containers are found.
    std::string where = "/proc/" + std::to_string(pid) + "/root" + path;
    int fd = open(where.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        elf_version(EV_CURRENT);
        if (Elf *e = elf_begin(fd, ELF_C_READ, nullptr)) {
            GElf_Ehdr eh;
            if (gelf_getehdr(e, &eh)) file->shared = eh.e_type == ET_DYN;
            size_t phnum = 0;
            elf_getphdrnum(e, &phnum);
            for (size_t i = 0; i < phnum; ++i) {
                GElf_Phdr ph;
                if (gelf_getphdr(e, static_cast<int>(i), &ph) && ph.p_type == PT_LOAD)
                    file->loads.emplace_back(ph.p_offset, ph.p_vaddr);
            }
            std::vector<std::string> names;
            std::vector<std::pair<uint64_t, uint64_t>> ranges;
            Elf_Scn *dynsym = nullptr, *symtab = nullptr;
            GElf_Shdr dynsh{}, symsh{};
            for (Elf_Scn *scn = elf_nextscn(e, nullptr); scn; scn = elf_nextscn(e, scn)) {
                GElf_Shdr sh;
                if (!gelf_getshdr(scn, &sh)) continue;
                if (sh.sh_type == SHT_SYMTAB) symtab = scn, symsh = sh;
                if (sh.sh_type == SHT_DYNSYM) dynsym = scn, dynsh = sh;
            }
            if (symtab) readSymbols(e, symtab, symsh, names, ranges);
            if (dynsym) readSymbols(e, dynsym, dynsh, names, ranges);
            for (size_t i = 0; i < names.size(); ++i)
                file->functions.push_back({ranges[i].first, ranges[i].second, names[i]});
            std::sort(file->functions.begin(), file->functions.end(),
                      [](const Function &a, const Function &b) { return a.address < b.address; });
            elf_end(e);
        }
        close(fd);
    }
    return (files_[path] = std::move(file)).get();
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
    if (!holds()) {
        processes_.erase(pid);
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
            for (const auto &[off, va] : f->loads)
                if (off <= fileOffset) vaddr = fileOffset - off + va;
        }
        auto it = std::upper_bound(f->functions.begin(), f->functions.end(), vaddr,
                                   [](uint64_t a, const Function &fn) { return a < fn.address; });
        if (it != f->functions.begin()) {
            const Function &fn = *std::prev(it);
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
