#include "output/printf_format.h"

#include <algorithm>
#include <arpa/inet.h>
#include <bit>
#include <climits>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <cwchar>
#include <netinet/in.h>

namespace dtrace::output {

namespace {

// Field widths and precisions beyond this are clamped when formatting.
constexpr int64_t kMaxField = 1 << 20;

} // namespace

// ---------------------------------------------------------------------------
// Run-time values.

FormatValue FormatValue::ofInt(uint64_t bits, unsigned size, bool isSigned) {
    FormatValue v;
    v.kind = Kind::Integer;
    v.bits = bits;
    v.size = size;
    v.isSigned = isSigned;
    return v;
}

FormatValue FormatValue::ofString(std::string s) {
    FormatValue v;
    v.kind = Kind::String;
    v.str = std::move(s);
    return v;
}

FormatValue FormatValue::ofFloat(double d, unsigned size) {
    FormatValue v;
    v.kind = Kind::Float;
    v.real = d;
    v.size = size;
    return v;
}

FormatValue FormatValue::ofBytes(std::string bytes) {
    FormatValue v;
    v.kind = Kind::Bytes;
    v.size = static_cast<unsigned>(bytes.size());
    v.str = std::move(bytes);
    return v;
}

FormatValue FormatValue::ofStack(std::vector<uint64_t> pcs, int pid) {
    FormatValue v;
    v.kind = Kind::Stack;
    v.frames = std::move(pcs);
    v.pid = pid;
    return v;
}

FormatValue FormatValue::ofText(std::string text) {
    FormatValue v;
    v.kind = Kind::Preformatted;
    v.str = std::move(text);
    return v;
}

namespace {

// The resolved flags, width and precision of one conversion.
struct Spec {
    bool left = false, plus = false, space = false, alt = false, zero = false, group = false;
    int width = 0;     // 0: none
    int precision = 0; // 0: none
};

// snprintf into a std::string (the result may hold NULs, from %c).
template <typename... A> std::string cformat(const std::string &f, A... a) {
    char buf[256];
    int n = std::snprintf(buf, sizeof buf, f.c_str(), a...);
    if (n < 0) return {};
    if (static_cast<size_t>(n) < sizeof buf) return std::string(buf, static_cast<size_t>(n));
    std::string s(static_cast<size_t>(n) + 1, '\0');
    n = std::snprintf(s.data(), s.size(), f.c_str(), a...);
    if (n < 0) return {};
    s.resize(static_cast<size_t>(n));
    return s;
}

// Formats one value with C's printf, with the spec's flags, width and
// precision and the given length modifier + conversion, e.g. "llx".
template <typename T> std::string cprint(const Spec &s, const char *lenConv, T v) {
    std::string f = "%";
    if (s.alt) f += '#';
    if (s.zero) f += '0';
    if (s.left) f += '-';
    if (s.plus) f += '+';
    if (s.group) f += '\'';
    if (s.space) f += ' ';
    if (s.width > 0) f += '*';
    if (s.precision > 0) f += ".*";
    f += lenConv;
    if (s.width > 0 && s.precision > 0) return cformat(f, s.width, s.precision, v);
    if (s.width > 0) return cformat(f, s.width, v);
    if (s.precision > 0) return cformat(f, s.precision, v);
    return cformat(f, v);
}

// Pads/truncates a string as "%s" would (stops at a NUL).
std::string pad(std::string_view text, int width, int precision, bool left) {
    size_t nul = text.find('\0');
    if (nul != std::string_view::npos) text = text.substr(0, nul);
    if (precision > 0 && text.size() > static_cast<size_t>(precision))
        text = text.substr(0, static_cast<size_t>(precision));
    std::string out;
    size_t w = width > 0 ? static_cast<size_t>(width) : 0;
    if (text.size() >= w) return std::string(text);
    if (left) {
        out.assign(text);
        out.append(w - text.size(), ' ');
    } else {
        out.assign(w - text.size(), ' ');
        out.append(text);
    }
    return out;
}

std::string padSpec(std::string_view text, const Spec &s) {
    return pad(text, s.width, s.precision, s.left);
}

unsigned normSize(unsigned size) {
    if (size <= 1) return 1;
    if (size <= 2) return 2;
    if (size <= 4) return 4;
    return 8;
}

uint64_t maskTo(uint64_t v, unsigned size) {
    switch (normSize(size)) {
    case 1: return v & 0xffu;
    case 2: return v & 0xffffu;
    case 4: return v & 0xffffffffu;
    default: return v;
    }
}

int64_t signExtend(uint64_t v, unsigned size) {
    switch (normSize(size)) {
    case 1: return static_cast<int8_t>(static_cast<uint8_t>(v));
    case 2: return static_cast<int16_t>(static_cast<uint16_t>(v));
    case 4: return static_cast<int32_t>(static_cast<uint32_t>(v));
    default: return static_cast<int64_t>(v);
    }
}

int64_t clampToInt64(double d) {
    if (std::isnan(d)) return 0;
    if (d >= 9.2233720368547758e18) return INT64_MAX;
    if (d <= -9.2233720368547758e18) return INT64_MIN;
    return static_cast<int64_t>(d);
}

// A value's raw integer bits and size.
struct IntView {
    uint64_t bits = 0;
    unsigned size = 8;
    bool isSigned = true;
};

IntView intOf(const FormatValue &v) {
    IntView r;
    switch (v.kind) {
    case FormatValue::Kind::Integer:
        r.bits = v.bits;
        r.size = normSize(v.size);
        r.isSigned = v.isSigned;
        break;
    case FormatValue::Kind::Float: r.bits = static_cast<uint64_t>(clampToInt64(v.real)); break;
    case FormatValue::Kind::Bytes: {
        uint64_t b = 0;
        size_t n = std::min<size_t>(v.str.size(), 8);
        std::memcpy(&b, v.str.data(), n);
        r.bits = b;
        r.size = normSize(static_cast<unsigned>(n));
        r.isSigned = false;
        break;
    }
    case FormatValue::Kind::Stack: r.bits = v.frames.empty() ? 0 : v.frames[0]; break;
    default: break;
    }
    return r;
}

double realOf(const FormatValue &v) {
    if (v.kind == FormatValue::Kind::Float) return v.real;
    IntView iv = intOf(v);
    if (iv.isSigned) return static_cast<double>(signExtend(iv.bits, iv.size));
    return static_cast<double>(maskTo(iv.bits, iv.size));
}

// A value as text, for the string conversions.
std::string textOf(const FormatValue &v) {
    switch (v.kind) {
    case FormatValue::Kind::String:
    case FormatValue::Kind::Bytes:
    case FormatValue::Kind::Preformatted: {
        size_t nul = v.str.find('\0');
        return nul == std::string::npos ? v.str : v.str.substr(0, nul);
    }
    case FormatValue::Kind::Float: return cformat(std::string("%g"), v.real);
    case FormatValue::Kind::Integer: {
        IntView iv = intOf(v);
        if (iv.isSigned) return std::to_string(signExtend(iv.bits, iv.size));
        return std::to_string(maskTo(iv.bits, iv.size));
    }
    case FormatValue::Kind::Stack: break;
    }
    return {};
}

std::string hexAddr(uint64_t a) {
    return cformat(std::string("0x%llx"), static_cast<unsigned long long>(a));
}

uint64_t addrBits(const FormatValue &v) {
    IntView iv = intOf(v);
    return iv.size == 4 ? maskTo(iv.bits, 4) : iv.bits;
}

void appendUtf8(std::string &out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x110000) {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += '?';
    }
}

// A wchar_t (4-byte, host order) array as UTF-8, up to the first NUL.
std::string wideText(const FormatValue &v) {
    if (v.kind != FormatValue::Kind::Bytes) return textOf(v);
    std::string out;
    for (size_t i = 0; i + 4 <= v.str.size(); i += 4) {
        uint32_t cp;
        std::memcpy(&cp, v.str.data() + i, 4);
        if (cp == 0) break;
        appendUtf8(out, cp);
    }
    return out;
}

std::string inetText(const FormatValue &v) {
    std::string bytes;
    if (v.kind == FormatValue::Kind::Integer && normSize(v.size) == 4) {
        uint32_t a = static_cast<uint32_t>(v.bits);
        bytes.assign(reinterpret_cast<const char *>(&a), 4);
    } else if (v.kind == FormatValue::Kind::Bytes || v.kind == FormatValue::Kind::String) {
        bytes = v.str;
    }
    char buf[INET6_ADDRSTRLEN] = {};
    if (bytes.size() == 4 && inet_ntop(AF_INET, bytes.data(), buf, sizeof buf)) return buf;
    if (bytes.size() == 16 && inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf)) return buf;
    return textOf(v);
}

