#include "output/printf_format.h"
#include "sema/printf_check.h"

#include <cstdlib>
#include <ctime>
#include <gtest/gtest.h>
#include <map>
#include <random>

using namespace dtrace::output;
using namespace dtrace::sema;
using dtrace::program::parseFormat;

namespace {

using Kind = PrintfArgType::Kind;

ParsedFormat parseOk(std::string_view fmt, std::string_view func = "printf") {
    auto r = parseFormat(fmt, func);
    if (auto *e = std::get_if<FormatError>(&r)) {
        ADD_FAILURE() << "unexpected error for \"" << fmt << "\": " << e->tag << " " << e->message;
        return {};
    }
    return std::get<ParsedFormat>(r);
}

FormatError parseErr(std::string_view fmt, std::string_view func = "printf") {
    auto r = parseFormat(fmt, func);
    if (auto *e = std::get_if<FormatError>(&r)) return *e;
    ADD_FAILURE() << "expected an error for \"" << fmt << "\"";
    return {};
}

std::optional<FormatError> check(std::string_view fmt, std::vector<PrintfArgType> args,
                                 std::string_view func = "printf") {
    ParsedFormat pf = parseOk(fmt, func);
    return checkArguments(pf, args, func);
}

PrintfArgType intT() {
    return PrintfArgType::integer(4, true, "int");
}
PrintfArgType stringT() {
    return PrintfArgType::string();
}
PrintfArgType aggT(std::vector<PrintfArgType> keys = {}) {
    return PrintfArgType::aggregation(std::move(keys), false);
}

std::string fmt1(std::string_view f, std::vector<FormatValue> vals,
                 const SymbolResolver *syms = nullptr, const FormatOptions &opts = {}) {
    return format(parseOk(f), vals, syms, opts);
}

FormatValue i8(int64_t v) {
    return FormatValue::ofInt(static_cast<uint64_t>(v), 8, true);
}
FormatValue i4(int64_t v) {
    return FormatValue::ofInt(static_cast<uint64_t>(v), 4, true);
}
FormatValue str(std::string s) {
    return FormatValue::ofString(std::move(s));
}

class FakeSyms : public SymbolResolver {
  public:
    std::string kernelSymbol(uint64_t addr, bool withOffset) const override {
        if (addr == 0xffffffff81000000ull) return "vmlinux`max_pfn";
        if (addr == 0xffffffff81000010ull) return withOffset ? "vmlinux`foo+0x10" : "vmlinux`foo";
        return {};
    }
    std::string userSymbol(int pid, uint64_t addr, bool withOffset) const override {
        if (pid == 42 && addr == 0x400000) return withOffset ? "a.out`main" : "a.out`main";
        return {};
    }
};

} // namespace

// ---------------------------------------------------------------------------
// Parsing.

TEST(PrintfParse, SplitsLiteralsAndConversions) {
    ParsedFormat pf = parseOk("x = %d y = %s\n");
    ASSERT_EQ(pf.segments.size(), 3u);
    EXPECT_EQ(pf.segments[0].literal, "x = ");
    ASSERT_TRUE(pf.segments[0].conv);
    EXPECT_EQ(pf.segments[0].conv->conv, 'd');
    EXPECT_EQ(pf.segments[0].conv->index, 1u);
    EXPECT_EQ(pf.segments[1].literal, " y = ");
    EXPECT_EQ(pf.segments[1].conv->conv, 's');
    EXPECT_EQ(pf.segments[2].literal, "\n");
    EXPECT_FALSE(pf.segments[2].conv);
    EXPECT_EQ(pf.conversions, 2u);
    EXPECT_EQ(pf.valueArgs, 2u);
    EXPECT_TRUE(pf.hasArgumentConversions());
}

TEST(PrintfParse, PlainTextAndEmpty) {
    ParsedFormat pf = parseOk("hello world from BEGIN");
    ASSERT_EQ(pf.segments.size(), 1u);
    EXPECT_EQ(pf.segments[0].literal, "hello world from BEGIN");
    EXPECT_FALSE(pf.hasArgumentConversions());
    EXPECT_EQ(pf.valueArgs, 0u);
    EXPECT_TRUE(parseOk("").segments.empty());
}

TEST(PrintfParse, PercentPercentCountsAsConversionButTakesNoArgument) {
    ParsedFormat pf = parseOk("%%a = %a\n");
    EXPECT_EQ(pf.conversions, 2u);
    EXPECT_EQ(pf.valueArgs, 1u);
    ASSERT_TRUE(pf.segments[0].conv);
    EXPECT_TRUE(pf.segments[0].conv->isPercent());
    EXPECT_EQ(pf.segments[1].conv->index, 2u);
    EXPECT_FALSE(parseOk("100%%").hasArgumentConversions());
}

