#include "providers/user_probes.h"

#include "providers/elf_image.h"
#include "providers/x86_length.h"

#include <fcntl.h>
#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

namespace dtrace::providers {

namespace {

bool isFile(const std::string &p) {
    return access(p.c_str(), R_OK) == 0;
}

// The directories the dynamic linker searches after an object's own
// run path: /etc/ld.so.conf (and what it includes), then the defaults.
void readLdConfig(const std::string &file, std::vector<std::string> &dirs, int depth) {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
        line = line.substr(0, line.find('#'));
        while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())))
            line.pop_back();
        size_t b = line.find_first_not_of(" \t");
        if (b == std::string::npos) continue;
        line = line.substr(b);
        if (line.compare(0, 8, "include ") == 0 && depth < 4) {
            glob_t g{};
            if (glob(line.substr(8).c_str(), 0, nullptr, &g) == 0)
                for (size_t i = 0; i < g.gl_pathc; ++i)
                    readLdConfig(g.gl_pathv[i], dirs, depth + 1);
            globfree(&g);
        } else if (line[0] == '/') {
            dirs.push_back(line);
        }
    }
}

const std::vector<std::string> &systemLibraryDirs() {
    static const std::vector<std::string> dirs = [] {
        std::vector<std::string> d;
        if (const char *env = std::getenv("LD_LIBRARY_PATH")) {
            std::string s = env;
            for (size_t i = 0; i <= s.size();) {
                size_t j = s.find(':', i);
                if (j == std::string::npos) j = s.size();
                if (j > i) d.push_back(s.substr(i, j - i));
                i = j + 1;
            }
        }
        readLdConfig("/etc/ld.so.conf", d, 0);
        for (const char *x : {"/lib", "/usr/lib", "/lib64", "/usr/lib64"}) d.emplace_back(x);
        return d;
    }();
    return dirs;
}

std::string findLibrary(const std::string &name, const std::vector<std::string> &runpath) {
    if (name.find('/') != std::string::npos) return isFile(name) ? name : "";
    for (const auto *dirs : {&runpath, &systemLibraryDirs()})
        for (const std::string &d : *dirs)
            if (isFile(d + "/" + name)) return d + "/" + name;
    return "";
}

std::string baseName(const std::string &path) {
    return path.substr(path.rfind('/') + 1);
}

bool isHexOffset(std::string_view s) {
    return !s.empty() && s.size() <= 16 &&
           s.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
}

} // namespace

std::string resolveCommand(const std::string &name) {
    if (name.empty()) return "";
    if (name.find('/') != std::string::npos) return isFile(name) ? name : "";
    const char *path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    for (size_t i = 0; i <= dirs.size();) {
        size_t j = dirs.find(':', i);
        if (j == std::string::npos) j = dirs.size();
        std::string cand = (j > i ? dirs.substr(i, j - i) : std::string(".")) + "/" + name;
        if (access(cand.c_str(), X_OK) == 0) return cand;
        i = j + 1;
    }
    return "";
}

std::vector<ProcessObject> processObjects(int pid, const std::string &pendingExec) {
    std::vector<ProcessObject> out;
    std::set<std::string> seen;
    if (!pendingExec.empty()) {
        // What the command will map: itself, its interpreter and the
        // libraries it needs, breadth first as the dynamic linker loads them.
        std::vector<std::string> queue{pendingExec};
        for (size_t i = 0; i < queue.size(); ++i) {
            std::string path = queue[i];
            char real[4096];
            if (realpath(path.c_str(), real)) path = real;
            if (!seen.insert(path).second) continue;
            auto img = readElfImage(path);
            if (!img) continue;
            out.push_back({path, i == 0});
            if (!img->interpreter.empty()) queue.push_back(img->interpreter);
            for (const std::string &lib : img->needed) {
                std::string found = findLibrary(lib, img->runpath);
                if (!found.empty()) queue.push_back(found);
            }
        }
        return out;
    }
    std::string exe;
    char buf[4096];
    std::string link = "/proc/" + std::to_string(pid) + "/exe";
    ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
    if (n > 0) exe.assign(buf, static_cast<size_t>(n));
    for (const ProcessMapping &m : executableMappings(pid)) {
        if (!seen.insert(m.path).second) continue;
        // Through the process's root, so that a container's files are found.
        std::string path = "/proc/" + std::to_string(pid) + "/root" + m.path;
        if (!isFile(path)) path = m.path;
        out.push_back({path, m.path == exe});
    }
    return out;
}

