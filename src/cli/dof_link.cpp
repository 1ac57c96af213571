#include "cli/dof_link.h"

#include "util/error.h"

#include "providers/dof.h"
#include "providers/usdt_notes.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string_view>

namespace dtrace::cli {

namespace {

namespace dof = providers::dof;

// What a call to a probe function becomes: a nop, or (for a tail call)
// a return; what an is-enabled call becomes: "xor %eax,%eax; mov $0,%al",
// whose immediate dtrace sets to 1 while the probe is traced (one byte,
// so a thread running there sees the old instruction or the new one).
constexpr uint8_t kProbeCall[5] = {0x0f, 0x1f, 0x44, 0x00, 0x00};
constexpr uint8_t kProbeJump[5] = {0xc3, 0x0f, 0x1f, 0x40, 0x00};
constexpr uint8_t kIsEnabledCall[5] = {0x31, 0xc0, 0xb0, 0x00, 0x90};
constexpr uint8_t kIsEnabledJump[5] = {0x31, 0xc0, 0xb0, 0x00, 0xc3};

// A provider's probe a symbol names.
struct SiteTarget {
    const ProviderSpec *provider = nullptr;
    const ProviderProbeSpec *probe = nullptr;
    bool isEnabled = false;
};

// One call site rewritten: its probe, and the function it is in.
struct Site {
    SiteTarget target;
    size_t functionSymbol = 0;
    std::string function;
    uint32_t offset = 0; // from the function's start
};

class ElfFile {
  public:
    explicit ElfFile(const std::string &path) {
        fd_ = open(path.c_str(), O_RDWR | O_CLOEXEC);
        if (fd_ < 0) return;
        elf_version(EV_CURRENT);
        elf_ = elf_begin(fd_, ELF_C_RDWR, nullptr);
    }
    ~ElfFile() {
        if (elf_) elf_end(elf_);
        if (fd_ >= 0) close(fd_);
    }
    ElfFile(const ElfFile &) = delete;
    ElfFile &operator=(const ElfFile &) = delete;
    Elf *get() const { return elf_; }
    int fd() const { return fd_; }