TEST(PrintfParse, FlagsWidthPrecisionLength) {
    ParsedFormat pf = parseOk("%-#+ '08.3lld");
    const Conversion &c = *pf.segments[0].conv;
    EXPECT_TRUE(c.left);
    EXPECT_TRUE(c.alt);
    EXPECT_TRUE(c.plus);
    EXPECT_TRUE(c.space);
    EXPECT_TRUE(c.group);
    EXPECT_TRUE(c.zeroPad);
    EXPECT_EQ(c.width, 8);
    EXPECT_TRUE(c.hasPrecision);
    EXPECT_EQ(c.precision, 3);
    EXPECT_EQ(c.length, "ll");
    EXPECT_EQ(c.name, "lld");
    EXPECT_EQ(c.conv, 'd');
    EXPECT_EQ(c.text, "%-#+ '08.3lld");
    EXPECT_STREQ(c.prototype, "long long");
}

TEST(PrintfParse, DynamicWidthAndPrecisionConsumeArguments) {
    ParsedFormat pf = parseOk("%*.*s %.*d %*x");
    EXPECT_TRUE(pf.segments[0].conv->dynWidth);
    EXPECT_TRUE(pf.segments[0].conv->dynPrec);
    EXPECT_FALSE(pf.segments[1].conv->dynWidth);
    EXPECT_TRUE(pf.segments[1].conv->dynPrec);
    EXPECT_EQ(pf.valueArgs, 3u + 2u + 2u);
}

TEST(PrintfParse, QuestionFlagIsPointerWidth) {
    EXPECT_EQ(parseOk("%?d").segments[0].conv->width, 16);
    EXPECT_EQ(parseOk("%?p").segments[0].conv->width, 16);
}

TEST(PrintfParse, AggregationConversion) {
    ParsedFormat pf = parseOk("%@10d %d", "printa");
    EXPECT_TRUE(pf.segments[0].conv->agg);
    EXPECT_EQ(pf.segments[0].conv->width, 10);
    EXPECT_EQ(pf.aggConversions, 1u);
    EXPECT_EQ(pf.valueArgs, 1u);
}

TEST(PrintfParse, OtherLengthModifiers) {
    EXPECT_EQ(parseOk("%hhx").segments[0].conv->length, "hh");
    EXPECT_EQ(parseOk("%zu").segments[0].conv->length, "z");
    EXPECT_EQ(parseOk("%jd").segments[0].conv->length, "j");
    EXPECT_EQ(parseOk("%td").segments[0].conv->length, "t");
    EXPECT_EQ(parseOk("%Lf").segments[0].conv->length, "L");
    EXPECT_EQ(parseOk("%hX").segments[0].conv->name, "hX");
    EXPECT_EQ(parseOk("%wc").segments[0].conv->name, "wc");
    EXPECT_EQ(parseOk("%ls").segments[0].conv->name, "ls");
}

TEST(PrintfParse, DTraceConversionsAreKnown) {
    for (const char *f : {"%a", "%A", "%c", "%e", "%E", "%f", "%g", "%G", "%i", "%k", "%o",
                          "%p", "%s", "%S", "%u", "%x", "%X", "%Y", "%T", "%P", "%I"}) {
        ParsedFormat pf = parseOk(f);
        ASSERT_EQ(pf.segments.size(), 1u) << f;
        EXPECT_EQ(pf.segments[0].conv->conv, f[1]) << f;
    }
}

TEST(PrintfParse, SyntaxErrors) {
    const std::map<std::string, std::string> cases = {
        {"%1$d", "format conversion #1 uses unsupported positional format (%n$)"},
        {"%3$d", "format conversion #1 uses unsupported positional format (%n$)"},
        {"%$d", "format conversion #1 uses unsupported positional format (%n$)"},
        {"%", "format conversion #1 name expected before end of format string"},
        {"%*", "format conversion #1 name expected before end of format string"},
        {"%.*", "format conversion #1 name expected before end of format string"},
        {"%3", "format conversion #1 name expected before end of format string"},
        {"%l", "format conversion #1 name expected before end of format string"},
        {"%Z", "format conversion #1 is undefined: %Z"},
        {"%z", "format conversion #1 is undefined: %z"},
        {"%n", "format conversion #1 is undefined: %n"},
        {"%hq", "format conversion #1 is undefined: %hq"},
        {"%Ld", "format conversion #1 is undefined: %Ld"},
        {"%.*.*d", "format conversion #1 has more than one '.' specified"},
        {"%.**d", "format conversion #1 has more than one '*' specified for the output precision"},
        {"%-%", "format conversion #1 cannot be combined with other format flags: %%"},
        {"%5%", "format conversion #1 cannot be combined with other format flags: %%"},
        {"%d %d %Q", "format conversion #3 is undefined: %Q"},
        {"%% %Q", "format conversion #2 is undefined: %Q"},
    };
    for (const auto &[f, msg] : cases) {
        FormatError e = parseErr(f);
        EXPECT_EQ(e.tag, "D_SYNTAX") << f;
        EXPECT_EQ(e.message, msg) << f;
    }
}

