#include "output/records.h"

#include <cctype>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace dtrace::output {

DecodedValue decodeValue(const program::ValueDesc &d, std::span<const uint8_t> data) {
    DecodedValue v;
    v.desc = d;
    switch (d.kind) {
    case program::ValueDesc::Kind::Integer:
        if (data.size() >= 8) std::memcpy(&v.bits, data.data(), 8);
        break;
    case program::ValueDesc::Kind::String: {
        size_t n = 0;
        while (n < data.size() && data[n] != 0) ++n;
        v.text.assign(reinterpret_cast<const char *>(data.data()), n);
        break;
    }
    case program::ValueDesc::Kind::Bytes:
    case program::ValueDesc::Kind::Stack:
        v.bytes.assign(reinterpret_cast<const char *>(data.data()),
                       std::min<size_t>(data.size(), d.typeSize));
        break;
    }
    return v;
}

namespace {

bool printableByte(uint8_t c) {
    return std::isprint(c) || std::isspace(c) || c == '\b' || c == '\a';
}

} // namespace

std::string formatBytes(std::span<const uint8_t> c, bool quiet, bool forceDump) {
    size_t n = c.size();
    // Bytes that hold a NUL-terminated printable string print as one.
    size_t i = 0;
    while (i < n && printableByte(c[i])) ++i;
    if (!forceDump && i > 0 && i < n && c[i] == 0) {
        size_t j = i;
        while (j < n && c[j] == 0) ++j;
        if (j == n) {
            std::string s(reinterpret_cast<const char *>(c.data()), i);
            return quiet ? s : printfString("  %-33s", s.c_str());
        }
    }
    std::string out = "\n";
    out += std::string(11, ' ');
    for (int k = 0; k < 16; ++k) out += printfString("  %c", "0123456789abcdef"[k]);
    out += "  0123456789abcdef\n";
    for (size_t row = 0; row < n; row += 16) {
        out += printfString("%10zx: ", row);
        for (size_t k = 0; k < 16; ++k) {
            if (row + k < n)
                out += printfString("%02x ", c[row + k]);
            else
                out += "   ";
        }
        out += " ";
        for (size_t k = 0; k < 16 && row + k < n; ++k) {
            uint8_t b = c[row + k];
            out += std::isprint(b) ? static_cast<char>(b) : '.';
        }
        out += "\n";
    }
    return out;
}

std::string formatTrace(const DecodedValue &v, bool quiet, const SymbolResolver *syms,
                        const FormatOptions &opts) {
    const program::ValueDesc &d = v.desc;
    switch (d.kind) {
    case program::ValueDesc::Kind::Stack:
        // func(), mod() and their user forms print in a column, quiet or not.
        if (d.symbolForm) return printfString("  %-50s", formatSymbol(v, syms).c_str());
        return formatStack(toFormatValue(v), syms, opts);
    case program::ValueDesc::Kind::String:
        return quiet ? v.text : printfString("  %-33s", v.text.c_str());
    case program::ValueDesc::Kind::Bytes:
        return formatBytes({reinterpret_cast<const uint8_t *>(v.bytes.data()), v.bytes.size()},
                           quiet);
    case program::ValueDesc::Kind::Integer: break;
    }
    int width;
    switch (d.typeSize) {
    case 1: width = 3; break;
    case 2: width = 5; break;
    case 4: width = 10; break;
    default: width = 20; break;
    }
    bool isSigned = d.isSigned && !d.isPointer;
    if (isSigned && width == 20) width = 19; // as DTrace prints a signed 64-bit value
    if (quiet) {
        return isSigned ? printfString("%" PRId64, static_cast<int64_t>(v.bits))
                        : printfString("%" PRIu64, v.bits);
    }
    return isSigned ? printfString(" %*" PRId64, width, static_cast<int64_t>(v.bits))
                    : printfString(" %*" PRIu64, width, v.bits);
}

std::string formatSymbol(const DecodedValue &v, const SymbolResolver *syms) {
    FormatValue f = toFormatValue(v);
    uint64_t pc = f.frames.empty() ? 0 : f.frames.front();
    std::string name;
    const bool withOffset = v.desc.symbolForm == 3; // uaddr()
    if (syms)
        name = f.pid >= 0 ? syms->userSymbol(f.pid, pc, withOffset)
                          : syms->kernelSymbol(pc, withOffset);
    if (name.empty()) return printfString("0x%" PRIx64, pc);
    if (v.desc.symbolForm == 2) name = name.substr(0, name.find('`'));
    return name;
}

FormatValue toFormatValue(const DecodedValue &v) {
    switch (v.desc.kind) {
    case program::ValueDesc::Kind::String: return FormatValue::ofString(v.text);
    case program::ValueDesc::Kind::Bytes: return FormatValue::ofBytes(v.bytes);
    case program::ValueDesc::Kind::Stack: {
        std::vector<uint64_t> words(v.bytes.size() / 8);
        std::memcpy(words.data(), v.bytes.data(), words.size() * 8);
        int pid = -1;
        if (v.desc.userStack && !words.empty()) {
            pid = static_cast<int>(words.front());
            words.erase(words.begin());
        }
        return FormatValue::ofStack(std::move(words), pid);
    }
    case program::ValueDesc::Kind::Integer: break;
    }
    unsigned size = v.desc.typeSize ? v.desc.typeSize : 8;
    if (size > 8) size = 8;
    return FormatValue::ofInt(v.bits, size, v.desc.isSigned && !v.desc.isPointer);
}

std::string integerText(const DecodedValue &v) {
    char buf[32];
    uint64_t bits = v.bits;
    unsigned size = v.desc.typeSize ? v.desc.typeSize : 8;
    if (size < 8) bits &= (1ull << (8 * size)) - 1;
    bool sgn = v.desc.isSigned && !v.desc.isPointer;
    if (sgn && size < 8 && (bits >> (8 * size - 1)) & 1) bits |= ~0ull << (8 * size);
    if (v.desc.isPointer)
        std::snprintf(buf, sizeof buf, "0x%" PRIx64, bits);
    else if (sgn)
        std::snprintf(buf, sizeof buf, "%" PRId64, static_cast<int64_t>(bits));
    else
        std::snprintf(buf, sizeof buf, "%" PRIu64, bits);
    return buf;
}

std::string hexText(const DecodedValue &v) {
    std::string hex;
    char buf[4];
    for (char c : v.bytes) {
        std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned char>(c));
        hex += buf;
    }
    return hex;
}

} // namespace dtrace::output
