// DTrace printf()/printa() formatting at run time: traced values printed
// through a parsed format (program/format.h) the way dtrace prints them.
#pragma once

#include "program/format.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace dtrace::output {

using program::Conversion;
using program::ParsedFormat;
using program::Segment;

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
