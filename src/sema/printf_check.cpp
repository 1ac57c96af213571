#include "sema/printf_check.h"

namespace dtrace::sema {

using program::Conversion;
using program::Segment;

// ---------------------------------------------------------------------------
// Argument types.

std::string PrintfArgType::displayName() const {
    if (!name.empty()) return name;
    switch (kind) {
    case Kind::Integer:
        switch (size) {
        case 1: return isSigned ? "char" : "unsigned char";
        case 2: return isSigned ? "short" : "unsigned short";
        case 4: return isSigned ? "int" : "unsigned int";
        default: return isSigned ? "long" : "unsigned long";
        }
    case Kind::Pointer: return "void *";
    case Kind::String: return "string";
    case Kind::Float: return size == 4 ? "float" : size == 8 ? "double" : "long double";
    case Kind::Aggregation: return "aggregation";
    case Kind::Void: return "void";
    case Kind::Struct: return "struct";
    case Kind::Union: return "union";
    case Kind::Array: return "array";
    case Kind::Stack: return "stack";
    case Kind::Other: break;
    }
    return "<unknown>";
}

PrintfArgType PrintfArgType::integer(unsigned size, bool isSigned, std::string name) {
    PrintfArgType t;
    t.kind = Kind::Integer;
    t.size = size;
    t.isSigned = isSigned;
    t.name = std::move(name);
    return t;
}

PrintfArgType PrintfArgType::pointer(std::string name) {
    PrintfArgType t;
    t.kind = Kind::Pointer;
    t.size = 8;
    t.isSigned = false;
    t.name = std::move(name);
    return t;
}

PrintfArgType PrintfArgType::string() {
    PrintfArgType t;
    t.kind = Kind::String;
    t.size = 256;
    t.isSigned = false;
    t.name = "string";
    return t;
}

PrintfArgType PrintfArgType::floating(unsigned size, std::string name) {
    PrintfArgType t;
    t.kind = Kind::Float;
    t.size = size;
    t.name = std::move(name);
    return t;
}

PrintfArgType PrintfArgType::charArray(unsigned count) {
    PrintfArgType t;
    t.kind = Kind::Array;
    t.size = count;
    t.elemKind = Kind::Integer;
    t.elemSize = 1;
    t.name = "char [" + std::to_string(count) + "]";
    return t;
}

PrintfArgType PrintfArgType::stack() {
    PrintfArgType t;
    t.kind = Kind::Stack;
    t.name = "stack";
    return t;
}

PrintfArgType PrintfArgType::voidType() {
    PrintfArgType t;
    t.kind = Kind::Void;
    t.size = 0;
    t.name = "void";
    return t;
}

PrintfArgType PrintfArgType::aggregation(std::vector<PrintfArgType> keys, bool valueSigned) {
    PrintfArgType t;
    t.kind = Kind::Aggregation;
    t.name = "aggregation";
    t.keys = std::move(keys);
    t.aggValueSigned = valueSigned;
    return t;
}

namespace {

using K = PrintfArgType::Kind;

bool isIntegerType(const PrintfArgType &t) {
    return t.kind == K::Integer;
}

bool isStackType(const PrintfArgType &t) {
    return t.kind == K::Stack || (t.kind == K::Other && t.name == "stack");
}

bool typeMatches(const program::Conversion &d, const PrintfArgType &t) {
    switch (d.check) {
    case program::ConversionCheck::Integer: return isIntegerType(t);
    case program::ConversionCheck::CharShortInt: return isIntegerType(t) && t.size <= 4;
    case program::ConversionCheck::Float: return t.kind == K::Float;
    case program::ConversionCheck::LongDouble: return t.kind == K::Float && t.size > 8;
    case program::ConversionCheck::Exact:
        return isIntegerType(t) && t.size == d.exactSize && t.isSigned == d.exactSigned;
    case program::ConversionCheck::Short: return isIntegerType(t) && t.size == 2;
    case program::ConversionCheck::Long: return isIntegerType(t) && t.size == 8;
    case program::ConversionCheck::Address:
        return isIntegerType(t) || t.kind == K::Pointer || t.kind == K::Array ||
               (t.kind == K::Stack && t.symbol);
    case program::ConversionCheck::String:
        return t.kind == K::String ||
               (t.kind == K::Array && t.elemKind == K::Integer && t.elemSize == 1);
    case program::ConversionCheck::WideString:
        return t.kind == K::Array && t.elemKind == K::Integer && t.elemSize == 4;
    case program::ConversionCheck::Stack: return isStackType(t);
    case program::ConversionCheck::Time: return isIntegerType(t) && t.size == 8;
    case program::ConversionCheck::None: return true;
    }
    return false;
}

std::string fn(std::string_view func) {
    return std::string(func) + "( )";
}

} // namespace

std::optional<FormatError>
checkArguments(const ParsedFormat &pf, std::span<const PrintfArgType> args, std::string_view func) {
    const bool printa = func == "printa";
    std::span<const PrintfArgType> vals = args;
    if (printa) {
        if (args.empty())
            return FormatError{"D_PRINTA_PROTO",
                               fn(func) + " prototype mismatch: 1 args passed, 2 expected"};
        for (size_t i = 0; i < args.size(); i++) {
            if (args[i].kind != K::Aggregation)
                return FormatError{"D_PRINTA_AGGARG",
                                   fn(func) + " argument #" + std::to_string(i + 2) +
                                       " is incompatible with prototype:\n\tprototype: "
                                       "aggregation\n\t argument: " +
                                       args[i].displayName()};
        }
        vals = args[0].keys;
    }

    size_t j = 0;       // value arguments consumed
    size_t aggSeen = 0; // %@ conversions seen
    for (const Segment &seg : pf.segments) {
        if (!seg.conv || seg.conv->isPercent()) continue;
        const Conversion &c = *seg.conv;
        const program::Conversion &d = c;
        const std::string convNo = std::to_string(c.index);

        if (c.agg && !printa)
            return FormatError{"D_PRINTF_AGG_CONV",
                               "%@ conversion requires an aggregation and is not for use with " +
                                   fn(func)};

        // The width's '*' comes first, then the precision's.
        for (int k = 0; k < 2; k++) {
            const char *dyn = k == 0 ? "*" : ".*";
            if (!(k == 0 ? c.dynWidth : c.dynPrec)) continue;
            if (j >= vals.size())
                return FormatError{"D_PRINTF_DYN_PROTO",
                                   fn(func) + " prototype mismatch: conversion #" + convNo + " (%" +
                                       c.name + ") is missing a corresponding \"" + dyn +
                                       "\" argument"};
            if (!isIntegerType(vals[j]))
                return FormatError{
                    "D_PRINTF_DYN_TYPE",
                    fn(func) + " argument #" + std::to_string(j + 2) +
                        " is incompatible with conversion #" + convNo +
                        " prototype:\n\tconversion: % " + dyn + " " + c.name +
                        "\n\t prototype: int\n\t  argument: " + vals[j].displayName()};
            j++;
        }

        if (c.agg) {
            // The aggregation's value: uint64_t for count(), else int64_t.
            size_t which = std::min(aggSeen, args.size() - 1);
            aggSeen++;
            bool sgn = args[which].aggValueSigned;
            PrintfArgType vt = PrintfArgType::integer(8, sgn, sgn ? "int64_t" : "uint64_t");
            if (!typeMatches(d, vt))
                return FormatError{"D_PRINTF_ARG_TYPE",
                                   fn(func) + " argument #" + std::to_string(which + 2) +
                                       " is incompatible with conversion #" + convNo +
                                       " prototype:\n\tconversion: %" + c.name +
                                       "\n\t prototype: " + d.prototype +
                                       "\n\t  argument: " + vt.displayName()};
            continue;
        }

        if (j >= vals.size())
            return FormatError{"D_PRINTF_ARG_PROTO",
                               fn(func) + " prototype mismatch: conversion #" + convNo + " (%" +
                                   c.name + ") is missing a corresponding value argument"};
        if (!typeMatches(d, vals[j]))
            return FormatError{"D_PRINTF_ARG_TYPE",
                               fn(func) + " argument #" + std::to_string(j + 2) +
                                   " is incompatible with conversion #" + convNo +
                                   " prototype:\n\tconversion: %" + c.name + "\n\t prototype: " +
                                   d.prototype + "\n\t  argument: " + vals[j].displayName()};
        j++;
    }

    if (!printa && j < vals.size())
        return FormatError{"D_PRINTF_ARG_EXTRA", fn(func) + " prototype mismatch: only " +
                                                     std::to_string(j) +
                                                     " arguments required by this format string"};
    return std::nullopt;
}

} // namespace dtrace::sema