TEST(PrintfParse, HugeWidthDoesNotOverflow) {
    ParsedFormat pf = parseOk("%99999999999999999999d");
    EXPECT_GT(pf.segments[0].conv->width, 0);
}

// ---------------------------------------------------------------------------
// Argument checking.

TEST(PrintfCheck, AcceptsMatchingArguments) {
    EXPECT_FALSE(check("%d %s %c %x", {intT(), stringT(), intT(), intT()}));
    EXPECT_FALSE(check("%hd %ho", {PrintfArgType::integer(2, true, "short"),
                                   PrintfArgType::integer(2, false, "ushort_t")}));
    EXPECT_FALSE(check("%ld %lu %lx", {PrintfArgType::integer(8, true, "long"),
                                       PrintfArgType::integer(8, false, "ulong_t"),
                                       PrintfArgType::integer(8, false, "ulong_t")}));
    EXPECT_FALSE(check("%lc", {intT()}));
    EXPECT_FALSE(check("%p %a", {PrintfArgType::pointer("int *"), PrintfArgType::pointer()}));
    EXPECT_FALSE(check("%p", {intT()}));
    EXPECT_FALSE(check("%s", {PrintfArgType::charArray(16)}));
    EXPECT_FALSE(check(
        "%e %g", {PrintfArgType::floating(4, "float"), PrintfArgType::floating(8, "double")}));
    EXPECT_FALSE(check("%Y", {PrintfArgType::integer(8, false, "uint64_t")}));
    EXPECT_FALSE(check("%k", {PrintfArgType::stack()}));
    EXPECT_FALSE(check("%*.*s", {intT(), intT(), stringT()}));
    EXPECT_FALSE(check("%?d", {intT()}));
    EXPECT_FALSE(check("100%%", {}));
}

TEST(PrintfCheck, TooManyArguments) {
    auto e = check("%d", {intT(), intT(), intT()});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->tag, "D_PRINTF_ARG_EXTRA");
    EXPECT_EQ(e->message,
              "printf( ) prototype mismatch: only 1 arguments required by this format string");

    e = check("x = %d y = %d\n", {intT(), intT(), intT()});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->message,
              "printf( ) prototype mismatch: only 2 arguments required by this format string");

    e = check("only text", {intT()});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->message,
              "printf( ) prototype mismatch: only 0 arguments required by this format string");
}

TEST(PrintfCheck, MissingValue) {
    auto e = check("%d", {});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->tag, "D_PRINTF_ARG_PROTO");
    EXPECT_EQ(e->message, "printf( ) prototype mismatch: conversion #1 (%d) is missing a "
                          "corresponding value argument");

    e = check("%d %d %d %d %d", {intT(), intT(), intT()});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->message, "printf( ) prototype mismatch: conversion #4 (%d) is missing a "
                          "corresponding value argument");

    e = check("%s", {});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->message, "printf( ) prototype mismatch: conversion #1 (%s) is missing a "
                          "corresponding value argument");

    // The '*' arguments are there but the value is not.
    e = check("%*d", {intT()});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->tag, "D_PRINTF_ARG_PROTO");
    e = check("%*.*d", {intT(), intT()});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->tag, "D_PRINTF_ARG_PROTO");
    EXPECT_EQ(e->message, "printf( ) prototype mismatch: conversion #1 (%d) is missing a "
                          "corresponding value argument");
}

TEST(PrintfCheck, MissingDynamicArguments) {
    auto e = check("%*.*d", {});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->tag, "D_PRINTF_DYN_PROTO");
    EXPECT_EQ(e->message, "printf( ) prototype mismatch: conversion #1 (%d) is missing a "
                          "corresponding \"*\" argument");

    e = check("%*.*d", {intT()});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->tag, "D_PRINTF_DYN_PROTO");
    EXPECT_EQ(e->message, "printf( ) prototype mismatch: conversion #1 (%d) is missing a "
                          "corresponding \".*\" argument");

    e = check("%s %*d\n", {stringT()});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->message, "printf( ) prototype mismatch: conversion #2 (%d) is missing a "
                          "corresponding \"*\" argument");
}

