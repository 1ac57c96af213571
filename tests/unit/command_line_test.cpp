// The command line: which programs may name a probe by its ID (the
// session then lists every probe first, so IDs are `dtrace -l`'s).
#include "cli/command_line.h"

#include <gtest/gtest.h>

using dtrace::cli::CommandLine;
using dtrace::cli::mayNameProbeIds;
using dtrace::cli::ProgramSource;

namespace {

CommandLine withProgram(std::string text, bool byId = false) {
    CommandLine cl;
    ProgramSource s;
    s.text = std::move(text);
    s.byId = byId;
    cl.sources.push_back(std::move(s));
    return cl;
}

} // namespace

TEST(CommandLine, ProbeIdsWhereAClauseBegins) {
    EXPECT_TRUE(mayNameProbeIds(withProgram("", true)));
    EXPECT_TRUE(mayNameProbeIds(withProgram("237 { exit(0); }")));
    EXPECT_TRUE(mayNameProbeIds(withProgram("BEGIN { x = 1; }\n237\n{ }")));
    EXPECT_TRUE(mayNameProbeIds(withProgram("BEGIN, 12 /x/ { }")));
    EXPECT_TRUE(mayNameProbeIds(withProgram("int x; 5 { }")));
}

TEST(CommandLine, NoProbeIdsInExpressionsStringsOrComments) {
    EXPECT_FALSE(mayNameProbeIds(withProgram("BEGIN { @ = lquantize(x, 0, 10, 1); }")));
    EXPECT_FALSE(mayNameProbeIds(withProgram("BEGIN /arg0 == 1/ { trace(1); }")));
    EXPECT_FALSE(mayNameProbeIds(withProgram("int a[2], b; BEGIN { a[1] = 2; }")));
    EXPECT_FALSE(mayNameProbeIds(withProgram("BEGIN { printf(\"}, 5 {\"); }")));
    EXPECT_FALSE(mayNameProbeIds(withProgram("/* }, 5 { */ BEGIN { }\n// ; 7 {\n")));
    EXPECT_FALSE(mayNameProbeIds(withProgram("#pragma D option nspec=4\nBEGIN { exit(0); }")));
}
