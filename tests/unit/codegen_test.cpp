// The code generator: the safety checks every program must carry (its
// golden disassembly is in tests/golden).
#include "bpf/disasm.h"
#include "compile_helpers.h"

#include <gtest/gtest.h>

using dtrace::test::compile;

namespace {

std::string disassembly(const std::string &src) {
    auto c = compile(src);
    EXPECT_EQ(c->error, "");
    if (!c->error.empty()) return "";
    auto prog = dtrace::codegen::generate(c->ir);
    return dtrace::codegen::disassemble(prog);
}

} // namespace

TEST(Codegen, DivisionChecksForZero) {
    std::string d = disassembly("BEGIN { x = 10; y = 100 / x; }");
    // The divisor is tested before the division.
    size_t test = d.find("!= 0 goto");
    size_t div = d.find("/=");
    ASSERT_NE(test, std::string::npos);
    ASSERT_NE(div, std::string::npos);
    EXPECT_LT(test, div);
}

TEST(Codegen, KernelLoadsGoThroughProbeRead) {
    std::string d = disassembly("BEGIN { trace(*(int *)0); }");
    EXPECT_NE(d.find("call 113"), std::string::npos); // bpf_probe_read_kernel
}

TEST(Codegen, StringComparisonUsesOneSubprogram) {
    std::string d = disassembly("BEGIN /execname == \"a\" || execname == \"b\"/ { trace(1); }");
    size_t first = d.find("dt_strcmp:");
    ASSERT_NE(first, std::string::npos);
    EXPECT_EQ(d.find("dt_strcmp:", first + 1), std::string::npos);
}

TEST(Codegen, EveryProgramChecksTheExitState) {
    std::string d = disassembly("tick-1s { trace(1); }");
    // The state map is read before any clause runs.
    EXPECT_NE(d.find("&map[state] + 0"), std::string::npos);
}

// More clauses on one probe than a BPF program may have functions: a chain
// of programs, each tail-calling the next through a program array.
TEST(Codegen, ClausesPastTheFunctionLimitGoInAChain) {
    std::string src;
    for (int i = 0; i < 400; ++i) src += "BEGIN { x++; }\n";
    auto c = compile(src);
    ASSERT_EQ(c->error, "");
    auto prog = dtrace::codegen::generate(c->ir);
    int begins = 0, continuations = 0;
    for (const auto &p : prog.programs) {
        if (p.role == dtrace::program::ProgramRole::Begin) ++begins;
        if (p.role == dtrace::program::ProgramRole::Continuation) {
            ++continuations;
            EXPECT_GE(p.chainMap, 0);
            EXPECT_EQ(prog.maps.at(static_cast<size_t>(p.chainMap)).type,
                      static_cast<uint32_t>(BPF_MAP_TYPE_PROG_ARRAY));
        }
        EXPECT_LE(p.code.functions.size(), 256u);
    }
    EXPECT_EQ(begins, 1);
    EXPECT_GE(continuations, 1);
    // The first tail-calls the next.
    EXPECT_NE(dtrace::codegen::disassemble(prog).find("call 12"), std::string::npos);
}
