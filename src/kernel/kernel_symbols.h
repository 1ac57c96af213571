// Kernel symbols from /proc/kallsyms, read on demand: addresses for
// `symbol references and names for addresses (%a, stack()).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dtrace::kernel {

struct KernelSymbol {
    uint64_t address = 0;
    char type = 0; // kallsyms type letter
    std::string name;
    std::string module; // "vmlinux" or the module
};

class KernelSymbols {
  public:
    static KernelSymbols &instance();
    std::optional<KernelSymbol> byName(std::string_view name);
    // The symbol containing addr, with the offset into it.
    std::optional<std::pair<KernelSymbol, uint64_t>> byAddress(uint64_t addr);

  private:
    void load();
    bool loaded_ = false;
    std::vector<KernelSymbol> symbols_; // sorted by address
};

} // namespace dtrace::kernel
