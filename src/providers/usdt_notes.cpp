#include "providers/usdt_notes.h"

#include "kernel/loader.h"
#include "providers/dof.h"
#include "providers/elf_image.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

namespace dtrace::providers {

namespace {

constexpr uint32_t kStapsdtNoteType = 3;

// x86-64 register names, every width, to their pt_regs offsets.
int registerOffset(std::string_view name) {
#if defined(__x86_64__)
    struct Reg {
        const char *names[4];
        int offset;
    };
    static const Reg regs[] = {
        {{"rax", "eax", "ax", "al"}, 80},      {{"rbx", "ebx", "bx", "bl"}, 40},
        {{"rcx", "ecx", "cx", "cl"}, 88},      {{"rdx", "edx", "dx", "dl"}, 96},
        {{"rsi", "esi", "si", "sil"}, 104},    {{"rdi", "edi", "di", "dil"}, 112},
        {{"rbp", "ebp", "bp", "bpl"}, 32},     {{"rsp", "esp", "sp", "spl"}, 152},
        {{"r8", "r8d", "r8w", "r8b"}, 72},     {{"r9", "r9d", "r9w", "r9b"}, 64},
        {{"r10", "r10d", "r10w", "r10b"}, 56}, {{"r11", "r11d", "r11w", "r11b"}, 48},
        {{"r12", "r12d", "r12w", "r12b"}, 24}, {{"r13", "r13d", "r13w", "r13b"}, 16},
        {{"r14", "r14d", "r14w", "r14b"}, 8},  {{"r15", "r15d", "r15w", "r15b"}, 0},
        {{"rip", "eip", "ip", "rip"}, 128},
    };
    for (const Reg &r : regs)
        for (const char *n : r.names)
            if (name == n) return r.offset;
#else
    (void)name;
#endif
    return -1;
}

bool parseInteger(std::string_view s, int64_t &out) {
    if (s.empty()) return false;
    std::string text(s);
    char *end = nullptr;
    errno = 0;
    long long v = std::strtoll(text.c_str(), &end, 0);
    if (errno != 0 || *end != '\0') return false;
    out = v;
    return true;
}

std::string baseName(const std::string &path) {
    return path.substr(path.rfind('/') + 1);
}

// A note's argument string split at its spaces ("-4@%edi 8@%rsi").
std::vector<std::string_view> splitUsdtSpecs(std::string_view specs) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < specs.size()) {
        while (i < specs.size() && specs[i] == ' ') ++i;
        size_t j = specs.find(' ', i);
        if (j == std::string_view::npos) j = specs.size();
        if (j > i) out.push_back(specs.substr(i, j - i));
        i = j;
    }
    return out;
}

uint64_t readWord(const std::vector<uint8_t> &d, size_t at) {
    uint64_t v = 0;
    std::memcpy(&v, d.data() + at, sizeof v);
    return v;
}

// The name of the function that holds address (empty: none).
std::string functionAt(const ElfImage &img, uint64_t address) {
    const ElfFunction *best = nullptr;
    for (const ElfFunction &f : img.functions) {
        if (f.address > address) break;
        if (address < f.address + std::max<uint64_t>(f.size, 1)) best = &f;
    }
    return best ? best->name : "";
}

// The size of a C type as a USDT argument (negative: signed), for the
// register a DTrace-style probe's argument is passed in.
int argumentSize(std::string type) {
    if (type.find('*') != std::string::npos) return 8;
    for (const char *qualifier : {"const ", "volatile "})
        for (size_t at; (at = type.find(qualifier)) != std::string::npos;)
            type.erase(at, std::strlen(qualifier));
    bool isUnsigned = type.find("unsigned") != std::string::npos || type.starts_with("uint") ||
                      type == "size_t" || type == "uintptr_t" || type == "_Bool" ||
                      type == "bool" || type == "uid_t" || type == "gid_t" || type == "id_t";
    if (type == "pid_t" || type == "uid_t" || type == "gid_t" || type == "id_t" ||
        type == "wchar_t" || type.starts_with("enum "))
        return isUnsigned ? 4 : -4;
    int size = 8;
    if (type.find("char") != std::string::npos || type.ends_with("int8_t") || type == "_Bool" ||
        type == "bool")
        size = 1;
    else if (type.find("short") != std::string::npos || type.ends_with("int16_t"))
        size = 2;
    else if (type.find("long") == std::string::npos &&
             (type.find("int") != std::string::npos || type == "unsigned" || type == "signed") &&
             !type.ends_with("int64_t") && type != "intptr_t" && type != "uintptr_t")
        size = 4;
    return isUnsigned ? size : -size;
}

