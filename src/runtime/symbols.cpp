#include "runtime/symbols.h"

#include "kernel/kernel_symbols.h"

#include <cinttypes>
#include <cstdio>

namespace dtrace::runtime {

std::string Symbols::kernelSymbol(uint64_t addr, bool withOffset) const {
    auto hit = kernel::KernelSymbols::instance().byAddress(addr);
    if (!hit) return {};
    const auto &[sym, offset] = *hit;
    std::string out = (sym.module.empty() ? std::string("vmlinux") : sym.module) + "`" + sym.name;
    if (withOffset && offset) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "+0x%" PRIx64, offset);
        out += buf;
    }
    return out;
}

bool Symbols::tracingFrame(uint64_t addr) const {
    auto hit = kernel::KernelSymbols::instance().byAddress(addr);
    if (!hit) return false;
    const std::string &name = hit->first.name;
    auto startsWith = [&](std::string_view p) { return name.rfind(p, 0) == 0; };
    return hit->first.module == "bpf" || startsWith("bpf_prog_") || startsWith("bpf_trace_run") ||
           startsWith("__bpf_trace_") || startsWith("__traceiter_") ||
           startsWith("bpf_overflow_handler") || startsWith("__perf_event_overflow") ||
           startsWith("perf_swevent_") || startsWith("perf_event_overflow");
}

std::string Symbols::userSymbol(int pid, uint64_t addr, bool withOffset) const {
    if (pid <= 0) return {};
    auto hit = user_.lookup(pid, addr);
    if (!hit) return {};
    std::string out = hit->module + "`" + hit->name;
    if (hit->name.empty()) {
        // No symbol: the module and the address, as DTrace prints them.
        char buf[32];
        std::snprintf(buf, sizeof buf, "0x%" PRIx64, addr);
        return out + buf;
    }
    if (withOffset && hit->offset) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "+0x%" PRIx64, hit->offset);
        out += buf;
    }
    return out;
}

} // namespace dtrace::runtime
