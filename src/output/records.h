// Formats what the consumer reads from the buffers: trace() values, byte
// dumps, and the default (non-quiet) probe prefix, as DTrace prints them.
#pragma once

#include "output/printf_format.h"
#include "program/decode.h"

#include <cstdint>
#include <span>
#include <string>

namespace dtrace::output {

// A value read out of a record, according to its description.
struct DecodedValue {
    program::ValueDesc desc;
    uint64_t bits = 0; // integers, normalised to 64 bits
    std::string text;  // strings
    std::string bytes; // structs, arrays
};

DecodedValue decodeValue(const program::ValueDesc &d, std::span<const uint8_t> data);
// An integer value as text by its type: signed or unsigned decimal, a
// pointer as 0x hex (what JSON and Prometheus labels show).
std::string integerText(const DecodedValue &v);
// Raw bytes as lower-case hex digits.
std::string hexText(const DecodedValue &v);

// trace(): "%d" style when quiet, fixed-width columns otherwise.
std::string formatTrace(const DecodedValue &v, bool quiet, const SymbolResolver *syms = nullptr,
                        const FormatOptions &opts = {});

// DTrace's dump of raw bytes: a string if they look like one, else hex.
std::string formatBytes(std::span<const uint8_t> bytes, bool quiet, bool forceDump = false);

// func(), sym(), mod() and the user forms: "module`function" or "module"
// (the address in hex when no symbol holds it).
std::string formatSymbol(const DecodedValue &v, const SymbolResolver *syms);

// The value a printf argument takes.
FormatValue toFormatValue(const DecodedValue &v);

} // namespace dtrace::output