  private:
    int fd_ = -1;
    Elf *elf_ = nullptr;
};

// The DOF blob for the sites of one object, and where in it the linker
// must put each probe's function address (offset, symbol index).
struct DofImage {
    std::vector<uint8_t> bytes;
    std::vector<std::pair<uint64_t, size_t>> addressRelocations;
};

template <typename T> void append(std::vector<uint8_t> &b, const T &v) {
    const auto *p = reinterpret_cast<const uint8_t *>(&v);
    b.insert(b.end(), p, p + sizeof(T));
}

DofImage buildDof(const std::vector<Site> &sites) {
    std::vector<uint8_t> strtab{0};
    std::map<std::string, uint32_t> strings;
    auto str = [&](const std::string &s) {
        auto [it, added] = strings.emplace(s, static_cast<uint32_t>(strtab.size()));
        if (added) {
            strtab.insert(strtab.end(), s.begin(), s.end());
            strtab.push_back(0);
        }
        return it->second;
    };
    // The sections' contents, in table order; strtab (index 0) last filled.
    struct Part {
        dof::Section header;
        std::vector<uint8_t> bytes;
    };
    std::vector<Part> parts(1);
    parts[0].header = {dof::kStrtab, 1, dof::kSectionLoad, 0, 0, 0};
    std::vector<std::pair<size_t, std::pair<uint64_t, size_t>>> relocations; // part, (at, symbol)

    std::map<std::string, std::vector<const Site *>> byProvider;
    for (const Site &s : sites) byProvider[s.target.provider->name].push_back(&s);
    for (const auto &[providerName, providerSites] : byProvider) {
        // One DOF probe for each (probe, function), with all its sites.
        std::map<std::pair<std::string, size_t>, std::vector<const Site *>> groups;
        for (const Site *s : providerSites)
            groups[{s->target.probe->name, s->functionSymbol}].push_back(s);
        Part probes{{dof::kProbes, 8, dof::kSectionLoad, sizeof(dof::Probe), 0, 0}, {}};
        Part args{{dof::kProbeArgs, 1, dof::kSectionLoad, 1, 0, 0}, {}};
        Part offsets{{dof::kProbeOffsets, 4, dof::kSectionLoad, 4, 0, 0}, {}};
        Part enabled{{dof::kIsEnabledOffsets, 4, dof::kSectionLoad, 4, 0, 0}, {}};
        size_t probesPart = parts.size();
        for (const auto &[key, group] : groups) {
            const Site &first = *group.front();
            dof::Probe p{};
            p.function = str(first.function);
            p.name = str(providers::usdtProbeName(first.target.probe->name));
            std::string types;
            for (const std::string &t : first.target.probe->types)
                types += cParameterType(t) + '\0';
            p.nativeTypes = p.translatedTypes = types.empty() ? 0 : str(types);
            p.nativeCount = p.translatedCount =
                static_cast<uint8_t>(first.target.probe->types.size());
            p.argIndex = static_cast<uint32_t>(args.bytes.size());
            for (uint8_t i = 0; i < p.nativeCount; ++i) args.bytes.push_back(i);
            p.offsetIndex = static_cast<uint32_t>(offsets.bytes.size() / 4);
            p.isEnabledIndex = static_cast<uint32_t>(enabled.bytes.size() / 4);
            for (const Site *s : group) {
                Part &to = s->target.isEnabled ? enabled : offsets;
                append(to.bytes, s->offset);
                ++(s->target.isEnabled ? p.isEnabledCount : p.offsetCount);
            }
            relocations.push_back({probesPart, {probes.bytes.size(), first.functionSymbol}});
            append(probes.bytes, p);
        }
        bool anyEnabled = !enabled.bytes.empty();
        auto index = [&](size_t k) { return static_cast<uint32_t>(parts.size() + k); };
        dof::Provider prov{};
        prov.strtab = 0;
        prov.probes = index(0);
        prov.args = index(1);
        prov.offsets = index(2);
        prov.isEnabledOffsets = anyEnabled ? index(3) : dof::kNoSection;
        prov.name = str(providerName);
        // Evolving names and data, ISA dependency class (as -l -v shows).
        prov.providerAttr = prov.moduleAttr = prov.functionAttr = prov.nameAttr = prov.argsAttr =
            dof::attribute(5, 5, 4);
        parts.push_back(std::move(probes));
        parts.push_back(std::move(args));
        parts.push_back(std::move(offsets));
        if (anyEnabled) parts.push_back(std::move(enabled));
        Part provider{{dof::kProvider, 4, dof::kSectionLoad, 0, 0, 0}, {}};
        append(provider.bytes, prov);
        parts.push_back(std::move(provider));
    }
    parts[0].bytes = strtab;

    DofImage out;
    uint64_t at = sizeof(dof::Header) + parts.size() * sizeof(dof::Section);
    for (Part &p : parts) {
        at = (at + p.header.align - 1) / p.header.align * p.header.align;
        p.header.offset = at;
        p.header.size = p.bytes.size();
        at += p.bytes.size();
    }
    uint64_t total = (at + 7) & ~uint64_t(7);
    dof::Header h{};
    std::memcpy(h.ident, dof::kMagic, sizeof dof::kMagic);
    h.ident[4] = dof::kModelLp64;
    h.ident[5] = dof::kEncodeLsb;
    h.ident[6] = dof::kVersion2;
    h.ident[7] = 2; // DIF version
    h.ident[8] = 8; // DIF integer registers
    h.ident[9] = 8; // DIF tuple registers
    h.headerSize = sizeof(dof::Header);
    h.sectionSize = sizeof(dof::Section);
    h.sectionCount = static_cast<uint32_t>(parts.size());
    h.sectionOffset = sizeof(dof::Header);
    h.loadSize = h.fileSize = total;
    out.bytes.resize(total);
    std::memcpy(out.bytes.data(), &h, sizeof h);
    for (size_t i = 0; i < parts.size(); ++i) {
        std::memcpy(out.bytes.data() + sizeof h + i * sizeof(dof::Section), &parts[i].header,
                    sizeof(dof::Section));
        if (!parts[i].bytes.empty())
            std::memcpy(out.bytes.data() + parts[i].header.offset, parts[i].bytes.data(),
                        parts[i].bytes.size());
    }
    for (const auto &[part, reloc] : relocations)
        out.addressRelocations.push_back({parts[part].header.offset + reloc.first, reloc.second});
    return out;
}

// One relocatable object's DTrace-style sites, rewritten in memory step
// by step; nothing reaches the file until write().
class ObjectRewriter {
  public:
    ObjectRewriter(const std::vector<ProviderSpec> &providers, const std::string &path)
        : providers_(providers), path_(path), file_(path) {}

