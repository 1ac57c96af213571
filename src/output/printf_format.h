// DTrace printf()/printa() format strings: parsing at compile time, checking
// the D argument types against the conversions (with DTrace's error tags and
// wording), and formatting traced values at run time the way dtrace prints
// them.
//
// The format string is split into segments, each a literal prefix followed by
// at most one conversion. "%%" is kept as a conversion of its own (it takes no
// argument) because DTrace counts it when numbering conversions in messages.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace dtrace::output {

// What the compiler knows of one argument's D type, enough to check a
// conversion. Typedefs are expected to be resolved into kind/size/isSigned;
// `name` is what the messages show.
struct PrintfArgType {
    enum class Kind {
        Integer, // integers, enums, bit-fields
        Pointer,
        String,
        Float,
        Aggregation,
        Void,
        Struct,
        Union,
        Array,
        Other,
        Stack // stack(), ustack(), jstack() results
    };
    Kind kind = Kind::Integer;
    unsigned size = 8; // bytes
    bool isSigned = true;
    std::string name; // D type name for messages: "int", "char *", "string", "aggregation", ...

    // Kind::Array: the element type (a char array is Integer of size 1, a
    // wchar_t array Integer of size 4).
    Kind elemKind = Kind::Other;
    unsigned elemSize = 0;

    // Kind::Aggregation (printa): the key types and the value's signedness
    // (count() yields uint64_t, the other functions int64_t).
    std::vector<PrintfArgType> keys;
    bool aggValueSigned = true;

    // The name shown in messages: `name`, or one made up from kind and size.
    std::string displayName() const;

    static PrintfArgType integer(unsigned size, bool isSigned, std::string name = {});
    static PrintfArgType pointer(std::string name = "void *");
    static PrintfArgType string();
    static PrintfArgType floating(unsigned size, std::string name = {});
    static PrintfArgType charArray(unsigned count);
    static PrintfArgType stack();
    static PrintfArgType voidType();
    static PrintfArgType aggregation(std::vector<PrintfArgType> keys = {}, bool valueSigned = true);
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
// checkArguments(), as DTrace does). Errors are D_SYNTAX. An empty format is
// accepted; reporting D_PRINTF_FMT_EMPTY is up to the caller.
std::variant<ParsedFormat, FormatError> parseFormat(std::string_view fmt, std::string_view func);

// Checks the argument types (the arguments AFTER the format string) against
// the conversions. Messages number the format string as argument #1.
//
// printf() and friends: D_PRINTF_AGG_CONV, D_PRINTF_DYN_PROTO,
// D_PRINTF_DYN_TYPE, D_PRINTF_ARG_PROTO, D_PRINTF_ARG_TYPE,
// D_PRINTF_ARG_EXTRA.
//
// printa(): `args` are the aggregations (Kind::Aggregation, others give
// D_PRINTA_AGGARG; none gives D_PRINTA_PROTO); the conversions other than %@
// are checked against the first aggregation's keys (unused keys are fine),
// %@ against its value. Checking that several aggregations have compatible
// keys (D_PRINTA_AGGKEY, D_PRINTA_AGGPROTO) is left to the caller.
std::optional<FormatError>
checkArguments(const ParsedFormat &pf, std::span<const PrintfArgType> args, std::string_view func);

// A run-time value for one argument.
struct FormatValue {
    enum class Kind {
        Integer,     // bits, size (1, 2, 4 or 8), isSigned
        String,      // str (ends at the first NUL)
        Float,       // real
        Bytes,       // str holds raw bytes (char arrays, wchar_t arrays, addresses for %I)
        Stack,       // frames; pid >= 0 for a user stack
        Preformatted // str printed verbatim whatever the conversion (e.g. a quantize() for %@)
    };
    Kind kind = Kind::Integer;
    uint64_t bits = 0;
    unsigned size = 8;
    bool isSigned = true;
    std::string str;
    double real = 0;
    int pid = -1;                 // %A and user stacks: the process
    std::vector<uint64_t> frames; // Kind::Stack: program counters, a 0 ends the stack

