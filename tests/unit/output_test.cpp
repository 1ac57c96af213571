// Output formatting of records: trace() columns, byte dumps, aggregations.
#include "output/records.h"
#include "runtime/aggregations.h"

#include <gtest/gtest.h>

using dtrace::output::DecodedValue;
using dtrace::program::ValueDesc;

namespace {

DecodedValue integer(uint64_t bits, uint32_t size, bool isSigned) {
    DecodedValue v;
    v.desc.kind = ValueDesc::Kind::Integer;
    v.desc.typeSize = size;
    v.desc.isSigned = isSigned;
    v.bits = bits;
    return v;
}

} // namespace

TEST(Output, TraceIntegersUseDTraceColumns) {
    EXPECT_EQ(dtrace::output::formatTrace(integer(static_cast<uint64_t>(-1), 1, true), false),
              "  -1");
    EXPECT_EQ(dtrace::output::formatTrace(integer(static_cast<uint64_t>(-1), 2, true), false),
              "    -1");
    EXPECT_EQ(dtrace::output::formatTrace(integer(255, 1, false), false), " 255");
    EXPECT_EQ(dtrace::output::formatTrace(integer(~0ull, 8, false), false),
              " 18446744073709551615");
    EXPECT_EQ(dtrace::output::formatTrace(integer(static_cast<uint64_t>(-1), 4, true), true), "-1");
}

TEST(Output, TraceStringsArePadded) {
    DecodedValue s;
    s.desc.kind = ValueDesc::Kind::String;
    s.text = "a";
    EXPECT_EQ(dtrace::output::formatTrace(s, false), "  a" + std::string(32, ' '));
    EXPECT_EQ(dtrace::output::formatTrace(s, true), "a");
}

TEST(Output, BytesDumpLikeDTrace) {
    std::vector<uint8_t> b = {0x34, 0x12, 0, 0, 0, 0, 0, 0, 0x76, 0x98, 0, 0};
    std::string d = dtrace::output::formatBytes(b, false);
    EXPECT_EQ(d, "\n             0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f  0123456789abcdef\n"
                 "         0: 34 12 00 00 00 00 00 00 76 98 00 00              4.......v...\n");
}

TEST(Output, PrintableBytesPrintAsAString) {
    std::vector<uint8_t> b = {'h', 'i', 0, 0};
    EXPECT_EQ(dtrace::output::formatBytes(b, true), "hi");
}

TEST(Output, AggregationsSortByValue) {
    dtrace::program::AggregationDesc desc;
    desc.func = dtrace::program::AggFunc::Count;
    dtrace::runtime::AggregationSnapshot snap;
    snap.desc = &desc;
    for (int64_t v : {5, 1, 3}) {
        dtrace::runtime::AggregationEntry e;
        e.keys.push_back(integer(static_cast<uint64_t>(v * 10), 4, true));
        e.data = {v};
        snap.entries.push_back(e);
    }
    dtrace::program::Options opts;
    dtrace::runtime::sortEntries(snap, opts);
    EXPECT_EQ(snap.entries[0].data[0], 1);
    EXPECT_EQ(snap.entries[2].data[0], 5);
    std::string text = dtrace::runtime::formatAggregation(snap);
    EXPECT_EQ(text.substr(0, text.find('\n')), "       10                1");
}
