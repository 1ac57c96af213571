#include "providers/elf_image.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>
#include <sstream>

namespace dtrace::providers {

namespace {

void readSymbols(Elf *e, Elf_Scn *scn, const GElf_Shdr &sh, std::vector<ElfFunction> &out,
                 std::vector<std::string> &indirect) {
    Elf_Data *data = elf_getdata(scn, nullptr);
    if (!data || sh.sh_entsize == 0) return;
    size_t n = sh.sh_size / sh.sh_entsize;
    for (size_t i = 0; i < n; ++i) {
        GElf_Sym sym;
        if (!gelf_getsym(data, static_cast<int>(i), &sym)) continue;
        int type = GELF_ST_TYPE(sym.st_info);
        if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_value == 0) continue;
        if (sym.st_shndx == SHN_UNDEF) continue;
        const char *name = elf_strptr(e, sh.sh_link, sym.st_name);
        if (!name || !*name) continue;
        if (type == STT_GNU_IFUNC) {
            indirect.push_back(name);
            continue;
        }
        out.push_back({name, sym.st_value, sym.st_size});
    }
}

void readDataSymbols(Elf *e, Elf_Scn *scn, const GElf_Shdr &sh,
                     std::map<std::string, uint64_t, std::less<>> &out) {
    Elf_Data *data = elf_getdata(scn, nullptr);
    if (!data || sh.sh_entsize == 0) return;
    std::set<std::string> ambiguous;
    for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; ++i) {
        GElf_Sym sym;
        if (!gelf_getsym(data, static_cast<int>(i), &sym) ||
            GELF_ST_TYPE(sym.st_info) != STT_OBJECT || sym.st_shndx == SHN_UNDEF ||
            sym.st_shndx == SHN_ABS)
            continue;
        const char *name = elf_strptr(e, sh.sh_link, sym.st_name);
        if (!name || !*name) continue;
        // Two objects of one name (statics of two files): neither is known.
        auto [it, added] = out.emplace(name, sym.st_value);
        if (!added && it->second != sym.st_value) ambiguous.insert(name);
    }
    for (const std::string &name : ambiguous) out.erase(name);
}

std::vector<uint8_t> sectionBytes(Elf_Scn *scn) {
    Elf_Data *d = elf_getdata(scn, nullptr);
    if (!d || !d->d_buf) return {};
    const auto *bytes = static_cast<const uint8_t *>(d->d_buf);
    return {bytes, bytes + d->d_size};
}

void readNotes(Elf_Scn *scn, std::vector<ElfNote> &out) {
    Elf_Data *data = elf_getdata(scn, nullptr);
    if (!data) return;
    size_t off = 0, nameOff = 0, descOff = 0;
    GElf_Nhdr nh;
    while ((off = gelf_getnote(data, off, &nh, &nameOff, &descOff)) > 0) {
        const char *base = static_cast<const char *>(data->d_buf);
        ElfNote n;
        n.owner.assign(base + nameOff, strnlen(base + nameOff, nh.n_namesz));
        n.type = nh.n_type;
        n.desc.assign(base + descOff, base + descOff + nh.n_descsz);
        out.push_back(std::move(n));
    }
}

void readDynamic(Elf *e, Elf_Scn *scn, const GElf_Shdr &sh, ElfImage &img) {
    Elf_Data *data = elf_getdata(scn, nullptr);
    if (!data || sh.sh_entsize == 0) return;
    size_t n = sh.sh_size / sh.sh_entsize;
    for (size_t i = 0; i < n; ++i) {
        GElf_Dyn dyn;
        if (!gelf_getdyn(data, static_cast<int>(i), &dyn)) continue;
        if (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_RUNPATH && dyn.d_tag != DT_RPATH) continue;
        const char *s = elf_strptr(e, sh.sh_link, dyn.d_un.d_val);
        if (!s) continue;
        if (dyn.d_tag == DT_NEEDED) {
            img.needed.emplace_back(s);
        } else {
            std::stringstream dirs(s);
            for (std::string d; std::getline(dirs, d, ':');)
                if (!d.empty()) img.runpath.push_back(d);
        }
    }
}

} // namespace

std::optional<uint64_t> ElfImage::fileOffset(uint64_t vaddr) const {
    for (const ElfSegment &s : loads)
        if (vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz) return vaddr - s.vaddr + s.offset;
    return std::nullopt;
}

