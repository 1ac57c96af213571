// Names for addresses in stacks and %a/%A/%k output: kernel addresses from
// /proc/kallsyms ("vmlinux`do_sys_openat2+0x1d"), user addresses from the
// process's ELF files ("libc.so.6`__libc_open64+0x5e").
#pragma once

#include "output/printf_format.h"
#include "runtime/user_symbols.h"

namespace dtrace::runtime {

class Symbols final : public output::SymbolResolver {
  public:
    std::string kernelSymbol(uint64_t addr, bool withOffset) const override;
    std::string userSymbol(int pid, uint64_t addr, bool withOffset) const override;
    bool tracingFrame(uint64_t addr) const override;
    void rememberProcess(int pid) { user_.remember(pid); }

  private:
    mutable UserSymbols user_; // caches what it has read
};

} // namespace dtrace::runtime
