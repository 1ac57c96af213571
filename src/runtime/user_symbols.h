// Names for user-space addresses: the process's mappings from
// /proc/PID/maps and the symbol tables of the ELF files mapped
// (providers/elf_image), with each mapping's load bias. C++ names are
// demangled. Processes and files are read once and cached.
#pragma once

#include "providers/elf_image.h"

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
    using ElfFile = providers::ElfImage;
    using Mapping = providers::ProcessMapping;
    const ElfFile *elf(int pid, const std::string &path);
    const std::vector<Mapping> &mappings(int pid);

    std::map<int, std::vector<Mapping>> processes_;
    std::map<std::string, std::unique_ptr<ElfFile>> files_;
};

} // namespace dtrace::runtime
