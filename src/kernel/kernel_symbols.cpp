#include "kernel/kernel_symbols.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace dtrace::kernel {

KernelSymbols &KernelSymbols::instance() {
    static KernelSymbols k;
    return k;
}

void KernelSymbols::load() {
    if (loaded_) return;
    loaded_ = true;
    FILE *f = std::fopen("/proc/kallsyms", "r");
    if (!f) return;
    char line[512];
    while (std::fgets(line, sizeof line, f)) {
        char name[256] = {0}, mod[128] = {0}, type = 0;
        unsigned long long addr = 0;
        int n = std::sscanf(line, "%llx %c %255s [%127[^]]]", &addr, &type, name, mod);
        if (n < 3) continue;
        // __pfx_ symbols name the padding before a function: an address
        // there belongs to the function before it.
        if (std::strncmp(name, "__pfx_", 6) == 0) continue;
        symbols_.push_back({addr, type, name, n == 4 ? mod : "vmlinux"});
    }
    std::fclose(f);
    std::stable_sort(
        symbols_.begin(), symbols_.end(),
        [](const KernelSymbol &a, const KernelSymbol &b) { return a.address < b.address; });
}

std::optional<KernelSymbol> KernelSymbols::byName(std::string_view name) {
    load();
    for (const auto &s : symbols_)
        if (s.name == name) return s;
    return std::nullopt;
}

std::optional<std::pair<KernelSymbol, uint64_t>> KernelSymbols::byAddress(uint64_t addr) {
    load();
    auto it = std::upper_bound(symbols_.begin(), symbols_.end(), addr,
                               [](uint64_t a, const KernelSymbol &s) { return a < s.address; });
    if (it == symbols_.begin()) return std::nullopt;
    --it;
    if (it->address == 0) return std::nullopt;
    return std::make_pair(*it, addr - it->address);
}

} // namespace dtrace::kernel
