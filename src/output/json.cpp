#include "output/json.h"

#include <cinttypes>
#include <cstdio>
#include <ctime>

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

int64_t wallClockNs() {
    struct timespec ts {};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string rfc3339(int64_t ns) {
    time_t seconds = static_cast<time_t>(ns / 1000000000);
    long fraction = static_cast<long>(ns % 1000000000);
    if (fraction < 0) fraction += 1000000000, --seconds;
    struct tm utc {};
    gmtime_r(&seconds, &utc);
    char buf[64];
    size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(buf + n, sizeof buf - n, ".%09ldZ", fraction);
    return buf;
}

std::string jsonHead(std::string_view type, int64_t ns) {
    return "{\"schema\":" + std::to_string(kJsonSchema) + ",\"timestamp\":\"" + rfc3339(ns) +
           "\",\"type\":" + jsonString(type);
}

std::string jsonMessage(Severity severity, std::string_view text, const MessageDetail *detail) {
    static const char *const kSeverities[] = {"error", "warning", "info"};
    while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    std::string out = jsonHead("message") + ",\"severity\":\"" +
                      kSeverities[static_cast<int>(severity)] +
                      "\",\"message\":" + jsonString(text);
    if (detail) {
        if (!detail->tag.empty()) out += ",\"tag\":" + jsonString(detail->tag);
        if (!detail->source.empty()) out += ",\"source\":" + jsonString(detail->source);
        if (detail->line > 0) out += ",\"line\":" + std::to_string(detail->line);
        if (detail->column > 0) out += ",\"column\":" + std::to_string(detail->column);
        if (!detail->summary.empty()) out += ",\"summary\":" + jsonString(detail->summary);
    }
    return out + "}";
}

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
    switch (v.desc.kind) {
    case program::ValueDesc::Kind::String: return jsonString(v.text);
    case program::ValueDesc::Kind::Integer:
        return v.desc.isPointer ? jsonString(integerText(v)) : integerText(v);
    case program::ValueDesc::Kind::Stack: {
        std::string out = "[";
        for (const std::string &name : stackFrameNames(toFormatValue(v), syms))
            out += (out.size() > 1 ? "," : "") + jsonString(name);
        return out + "]";
    }
    case program::ValueDesc::Kind::Bytes: return jsonString(hexText(v));
    }
    return "null";
}

} // namespace dtrace::output