    static FormatValue ofInt(uint64_t bits, unsigned size = 8, bool isSigned = true);
    static FormatValue ofString(std::string s);
    static FormatValue ofFloat(double d, unsigned size = 8);
    static FormatValue ofBytes(std::string bytes);
    static FormatValue ofStack(std::vector<uint64_t> pcs, int pid = -1);
    static FormatValue ofText(std::string text);
};

// Resolves kernel/user addresses for %a %A %k, e.g. "vmlinux`max_pfn",
// "vmlinux`foo+0x10" (the offset only when withOffset and non-zero). An empty
// result means unknown: the address is printed in hex.
struct SymbolResolver {
    virtual ~SymbolResolver() = default;
    virtual std::string kernelSymbol(uint64_t addr, bool withOffset) const = 0;
    virtual std::string userSymbol(int pid, uint64_t addr, bool withOffset) const = 0;
    // A kernel frame of the tracing machinery itself (the BPF program and
    // what calls it), left off the top of a stack.
    virtual bool tracingFrame(uint64_t) const { return false; }
};

struct FormatOptions {
    int stackIndent = 14; // the stackindent option, for %k
    bool aggZoom = false; // aggzoom: histogram bars scaled to the largest bucket
    bool aggPack = false; // aggpack: quantize()/lquantize() packed on one line a key
    bool aggHist = false; // agghist: count()/sum() values drawn as histogram bars
    bool utf8 = true;     // aggpack draws with Unicode block elements
};

// printf(3) into a string, of any length.
std::string printfString(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// Whether aggpack may draw with UTF-8: -x encoding=ascii|utf8 says so;
// otherwise yes, but on terminals known not to show it (TERM dumb, sun).
bool wantsUtf8(std::string_view encoding, const char *term);

// Formats printf() values: they are consumed in order, '*' and '.*' taking
// one each before the conversion's value. A conversion whose value is missing
// prints nothing. Never throws on bad input.
std::string format(const ParsedFormat &pf, std::span<const FormatValue> values,
                   const SymbolResolver *syms = nullptr, const FormatOptions &opts = {});

// Formats one printa() line: conversions other than %@ (and '*'s) take the
// key values in order; the n-th %@ takes aggValues[n], the last one once they
// run out.
std::string formatAggregation(const ParsedFormat &pf, std::span<const FormatValue> keys,
                              std::span<const FormatValue> aggValues,
                              const SymbolResolver *syms = nullptr, const FormatOptions &opts = {});

// Formats a single conversion. dynWidth/dynPrec are the values of its '*' and
// '.*' arguments (ignored unless the conversion has them).
std::string formatConversion(const Conversion &conv, const FormatValue &value,
                             std::optional<int64_t> dynWidth = std::nullopt,
                             std::optional<int64_t> dynPrec = std::nullopt,
                             const SymbolResolver *syms = nullptr, const FormatOptions &opts = {});

// The names of a stack's frames (the tracing machinery's own kernel frames
// at its top left off; an address with no symbol in hex).
std::vector<std::string> stackFrameNames(const FormatValue &stack, const SymbolResolver *syms);

// A stack() or ustack() value as trace() and aggregation keys show it: a
// newline, then a frame a line, indented by stackindent.
std::string formatStack(const FormatValue &stack, const SymbolResolver *syms,
                        const FormatOptions &opts = {});

// DTrace's %S escaping: C escapes for \a \b \f \n \r \t \v " and \, octal
// "\ooo" for other non-printables; stops at the first NUL.
std::string escapeString(std::string_view s);

// %Y: nanoseconds since the epoch as "2004 Jan  1 00:00:00" (local time).
std::string formatWalltime(uint64_t ns);

} // namespace dtrace::output