TEST(PrintfCheck, DynamicArgumentTypes) {
    auto e = check("%.*d", {stringT(), intT()});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->tag, "D_PRINTF_DYN_TYPE");
    EXPECT_EQ(e->message, "printf( ) argument #2 is incompatible with conversion #1 prototype:\n"
                          "\tconversion: % .* d\n"
                          "\t prototype: int\n"
                          "\t  argument: string");

    e = check("%*d\n", {stringT(), intT()});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->message, "printf( ) argument #2 is incompatible with conversion #1 prototype:\n"
                          "\tconversion: % * d\n"
                          "\t prototype: int\n"
                          "\t  argument: string");
}

TEST(PrintfCheck, ValueTypes) {
    auto e = check("hello %d %d", {intT(), aggT()});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->tag, "D_PRINTF_ARG_TYPE");
    EXPECT_EQ(e->message, "printf( ) argument #3 is incompatible with conversion #2 prototype:\n"
                          "\tconversion: %d\n"
                          "\t prototype: char, short, int, long, or long long\n"
                          "\t  argument: aggregation");

    e = check("%*.*d", {intT(), intT(), stringT()});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->message, "printf( ) argument #4 is incompatible with conversion #1 prototype:\n"
                          "\tconversion: %d\n"
                          "\t prototype: char, short, int, long, or long long\n"
                          "\t  argument: string");

    e = check("%s\n", {PrintfArgType::voidType()});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->message, "printf( ) argument #2 is incompatible with conversion #1 prototype:\n"
                          "\tconversion: %s\n"
                          "\t prototype: char [] or string (or use stringof)\n"
                          "\t  argument: void");

    e = check("%s", {PrintfArgType::pointer("char *")});
    ASSERT_TRUE(e);
    EXPECT_NE(e->message.find("argument: char *"), std::string::npos);

    e = check("%x", {PrintfArgType::pointer("void *")});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->tag, "D_PRINTF_ARG_TYPE");

    e = check("%hd", {intT()});
    ASSERT_TRUE(e);
    EXPECT_NE(e->message.find("\t prototype: short\n"), std::string::npos);
    EXPECT_NE(e->message.find("conversion: %hd"), std::string::npos);

    e = check("%ho", {PrintfArgType::integer(2, true, "short")});
    ASSERT_TRUE(e);
    e = check("%c", {PrintfArgType::integer(8, true, "long")});
    ASSERT_TRUE(e);
    EXPECT_NE(e->message.find("char, short, or int"), std::string::npos);
    e = check("%f", {intT()});
    ASSERT_TRUE(e);
    EXPECT_NE(e->message.find("float, double, or long double"), std::string::npos);
    e = check("%p", {PrintfArgType::stack()});
    ASSERT_TRUE(e);
    EXPECT_NE(e->message.find("pointer or integer"), std::string::npos);
    e = check("%k", {intT()});
    ASSERT_TRUE(e);
}

TEST(PrintfCheck, AggregationConversionOutsidePrinta) {
    auto e = check("%@d", {intT()});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->tag, "D_PRINTF_AGG_CONV");
    EXPECT_EQ(e->message,
              "%@ conversion requires an aggregation and is not for use with printf( )");
    e = check("hello %@d", {intT()}, "system");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->message,
              "%@ conversion requires an aggregation and is not for use with system( )");
}

TEST(PrintfCheck, ErrorsComeInConversionOrder) {
    // Conversion #1's missing value is found before #2's bad type.
    auto e = check("%d %@d", {});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->tag, "D_PRINTF_ARG_PROTO");
}

TEST(PrintaCheck, KeysAndValues) {
    PrintfArgType agg = aggT({intT(), intT(), intT(), intT(), intT()});
    EXPECT_FALSE(check("%@u: -\n", {agg}, "printa"));
    EXPECT_FALSE(check("%@u: %d %d\n", {agg}, "printa")); // unused keys are fine
    EXPECT_FALSE(check("%@u %@u %@u\n", {aggT()}, "printa"));
    EXPECT_FALSE(check("%10d %@10d %@10d\n", {aggT({intT()}), aggT({intT()})}, "printa"));

    auto e = check("%d", {aggT()}, "printa");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->tag, "D_PRINTF_ARG_PROTO");
    EXPECT_EQ(e->message, "printa( ) prototype mismatch: conversion #1 (%d) is missing a "
                          "corresponding value argument");

    e = check("%p\n", {aggT({PrintfArgType::stack()})}, "printa");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->tag, "D_PRINTF_ARG_TYPE");
    EXPECT_EQ(e->message, "printa( ) argument #2 is incompatible with conversion #1 prototype:\n"
                          "\tconversion: %p\n"
                          "\t prototype: pointer or integer\n"
                          "\t  argument: stack");

    e = check("%@s", {aggT()}, "printa");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->tag, "D_PRINTF_ARG_TYPE");
    EXPECT_NE(e->message.find("argument: uint64_t"), std::string::npos);
}

