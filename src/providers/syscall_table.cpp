#include "providers/syscall_table.h"

namespace dtrace::providers {

namespace {
constexpr SyscallInfo kTable[] = {
#include "syscall_table.inc"
};
} // namespace

std::span<const SyscallInfo> syscallTable() {
    return kTable;
}

std::string_view syscallName(int nr) {
    for (const SyscallInfo &s : kTable)
        if (s.nr == nr) return s.name;
    return {};
}

int syscallNumber(std::string_view name) {
    for (const SyscallInfo &s : kTable)
        if (name == s.name) return s.nr;
    return -1;
}

} // namespace dtrace::providers