void addLibraryLoadedLater(int pid, const std::string &module,
                           std::vector<ProcessObject> &objects) {
    if (module.empty() || hasGlob(module) || module == "a.out") return;
    for (const ProcessObject &o : objects)
        if (moduleMatches(module, o)) return;
    // As dlopen() would find it: along the library path, or in the
    // process's working directory; "foo" may be libfoo.so.
    std::vector<std::string> names{module};
    if (module.find(".so") == std::string::npos) {
        names.push_back(module + ".so");
        names.push_back("lib" + module + ".so");
    }
    char cwd[4096];
    std::string link = "/proc/" + std::to_string(pid) + "/cwd";
    ssize_t n = readlink(link.c_str(), cwd, sizeof cwd - 1);
    std::vector<std::string> here;
    if (n > 0) here.emplace_back(cwd, static_cast<size_t>(n));
    for (const std::string &name : names) {
        std::string found = findLibrary(name, here);
        if (found.empty() || !readElfImage(found)) continue;
        char real[4096];
        if (realpath(found.c_str(), real)) found = real;
        objects.push_back({found, false});
        return;
    }
}

bool moduleMatches(std::string_view pattern, const ProcessObject &object) {
    if (pattern.empty()) return true;
    if (object.mainExecutable && globMatch(pattern, "a.out")) return true;
    std::string name = baseName(object.path);
    if (globMatch(pattern, name)) return true;
    size_t so = name.find(".so");
    if (so == std::string::npos) return false;
    return globMatch(pattern, name.substr(0, so + 3)) || globMatch(pattern, name.substr(0, so));
}

namespace {

// Whether uprobes can take an instruction, by its prefixes: x86's uprobes
// refuse a LOCK prefix and the ES, CS, SS and DS segment prefixes (the
// kernel's is_prefix_bad), so DTrace offers no probe there.
class FirstBytes {
  public:
    explicit FirstBytes(const std::string &path)
        : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
    ~FirstBytes() {
        if (fd_ >= 0) ::close(fd_);
    }
    FirstBytes(const FirstBytes &) = delete;
    FirstBytes &operator=(const FirstBytes &) = delete;
    // Whether rel falls on an instruction of the function at offset.
    bool atInstruction(uint64_t offset, uint64_t size, uint64_t rel) const {
#if defined(__x86_64__)
        std::vector<uint8_t> code(std::min<uint64_t>(size, rel + 15));
        ssize_t got =
            fd_ < 0 ? -1 : ::pread(fd_, code.data(), code.size(), static_cast<off_t>(offset));
        if (got <= 0) return false;
        code.resize(static_cast<size_t>(got));
        return x86InstructionBoundary(code, rel);
#else
        (void)offset, (void)size, (void)rel;
        return true;
#endif
    }
    bool probeable(uint64_t offset) const {
#if defined(__x86_64__)
        // Any of its prefixes, not just the first ("66 2e 0f 1f ...", the
        // padding compilers put between functions, has a CS prefix).
        unsigned char b[15];
        ssize_t n = fd_ < 0 ? -1 : ::pread(fd_, b, sizeof b, static_cast<off_t>(offset));
        for (ssize_t i = 0; i < n && isX86LegacyPrefix(b[i]); ++i)
            if (b[i] == 0xf0 || b[i] == 0x26 || b[i] == 0x2e || b[i] == 0x36 || b[i] == 0x3e)
                return false;
        return true;
#else
        (void)offset;
        return true;
#endif
    }

  private:
    int fd_;
};

} // namespace