TEST(PrintaCheck, AggregationArguments) {
    auto e = check("%d", {intT()}, "printa");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->tag, "D_PRINTA_AGGARG");
    EXPECT_EQ(e->message, "printa( ) argument #2 is incompatible with prototype:\n"
                          "\tprototype: aggregation\n"
                          "\t argument: int");

    e = check("%@d", {aggT(), aggT(), intT()}, "printa");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->tag, "D_PRINTA_AGGARG");
    EXPECT_NE(e->message.find("argument #4"), std::string::npos);

    e = check("%d", {}, "printa");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->tag, "D_PRINTA_PROTO");
    EXPECT_EQ(e->message, "printa( ) prototype mismatch: 1 args passed, 2 expected");
}

// ---------------------------------------------------------------------------
// Formatting.

TEST(PrintfFormat, IntegersPrintAsTheirOwnType) {
    const uint64_t v = 0x1234567890abcdefull;
    auto val = [&](unsigned size, bool sgn) { return FormatValue::ofInt(v, size, sgn); };
    EXPECT_EQ(fmt1("%d", {val(1, true)}), "-17");
    EXPECT_EQ(fmt1("%d", {val(2, true)}), "-12817");
    EXPECT_EQ(fmt1("%d", {val(4, true)}), "-1867788817");
    EXPECT_EQ(fmt1("%d", {val(8, true)}), "1311768467294899695");
    EXPECT_EQ(fmt1("%d", {val(1, false)}), "239");
    EXPECT_EQ(fmt1("%d", {val(2, false)}), "52719");
    EXPECT_EQ(fmt1("%d", {val(4, false)}), "2427178479");
    EXPECT_EQ(fmt1("%u", {val(1, true)}), "239");
    EXPECT_EQ(fmt1("%u", {val(2, true)}), "52719");
    EXPECT_EQ(fmt1("%u", {val(4, true)}), "2427178479");
    EXPECT_EQ(fmt1("%u", {val(8, false)}), "1311768467294899695");
    EXPECT_EQ(fmt1("%x", {val(1, true)}), "ef");
    EXPECT_EQ(fmt1("%x", {val(2, false)}), "cdef");
    EXPECT_EQ(fmt1("%x", {val(4, true)}), "90abcdef");
    EXPECT_EQ(fmt1("%x", {val(8, true)}), "1234567890abcdef");
    EXPECT_EQ(fmt1("%o", {val(1, false)}), "357");
    EXPECT_EQ(fmt1("%o", {val(2, true)}), "146757");
    EXPECT_EQ(fmt1("%o", {val(4, true)}), "22052746757");
    EXPECT_EQ(fmt1("%o", {val(8, true)}), "110642547422052746757");
    // A length modifier does not widen the value.
    EXPECT_EQ(fmt1("%lld", {val(1, true)}), "-17");
    EXPECT_EQ(fmt1("%llx", {val(2, false)}), "cdef");
    // %i always treats the value as signed.
    EXPECT_EQ(fmt1("%i", {val(4, false)}), "-1867788817");
}

TEST(PrintfFormat, Basics) {
    FakeSyms syms;
    std::vector<FormatValue> vals = {
        FormatValue::ofInt(0xffffffff81000000ull, 8, false),
        i4('a'),
        i4('a'),
        FormatValue::ofInt('a', 2, true),
        FormatValue::ofInt('a', 2, false),
        FormatValue::ofInt('a', 2, false),
        i4('a'),
        FormatValue::ofInt('a', 8, false),
        FormatValue::ofInt('a', 8, false),
        FormatValue::ofInt('a', 8, false),
        str("hello"),
    };
    EXPECT_EQ(format(parseOk("%%a = %a\n%%c = %c\n%%d = %d\n%%hd = %hd\n%%ho = %ho\n%%hX = %hX\n"
                             "%%lc = %lc\n%%lo = %lo\n%%lX = %lX\n%%p = %p\n%%s = %s\n"),
                     vals, &syms),
              "%a = vmlinux`max_pfn\n%c = a\n%d = 97\n%hd = 97\n%ho = 141\n%hX = 61\n"
              "%lc = a\n%lo = 141\n%lX = 61\n%p = 61\n%s = hello\n");
}

