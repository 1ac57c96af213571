// Names for user-space addresses: the process's mappings from
// /proc/PID/maps and the symbol tables (.symtab, else .dynsym) of the ELF
// files mapped, read with libelf, with each mapping's load bias. C++ names
// are demangled. Processes and files are read once and cached.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dtrace::runtime {

struct UserSymbol {
    std::string module; // the file's base name: "libc.so.6"
    std::string name;   // demangled; empty when no symbol covers the address
    uint64_t offset = 0;
};

class UserSymbols {
  public:
    std::optional<UserSymbol> lookup(int pid, uint64_t addr);
    // Reads the process's mappings again (while it lives), so that its
    // addresses can be named after it has exited.
    void remember(int pid);

  private:
    struct Function {
        uint64_t address = 0, size = 0;
        std::string name;
    };
    struct ElfFile {
        std::vector<Function> functions; // sorted by address
        bool shared = false;             // ET_DYN: addresses are relative to the load bias
        std::vector<std::pair<uint64_t, uint64_t>> loads; // PT_LOAD (file offset, vaddr)
    };
    struct Mapping {
        uint64_t start = 0, end = 0, offset = 0;
        std::string path;
    };
    const ElfFile *elf(int pid, const std::string &path);
    const std::vector<Mapping> &mappings(int pid);

    std::map<int, std::vector<Mapping>> processes_;
    std::map<std::string, std::unique_ptr<ElfFile>> files_;
};

} // namespace dtrace::runtime
