// Names for addresses in stacks and %a/%A/%k output: kernel addresses from
// /proc/kallsyms ("vmlinux`do_sys_openat2+0x1d"); user addresses are shown
// in hex until user symbol tables are read.
#pragma once

#include "output/printf_format.h"

namespace dtrace::runtime {

class Symbols final : public output::SymbolResolver {
  public:
    std::string kernelSymbol(uint64_t addr, bool withOffset) const override;
    std::string userSymbol(int pid, uint64_t addr, bool withOffset) const override;
    bool tracingFrame(uint64_t addr) const override;
};

} // namespace dtrace::runtime