    // Finds and rewrites the sites and adds the DOF, in memory.
    void prepare() {
        if (file_.fd() < 0) failure(std::strerror(errno));
        Elf *e = file_.get();
        GElf_Ehdr eh;
        if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh)) failure("not an ELF file");
        if (eh.e_type != ET_REL) return; // nothing to rewrite in a linked file
        readSymbols();
        if (probeSymbols_.empty()) {
            if (hasSection(".gnu.lto_"))
                failure("it holds LTO bytecode, whose probe calls -G cannot see "
                        "(compile it without -flto, or with -ffat-lto-objects)");
            return;
        }
        if (eh.e_machine != EM_X86_64)
            failure("DTrace-style probe sites can be linked on x86-64 only");
        rewriteSites();
        if (sites_.empty()) return;
        addDofSections();
    }

    void write() {
        if (sites_.empty()) return;
        if (elf_update(file_.get(), ELF_C_WRITE) < 0) failure(elf_errmsg(-1));
        return;
    }

  private:
    [[noreturn]] void failure(const std::string &why) const {
        throw Error("failed to process " + path_ + ": " + why);
    }

    bool hasSection(const char *prefix) const {
        size_t shstrndx = 0;
        if (elf_getshdrstrndx(file_.get(), &shstrndx) != 0) return false;
        for (Elf_Scn *scn = elf_nextscn(file_.get(), nullptr); scn;
             scn = elf_nextscn(file_.get(), scn)) {
            GElf_Shdr sh;
            const char *name =
                gelf_getshdr(scn, &sh) ? elf_strptr(file_.get(), shstrndx, sh.sh_name) : nullptr;
            if (name && std::string_view(name).starts_with(prefix)) return true;
        }
        return false;
    }

    // The symbol table, and which undefined symbols are probe functions.
    void readSymbols() {
        Elf *e = file_.get();
        GElf_Shdr symsh{};
        for (Elf_Scn *scn = elf_nextscn(e, nullptr); scn; scn = elf_nextscn(e, scn)) {
            GElf_Shdr sh;
            if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB) symtab_ = scn, symsh = sh;
        }
        if (!symtab_ || symsh.sh_entsize == 0) return;
        symdata_ = elf_getdata(symtab_, nullptr);
        if (!symdata_) return;
        size_t count = symsh.sh_size / symsh.sh_entsize;

