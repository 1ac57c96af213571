// Golden tests of code generation: a small program per provider, action
// and subroutine family, its load plan (maps, programs and where they
// attach) and BPF disassembly compared with tests/golden/expected/NAME.txt.
// They run against a made-up kernel (fake_kernel.h), so they give the same
// code on any machine. DTRACE_UPDATE_GOLDEN=1 rewrites the files: review
// the diff.
#include "../unit/compile_helpers.h"
#include "fake_kernel.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace {

using dtrace::program::AttachTarget;
using dtrace::program::CompiledProgram;

std::string attachText(const AttachTarget &t) {
    using Kind = AttachTarget::Kind;
    switch (t.kind) {
    case Kind::None: return "run by the consumer";
    case Kind::RawTracepoint: return "raw tracepoint " + t.name;
    case Kind::Timer:
        return "timer every " + std::to_string(t.periodNs) + " ns" +
               (t.oneCpu ? " on one CPU" : "");
    case Kind::Tracepoint:
        return "tracepoint " + t.name + " (id " + std::to_string(t.tracepointId) + ")";
    case Kind::Uprobes: return std::to_string(t.uprobes.size()) + " uprobes";
    case Kind::Trampoline:
        return std::string(t.attachType == BPF_TRACE_FEXIT ? "fexit" : "fentry") + " on BTF id " +
               std::to_string(t.btfId);
    }
    return "?";
}

// The plan as text: the maps, each program and its attach target, then the
// programs' code.
std::string describe(const CompiledProgram &prog) {
    std::string out = "maps:\n";
    for (const auto &m : prog.maps)
        out += "  " + m.name + " type " + std::to_string(m.type) + " key " +
               std::to_string(m.keySize) + " value " + std::to_string(m.valueSize) + " entries " +
               std::to_string(m.maxEntries) + " initial entries " +
               std::to_string(m.entries.size()) + "\n";
    out += "programs:\n";
    for (const auto &p : prog.programs)
        out += "  " + p.name + " type " + std::to_string(p.type) + ": " + attachText(p.attach) +
               ", " + std::to_string(p.code.insns.size()) + " insns\n";
    out += "probes:\n";
    for (const auto &p : prog.probes) out += "  " + p.fullName() + "\n";
    return out + dtrace::codegen::disassemble(prog);
}

std::string generated(const std::string &src) {
    auto c = dtrace::test::compile(src);
    EXPECT_EQ(c->error, "") << src;
    if (!c->error.empty()) return "";
    return describe(dtrace::codegen::generate(c->ir));
}

void expectGolden(const std::string &name, const std::string &src) {
    std::string actual = "// " + src + "\n" + generated(src);
    std::string path = std::string(DTRACE_SOURCE_DIR) + "/tests/golden/expected/" + name + ".txt";
    if (std::getenv("DTRACE_UPDATE_GOLDEN")) {
        std::ofstream(path) << actual;
        return;
    }
    std::ifstream in(path);
    ASSERT_TRUE(in) << "missing golden file " << path << " (run with DTRACE_UPDATE_GOLDEN=1)";
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_EQ(ss.str(), actual) << "golden mismatch for " << name;
}

} // namespace

// ------------------------------------------------------------- providers

TEST(GoldenProvider, Dtrace) {
    expectGolden("provider_dtrace", "BEGIN { x = 1; } END { trace(x); } ERROR { trace(arg4); }");
}
TEST(GoldenProvider, Profile) {
    expectGolden("provider_profile", "profile-97 { @[arg0, arg1] = count(); }");
}
TEST(GoldenProvider, Tick) {
    expectGolden("tls_predicate",
                 "tick-1s /self->n < 10/ { self->n++; printf(\"%d\\n\", self->n); }");
}
TEST(GoldenProvider, SyscallEntryArguments) {
    expectGolden("provider_syscall_entry",
                 "syscall::openat:entry { trace(copyinstr(args[1])); trace(arg2); }");
}
TEST(GoldenProvider, SyscallReturnErrno) {
    expectGolden("provider_syscall_return",
                 "syscall::read:return, syscall::write:return /errno/ { @[probefunc] = count(); }"
                 " syscall::read:return { trace(arg1); }");
}
TEST(GoldenProvider, SyscallCount) {
    expectGolden("syscall_count", "syscall::read:entry { @[execname] = count(); }");
}
TEST(GoldenProvider, Sdt) {
    expectGolden("provider_sdt",
                 "sdt:sched::sched_switch { trace(args[1]); trace(stringof(args[0])); }");
}
TEST(GoldenProvider, Rawtp) {
    expectGolden("provider_rawtp", "rawtp:sched::sched_switch { trace(arg0); trace(arg3); }");
}
TEST(GoldenProvider, Fbt) {
    expectGolden("provider_fbt", "fbt::vfs_read:entry { trace(args[2]); }"
                                 " fbt::vfs_read:return { trace(args[1]); }");
}
TEST(GoldenProvider, Proc) {
    expectGolden("provider_proc",
                 "proc:::exec { trace(args[0]); } proc:::exit { trace(args[0]); }");
}
TEST(GoldenProvider, Sched) {
    expectGolden("provider_sched",
                 "sched:::on-cpu { @ = count(); } sched:::tick { @t = count(); }");
}
TEST(GoldenProvider, Io) {
    expectGolden("provider_io", "io:::wait-start { @[pid] = count(); }");
}

