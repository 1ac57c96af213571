// The syscall provider: syscall::NAME:entry and syscall::NAME:return for
// every system call of the architecture. One program on the sys_enter
// (sys_exit) raw tracepoint serves every enabled call: it looks the call's
// number up in a table to learn which probe fired. Arguments come from the
// registers the tracepoint passes; a return gives its value in arg0 and
// arg1, and errno.
#include "providers/catalog.h"
#include "providers/firing.h"
#include "providers/registry.h"
#include "providers/syscall_table.h"
#include "providers/tracepoints.h"

#include <fstream>

namespace dtrace::providers {

namespace {

// The argument types of a system call, from its tracefs format file:
// "field:const char * buf; offset:24; size:8; signed:0;".
std::vector<std::string> syscallArgumentTypes(const std::string &event) {
    std::vector<std::string> types;
    const std::string &root = tracefsRoot();
    if (root.empty()) return types;
    std::ifstream in(root + "/events/syscalls/" + event + "/format");
    std::string line;
    while (std::getline(in, line)) {
        size_t f = line.find("field:");
        if (f == std::string::npos) continue;
        size_t semi = line.find(';', f);
        std::string decl = line.substr(f + 6, semi - f - 6);
        size_t sp = decl.find_last_of(" *");
        if (sp == std::string::npos) continue;
        std::string name = decl.substr(sp + 1);
        std::string type = decl.substr(0, sp + 1);
        while (!type.empty() && type.back() == ' ') type.pop_back();
        if (name.rfind("common_", 0) == 0 || name == "__syscall_nr") continue;
        types.push_back(type);
    }
    return types;
}

class SyscallProvider final : public Provider {
  public:
    std::string_view name() const override { return "syscall"; }

    void provide(const ProbeDescription &d, ProbeCatalog &catalog) override {
        if (loaded_ || !fieldMatches(d.provider, "syscall")) return;
        loaded_ = true;
        for (const SyscallInfo &s : syscallTable())
            for (bool entry : {true, false}) {
                Probe p;
                p.owner = this;
                p.provider = "syscall";
                p.module = "vmlinux";
                p.function = s.name;
                p.name = entry ? "entry" : "return";
                p.syscallNr = s.nr;
                catalog.add(std::move(p));
            }
    }
    // The types are in the call's tracefs format file, read only when
    // asked for (a description may match every call).
    void resolveArguments(Probe &p) const override {
        // DTrace gives the return value as both arg0 and arg1.
        p.argTypes = isEntry(p) ? syscallArgumentTypes("sys_enter_" + p.function)
                                : std::vector<std::string>{"long", "long"};
    }
    program::ProviderAttributes attributes() const override { return kFunctionProviderAttributes; }
    program::ProbeInfo::Flow flow(const Probe &p) const override {
        return isEntry(p) ? program::ProbeInfo::Flow::Entry : program::ProbeInfo::Flow::Return;
    }

    std::vector<ProgramShape> programShapes(const Probe &p) const override {
        ProgramShape s;
        s.programType = BPF_PROG_TYPE_RAW_TRACEPOINT;
        s.hook = isEntry(p) ? "sys_enter" : "sys_exit";
        s.programName = "dt_" + s.hook;
        s.shareKey = s.hook;
        s.identity = ProgramShape::Identity::SelectorTable;
        s.selectorWithoutContext = true;
        // A raw tracepoint's kernel stack starts in the tracing machinery:
        // the clause, the program and the tracepoint's two glue frames.
        s.kernelStackSkip = 4;
        return {s};
    }
    void emitSelector(FiringCode &code) const override {
        emitSyscallNumber(code.f, code.shape.hook == "sys_enter");
    }
    uint32_t selector(const Probe &p) const override { return static_cast<uint32_t>(p.syscallNr); }
    void emitArguments(FiringCode &code) const override {
        if (code.shape.hook == "sys_enter")
            emitSyscallEntryArguments(code.f);
        else
            emitSyscallReturnArguments(code.f);
    }
    void emitErrno(FiringCode &code) const override {
        if (code.shape.hook == "sys_exit") emitSyscallErrno(code.f);
    }
    program::AttachTarget attachTarget(const ProgramShape &shape, std::span<const Probe *const>,
                                       std::span<const uint64_t>) const override {
        program::AttachTarget t;
        t.kind = program::AttachTarget::Kind::RawTracepoint;
        t.name = shape.hook;
        t.description = "syscall:::" + std::string(shape.hook == "sys_enter" ? "entry" : "return");
        return t;
    }

  private:
    static bool isEntry(const Probe &p) { return p.name == "entry"; }
    bool loaded_ = false;
};

} // namespace

std::unique_ptr<Provider> makeSyscallProvider() {
    return std::make_unique<SyscallProvider>();
}

} // namespace dtrace::providers