        std::map<std::string, SiteTarget> targets;
        for (const ProviderSpec &prov : providers_)
            for (const ProviderProbeSpec &p : prov.probes) {
                targets[dofProbeFunction(prov.name, p.name)] = {&prov, &p, false};
                targets[dofIsEnabledFunction(prov.name, p.name)] = {&prov, &p, true};
            }
        symbols_.resize(count);
        names_.resize(count);
        for (size_t i = 0; i < count; ++i) {
            if (!gelf_getsym(symdata_, static_cast<int>(i), &symbols_[i])) continue;
            const char *n = elf_strptr(e, symsh.sh_link, symbols_[i].st_name);
            names_[i] = n ? n : "";
            if (symbols_[i].st_shndx != SHN_UNDEF) continue;
            if (auto t = targets.find(names_[i]); t != targets.end()) {
                probeSymbols_[i] = t->second;
                continue;
            }
            for (const ProviderSpec &prov : providers_)
                if (names_[i].starts_with(dofProbeFunction(prov.name, "")) ||
                    names_[i].starts_with(dofIsEnabledFunction(prov.name, "")))
                    throw Error("failed to link script: " + path_ + " calls " + names_[i] +
                                ", a probe the provider " + prov.name + " does not declare");
        }
        return;
    }

    // The function symbol whose range holds offset site of section shndx.
    std::optional<size_t> functionAt(size_t shndx, uint64_t site) const {
        for (size_t k = 0; k < symbols_.size(); ++k) {
            const GElf_Sym &s = symbols_[k];
            if (GELF_ST_TYPE(s.st_info) == STT_FUNC && s.st_shndx == shndx && s.st_value <= site &&
                site < s.st_value + s.st_size)
                return k;
        }
        return std::nullopt;
    }

    // Each call of a probe function: the call replaced, its relocation
    // dropped; the probe functions' symbols made weak (nothing defines them).
    void rewriteSites() {
        Elf *e = file_.get();
        for (Elf_Scn *scn = elf_nextscn(e, nullptr); scn; scn = elf_nextscn(e, scn)) {
            GElf_Shdr sh;
            if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || sh.sh_entsize == 0) continue;
            Elf_Scn *text = elf_getscn(e, sh.sh_info);
            GElf_Shdr textsh;
            if (!text || !gelf_getshdr(text, &textsh) || !(textsh.sh_flags & SHF_EXECINSTR))
                continue;
            Elf_Data *relas = elf_getdata(scn, nullptr);
            Elf_Data *code = elf_getdata(text, nullptr);
            if (!relas || !code || !code->d_buf) continue;
            auto *bytes = static_cast<uint8_t *>(code->d_buf);
            for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; ++i) {
                GElf_Rela r;
                if (!gelf_getrela(relas, static_cast<int>(i), &r)) continue;
                auto target = probeSymbols_.find(GELF_R_SYM(r.r_info));
                if (target == probeSymbols_.end()) continue;
                const std::string &callee = names_[target->first];
                auto type = GELF_R_TYPE(r.r_info);
                uint64_t site = r.r_offset - 1;
                if ((type != R_X86_64_PC32 && type != R_X86_64_PLT32) || r.r_offset == 0 ||
                    r.r_offset + 4 > code->d_size || (bytes[site] != 0xe8 && bytes[site] != 0xe9))
                    failure("the reference to " + callee + " is not a call (built with -fno-plt?)");
                auto function = functionAt(sh.sh_info, site);
                if (!function) failure("the call of " + callee + " is in no function");
                bool jump = bytes[site] == 0xe9;
                const uint8_t *with = target->second.isEnabled
                                          ? (jump ? kIsEnabledJump : kIsEnabledCall)
                                          : (jump ? kProbeJump : kProbeCall);
                std::memcpy(bytes + site, with, 5);
                r.r_info = GELF_R_INFO(0, R_X86_64_NONE);
                r.r_addend = 0;
                gelf_update_rela(relas, static_cast<int>(i), &r);
                sites_.push_back({target->second, *function, names_[*function],
                                  static_cast<uint32_t>(site - symbols_[*function].st_value)});
            }
            elf_flagdata(relas, ELF_C_SET, ELF_F_DIRTY);
            elf_flagdata(code, ELF_C_SET, ELF_F_DIRTY);
        }
        for (const auto &[index, target] : probeSymbols_) {
            GElf_Sym s = symbols_[index];
            s.st_info = GELF_ST_INFO(STB_WEAK, GELF_ST_TYPE(s.st_info));
            gelf_update_sym(symdata_, static_cast<int>(index), &s);
        }
        elf_flagdata(symdata_, ELF_C_SET, ELF_F_DIRTY);
        return;
    }

    Elf_Scn *addSection(uint32_t name, uint32_t type, uint64_t flags, void *data, size_t size,
                        Elf_Type dataType, uint32_t link, uint32_t info, uint64_t entsize) {
        Elf_Scn *scn = elf_newscn(file_.get());
        if (!scn) return nullptr;
        Elf_Data *d = elf_newdata(scn);
        if (!d) return nullptr;
        d->d_buf = data;
        d->d_size = size;
        d->d_type = dataType;
        d->d_align = 8;
        d->d_version = EV_CURRENT;
        GElf_Shdr sh{};
        gelf_getshdr(scn, &sh);
        sh.sh_name = name;
        sh.sh_type = type;
        sh.sh_flags = flags;
        sh.sh_link = link;
        sh.sh_info = info;
        sh.sh_addralign = 8;
        sh.sh_entsize = entsize;
        gelf_update_shdr(scn, &sh);
        return scn;
    }

    // .SUNW_dof and its relocations (each probe's function address).
    void addDofSections() {
        Elf *e = file_.get();
        dof_ = buildDof(sites_);
        for (const auto &[at, symbol] : dof_.addressRelocations)
            relocations_.push_back({at, ELF64_R_INFO(symbol, R_X86_64_64), 0});
        // ".rela.SUNW_dof" ends with ".SUNW_dof": one new name serves both.
        size_t shstrndx = 0;
        elf_getshdrstrndx(e, &shstrndx);
        Elf_Scn *shstr = elf_getscn(e, shstrndx);
        Elf_Data *namesData = shstr ? elf_getdata(shstr, nullptr) : nullptr;
        if (!namesData) failure("no section name table");
        const auto *old = static_cast<const uint8_t *>(namesData->d_buf);
        sectionNames_.assign(old, old + namesData->d_size);
        auto relaName = static_cast<uint32_t>(sectionNames_.size());
        const char kRelaName[] = ".rela.SUNW_dof";
        sectionNames_.insert(sectionNames_.end(), kRelaName, kRelaName + sizeof kRelaName);
        namesData->d_buf = sectionNames_.data();
        namesData->d_size = sectionNames_.size();
        elf_flagdata(namesData, ELF_C_SET, ELF_F_DIRTY);
        // Not loaded: dtrace reads it from the file, where the linker has
        // put the functions' link-time addresses (no dynamic relocations).
        Elf_Scn *dofScn = addSection(relaName + 5, SHT_PROGBITS, 0, dof_.bytes.data(),
                                     dof_.bytes.size(), ELF_T_BYTE, 0, 0, 0);
        if (!dofScn || !addSection(relaName, SHT_RELA, SHF_INFO_LINK, relocations_.data(),
                                   relocations_.size() * sizeof(Elf64_Rela), ELF_T_RELA,
                                   static_cast<uint32_t>(elf_ndxscn(symtab_)),
                                   static_cast<uint32_t>(elf_ndxscn(dofScn)), sizeof(Elf64_Rela)))
            failure(elf_errmsg(-1));
        return;
    }

    const std::vector<ProviderSpec> &providers_;
    std::string path_;
    ElfFile file_;
    Elf_Scn *symtab_ = nullptr;
    Elf_Data *symdata_ = nullptr;
    std::vector<GElf_Sym> symbols_;
    std::vector<std::string> names_;
    std::map<size_t, SiteTarget> probeSymbols_; // symbol index -> probe
    std::vector<Site> sites_;
    // What libelf writes from at write(): owned here until then.
    DofImage dof_;
    std::vector<Elf64_Rela> relocations_;
    std::vector<uint8_t> sectionNames_;
};

} // namespace

std::string dofProbeFunction(const std::string &provider, const std::string &probe) {
    return "__dtrace_" + provider + "___" + probe;
}

std::string dofIsEnabledFunction(const std::string &provider, const std::string &probe) {
    return "__dtraceenabled_" + provider + "___" + probe;
}

void linkDofProbeSites(const std::vector<ProviderSpec> &providers,
                       const std::vector<std::string> &objects) {
    // Every object is prepared before any is written: one that cannot be
    // rewritten leaves all of them as they were.
    std::vector<std::unique_ptr<ObjectRewriter>> rewriters;
    std::set<std::pair<dev_t, ino_t>> seen; // an object named twice is rewritten once
    for (const std::string &obj : objects) {
        struct stat st;
        if (stat(obj.c_str(), &st) == 0 && !seen.insert({st.st_dev, st.st_ino}).second) continue;
        rewriters.push_back(std::make_unique<ObjectRewriter>(providers, obj));
        rewriters.back()->prepare();
    }
    for (auto &r : rewriters) r->write();
}

} // namespace dtrace::cli