// Argument i of a call (where `dtrace -G` left a DTrace-style probe site):
// the System V registers, then the stack the call would have pushed under
// (above the return address, for a tail call left as a "ret").
UsdtArgument callArgument(size_t i, const std::string &type, bool tailCall) {
    UsdtArgument a;
    a.size = argumentSize(type);
#if defined(__x86_64__)
    static const int registers[] = {112, 104, 96, 88, 72, 64}; // rdi rsi rdx rcx r8 r9
    if (i < 6) {
        a.kind = UsdtArgument::Kind::Register;
        a.regsOffset = registers[i];
    } else {
        a.kind = UsdtArgument::Kind::Memory;
        a.regsOffset = registerOffset("rsp");
        a.value = static_cast<int64_t>(8 * (i - 6) + (tailCall ? 8 : 0));
    }
#else
    (void)i;
    (void)tailCall;
#endif
    return a;
}

// What a DTrace-style probe site holds: a nop -G left for a call ("90",
// "0f 1f ..."), or a "ret" for a tail call; anything else (a stale or
// foreign DOF) must not get a uprobe in the middle of an instruction.
enum class SiteKind { Call, TailCall, Invalid };
SiteKind siteKind(int fd, uint64_t offset) {
    uint8_t b[2];
    if (pread(fd, b, sizeof b, static_cast<off_t>(offset)) != 2) return SiteKind::Invalid;
    if (b[0] == 0x90 || (b[0] == 0x0f && b[1] == 0x1f)) return SiteKind::Call;
    if (b[0] == 0xc3) return SiteKind::TailCall;
    return SiteKind::Invalid;
}

// Arguments in memory at a symbol ("-4@counter(%rip)"): read relative to
// the probe site's address (the uprobe's ip), which moves with the object.
void resolveRipRelative(const ElfImage &img, std::string_view specs, uint64_t site,
                        std::vector<UsdtArgument> &args) {
    auto split = splitUsdtSpecs(specs);
    for (size_t k = 0; k < args.size() && k < split.size(); ++k) {
        UsdtArgument &a = args[k];
        if (a.kind != UsdtArgument::Kind::Unsupported) continue;
        auto r = parseRipRelative(split[k]);
        auto sym = r ? img.dataSymbols.find(r->symbol) : img.dataSymbols.end();
        if (sym == img.dataSymbols.end()) continue;
        a.kind = UsdtArgument::Kind::Memory;
        a.regsOffset = registerOffset("rip");
        a.value = static_cast<int64_t>(sym->second - site) + r->addend;
    }
}

