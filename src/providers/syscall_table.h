// The system call table of the architecture we were built for.
#pragma once

#include <span>
#include <string_view>

namespace dtrace::providers {

struct SyscallInfo {
    const char *name;
    int nr;
};

std::span<const SyscallInfo> syscallTable();
// The name of system call nr, or empty.
std::string_view syscallName(int nr);
// The number of the system call named so, or -1.
int syscallNumber(std::string_view name);

} // namespace dtrace::providers