std::string rfc822(uint64_t ns) {
    time_t sec = static_cast<time_t>(ns / 1000000000ull);
    struct tm tm;
    if (localtime_r(&sec, &tm) == nullptr) return std::to_string(ns);
    char buf[128];
    size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %G %T %Z", &tm);
    return std::string(buf, n);
}

std::string symbolOrHex(const SymbolResolver *syms, int pid, bool user, uint64_t addr) {
    std::string s;
    if (syms != nullptr)
        s = user ? syms->userSymbol(pid, addr, true) : syms->kernelSymbol(addr, true);
    return s.empty() ? hexAddr(addr) : s;
}

} // namespace

std::vector<std::string> stackFrameNames(const FormatValue &stack, const SymbolResolver *syms) {
    std::vector<std::string> names;
    bool top = true;
    for (uint64_t pc : stack.frames) {
        if (pc == 0) break;
        if (top && stack.pid < 0 && syms && syms->tracingFrame(pc)) continue;
        top = false;
        names.push_back(symbolOrHex(syms, stack.pid, stack.pid >= 0, pc));
    }
    return names;
}

namespace {

std::string stackText(const FormatValue &v, const Spec &s, const SymbolResolver *syms,
                      const FormatOptions &opts) {
    if (v.kind == FormatValue::Kind::String) return textOf(v);
    if (v.kind != FormatValue::Kind::Stack) return {};
    int indent = std::clamp(opts.stackIndent, 0, 1024);
    // A left-justified stack gets no width at all.
    int width = s.left ? 0 : s.width;
    std::string out = "\n";
    for (const std::string &name : stackFrameNames(v, syms)) {
        out.append(static_cast<size_t>(indent), ' ');
        out += pad(name, width, s.precision, false);
        out += '\n';
    }
    return out;
}

} // namespace

