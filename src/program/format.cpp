#include "program/format.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>

namespace dtrace::program {

namespace {

// ---------------------------------------------------------------------------
// The conversion dictionary.

using Check = ConversionCheck;
using Print = ConversionPrint;

struct ConvDef {
    const char *name;
    char out; // C conversion character used for output
    ConversionCheck check;
    ConversionPrint print;
    const char *prototype;
    unsigned exactSize = 0;
    bool exactSigned = false;
};

constexpr const char kProtoXint[] = "char, short, int, long, or long long";
constexpr const char kProtoCsi[] = "char, short, or int";
constexpr const char kProtoFp[] = "float, double, or long double";
constexpr const char kProtoAddr[] = "pointer or integer";
constexpr const char kProtoCstr[] = "char [] or string (or use stringof)";
constexpr const char kProtoWstr[] = "wchar_t []";

const ConvDef kConversions[] = {
    {"a", 's', Check::Address, Print::KernelAddr, kProtoAddr},
    {"A", 's', Check::Address, Print::UserAddr, kProtoAddr},
    {"c", 'c', Check::CharShortInt, Print::Char, kProtoCsi},
    {"d", 'd', Check::Integer, Print::DecimalInt, kProtoXint},
    {"e", 'e', Check::Float, Print::Float, kProtoFp},
    {"E", 'E', Check::Float, Print::Float, kProtoFp},
    {"f", 'f', Check::Float, Print::Float, kProtoFp},
    {"g", 'g', Check::Float, Print::Float, kProtoFp},
    {"G", 'G', Check::Float, Print::Float, kProtoFp},
    {"hd", 'd', Check::Exact, Print::SignedInt, "short", 2, true},
    {"hi", 'i', Check::Exact, Print::SignedInt, "short", 2, true},
    {"ho", 'o', Check::Exact, Print::UnsignedInt, "unsigned short", 2, false},
    {"hu", 'u', Check::Exact, Print::UnsignedInt, "unsigned short", 2, false},
    {"hx", 'x', Check::Short, Print::UnsignedInt, "short"},
    {"hX", 'X', Check::Short, Print::UnsignedInt, "short"},
    {"hhd", 'd', Check::Integer, Print::SignedInt, kProtoXint},
    {"hhi", 'i', Check::Integer, Print::SignedInt, kProtoXint},
    {"hho", 'o', Check::Integer, Print::UnsignedInt, kProtoXint},
    {"hhu", 'u', Check::Integer, Print::UnsignedInt, kProtoXint},
    {"hhx", 'x', Check::Integer, Print::UnsignedInt, kProtoXint},
    {"hhX", 'X', Check::Integer, Print::UnsignedInt, kProtoXint},
    {"i", 'i', Check::Integer, Print::SignedInt, kProtoXint},
    {"I", 's', Check::String, Print::InetAddr, kProtoCstr},
    {"k", 's', Check::Stack, Print::Stack, "stack"},
    {"lc", 'c', Check::Exact, Print::WideChar, "int", 4, true},
    {"ld", 'd', Check::Exact, Print::SignedInt, "long", 8, true},
    {"li", 'i', Check::Exact, Print::SignedInt, "long", 8, true},
    {"lo", 'o', Check::Exact, Print::UnsignedInt, "unsigned long", 8, false},
    {"lu", 'u', Check::Exact, Print::UnsignedInt, "unsigned long", 8, false},
    {"ls", 's', Check::WideString, Print::WideString, kProtoWstr},
    {"lx", 'x', Check::Long, Print::UnsignedInt, "long"},
    {"lX", 'X', Check::Long, Print::UnsignedInt, "long"},
    {"lld", 'd', Check::Exact, Print::SignedInt, "long long", 8, true},
    {"lli", 'i', Check::Exact, Print::SignedInt, "long long", 8, true},
    {"llo", 'o', Check::Exact, Print::UnsignedInt, "unsigned long long", 8, false},
    {"llu", 'u', Check::Exact, Print::UnsignedInt, "unsigned long long", 8, false},
    {"llx", 'x', Check::Long, Print::UnsignedInt, "long long"},
    {"llX", 'X', Check::Long, Print::UnsignedInt, "long long"},
    {"jd", 'd', Check::Integer, Print::DecimalInt, kProtoXint},
    {"ji", 'i', Check::Integer, Print::SignedInt, kProtoXint},
    {"jo", 'o', Check::Integer, Print::UnsignedInt, kProtoXint},
    {"ju", 'u', Check::Integer, Print::UnsignedInt, kProtoXint},
    {"jx", 'x', Check::Integer, Print::UnsignedInt, kProtoXint},
    {"jX", 'X', Check::Integer, Print::UnsignedInt, kProtoXint},
    {"td", 'd', Check::Integer, Print::DecimalInt, kProtoXint},
    {"ti", 'i', Check::Integer, Print::SignedInt, kProtoXint},
    {"to", 'o', Check::Integer, Print::UnsignedInt, kProtoXint},
    {"tu", 'u', Check::Integer, Print::UnsignedInt, kProtoXint},
    {"tx", 'x', Check::Integer, Print::UnsignedInt, kProtoXint},
    {"tX", 'X', Check::Integer, Print::UnsignedInt, kProtoXint},
    {"zd", 'd', Check::Integer, Print::DecimalInt, kProtoXint},
    {"zi", 'i', Check::Integer, Print::SignedInt, kProtoXint},
    {"zo", 'o', Check::Integer, Print::UnsignedInt, kProtoXint},
    {"zu", 'u', Check::Integer, Print::UnsignedInt, kProtoXint},
    {"zx", 'x', Check::Integer, Print::UnsignedInt, kProtoXint},
    {"zX", 'X', Check::Integer, Print::UnsignedInt, kProtoXint},
    {"Le", 'e', Check::LongDouble, Print::Float, "long double"},
    {"LE", 'E', Check::LongDouble, Print::Float, "long double"},
    {"Lf", 'f', Check::LongDouble, Print::Float, "long double"},
    {"Lg", 'g', Check::LongDouble, Print::Float, "long double"},
    {"LG", 'G', Check::LongDouble, Print::Float, "long double"},
    {"o", 'o', Check::Integer, Print::UnsignedInt, kProtoXint},
    {"p", 'x', Check::Address, Print::UnsignedInt, kProtoAddr},
    {"P", 's', Check::Exact, Print::Port, "uint16_t", 2, false},
    {"s", 's', Check::String, Print::CString, kProtoCstr},
    {"S", 's', Check::String, Print::EscString, kProtoCstr},
    {"T", 's', Check::Time, Print::Rfc822, "int64_t"},
    {"u", 'u', Check::Integer, Print::UnsignedInt, kProtoXint},
    {"wc", 'c', Check::Exact, Print::WideChar, "int", 4, true},
    {"ws", 's', Check::WideString, Print::WideString, kProtoWstr},
    {"x", 'x', Check::Integer, Print::UnsignedInt, kProtoXint},
    {"X", 'X', Check::Integer, Print::UnsignedInt, kProtoXint},
    {"Y", 's', Check::Time, Print::Walltime, "int64_t"},
    {"%", '%', Check::None, Print::Percent, "void"},
};

const ConvDef *lookupConv(std::string_view name) {
    for (const ConvDef &d : kConversions)
        if (name == d.name) return &d;
    return nullptr;
}

// Field widths and precisions beyond this are clamped when formatting.
constexpr int64_t kMaxField = 1 << 20;

// ---------------------------------------------------------------------------
// Parsing.

FormatError syntaxError(unsigned n, const std::string &what) {
    return {"D_SYNTAX", "format conversion #" + std::to_string(n) + " " + what};
}

bool isIntConvChar(char c) {
    return std::strchr("diouxX", c) != nullptr && c != '\0';
}

} // namespace

unsigned Conversion::argumentsConsumed() const {
    if (isPercent()) return 0;
    return (dynWidth ? 1u : 0u) + (dynPrec ? 1u : 0u) + (agg ? 0u : 1u);
}

bool ParsedFormat::hasArgumentConversions() const {
    for (const Segment &s : segments)
        if (s.conv && !s.conv->isPercent()) return true;
    return false;
}

std::variant<ParsedFormat, FormatError> parseFormat(std::string_view fmt, std::string_view func) {
    (void)func; // %@ outside printa() is reported by checkArguments(), in order
    ParsedFormat pf;
    std::string literal;
    size_t pos = 0;
    while (pos < fmt.size()) {
        size_t pct = fmt.find('%', pos);
        if (pct == std::string_view::npos) {
            literal.append(fmt.substr(pos));
            break;
        }
        literal.append(fmt.substr(pos, pct - pos));

        Conversion c;
        c.index = ++pf.conversions;
        std::string name;
        bool dot = false;
        int digits = 0;
        size_t p = pct + 1;
        bool done = false;
        while (!done) {
            if (p >= fmt.size() || fmt[p] == '\0')
                return syntaxError(c.index, "name expected before end of format string");
            char ch = fmt[p++];
            switch (ch) {
            case '0':
            case '1':
            case '2':
            case '3':
            case '4':
            case '5':
            case '6':
            case '7':
            case '8':
            case '9': {
                if (!dot && digits == 0 && ch == '0') {
                    c.zeroPad = true;
                    break;
                }
                int64_t n = ch - '0';
                while (p < fmt.size() && fmt[p] >= '0' && fmt[p] <= '9') {
                    n = std::min<int64_t>(n * 10 + (fmt[p] - '0'), INT_MAX);
                    p++;
                }
                if (p < fmt.size() && fmt[p] == '$')
                    return syntaxError(c.index, "uses unsupported positional format (%n$)");
                if (dot) {
                    c.precision = static_cast<int>(n);
                    c.hasPrecision = true;
                } else {
                    c.width = static_cast<int>(n);
                }
                digits++;
                break;
            }
            case '#': c.alt = true; break;
            case '*':
                if (dot ? c.dynPrec : c.dynWidth) {
                    // DTrace names the precision here even for a second
                    // width '*'; keep its wording.
                    return syntaxError(c.index,
                                       "has more than one '*' specified for the output precision");
                }
                (dot ? c.dynPrec : c.dynWidth) = true;
                break;
            case '+': c.plus = true; break;
            case '-': c.left = true; break;
            case ' ': c.space = true; break;
            case '\'': c.group = true; break;
            case '@': c.agg = true; break;
            case '?': c.width = 16; break; // the width of a 64-bit pointer in hex
            case '.':
                if (dot) return syntaxError(c.index, "has more than one '.' specified");
                dot = true;
                digits = 0;
                c.hasPrecision = true;
                break;
            case '$': return syntaxError(c.index, "uses unsupported positional format (%n$)");
            case '%':
                if (p - 2 != pct)
                    return syntaxError(c.index, "cannot be combined with other format flags: %%");
                name = "%";
                done = true;
                break;
            case 'h':
            case 'l':
            case 'L':
            case 'w':
                if (name.size() < 6) name += ch;
                break;
            case 'j':
            case 't':
            case 'z':
                // Length modifiers only when an integer conversion follows;
                // otherwise they name a (non-existent) conversion.
                name += ch;
                done = name.size() >= 6 || p >= fmt.size() || !isIntConvChar(fmt[p]);
                break;
            default:
                name += ch;
                done = true;
                break;
            }
        }

        const ConvDef *def = lookupConv(name);
        if (def == nullptr) return syntaxError(c.index, "is undefined: %" + name);
        c.name = name;
        c.conv = name.back();
        c.length = name.substr(0, name.size() - 1);
        c.prototype = def->prototype;
        c.check = def->check;
        c.print = def->print;
        c.out = def->out;
        c.exactSize = def->exactSize;
        c.exactSigned = def->exactSigned;
        c.text = std::string(fmt.substr(pct, p - pct));
        if (c.isPercent()) {
            c = Conversion{};
            c.index = pf.conversions;
            c.name = "%";
            c.conv = '%';
            c.text = "%%";
            c.prototype = def->prototype;
            c.check = def->check;
            c.print = def->print;
            c.out = '%';
        }
        if (c.agg) pf.aggConversions++;
        pf.valueArgs += c.argumentsConsumed();
        pf.segments.push_back(Segment{std::move(literal), std::move(c)});
        literal.clear();
        pos = p;
    }
    if (!literal.empty()) pf.segments.push_back(Segment{std::move(literal), std::nullopt});
    return pf;
}

} // namespace dtrace::program