TEST(PrintfFormat, Pointers) {
    EXPECT_EQ(fmt1("%p", {FormatValue::ofInt(0x12345678, 8, false)}), "12345678");
    EXPECT_EQ(fmt1("%p", {FormatValue::ofInt(0x90abcdef, 8, false)}), "90abcdef");
    EXPECT_EQ(fmt1("%#p", {FormatValue::ofInt(0x61, 8, false)}), "0x61");
    EXPECT_EQ(fmt1("%p", {FormatValue::ofInt(0, 8, false)}), "0");
    EXPECT_EQ(fmt1("[%18p]", {FormatValue::ofInt(0xabc, 8, false)}), "[               abc]");
}

TEST(PrintfFormat, Widths) {
    EXPECT_EQ(fmt1("%0d|%1d|%2d|%5d", {i4(1), i4(1), i4(1), i4(1)}), "1|1| 1|    1");
    std::string out;
    for (int x = 0; x < 6; x++) out += fmt1("%*d\n", {i4(x), i4(1)});
    EXPECT_EQ(out, "1\n1\n 1\n  1\n   1\n    1\n");
    EXPECT_EQ(fmt1("%?d", {i4(5)}), "               5");
    // A negative dynamic width left-justifies.
    EXPECT_EQ(fmt1("[%*d]", {i4(-4), i4(7)}), "[7   ]");
    EXPECT_EQ(fmt1("[%-4d][%04d][%+d][% d]", {i4(7), i4(7), i4(7), i4(7)}), "[7   ][0007][+7][ 7]");
    EXPECT_EQ(fmt1("[%.3d]", {i4(7)}), "[007]");
}

TEST(PrintfFormat, StringWidthAndPrecision) {
    std::string out;
    for (int n = 0; n <= 9; n++) {
        std::string f = "%" + std::to_string(n) + "." + std::to_string(n) + "s\n";
        out += fmt1(f, {str("hello")});
    }
    const char *expect = "hello\nh\nhe\nhel\nhell\nhello\n hello\n  hello\n   hello\n    hello\n";
    EXPECT_EQ(out, expect);
    out.clear();
    for (int x = 0; x <= 9; x++) out += fmt1("%*.*s\n", {i4(x), i4(x), str("hello")});
    EXPECT_EQ(out, expect);
    EXPECT_EQ(fmt1("[%-8s]", {str("ab")}), "[ab      ]");
    EXPECT_EQ(fmt1("'%s'", {FormatValue::ofBytes(std::string("BEGIN\0\0\0\0\0", 10))}), "'BEGIN'");
}

TEST(PrintfFormat, PrecisionZeroIsIgnored) {
    EXPECT_EQ(fmt1("%.0d", {i4(0)}), "0");
    EXPECT_EQ(fmt1("%.0f", {FormatValue::ofFloat(1.5)}), "1.500000");
    EXPECT_EQ(fmt1("%.*s", {i4(-3), str("hello")}), "hello");
}

TEST(PrintfFormat, Floats) {
    FormatValue zero = FormatValue::ofFloat(0.0);
    EXPECT_EQ(fmt1("%e", {zero}), "0.000000e+00");
    EXPECT_EQ(fmt1("%E", {zero}), "0.000000E+00");
    EXPECT_EQ(fmt1("%f", {FormatValue::ofFloat(0.0f, 4)}), "0.000000");
    EXPECT_EQ(fmt1("%g", {zero}), "0");
    EXPECT_EQ(fmt1("%G", {zero}), "0");
    EXPECT_EQ(fmt1("%.2f", {FormatValue::ofFloat(3.14159)}), "3.14");
    EXPECT_EQ(fmt1("%8.3e", {FormatValue::ofFloat(-12.5)}), "-1.250e+01");
    EXPECT_EQ(fmt1("%Lf", {FormatValue::ofFloat(2.0, 16)}), "2.000000");
}

TEST(PrintfFormat, Characters) {
    EXPECT_EQ(fmt1("%c", {i4(0x41)}), "A");
    EXPECT_EQ(fmt1("[%3c]", {i4('x')}), "[  x]");
    EXPECT_EQ(fmt1("%c%c", {i4('h'), i4(0)}), std::string("h\0", 2));
    EXPECT_EQ(fmt1("%c", {FormatValue::ofInt(0x1241, 8, true)}), "A");
}

