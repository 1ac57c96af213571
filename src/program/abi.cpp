#include "program/abi.h"

#include <cinttypes>
#include <cstdio>

namespace dtrace::program {

std::string faultText(uint32_t fault, uint64_t value) {
    char buf[96];
    auto withValue = [&](const char *what) {
        std::snprintf(buf, sizeof buf, "%s (0x%" PRIx64 ")", what, value);
        return std::string(buf);
    };
    switch (static_cast<Fault>(fault)) {
    case Fault::BadAddr: return withValue("invalid address");
    case Fault::BadAlign: return withValue("invalid alignment");
    case Fault::IllOp: return "illegal operation";
    case Fault::DivZero: return "divide-by-zero";
    case Fault::NoScratch: return "out of scratch space";
    case Fault::KPriv: return withValue("invalid kernel access");
    case Fault::UPriv: return withValue("invalid user access");
    case Fault::TupOflow: return "tuple stack overflow";
    case Fault::BadStack: return "bad stack";
    case Fault::BadSize: return withValue("invalid size");
    case Fault::BadIndex:
        std::snprintf(buf, sizeof buf, "index out of bounds (%" PRId64 ")",
                      static_cast<int64_t>(value));
        return buf;
    case Fault::Library: return "library-level fault";
    case Fault::Unknown: break;
    }
    return "unknown fault";
}

} // namespace dtrace::program
