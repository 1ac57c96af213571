// Mapping a verifier rejection back to the instruction and its reason.
#include "kernel/verifier_log.h"

#include <gtest/gtest.h>

TEST(VerifierLog, FindsTheLastInstructionAndTheReason) {
    std::string log = "func#0 @0\n"
                      "0: R1=ctx() R10=fp0\n"
                      "0: (bf) r6 = r1                       ; R1=ctx() R6_w=ctx()\n"
                      "1: (85) call bpf_get_smp_processor_id#8      ; R0_w=scalar()\n"
                      "2: (61) r1 = *(u32 *)(r0 +0)\n"
                      "R0 invalid mem access 'scalar'\n"
                      "processed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0\n";
    auto f = dtrace::kernel::parseVerifierLog(log);
    ASSERT_TRUE(f.insn.has_value());
    EXPECT_EQ(*f.insn, 2u);
    EXPECT_EQ(f.reason, "R0 invalid mem access 'scalar'");
}

TEST(VerifierLog, ComplexityLimit) {
    auto f = dtrace::kernel::parseVerifierLog(
        "5: (05) goto pc-3\nThe sequence of 8193 jumps is too complex.\n"
        "verification time 1234 usec\n");
    EXPECT_EQ(f.reason, "The sequence of 8193 jumps is too complex.");
    EXPECT_EQ(f.insn.value_or(0), 5u);
}

TEST(VerifierLog, EmptyLog) {
    auto f = dtrace::kernel::parseVerifierLog("");
    EXPECT_FALSE(f.insn.has_value());
    EXPECT_EQ(f.reason, "");
}
