#include "kernel/verifier_log.h"

#include <cctype>
#include <sstream>

namespace dtrace::kernel {

namespace {

// "12: (bf) r1 = r6" -> 12
std::optional<size_t> insnNumber(const std::string &line) {
    size_t i = 0;
    while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i]))) ++i;
    if (i == 0 || line.compare(i, 3, ": (") != 0) return std::nullopt;
    return std::stoul(line.substr(0, i));
}

bool isStatistics(const std::string &line) {
    return line.rfind("processed ", 0) == 0 || line.rfind("verification time", 0) == 0 ||
           line.rfind("stack depth", 0) == 0 || line.rfind("max_states_per_insn", 0) == 0;
}

} // namespace

VerifierFailure parseVerifierLog(const std::string &log) {
    VerifierFailure f;
    std::istringstream in(log);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || isStatistics(line)) continue;
        if (auto n = insnNumber(line)) {
            f.insn = n;
            continue;
        }
        // Register state dumps ("R1=ctx() R10=fp0") and source lines are not reasons.
        if (line.rfind("R", 0) == 0 && line.find('=') != std::string::npos &&
            line.find(' ') != std::string::npos && line.find("R0") != std::string::npos)
            continue;
        if (line[0] == ';' || line.rfind("from ", 0) == 0 || line.rfind("func#", 0) == 0 ||
            line.rfind("last_idx", 0) == 0 || line.rfind("regs=", 0) == 0 ||
            line.rfind("mark_precise", 0) == 0 || line.rfind("parent didn't", 0) == 0 ||
            line.rfind("caller:", 0) == 0 || line.rfind("callee:", 0) == 0 ||
            line.rfind("returning from", 0) == 0 || line.rfind("propagating", 0) == 0)
            continue;
        f.reason = line;
    }
    return f;
}

} // namespace dtrace::kernel