UserProbeError userProbeError(const ProbeDescription &d,
                              const std::vector<ProcessObject> &objects) {
    if (!d.name.empty() && !hasGlob(d.name) && d.name != "entry" && d.name != "return" &&
        !isHexOffset(d.name))
        return {"D_PROC_NAME", "'" + d.name + "' is an invalid probe name"};
    if (d.function == "-" && !d.module.empty() && d.module != "a.out")
        return {"D_PROC_LIB", "only the a.out module is valid with the '-' function"};
    if (d.function.empty() || hasGlob(d.function)) return {};
    for (const ProcessObject &obj : objects) {
        if (!moduleMatches(d.module, obj)) continue;
        auto img = readElfImage(obj.path);
        if (img && std::find(img->indirectFunctions.begin(), img->indirectFunctions.end(),
                             d.function) != img->indirectFunctions.end())
            return {"D_PROC_FUNC", "failed to lookup '" + d.function + "' in module '" +
                                       (d.module.empty() ? baseName(obj.path) : d.module) +
                                       "': it is an indirect function (GNU ifunc), a "
                                       "resolver run once at load time to pick the "
                                       "implementation that calls reach"};
    }
    if (d.module.empty() || hasGlob(d.module)) return {};
    for (const ProcessObject &obj : objects) {
        if (!moduleMatches(d.module, obj)) continue;
        auto img = readElfImage(obj.path);
        if (!img) continue;
        for (const ElfFunction &f : img->functions) {
            if (f.name != d.function) continue;
            uint64_t rel = isHexOffset(d.name) ? std::strtoull(d.name.c_str(), nullptr, 16) : 0;
            if (isHexOffset(d.name) && rel >= f.size) {
                char hex[32];
                std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(rel));
                return {"D_PROC_OFF",
                        "offset " + std::string(hex) + " outside of function '" + d.function + "'"};
            }
            return {};
        }
    }
    return {"D_PROC_FUNC", "failed to lookup '" + d.function + "' in module '" + d.module + "'"};
}

std::vector<Probe> userFunctionProbes(int pid, const ProbeDescription &d,
                                      const std::vector<ProcessObject> &objects) {
    std::vector<Probe> out;
    std::string provider = "pid" + std::to_string(pid);
    bool offsetProbe = !hasGlob(d.name) && isHexOffset(d.name);
    for (const ProcessObject &obj : objects) {
        if (!moduleMatches(d.module, obj)) continue;
        auto img = readElfImage(obj.path);
        if (!img) continue;
        // pid$target:a.out:-:ADDR: the instruction at a (linked) address
        // of the executable, in no function in particular.
        if (d.function == "-") {
            if (!obj.mainExecutable || !offsetProbe) continue;
            auto off = img->fileOffset(std::strtoull(d.name.c_str(), nullptr, 16));
            FirstBytes code(obj.path);
            if (!off || !code.probeable(*off)) continue;
            Probe p;
            p.provider = provider;
            p.module = baseName(obj.path);
            p.function = "-";
            p.name = d.name;
            p.user = UserProbe{pid, obj.path, *off, false, obj.mainExecutable};
            out.push_back(std::move(p));
            continue;
        }
        // One name for each address when a glob takes many functions
        // (aliases would fire twice): the one with fewest leading
        // underscores, then the shortest.
        std::map<uint64_t, const ElfFunction *> chosen;
        for (const ElfFunction &f : img->functions) {
            if (f.size == 0 || !globMatch(d.function.empty() ? "*" : d.function, f.name)) continue;
            auto rank = [](const std::string &n) {
                size_t u = n.find_first_not_of('_');
                return std::pair{u == std::string::npos ? n.size() : u, n.size()};
            };
            auto [it, fresh] = chosen.try_emplace(f.address, &f);
            if (!fresh && rank(f.name) < rank(it->second->name)) it->second = &f;
        }
        std::set<std::string> named;
        FirstBytes code(obj.path);
        for (const auto &[addr, f] : chosen) {
            if (!named.insert(f->name).second) continue;
            auto off = img->fileOffset(addr);
            if (!off) continue;
            // A uretprobe too is a breakpoint on the function's first
            // instruction.
            if (!code.probeable(*off)) continue;
            auto add = [&](const std::string &name, uint64_t at, bool ret) {
                if (!d.name.empty() && !globMatch(d.name, name)) return;
                Probe p;
                p.provider = provider;
                p.module = baseName(obj.path);
                p.function = f->name;
                p.name = name;
                p.user = UserProbe{pid, obj.path, at, ret, obj.mainExecutable};
                out.push_back(std::move(p));
            };
            add("entry", *off, false);
            add("return", *off, true);
            if (offsetProbe) {
                uint64_t rel = std::strtoull(d.name.c_str(), nullptr, 16);
                // Only where an instruction starts: a breakpoint inside one
                // would corrupt the program.
                if (rel < f->size && code.atInstruction(*off, f->size, rel) &&
                    code.probeable(*off + rel))
                    add(d.name, *off + rel, false);
            }
        }
    }
    return out;
}

} // namespace dtrace::providers
