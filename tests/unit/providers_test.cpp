// The providers' own parsing and the kernel's BTF as they read it: USDT
// argument specs, fbt's functions and rawtp's raw tracepoints, and the
// programs generated for fbt probes.
#include "bpf/kernel_btf.h"
#include "compile_helpers.h"
#include "providers/kernel_functions.h"
#include "providers/usdt.h"

#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <cstddef>

using dtrace::providers::UsdtArgument;

TEST(Usdt, ArgumentSpecs) {
    UsdtArgument a = dtrace::providers::parseUsdtArgument("-4@%edi");
    EXPECT_EQ(a.kind, UsdtArgument::Kind::Register);
    EXPECT_EQ(a.size, -4);
    EXPECT_EQ(a.regsOffset, 14 * 8); // pt_regs: di after r15..bx, r11..r8, ax, cx, dx, si
    UsdtArgument c = dtrace::providers::parseUsdtArgument("8@$42");
    EXPECT_EQ(c.kind, UsdtArgument::Kind::Constant);
    EXPECT_EQ(c.value, 42);
    UsdtArgument m = dtrace::providers::parseUsdtArgument("2@-16(%rbp)");
    EXPECT_EQ(m.kind, UsdtArgument::Kind::Memory);
    EXPECT_EQ(m.size, 2);
    EXPECT_EQ(m.value, -16);
    EXPECT_EQ(m.regsOffset, 4 * 8);
    EXPECT_EQ(dtrace::providers::parseUsdtArgument("8@counter(%rip)").kind,
              UsdtArgument::Kind::Unsupported);
    auto all = dtrace::providers::parseUsdtArguments("-4@%eax 8@%rdx 4@$3");
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[1].regsOffset, 12 * 8);
    EXPECT_EQ(dtrace::providers::usdtProbeName("work__start"), "work-start");
}

namespace {
bool haveBtf() {
    return dtrace::bpf::vmlinuxBtf() != nullptr;
}
} // namespace

TEST(KernelBtf, FunctionSignatures) {
    if (!haveBtf()) GTEST_SKIP() << "this kernel has no BTF";
    auto f = dtrace::providers::kernelFunction("vfs_read");
    ASSERT_TRUE(f);
    auto sig = dtrace::providers::functionSignature(f->btfId);
    ASSERT_EQ(sig.parameters.size(), 4u);
    EXPECT_EQ(sig.parameters[0], "struct file *");
    EXPECT_EQ(sig.parameters[1], "char *");
    EXPECT_EQ(sig.parameters[2], "size_t");
    EXPECT_EQ(sig.parameters[3], "loff_t *");
    EXPECT_EQ(sig.returnType, "ssize_t");
    EXPECT_FALSE(dtrace::providers::kernelFunction("no_such_function_at_all"));
    // The list is sorted, for lookups by name.
    const auto &all = dtrace::providers::kernelFunctions();
    EXPECT_GT(all.size(), 1000u);
    for (size_t i = 1; i < all.size(); ++i) ASSERT_LT(all[i - 1].name, all[i].name);
}

TEST(KernelBtf, RawTracepointArguments) {
    if (!haveBtf()) GTEST_SKIP() << "this kernel has no BTF";
    auto types = dtrace::providers::rawTracepointArgTypes("sched_process_exec");
    ASSERT_EQ(types.size(), 3u);
    EXPECT_EQ(types[0], "struct task_struct *");
    EXPECT_EQ(types[1], "pid_t");
    EXPECT_EQ(types[2], "struct linux_binprm *");
    auto names = dtrace::providers::rawTracepointNames();
    EXPECT_TRUE(std::binary_search(names.begin(), names.end(), "sched_switch"));
}

TEST(Fbt, ProgramsAreTrampolinesOnTheirFunctions) {
    if (!haveBtf()) GTEST_SKIP() << "this kernel has no BTF";
    auto c = dtrace::test::compile(
        "fbt::vfs_read:entry { @[args[2]] = count(); }\n"
        "fbt::vfs_read:return /args[1] > 0/ { @r = sum(args[1]); trace(arg0); }\n");
    ASSERT_EQ(c->error, "");
    auto prog = dtrace::codegen::generate(c->ir);
    auto f = dtrace::providers::kernelFunction("vfs_read");
    int entries = 0, returns = 0;
    for (const auto &p : prog.programs) {
        if (p.attach != dtrace::providers::AttachKind::Function) continue;
        EXPECT_EQ(p.type, static_cast<uint32_t>(BPF_PROG_TYPE_TRACING));
        EXPECT_EQ(p.attachBtfId, f->btfId);
        if (p.expectedAttachType == BPF_TRACE_FENTRY) ++entries;
        if (p.expectedAttachType == BPF_TRACE_FEXIT) ++returns;
    }
    EXPECT_EQ(entries, 1);
    EXPECT_EQ(returns, 1);
    // A type error in an fbt argument is caught at compile time.
    EXPECT_NE(dtrace::test::errorOf("fbt::vfs_read:entry { trace(args[0] + args[1]); }"), "");
    EXPECT_NE(dtrace::test::errorOf("fbt::vfs_read:entry { trace(args[4]); }"), "");
}