std::string formatStack(const FormatValue &stack, const SymbolResolver *syms,
                        const FormatOptions &opts) {
    return stackText(stack, Spec{}, syms, opts);
}

std::string escapeString(std::string_view s) {
    std::string out;
    for (char ch : s) {
        unsigned char c = static_cast<unsigned char>(ch);
        if (c == 0) break;
        switch (c) {
        case '\a': out += "\\a"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\v': out += "\\v"; break;
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        default:
            if (c != ' ' && (c < '!' || c > '~')) {
                out += '\\';
                out += static_cast<char>('0' + ((c >> 6) & 3));
                out += static_cast<char>('0' + ((c >> 3) & 7));
                out += static_cast<char>('0' + (c & 7));
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    return out;
}

std::string formatWalltime(uint64_t ns) {
    static const char *const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t sec = static_cast<time_t>(ns / 1000000000ull);
    struct tm tm;
    if (localtime_r(&sec, &tm) == nullptr || tm.tm_mon < 0 || tm.tm_mon > 11)
        return std::to_string(ns);
    return cformat(std::string("%d %s %2d %02d:%02d:%02d"), tm.tm_year + 1900, kMonths[tm.tm_mon],
                   tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string formatConversion(const Conversion &conv, const FormatValue &value,
                             std::optional<int64_t> dynWidth, std::optional<int64_t> dynPrec,
                             const SymbolResolver *syms, const FormatOptions &opts) {
    if (conv.isPercent()) return "%";
    if (value.kind == FormatValue::Kind::Preformatted) return value.str;

    Spec s;
    s.left = conv.left;
    s.plus = conv.plus;
    s.space = conv.space;
    s.alt = conv.alt;
    s.zero = conv.zeroPad;
    s.group = conv.group;
    int64_t width = conv.dynWidth && dynWidth ? *dynWidth : conv.width;
    if (width < 0) {
        s.left = true;
        width = width == INT64_MIN ? INT64_MAX : -width;
    }
    s.width = static_cast<int>(std::min(width, kMaxField));
    int64_t prec = conv.dynPrec && dynPrec ? *dynPrec : (conv.hasPrecision ? conv.precision : 0);
    s.precision = prec > 0 ? static_cast<int>(std::min(prec, kMaxField)) : 0;

    using Print = program::ConversionPrint;
    const Conversion &d = conv;
    switch (d.print) {
    case Print::SignedInt: {
        IntView iv = intOf(value);
        return cprint(s, "lld", static_cast<long long>(signExtend(iv.bits, iv.size)));
    }
    case Print::DecimalInt: {
        IntView iv = intOf(value);
        if (iv.isSigned)
            return cprint(s, "lld", static_cast<long long>(signExtend(iv.bits, iv.size)));
        return cprint(s, "llu", static_cast<unsigned long long>(maskTo(iv.bits, iv.size)));
    }
    case Print::UnsignedInt: {
        IntView iv = intOf(value);
        char lc[4] = {'l', 'l', d.out, '\0'};
        return cprint(s, lc, static_cast<unsigned long long>(maskTo(iv.bits, iv.size)));
    }
    case Print::Char: {
        IntView iv = intOf(value);
        return cprint(s, "c", static_cast<int>(signExtend(iv.bits, iv.size)));
    }
    case Print::WideChar: {
        IntView iv = intOf(value);
        int64_t c = signExtend(iv.bits, iv.size);
        std::string r = cprint(s, "lc", static_cast<wint_t>(c));
        if (r.empty() && c != 0) r = cprint(s, "c", static_cast<int>(c));
        return r;
    }
    case Print::Float: {
        char fc[2] = {d.out, '\0'};
        return cprint(s, fc, realOf(value));
    }
    case Print::KernelAddr:
    case Print::UserAddr: {
        bool user = d.print == Print::UserAddr;
        return padSpec(symbolOrHex(syms, value.pid, user, addrBits(value)), s);
    }
    case Print::CString: return padSpec(textOf(value), s);
    case Print::EscString: return padSpec(escapeString(textOf(value)), s);
    case Print::WideString: return padSpec(wideText(value), s);
    case Print::Stack: return stackText(value, s, syms, opts);
    case Print::Walltime: return padSpec(formatWalltime(intOf(value).bits), s);
    case Print::Rfc822: return padSpec(rfc822(intOf(value).bits), s);
    case Print::Port: {
        uint16_t port = static_cast<uint16_t>(intOf(value).bits);
        if constexpr (std::endian::native == std::endian::little)
            port = static_cast<uint16_t>((port >> 8) | (port << 8));
        return padSpec(std::to_string(port), s);
    }
    case Print::InetAddr: return padSpec(inetText(value), s);
    case Print::Percent: return "%";
    }
    return {};
}

namespace {

// Dynamic width/precision arguments are ints of their own size.
std::optional<int64_t> dynValue(const FormatValue *v) {
    if (v == nullptr) return std::nullopt;
    if (v->kind == FormatValue::Kind::Float) return clampToInt64(v->real);
    IntView iv = intOf(*v);
    if (!iv.isSigned && normSize(iv.size) == 8) {
        uint64_t u = iv.bits;
        return u > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(u);
    }
    return iv.isSigned ? signExtend(iv.bits, iv.size)
                       : static_cast<int64_t>(maskTo(iv.bits, iv.size));
}

struct Cursor {
    std::span<const FormatValue> values;
    size_t next = 0;
    const FormatValue *take() { return next < values.size() ? &values[next++] : nullptr; }
};

std::string formatWith(const ParsedFormat &pf, Cursor &keys, std::span<const FormatValue> aggValues,
                       bool printa, const SymbolResolver *syms, const FormatOptions &opts) {
    std::string out;
    size_t aggSeen = 0;
    for (const Segment &seg : pf.segments) {
        out += seg.literal;
        if (!seg.conv) continue;
        const Conversion &c = *seg.conv;
        if (c.isPercent()) {
            out += '%';
            continue;
        }
        std::optional<int64_t> w, p;
        if (c.dynWidth) w = dynValue(keys.take());
        if (c.dynPrec) p = dynValue(keys.take());
        const FormatValue *v = nullptr;
        if (printa && c.agg) {
            if (!aggValues.empty()) v = &aggValues[std::min(aggSeen, aggValues.size() - 1)];
            aggSeen++;
        } else {
            v = keys.take();
        }
        if (v == nullptr) continue;
        out += formatConversion(c, *v, w, p, syms, opts);
    }
    return out;
}

} // namespace

std::string format(const ParsedFormat &pf, std::span<const FormatValue> values,
                   const SymbolResolver *syms, const FormatOptions &opts) {
    Cursor cur{values};
    return formatWith(pf, cur, {}, false, syms, opts);
}

std::string formatAggregation(const ParsedFormat &pf, std::span<const FormatValue> keys,
                              std::span<const FormatValue> aggValues, const SymbolResolver *syms,
                              const FormatOptions &opts) {
    Cursor cur{keys};
    return formatWith(pf, cur, aggValues, true, syms, opts);
}

std::string printfString(const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) return {};
    if (static_cast<size_t>(n) < sizeof buf) return std::string(buf, static_cast<size_t>(n));
    std::string s(static_cast<size_t>(n) + 1, '\0');
    va_start(ap, fmt);
    std::vsnprintf(s.data(), s.size(), fmt, ap);
    va_end(ap);
    s.resize(static_cast<size_t>(n));
    return s;
}

bool wantsUtf8(std::string_view encoding, const char *term) {
    if (encoding == "ascii") return false;
    if (encoding == "utf8") return true;
    std::string_view t = term ? term : "";
    return t != "dumb" && t != "sun" && t != "sun-color";
}

} // namespace dtrace::output