TEST(PrintfFormat, Symbols) {
    FakeSyms syms;
    EXPECT_EQ(fmt1("symbol = %a", {FormatValue::ofInt(0xffffffff81000000ull, 8, false)}, &syms),
              "symbol = vmlinux`max_pfn");
    EXPECT_EQ(fmt1("%a", {FormatValue::ofInt(0xffffffff81000010ull, 8, false)}, &syms),
              "vmlinux`foo+0x10");
    EXPECT_EQ(fmt1("%a", {FormatValue::ofInt(0x1234, 8, false)}, &syms), "0x1234");
    EXPECT_EQ(fmt1("%a", {FormatValue::ofInt(0xffffffff81000000ull, 8, false)}),
              "0xffffffff81000000");
    EXPECT_EQ(fmt1("[%-20a]", {FormatValue::ofInt(0xffffffff81000000ull, 8, false)}, &syms),
              "[vmlinux`max_pfn     ]");
    FormatValue u = FormatValue::ofInt(0x400000, 8, false);
    u.pid = 42;
    EXPECT_EQ(fmt1("%A", {u}, &syms), "a.out`main");
    u.pid = 7;
    EXPECT_EQ(fmt1("%A", {u}, &syms), "0x400000");
}

TEST(PrintfFormat, EscapedStrings) {
    EXPECT_EQ(escapeString("a\tb\n\"q\"\\"), "a\\tb\\n\\\"q\\\"\\\\");
    EXPECT_EQ(escapeString(std::string("x\x01\x7f\xff y", 6)), "x\\001\\177\\377 y");
    EXPECT_EQ(escapeString(std::string("ab\0cd", 5)), "ab");
    EXPECT_EQ(fmt1("[%S]", {str("hi\n")}), "[hi\\n]");
    EXPECT_EQ(fmt1("[%6S]", {str("\a")}), "[    \\a]");
}

TEST(PrintfFormat, Walltime) {
    const char *oldTz = std::getenv("TZ");
    std::string saved = oldTz ? oldTz : "";
    setenv("TZ", "UTC", 1);
    tzset();
    const uint64_t jan2004 = 1072915200ull * 1000000000ull;
    EXPECT_EQ(formatWalltime(jan2004), "2004 Jan  1 00:00:00");
    EXPECT_EQ(fmt1("%Y", {FormatValue::ofInt(jan2004 + 3723000000000ull, 8, false)}),
              "2004 Jan  1 01:02:03");
    EXPECT_EQ(fmt1("[%22Y]", {FormatValue::ofInt(jan2004, 8, true)}), "[  2004 Jan  1 00:00:00]");
    EXPECT_EQ(formatWalltime(1700000000ull * 1000000000ull), "2023 Nov 14 22:13:20");
    if (oldTz)
        setenv("TZ", saved.c_str(), 1);
    else
        unsetenv("TZ");
    tzset();
}

TEST(PrintfFormat, Stacks) {
    FakeSyms syms;
    FormatValue st = FormatValue::ofStack({0xffffffff81000010ull, 0x1234, 0, 0x999});
    FormatOptions opts;
    opts.stackIndent = 2;
    EXPECT_EQ(fmt1("%k", {st}, &syms, opts), "\n  vmlinux`foo+0x10\n  0x1234\n");
    EXPECT_EQ(fmt1("%20k", {st}, &syms, opts),
              "\n      vmlinux`foo+0x10\n                0x1234\n");
    EXPECT_EQ(fmt1("%-20k", {st}, &syms, opts), "\n  vmlinux`foo+0x10\n  0x1234\n");
    FormatValue ust = FormatValue::ofStack({0x400000}, 42);
    EXPECT_EQ(fmt1("%k", {ust}, &syms), "\n              a.out`main\n");
}

TEST(PrintfFormat, PortsAndAddresses) {
    EXPECT_EQ(fmt1("%P", {FormatValue::ofInt(0x5000, 2, false)}), "80");
    EXPECT_EQ(fmt1("%I", {FormatValue::ofBytes(std::string("\x7f\x00\x00\x01", 4))}), "127.0.0.1");
}

TEST(PrintfFormat, WideStrings) {
    std::string w;
    for (uint32_t c : {0x68u, 0xe9u, 0u, 0x41u}) w.append(reinterpret_cast<const char *>(&c), 4);
    EXPECT_EQ(fmt1("%ls", {FormatValue::ofBytes(w)}), "h\xc3\xa9");
}

TEST(PrintfFormat, MissingValuesPrintNothing) {
    EXPECT_EQ(fmt1("a=%d b=%s c=%*d.", {i4(1)}), "a=1 b= c=.");
    EXPECT_EQ(fmt1("%d%%", {}), "%");
    EXPECT_EQ(fmt1("100%%\n", {}), "100%\n");
}

TEST(PrintfFormat, PreformattedValuesAreVerbatim) {
    EXPECT_EQ(fmt1("[%10d]", {FormatValue::ofText("\n  histogram\n")}), "[\n  histogram\n]");
}

