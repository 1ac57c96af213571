// DTrace printf()/printa() format strings as the compiler parses them and
// the consumer formats them: a list of segments, each a literal prefix
// followed by at most one conversion. "%%" is kept as a conversion of its
// own (it takes no argument) because DTrace counts it when numbering
// conversions in messages.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace dtrace::program {

// How a conversion's argument type is checked.
enum class ConversionCheck {
    Integer,      // any integer
    CharShortInt, // an integer no wider than int
    Float,        // float, double or long double
    LongDouble,   // long double only
    Exact,        // an integer of exactly the given size and signedness
    Short,        // a 2-byte integer, either signedness
    Long,         // an 8-byte integer, either signedness
    Address,      // pointer, array or integer
    String,       // string or char array
    WideString,   // wchar_t array
    Stack,        // stack()/ustack()
    Time,         // 8-byte integer
    None          // "%%"
};

// How a conversion's value is printed.
enum class ConversionPrint {
    SignedInt,   // as a signed value of its own size
    UnsignedInt, // as an unsigned value of its own size
    DecimalInt,  // %d: signed or unsigned as its type is
    Char,        // %c
    WideChar,    // %lc %wc
    Float,       // %e %E %f %g %G
    KernelAddr,  // %a
    UserAddr,    // %A
    CString,     // %s
    EscString,   // %S
    WideString,  // %ls %ws
    Stack,       // %k
    Walltime,    // %Y
    Rfc822,      // %T
    Port,        // %P
    InetAddr,    // %I
    Percent      // %%
};

struct FormatError {
    std::string tag;     // e.g. "D_PRINTF_ARG_TYPE"
    std::string message; // without "line N: " and without a trailing newline
};

// One conversion specification.
struct Conversion {
    std::string text;      // as written, e.g. "%-*.3ld"
    std::string name;      // dictionary name (length prefix + conversion), e.g. "ld"
    std::string length;    // "", "h", "hh", "l", "ll", "L", "j", "t", "z" or "w"
    char conv = 0;         // the conversion character ('%' for "%%")
    unsigned index = 0;    // 1-based conversion number as DTrace counts them
    bool left = false;     // '-'
    bool plus = false;     // '+'
    bool space = false;    // ' '
    bool alt = false;      // '#'
    bool zeroPad = false;  // '0'
    bool group = false;    // '\''
    bool agg = false;      // '@': printa()'s aggregation value
    bool dynWidth = false; // '*'
    bool dynPrec = false;  // '.*'
    bool hasPrecision = false;
    int width = 0;              // 0: none ('?' makes it the width of a pointer, 16)
    int precision = 0;          // only printed when > 0 (as DTrace does)
    const char *prototype = ""; // what the conversion accepts, for messages
    // From the conversion dictionary: how the argument is checked, and
    // how it is printed (with the C conversion character used).
    ConversionCheck check = ConversionCheck::None;
    ConversionPrint print = ConversionPrint::CString;
    char out = 's';
    unsigned exactSize = 0; // ConversionCheck::Exact
    bool exactSigned = false;

    bool isPercent() const { return conv == '%'; }
    // Value arguments this conversion consumes from the argument list: its
    // '*' / '.*' ones plus its value (none for "%%"; for printa() a %@
    // conversion takes its value from the aggregation instead).
    unsigned argumentsConsumed() const;
};

struct Segment {
    std::string literal;            // printed verbatim before the conversion
    std::optional<Conversion> conv; // absent for trailing text
};

struct ParsedFormat {
    std::vector<Segment> segments;
    unsigned conversions = 0;    // conversions, "%%" included (DTrace's numbering)
    unsigned valueArgs = 0;      // arguments consumed (values and '*'s; %@ excluded)
    unsigned aggConversions = 0; // %@ conversions

    // True if the format has any conversion other than "%%".
    bool hasArgumentConversions() const;
};

// Parses a format string. `func` is the D action ("printf", "printa",
// "system", "freopen", ...): only "printa" accepts %@ (checked in
// sema::checkArguments(), as DTrace does). Errors are D_SYNTAX. An empty format is
// accepted; reporting D_PRINTF_FMT_EMPTY is up to the caller.
std::variant<ParsedFormat, FormatError> parseFormat(std::string_view fmt, std::string_view func);

} // namespace dtrace::program