// The DTrace-style probes of an object (its .SUNW_dof), one Probe a site.
void addDofProbes(int pid, std::string_view providerPattern, const ProbeDescription &d,
                  const ProcessObject &obj, const ElfImage &img, std::vector<Probe> &out) {
    auto functionAddress = [&](const std::string &name) -> std::optional<uint64_t> {
        for (const ElfFunction &f : img.functions)
            if (f.name == name) return f.address;
        return std::nullopt;
    };
    auto probes = dof::readProbes(img.dof, functionAddress);
    kernel::Fd file(open(obj.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!file.valid()) return;
    // A probe's is-enabled sites in any function of the object are enabled
    // with it (a function may only ask whether a probe is traced).
    std::map<std::pair<std::string, std::string>, std::vector<uint64_t>> isEnabled;
    for (const dof::ProbeSites &probe : probes)
        for (uint64_t site : probe.isEnabledSites)
            if (auto offset = img.fileOffset(site))
                isEnabled[{probe.provider, usdtProbeName(probe.name)}].push_back(*offset);
    for (const dof::ProbeSites &probe : probes) {
        if (!globMatch(providerPattern.empty() ? "*" : providerPattern, probe.provider)) continue;
        std::string name = usdtProbeName(probe.name);
        if (!d.function.empty() && !globMatch(d.function, probe.function)) continue;
        if (!d.name.empty() && !globMatch(d.name, name)) continue;
        const auto &askedAt = isEnabled[{probe.provider, name}];
        std::vector<uint64_t> sites = probe.sites;
        bool onlyAsked = sites.empty() && !probe.isEnabledSites.empty();
        if (onlyAsked) sites.push_back(probe.isEnabledSites.front());
        for (uint64_t site : sites) {
            auto offset = img.fileOffset(site);
            if (!offset) continue;
            SiteKind kind = onlyAsked ? SiteKind::Call : siteKind(file.get(), *offset);
            if (kind == SiteKind::Invalid) continue;
            Probe p;
            p.provider = probe.provider + std::to_string(pid);
            p.module = baseName(obj.path);
            p.function = probe.function;
            p.name = name;
            p.user = UserProbe{pid, obj.path, *offset, false, obj.mainExecutable};
            p.user->usdt = true;
            for (size_t i = 0; i < probe.argTypes.size(); ++i)
                p.user->arguments.push_back(
                    callArgument(i, probe.argTypes[i], kind == SiteKind::TailCall));
            p.user->isEnabledSites = askedAt;
            p.user->isEnabledOnly = onlyAsked;
            p.argTypes = probe.argTypes;
            out.push_back(std::move(p));
        }
    }
}

} // namespace

UsdtArgument parseUsdtArgument(std::string_view spec) {
    UsdtArgument a;
    size_t at = spec.find('@');
    if (at == std::string_view::npos) return a;
    int64_t size = 0;
    if (!parseInteger(spec.substr(0, at), size) || size == 0 || size < -8 || size > 8) return a;
    a.size = static_cast<int>(size);
    std::string_view loc = spec.substr(at + 1);
    if (loc.starts_with("$")) {
        if (parseInteger(loc.substr(1), a.value)) a.kind = UsdtArgument::Kind::Constant;
        return a;
    }
    if (loc.starts_with("%")) {
        a.regsOffset = registerOffset(loc.substr(1));
        if (a.regsOffset >= 0) a.kind = UsdtArgument::Kind::Register;
        return a;
    }
    // DISP(%reg): a displacement (decimal, hex or empty) from a register.
    size_t open = loc.find('(');
    if (open == std::string_view::npos || !loc.ends_with(")")) return a;
    std::string_view reg = loc.substr(open + 1, loc.size() - open - 2);
    std::string_view disp = loc.substr(0, open);
    if (!reg.starts_with("%") || reg.find(',') != std::string_view::npos) return a;
    if (!disp.empty() && !parseInteger(disp, a.value)) return a;
    a.regsOffset = registerOffset(reg.substr(1));
    if (a.regsOffset >= 0) a.kind = UsdtArgument::Kind::Memory;
    return a;
}

std::optional<RipRelative> parseRipRelative(std::string_view spec) {
    size_t at = spec.find('@');
    if (at == std::string_view::npos || !spec.ends_with("(%rip)")) return std::nullopt;
    std::string_view loc = spec.substr(at + 1, spec.size() - at - 1 - 6);
    RipRelative r;
    size_t sign = loc.find_first_of("+-", 1);
    r.symbol = std::string(loc.substr(0, sign));
    if (r.symbol.empty() || std::isdigit(static_cast<unsigned char>(r.symbol[0])) ||
        r.symbol[0] == '-')
        return std::nullopt;
    if (sign != std::string_view::npos) {
        std::string_view n = loc.substr(sign + 1);
        if (!parseInteger(n, r.addend)) return std::nullopt;
        if (loc[sign] == '-') r.addend = -r.addend;
    }
    return r;
}

