// Golden tests of code generation: a small program per provider, action
// and subroutine family, its load plan (maps, programs and where they
// attach) and BPF disassembly compared with tests/golden/expected/NAME.txt.
// They run against a made-up kernel (fake_kernel.h), so they give the same
// code on any machine. DTRACE_UPDATE_GOLDEN=1 rewrites the files: review
// the diff.
#include "../unit/compile_helpers.h"
#include "fake_kernel.h"
#include "providers/registry.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <functional>
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
    case Kind::Uprobes: {
        std::string out = std::to_string(t.uprobes.size()) + " uprobes:";
        for (const auto &u : t.uprobes)
            out += "\n    " + u.probe + " at " + u.path + "+" + std::to_string(u.offset) +
                   (u.isReturn ? " (return)" : "") + " pid " + std::to_string(u.pid) +
                   " semaphore " + std::to_string(u.semaphoreOffset) + " cookie " +
                   std::to_string(u.cookie);
        return out;
    }
    case Kind::Trampoline:
        return std::string(t.attachType == BPF_TRACE_FEXIT ? "fexit" : "fentry") + " on BTF id " +
               std::to_string(t.btfId);
    case Kind::Kprobe: return std::string(t.kretprobe ? "kretprobe" : "kprobe") + " on " + t.name;
    case Kind::KprobeMulti: {
        std::string out = std::to_string(t.functions.size()) +
                          (t.kretprobe ? " kretprobes" : " kprobes") + " in one link:";
        for (size_t i = 0; i < t.functions.size(); ++i)
            out += "\n    " + t.functions[i] + " cookie " + std::to_string(t.cookies[i]);
        return out;
    }
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
    for (const auto &sites : prog.isEnabledSites) {
        out += "is-enabled sites in " + sites.path + " of pid " + std::to_string(sites.pid) + ":";
        for (uint64_t o : sites.offsets) out += " " + std::to_string(o);
        out += "\n";
    }
    out += "probes:\n";
    for (const auto &p : prog.probes) out += "  " + p.fullName() + "\n";
    return out + dtrace::codegen::disassemble(prog);
}

using Prepare = std::function<void(dtrace::providers::ProbeCatalog &)>;

std::string generated(const std::string &src, const Prepare &prepare = {}) {
    auto c = dtrace::test::compile(src, {}, prepare);
    EXPECT_EQ(c->error, "") << src;
    if (!c->error.empty()) return "";
    return describe(dtrace::codegen::generate(c->ir));
}

void expectGolden(const std::string &name, const std::string &src, const Prepare &prepare = {}) {
    std::string actual = "// " + src + "\n" + generated(src, prepare);
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
    expectGolden("provider_io",
                 "io:::wait-start { @[args[1]->dev_name] = sum(args[0]->b_bcount); }");
}

// pid and USDT probes of a made-up process (no process has its ID): the
// probes the providers would make of its objects, added to the catalog.
constexpr const char *kNoSuchPid = "999999999";

dtrace::providers::Probe userProbe(const dtrace::providers::Provider *owner, std::string provider,
                                   std::string function, std::string name, uint64_t offset,
                                   bool isReturn) {
    dtrace::providers::Probe p;
    p.owner = owner;
    p.provider = std::move(provider);
    p.module = "app";
    p.function = std::move(function);
    p.name = std::move(name);
    dtrace::providers::UserProbe u;
    u.pid = 999999999;
    u.path = "/opt/app/bin/app";
    u.offset = offset;
    u.isReturn = isReturn;
    u.mainExecutable = true;
    p.user = std::move(u);
    return p;
}

TEST(GoldenProvider, Pid) {
    static const auto pid = dtrace::providers::makePidProvider();
    std::string prov = std::string("pid") + kNoSuchPid;
    expectGolden("provider_pid",
                 prov + ":a.out:main:entry { trace(arg0); trace(probefunc); } " + prov +
                     ":a.out:main:return { trace(arg1); } " + prov +
                     ":a.out:main:10 { @ = count(); }",
                 [&](dtrace::providers::ProbeCatalog &catalog) {
                     catalog.add(userProbe(pid.get(), prov, "main", "entry", 0x1130, false));
                     catalog.add(userProbe(pid.get(), prov, "main", "return", 0x1130, true));
                     catalog.add(userProbe(pid.get(), prov, "main", "10", 0x1140, false));
                 });
}

TEST(GoldenProvider, Usdt) {
    using dtrace::providers::UsdtArgument;
    static const auto usdt = dtrace::providers::makeUsdtProvider();
    std::string prov = std::string("myapp") + kNoSuchPid;
    expectGolden("provider_usdt",
                 prov +
                     ":::work-start { trace(arg0); trace(arg1); trace(arg2); trace(probename); }",
                 [&](dtrace::providers::ProbeCatalog &catalog) {
                     auto p = userProbe(usdt.get(), prov, "worker", "work-start", 0x2200, false);
                     p.user->usdt = true;
                     p.user->semaphoreOffset = 0x4010;
                     p.user->isEnabledSites = {0x2210};
                     // -4@%edi, 8@16(%rbp), 4@$3
                     p.user->arguments = {{UsdtArgument::Kind::Register, -4, 112, 0},
                                          {UsdtArgument::Kind::Memory, 8, 32, 16},
                                          {UsdtArgument::Kind::Constant, 4, 0, 3}};
                     p.argTypes = {"int", "long", "int"};
                     catalog.add(std::move(p));
                 });
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

TEST(GoldenAction, OutputAndDestructive) {
    expectGolden("action_output_destructive",
                 "BEGIN { system(\"echo %d\", pid); freopen(\"/tmp/out.%d\", pid); ftruncate(); "
                 "chill(100); raise(0); this->p = alloca(8); copyout(this->p, arg0, 8); "
                 "copyoutstr(\"s\", arg0, 2); exit(3); }");
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
