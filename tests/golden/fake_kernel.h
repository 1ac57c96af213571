// A made-up kernel for the golden tests: BTF written with libbpf's BTF
// writer and a tracefs directory with the events the programs use, in a
// temporary directory, named to dtrace by _DTRACE_VMLINUX_BTF and
// _DTRACE_TRACEFS. Code generated against it is the same on every
// machine.
#pragma once

#include <string>

namespace dtrace::test {

class FakeKernel {
  public:
    FakeKernel();
    ~FakeKernel();
    FakeKernel(const FakeKernel &) = delete;
    FakeKernel &operator=(const FakeKernel &) = delete;

  private:
    std::string dir_;
};

} // namespace dtrace::test