std::vector<UsdtArgument> parseUsdtArguments(std::string_view specs) {
    std::vector<UsdtArgument> out;
    for (std::string_view spec : splitUsdtSpecs(specs)) out.push_back(parseUsdtArgument(spec));
    return out;
}

std::string usdtProbeName(std::string_view noteName) {
    std::string out;
    for (size_t i = 0; i < noteName.size(); ++i) {
        if (noteName[i] == '_' && i + 1 < noteName.size() && noteName[i + 1] == '_') {
            out += '-';
            ++i;
        } else {
            out += noteName[i];
        }
    }
    return out;
}

std::optional<StapsdtNote> parseStapsdtNote(const ElfNote &n) {
    if (n.owner != "stapsdt" || n.type != kStapsdtNoteType || n.desc.size() < 27)
        return std::nullopt;
    StapsdtNote note;
    note.pc = readWord(n.desc, 0);
    note.base = readWord(n.desc, 8);
    note.semaphore = readWord(n.desc, 16);
    size_t at = 24;
    for (std::string *s : {&note.provider, &note.name, &note.arguments}) {
        if (at >= n.desc.size()) break;
        const char *p = reinterpret_cast<const char *>(n.desc.data() + at);
        s->assign(p, strnlen(p, n.desc.size() - at));
        at += s->size() + 1;
    }
    return note;
}

std::set<std::string> usdtProviderNames(const UsdtSections &sections) {
    std::set<std::string> out;
    for (const ElfNote &n : sections.notes)
        if (auto note = parseStapsdtNote(n)) out.insert(note->provider);
    auto anywhere = [](const std::string &) -> std::optional<uint64_t> { return 1; };
    for (const dof::ProbeSites &probe : dof::readProbes(sections.dof, anywhere))
        out.insert(probe.provider);
    return out;
}

std::vector<Probe> usdtProbes(int pid, std::string_view providerPattern, const ProbeDescription &d,
                              const std::vector<ProcessObject> &objects) {
    std::vector<Probe> out;
    for (const ProcessObject &obj : objects) {
        if (!moduleMatches(d.module, obj)) continue;
        auto img = readElfImage(obj.path);
        if (!img) continue;
        for (const ElfNote &n : img->notes) {
            auto note = parseStapsdtNote(n);
            if (!note ||
                !globMatch(providerPattern.empty() ? "*" : providerPattern, note->provider))
                continue;
            uint64_t pc = note->pc, semaphore = note->semaphore;
            // A prelinked file moved .stapsdt.base: its sites moved with it.
            if (note->base != 0 && img->probesBase != 0) {
                pc += img->probesBase - note->base;
                if (semaphore != 0) semaphore += img->probesBase - note->base;
            }
            Probe p;
            p.provider = note->provider + std::to_string(pid);
            p.module = baseName(obj.path);
            p.function = functionAt(*img, pc);
            p.name = usdtProbeName(note->name);
            if (!d.function.empty() && !globMatch(d.function, p.function)) continue;
            if (!d.name.empty() && !globMatch(d.name, p.name)) continue;
            auto offset = img->fileOffset(pc);
            if (!offset) continue;
            p.user = UserProbe{pid, obj.path, *offset, false, obj.mainExecutable};
            p.user->usdt = true;
            p.user->arguments = parseUsdtArguments(note->arguments);
            resolveRipRelative(*img, note->arguments, pc, p.user->arguments);
            // args[i]: an integer of the note's size and sign.
            for (const UsdtArgument &a : p.user->arguments)
                p.argTypes.push_back((a.size < 0 ? "int" : "uint") +
                                     std::to_string(8 * std::abs(a.size)) + "_t");
            if (semaphore != 0) p.user->semaphoreOffset = img->fileOffset(semaphore).value_or(0);
            out.push_back(std::move(p));
        }
        if (!img->dof.empty()) addDofProbes(pid, providerPattern, d, obj, *img, out);
    }
    return out;
}

} // namespace dtrace::providers
