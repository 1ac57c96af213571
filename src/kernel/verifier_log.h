// Reads the kernel verifier's log: which instruction it stopped at and
// why, so a rejection can be reported against the D clause and line.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace dtrace::kernel {

struct VerifierFailure {
    std::optional<size_t> insn; // the last instruction the verifier printed
    std::string reason;         // its last line of complaint
};

VerifierFailure parseVerifierLog(const std::string &log);

} // namespace dtrace::kernel