std::optional<ElfImage> readElfImage(const std::string &path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    elf_version(EV_CURRENT);
    Elf *e = elf_begin(fd, ELF_C_READ, nullptr);
    GElf_Ehdr eh;
    if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh)) {
        if (e) elf_end(e);
        close(fd);
        return std::nullopt;
    }
    ElfImage img;
    img.shared = eh.e_type == ET_DYN;
    size_t phnum = 0;
    elf_getphdrnum(e, &phnum);
    for (size_t i = 0; i < phnum; ++i) {
        GElf_Phdr ph;
        if (!gelf_getphdr(e, static_cast<int>(i), &ph)) continue;
        if (ph.p_type == PT_LOAD) img.loads.push_back({ph.p_offset, ph.p_vaddr, ph.p_filesz});
        if (ph.p_type == PT_INTERP && ph.p_filesz > 1) {
            std::string interp(ph.p_filesz, '\0');
            if (pread(fd, interp.data(), interp.size(), static_cast<off_t>(ph.p_offset)) ==
                static_cast<ssize_t>(interp.size()))
                img.interpreter = interp.c_str();
        }
    }
    Elf_Scn *dynsym = nullptr, *symtab = nullptr;
    GElf_Shdr dynsh{}, symsh{};
    size_t shstrndx = 0;
    elf_getshdrstrndx(e, &shstrndx);
    for (Elf_Scn *scn = elf_nextscn(e, nullptr); scn; scn = elf_nextscn(e, scn)) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh)) continue;
        if (sh.sh_type == SHT_SYMTAB) symtab = scn, symsh = sh;
        if (sh.sh_type == SHT_DYNSYM) dynsym = scn, dynsh = sh;
        if (sh.sh_type == SHT_DYNAMIC) readDynamic(e, scn, sh, img);
        if (sh.sh_type == SHT_NOTE) readNotes(scn, img.notes);
        const char *name = elf_strptr(e, shstrndx, sh.sh_name);
        if (name && std::strcmp(name, ".stapsdt.base") == 0) img.probesBase = sh.sh_addr;
        if (name && std::strcmp(name, ".SUNW_dof") == 0 && sh.sh_type == SHT_PROGBITS)
            img.dof = sectionBytes(scn);
    }
    if (symtab && !img.notes.empty()) readDataSymbols(e, symtab, symsh, img.dataSymbols);
    if (symtab) readSymbols(e, symtab, symsh, img.functions, img.indirectFunctions);
    if (dynsym) readSymbols(e, dynsym, dynsh, img.functions, img.indirectFunctions);
    std::sort(img.functions.begin(), img.functions.end(),
              [](const ElfFunction &a, const ElfFunction &b) {
                  return a.address != b.address ? a.address < b.address : a.name < b.name;
              });
    // The same function in both tables once.
    img.functions.erase(std::unique(img.functions.begin(), img.functions.end(),
                                    [](const ElfFunction &a, const ElfFunction &b) {
                                        return a.address == b.address && a.name == b.name;
                                    }),
                        img.functions.end());
    elf_end(e);
    close(fd);
    return img;
}

UsdtSections readUsdtSections(const std::string &path) {
    UsdtSections out;
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return out;
    elf_version(EV_CURRENT);
    if (Elf *e = elf_begin(fd, ELF_C_READ_MMAP, nullptr)) {
        size_t shstrndx = 0;
        if (elf_kind(e) == ELF_K_ELF && elf_getshdrstrndx(e, &shstrndx) == 0)
            for (Elf_Scn *scn = elf_nextscn(e, nullptr); scn; scn = elf_nextscn(e, scn)) {
                GElf_Shdr sh;
                if (!gelf_getshdr(scn, &sh)) continue;
                const char *name = elf_strptr(e, shstrndx, sh.sh_name);
                if (!name) continue;
                if (std::strcmp(name, ".note.stapsdt") == 0 && sh.sh_type == SHT_NOTE)
                    readNotes(scn, out.notes);
                if (std::strcmp(name, ".SUNW_dof") == 0 && sh.sh_type == SHT_PROGBITS)
                    out.dof = sectionBytes(scn);
            }
        elf_end(e);
    }
    close(fd);
    return out;
}

} // namespace dtrace::providers
