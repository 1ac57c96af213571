#include "output/json.h"

#include <cinttypes>
#include <cstdio>

namespace dtrace::output {

namespace {

// The length of the valid UTF-8 sequence at s[i], or 0.
size_t utf8Length(std::string_view s, size_t i) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    for (size_t k = 1; k < n; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
    return n;
}

} // namespace

std::string jsonString(std::string_view s) {
    std::string out = "\"";
    for (size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            // Valid UTF-8 as it is; other bytes as the code points of
            // their values, so that the line stays valid JSON.
            if (size_t n = utf8Length(s, i)) {
                out.append(s.substr(i, n));
                i += n - 1;
            } else {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            }
            continue;
        }
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    return out + "\"";
}

std::string jsonValue(const DecodedValue &v, const SymbolResolver *syms) {
    char buf[32];
    switch (v.desc.kind) {
    case program::ValueDesc::Kind::String: return jsonString(v.text);
    case program::ValueDesc::Kind::Integer: {
        uint64_t bits = v.bits;
        unsigned size = v.desc.typeSize ? v.desc.typeSize : 8;
        if (size < 8) bits &= (1ull << (8 * size)) - 1;
        bool sgn = v.desc.isSigned && !v.desc.isPointer;
        if (sgn && size < 8 && (bits >> (8 * size - 1)) & 1) bits |= ~0ull << (8 * size);
        if (v.desc.isPointer)
            std::snprintf(buf, sizeof buf, "\"0x%" PRIx64 "\"", bits);
        else if (sgn)
            std::snprintf(buf, sizeof buf, "%" PRId64, static_cast<int64_t>(bits));
        else
            std::snprintf(buf, sizeof buf, "%" PRIu64, bits);
        return buf;
    }
    case program::ValueDesc::Kind::Stack: {
        std::string out = "[";
        for (const std::string &name : stackFrameNames(toFormatValue(v), syms))
            out += (out.size() > 1 ? "," : "") + jsonString(name);
        return out + "]";
    }
    case program::ValueDesc::Kind::Bytes: {
        std::string hex;
        for (char c : v.bytes) {
            std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned char>(c));
            hex += buf;
        }
        return jsonString(hex);
    }
    }
    return "null";
}

} // namespace dtrace::output