TEST(PrintfFormat, MismatchedValuesDoNotCrash) {
    EXPECT_EQ(fmt1("%d", {str("x")}), "0");
    EXPECT_EQ(fmt1("%d", {FormatValue::ofFloat(2.9)}), "2");
    EXPECT_EQ(fmt1("%d", {FormatValue::ofFloat(1e300)}), "9223372036854775807");
    EXPECT_EQ(fmt1("%s", {i4(-5)}), "-5");
    EXPECT_EQ(fmt1("%f", {i4(2)}), "2.000000");
    EXPECT_EQ(fmt1("%k", {i4(2)}), "");
}

TEST(PrintfFormat, HugeWidthsAreClamped) {
    std::string s = fmt1("%99999999999999999999d", {i4(1)});
    EXPECT_GT(s.size(), 1000u);
    EXPECT_LE(s.size(), (1u << 20) + 1);
    EXPECT_EQ(s.back(), '1');
    s = fmt1("%*.*d", {i8(INT64_MIN), i8(INT64_MAX), i4(3)});
    EXPECT_LE(s.size(), (1u << 20) + 1);
    EXPECT_EQ(s.back(), '3');
}

TEST(PrintaFormat, KeysAndAggregationValues) {
    ParsedFormat pf = parseOk("%@u: %d %d\n", "printa");
    std::vector<FormatValue> keys = {i4(1), i4(2), i4(3), i4(4), i4(5)};
    std::vector<FormatValue> aggs = {FormatValue::ofInt(1, 8, false)};
    EXPECT_EQ(formatAggregation(pf, keys, aggs), "1: 1 2\n");

    pf = parseOk("%@u %@u %@u\n", "printa");
    EXPECT_EQ(formatAggregation(pf, {}, aggs), "1 1 1\n");

    pf = parseOk("%10d %@10d %@10d\n", "printa");
    std::vector<FormatValue> two = {FormatValue::ofInt(0, 8, true),
                                    FormatValue::ofInt(456, 8, true)};
    EXPECT_EQ(formatAggregation(pf, std::vector<FormatValue>{i4(456)}, two),
              "       456          0        456\n");

    pf = parseOk("%u %@u\n", "printa");
    EXPECT_EQ(formatAggregation(pf, std::vector<FormatValue>{i8(3)}, {}), "3 \n");
}

TEST(PrintfFormat, FormatConversionDirectly) {
    ParsedFormat pf = parseOk("%*.*x");
    const Conversion &c = *pf.segments[0].conv;
    EXPECT_EQ(formatConversion(c, i4(255), 6, 4), "  00ff");
    EXPECT_EQ(formatConversion(c, i4(255)), "ff");
}

TEST(PrintfFormat, RandomInputsNeverCrash) {
    std::mt19937 rng(12345);
    const std::string alphabet = "%%%%-+ #0'.*?@123456789hlLjtzwdiouxXcsSaApkYeEfgGIPT$q\n";
    std::vector<FormatValue> pool = {i4(-1),
                                     i8(INT64_MIN),
                                     FormatValue::ofInt(~0ull, 8, false),
                                     FormatValue::ofInt(0x80, 1, true),
                                     str("hello"),
                                     FormatValue::ofBytes(std::string("\xff\0\x01", 3)),
                                     FormatValue::ofFloat(-0.0),
                                     FormatValue::ofFloat(1e308),
                                     FormatValue::ofStack({1, 2, 0}),
                                     FormatValue::ofText("pre"),
                                     FormatValue::ofInt(7, 3, true)};
    FakeSyms syms;
    int parsed = 0;
    for (int iter = 0; iter < 3000; iter++) {
        std::string f;
        size_t len = rng() % 12;
        for (size_t i = 0; i < len; i++) f += alphabet[rng() % alphabet.size()];
        auto r = parseFormat(f, iter % 2 ? "printa" : "printf");
        if (auto *pf = std::get_if<ParsedFormat>(&r)) {
            parsed++;
            std::vector<FormatValue> vals;
            size_t n = rng() % 6;
            for (size_t i = 0; i < n; i++) vals.push_back(pool[rng() % pool.size()]);
            std::string out = format(*pf, vals, iter % 3 ? &syms : nullptr);
            std::string out2 = formatAggregation(*pf, vals, vals);
            std::vector<PrintfArgType> types(n, intT());
            (void)checkArguments(*pf, types, "printf");
            EXPECT_LT(out.size() + out2.size(), 4u << 20);
        } else {
            EXPECT_FALSE(std::get<FormatError>(r).message.empty());
        }
    }
    EXPECT_GT(parsed, 100);
}
