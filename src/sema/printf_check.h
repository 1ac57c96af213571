// printf()/printa() argument checking at compile time: the D argument
// types against a parsed format's conversions, with DTrace's error tags and
// wording.
#pragma once

#include "program/format.h"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dtrace::sema {

using program::FormatError;
using program::ParsedFormat;

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
    bool symbol = false; // Kind::Stack: func(), usym() ... (an address, for %a and %A)
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

} // namespace dtrace::sema