// --------------------------------------------------------------- actions

TEST(GoldenAction, TraceAndPrintf) {
    expectGolden("begin_trace", "BEGIN { x = 1 + 2 * pid; trace(x); exit(0); }");
    expectGolden("action_printf",
                 "BEGIN { printf(\"%d %s %c %x\\n\", 1, \"a\", 'x', 16); trace(1ll); trace(\"s\"); "
                 "trace(walltimestamp); }");
}
TEST(GoldenAction, Aggregations) {
    expectGolden("action_aggregations",
                 "BEGIN { @a = count(); @b = sum(1); @c = avg(2); @d = min(3); @e = max(4); "
                 "@f = stddev(5); }");
}
TEST(GoldenAction, Histograms) {
    expectGolden("action_histograms",
                 "BEGIN { @q = quantize(timestamp); @l = lquantize(pid, 0, 100, 10); "
                 "@ll = llquantize(tid, 10, 0, 6, 20); }");
}
TEST(GoldenAction, AggregationActions) {
    expectGolden("action_printa",
                 "BEGIN { @[pid, execname] = count(); printa(\"%d %s %@d\\n\", @); clear(@); "
                 "trunc(@, 1); normalize(@, 2); denormalize(@); }");
}
TEST(GoldenAction, Speculation) {
    expectGolden("action_speculation", "BEGIN { s = speculation(); speculate(s); trace(1); }"
                                       " END { commit(s); } ERROR { discard(s); }");
}
TEST(GoldenAction, PrintAndTracemem) {
    expectGolden("action_print_tracemem",
                 "BEGIN { p = (struct task_struct *)curthread; print(p); tracemem(p, 32); "
                 "setopt(\"quiet\"); }");
}
TEST(GoldenAction, Variables) {
    expectGolden("action_variables",
                 "BEGIN { a[pid, \"x\"] = 1; self->t = timestamp; this->l = 2; g = a[pid, \"x\"] "
                 "+ self->t + this->l; self->t = 0; }");
}
TEST(GoldenAction, Predicates) {
    expectGolden("action_predicates", "BEGIN /pid != 0 && execname == \"dtrace\"/ { trace(ppid); } "
                                      "BEGIN { if (tid > 1) { trace(1); } else { trace(2); } }");
}

// ----------------------------------------------------------- subroutines

TEST(GoldenSubroutine, Strings) {
    expectGolden("subr_strings",
                 "BEGIN { s = \"/usr/lib/x.so\"; trace(strlen(s)); trace(strjoin(s, \"!\")); "
                 "trace(substr(s, 2, 3)); trace(index(s, \"lib\")); trace(rindex(s, \"/\")); "
                 "trace(strchr(s, 'l')); trace(strrchr(s, '/')); trace(strstr(s, \"x\")); "
                 "trace(toupper(s)); trace(tolower(s)); trace(lltostr(42)); }");
}
TEST(GoldenSubroutine, Paths) {
    expectGolden("subr_paths",
                 "BEGIN { s = \"/a/../b/./c\"; trace(basename(s)); trace(dirname(s)); "
                 "trace(cleanpath(s)); trace(strtok(s, \"/\")); trace(strtok(NULL, \"/\")); }");
}
TEST(GoldenSubroutine, Memory) {
    expectGolden("subr_memory",
                 "syscall::write:entry { trace(copyinstr(arg1)); trace(copyin(arg1, 8)); "
                 "p = alloca(16); bcopy((void *)curthread, p, 8); copyinto(arg1, 8, p); }");
}
TEST(GoldenSubroutine, Network) {
    expectGolden("subr_network", "BEGIN { this->a = (ipaddr_t *)alloca(4); *this->a = 0x0100007f; "
                                 "trace(inet_ntoa(this->a)); trace(htons(1)); trace(htonl(1)); "
                                 "trace(htonll(1)); trace(ntohs(256)); }");
}
TEST(GoldenSubroutine, Stacks) {
    expectGolden("subr_stacks", "profile-97 { @[stack(), ustack(4)] = count(); trace(func(arg0)); "
                                "trace(umod(arg1)); }");
}
TEST(GoldenSubroutine, Misc) {
    expectGolden("subr_misc",
                 "BEGIN { trace(rand()); trace(progenyof(1)); trace(getmajor(0x100000)); "
                 "trace(getminor(0x100001)); trace(curcpu->cpu_id); }");
}

int main(int argc, char **argv) {
    testing::InitGoogleTest(&argc, argv);
    dtrace::test::FakeKernel kernel;
    return RUN_ALL_TESTS();
}
