// The providers' own parsing and the kernel's BTF as they read it: USDT
// argument specs, fbt's functions and rawtp's raw tracepoints, and the
// programs generated for fbt probes.
#include "compile_helpers.h"
#include "kernel/kernel_btf.h"
#include "providers/dof.h"
#include "providers/kernel_functions.h"
#include "providers/usdt_notes.h"
#include "providers/x86_length.h"

#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <cstddef>
#include <cstring>

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
    // ... which the symbol table resolves.
    auto r = dtrace::providers::parseRipRelative("8@counter(%rip)");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->symbol, "counter");
    EXPECT_EQ(r->addend, 0);
    auto r2 = dtrace::providers::parseRipRelative("-4@pair+4(%rip)");
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->symbol, "pair");
    EXPECT_EQ(r2->addend, 4);
    EXPECT_FALSE(dtrace::providers::parseRipRelative("-4@16(%rbp)"));
    auto all = dtrace::providers::parseUsdtArguments("-4@%eax 8@%rdx 4@$3");
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[1].regsOffset, 12 * 8);
    EXPECT_EQ(dtrace::providers::usdtProbeName("work__start"), "work-start");
}

namespace {
bool haveBtf() {
    return dtrace::kernel::vmlinuxBtf() != nullptr;
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

TEST(KernelBtf, MemberOffsets) {
    if (!haveBtf()) GTEST_SKIP() << "this kernel has no BTF";
    using dtrace::kernel::memberBitOffset;
    const struct btf *btf = dtrace::kernel::vmlinuxBtf();
    // A nested member lies at its struct's offset plus its own.
    auto iter = memberBitOffset(btf, "bio", "bi_iter");
    auto sector = memberBitOffset(btf, "bio", "bi_iter.bi_sector");
    auto size = memberBitOffset(btf, "bio", "bi_iter.bi_size");
    auto inner = memberBitOffset(btf, "bvec_iter", "bi_size");
    ASSERT_TRUE(iter && sector && size && inner);
    EXPECT_EQ(*sector, *iter + *memberBitOffset(btf, "bvec_iter", "bi_sector"));
    EXPECT_EQ(*size, *iter + *inner);
    // The first member of a struct is at 0; a bitfield has its bit.
    EXPECT_EQ(memberBitOffset(btf, "list_head", "next"), 0u);
    EXPECT_EQ(memberBitOffset(btf, "list_head", "prev"), 64u);
    EXPECT_TRUE(memberBitOffset(btf, "task_struct", "in_iowait"));
    // Members of anonymous unions and structs are found where they lie.
    EXPECT_EQ(memberBitOffset(btf, "sk_buff", "next"), 0u);
    EXPECT_EQ(memberBitOffset(btf, "sk_buff", "dev"), 128u);
    EXPECT_FALSE(memberBitOffset(btf, "bio", "no_such_member"));
    EXPECT_FALSE(memberBitOffset(btf, "bio", "bi_iter.no_such_member"));
    EXPECT_FALSE(memberBitOffset(btf, "no_such_struct_here", "x"));
    EXPECT_FALSE(memberBitOffset(nullptr, "bio", "bi_iter"));
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
        if (p.attach.kind != dtrace::program::AttachTarget::Kind::Trampoline) continue;
        EXPECT_EQ(p.type, static_cast<uint32_t>(BPF_PROG_TYPE_TRACING));
        EXPECT_EQ(p.attach.btfId, f->btfId);
        if (p.attach.attachType == BPF_TRACE_FENTRY) ++entries;
        if (p.attach.attachType == BPF_TRACE_FEXIT) ++returns;
    }
    EXPECT_EQ(entries, 1);
    EXPECT_EQ(returns, 1);
    // A type error in an fbt argument is caught at compile time.
    EXPECT_NE(dtrace::test::errorOf("fbt::vfs_read:entry { trace(args[0] + args[1]); }"), "");
    EXPECT_NE(dtrace::test::errorOf("fbt::vfs_read:entry { trace(args[4]); }"), "");
}

// DOF as a DTrace-style object carries it: a blob built here by hand (one
// provider, one probe with two sites and an is-enabled site), read back;
// two blobs one after the other; and every truncation of it read without
// a read outside the bytes.
namespace {

namespace dof = dtrace::providers::dof;

template <typename T> void put(std::vector<uint8_t> &b, size_t at, const T &v) {
    if (b.size() < at + sizeof(T)) b.resize(at + sizeof(T));
    std::memcpy(b.data() + at, &v, sizeof(T));
}

std::vector<uint8_t> dofBlob(const std::string &provider, uint64_t function) {
    std::string strtab = std::string(1, '\0') + provider + '\0' + "main" + '\0' + "tick" + '\0' +
                         "int" + '\0' + "char *" + '\0';
    uint32_t provName = 1, funcName = provName + provider.size() + 1, probeName = funcName + 5,
             types = probeName + 5;
    // Sections: strtab, probes, args, offsets, is-enabled offsets, provider.
    std::vector<uint8_t> b;
    const uint64_t table = sizeof(dof::Header), data = table + 6 * sizeof(dof::Section);
    uint64_t at = data;
    auto section = [&](uint32_t index, uint32_t type, uint32_t entsize, const void *bytes,
                       size_t size) {
        at = (at + 7) & ~uint64_t(7);
        put(b, table + index * sizeof(dof::Section), dof::Section{type, 8, 1, entsize, at, size});
        b.resize(std::max<size_t>(b.size(), at + size));
        std::memcpy(b.data() + at, bytes, size);
        at += size;
    };
    section(0, dof::kStrtab, 0, strtab.data(), strtab.size());
    dof::Probe p{};
    p.address = function;
    p.function = funcName;
    p.name = probeName;
    p.nativeTypes = p.translatedTypes = types;
    p.nativeCount = p.translatedCount = 2;
    p.offsetCount = 2;
    p.isEnabledCount = 1;
    section(1, dof::kProbes, sizeof p, &p, sizeof p);
    uint8_t args[2] = {0, 1};
    section(2, dof::kProbeArgs, 1, args, 2);
    uint32_t offsets[2] = {0x10, 0x24};
    section(3, dof::kProbeOffsets, 4, offsets, sizeof offsets);
    uint32_t enabled = 0x30;
    section(4, dof::kIsEnabledOffsets, 4, &enabled, 4);
    dof::Provider prov{0, 1, 2, 3, provName, 0, 0, 0, 0, 0, 4};
    section(5, dof::kProvider, 0, &prov, sizeof prov);
    b.resize((at + 7) & ~uint64_t(7));
    dof::Header h{};
    std::memcpy(h.ident, dof::kMagic, 4);
    h.ident[4] = dof::kModelLp64;
    h.ident[5] = dof::kEncodeLsb;
    h.ident[6] = dof::kVersion2;
    h.headerSize = sizeof h;
    h.sectionSize = sizeof(dof::Section);
    h.sectionCount = 6;
    h.sectionOffset = table;
    h.loadSize = h.fileSize = b.size();
    put(b, 0, h);
    return b;
}

std::optional<uint64_t> noFunctions(const std::string &) {
    return std::nullopt;
}

} // namespace

TEST(Dof, ReadsProbesAndSites) {
    auto blob = dofBlob("myprov", 0x1000);
    auto probes = dof::readProbes(blob, noFunctions);
    ASSERT_EQ(probes.size(), 1u);
    EXPECT_EQ(probes[0].provider, "myprov");
    EXPECT_EQ(probes[0].function, "main");
    EXPECT_EQ(probes[0].name, "tick");
    EXPECT_EQ(probes[0].sites, (std::vector<uint64_t>{0x1010, 0x1024}));
    EXPECT_EQ(probes[0].isEnabledSites, (std::vector<uint64_t>{0x1030}));
    EXPECT_EQ(probes[0].argTypes, (std::vector<std::string>{"int", "char *"}));
}

TEST(Dof, BlobsOneAfterAnother) {
    auto blob = dofBlob("first", 0x1000), second = dofBlob("second", 0);
    blob.insert(blob.end(), 8, 0); // a linker's padding between them
    blob.insert(blob.end(), second.begin(), second.end());
    // The second's function address was left to a dynamic relocation: the
    // symbol table places it.
    auto probes = dof::readProbes(blob, [](const std::string &name) -> std::optional<uint64_t> {
        if (name == "main") return 0x2000;
        return std::nullopt;
    });
    ASSERT_EQ(probes.size(), 2u);
    EXPECT_EQ(probes[1].provider, "second");
    EXPECT_EQ(probes[1].sites.front(), 0x2010u);
}

TEST(Dof, TruncatedOrDamagedBlobs) {
    auto blob = dofBlob("myprov", 0x1000);
    for (size_t n = 0; n < blob.size(); ++n) {
        std::vector<uint8_t> cut(blob.begin(), blob.begin() + static_cast<long>(n));
        EXPECT_TRUE(dof::readProbes(cut, noFunctions).empty()) << n;
    }
    auto bad = blob;
    bad[1] = 'X'; // not DOF
    EXPECT_TRUE(dof::readProbes(bad, noFunctions).empty());
    // Section offsets pointing past the end yield no probes, not a crash.
    auto wild = blob;
    put(wild, sizeof(dof::Header) + sizeof(dof::Section) + 16, uint64_t(1) << 40);
    EXPECT_TRUE(dof::readProbes(wild, noFunctions).empty());
}

// x86-64 instruction lengths: the forms compilers emit (prefixes, REX,
// ModRM with SIB and displacements, rip-relative, immediates of each
// size, VEX and EVEX), and an offset inside an instruction.
TEST(X86Length, Instructions) {
    using dtrace::providers::x86InstructionLength;
    auto len = [](std::initializer_list<uint8_t> b) {
        std::vector<uint8_t> v(b);
        return x86InstructionLength(v);
    };
    EXPECT_EQ(len({0x55}), 1u);                                     // push %rbp
    EXPECT_EQ(len({0x48, 0x89, 0xe5}), 3u);                         // mov %rsp,%rbp
    EXPECT_EQ(len({0xf3, 0x0f, 0x1e, 0xfa}), 4u);                   // endbr64
    EXPECT_EQ(len({0x48, 0x83, 0xec, 0x10}), 4u);                   // sub $0x10,%rsp
    EXPECT_EQ(len({0x48, 0x8b, 0x05, 1, 2, 3, 4}), 7u);             // mov x(%rip),%rax
    EXPECT_EQ(len({0x8b, 0x44, 0x24, 0x08}), 4u);                   // mov 8(%rsp),%eax
    EXPECT_EQ(len({0x8b, 0x84, 0x24, 0, 1, 0, 0}), 7u);             // mov 0x100(%rsp),%eax
    EXPECT_EQ(len({0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8}), 10u);      // movabs $imm64,%rax
    EXPECT_EQ(len({0x66, 0xb8, 1, 2}), 4u);                         // mov $imm16,%ax
    EXPECT_EQ(len({0xe8, 0, 0, 0, 0}), 5u);                         // call rel32
    EXPECT_EQ(len({0x0f, 0x84, 0, 0, 0, 0}), 6u);                   // je rel32
    EXPECT_EQ(len({0xf6, 0x05, 1, 2, 3, 4, 0x80}), 7u);             // testb $0x80,x(%rip)
    EXPECT_EQ(len({0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00}), 6u);       // nopw 0(%rax,%rax)
    EXPECT_EQ(len({0x66, 0x0f, 0x3a, 0x0f, 0xc1, 0x08}), 6u);       // palignr $8
    EXPECT_EQ(len({0xc5, 0xf8, 0x77}), 3u);                         // vzeroupper
    EXPECT_EQ(len({0xc5, 0xfd, 0x6f, 0x06}), 4u);                   // vmovdqa (%rsi),%ymm0
    EXPECT_EQ(len({0xc4, 0xe3, 0x7d, 0x39, 0xc1, 0x01}), 6u);       // vextracti128 $1
    EXPECT_EQ(len({0x62, 0xf1, 0xfe, 0x48, 0x6f, 0x46, 0x01}), 7u); // vmovdqu64 0x40(%rsi),%zmm0
    EXPECT_EQ(len({0x66, 0x66, 0x48, 0xe8, 0, 0, 0, 0}), 8u);       // the TLS call
    EXPECT_EQ(len({0x66, 0x0f, 0x78, 0xc1, 4, 8}), 6u);             // extrq $4,$8
    EXPECT_EQ(len({0x66, 0xe8, 0, 0}), 0u);                         // call rel16: not decoded
    EXPECT_EQ(len({0x8f, 0xe9, 0x78, 0x01, 0xc0}), 0u);             // XOP: not decoded
    EXPECT_EQ(len({0x8f, 0x45, 0x08}), 3u);                         // pop 8(%rbp)
    EXPECT_EQ(len({0x06}), 0u);                                     // invalid in 64-bit mode
    EXPECT_EQ(len({0x48, 0x8b}), 0u);                               // cut short

    // nop; nop; mov %rdi,%rax; ret
    std::vector<uint8_t> f{0x90, 0x90, 0x48, 0x89, 0xf8, 0xc3};
    EXPECT_TRUE(dtrace::providers::x86InstructionBoundary(f, 2));
    EXPECT_FALSE(dtrace::providers::x86InstructionBoundary(f, 3));
    EXPECT_TRUE(dtrace::providers::x86InstructionBoundary(f, 5));
}
