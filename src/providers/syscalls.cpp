#include "providers/syscalls.h"

namespace dtrace::providers {

namespace {
constexpr SyscallInfo kTable[] = {
#include "syscall_table.inc"
};
} // namespace

std::span<const SyscallInfo> syscallTable() {
    return kTable;
}

std::string_view syscallName(int nr) {
    for (const SyscallInfo &s : kTable)
        if (s.nr == nr) return s.name;
    return {};
}

int syscallNumber(std::string_view name) {
    for (const SyscallInfo &s : kTable)
        if (name == s.name) return s.nr;
    return -1;
}

} // namespace dtrace::providers

#include "providers/kernel_functions.h"
#include "providers/probe.h"

#include <fstream>
#include <sstream>

namespace dtrace::providers {

namespace {

// Reads the argument types of a system call from its tracefs format file:
// "field:const char * buf; offset:24; size:8; signed:0;".
std::vector<std::string> readSyscallFormat(const std::string &event) {
    std::vector<std::string> types;
    for (const char *root : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}) {
        std::ifstream in(std::string(root) + "/events/syscalls/" + event + "/format");
        if (!in) continue;
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
        break;
    }
    return types;
}

} // namespace

const std::vector<std::string> &probeArgTypes(const Probe &p) {
    if (!p.argTypesLoaded) {
        const Probe &mp = p;
        mp.argTypesLoaded = true;
        if (p.attach == AttachKind::SyscallEntry) {
            mp.argTypes = readSyscallFormat("sys_enter_" + p.function);
        } else if (p.attach == AttachKind::SyscallReturn) {
            // DTrace gives the return value as both arg0 and arg1.
            mp.argTypes = {"long", "long"};
        } else if (p.attach == AttachKind::Function) {
            // fbt: a function's parameters; on return, the returning
            // instruction's offset (not known to fexit: -1) and the value.
            FunctionSignature sig = functionSignature(p.btfId);
            if (p.name == "entry")
                mp.argTypes = std::move(sig.parameters);
            else if (sig.returnType == "void")
                mp.argTypes = {"int"};
            else
                mp.argTypes = {"int", sig.returnType};
        } else if (p.attach == AttachKind::Mapped && p.provider == "rawtp") {
            mp.argTypes = rawTracepointArgTypes(p.hook.name);
        } else if (const TracepointFormat *f = tracepointFormat(p)) {
            for (const auto &field : f->fields) mp.argTypes.push_back(field.argType);
        }
    }
    return p.argTypes;
}

const TracepointFormat *tracepointFormat(const Probe &p) {
    if (p.attach != AttachKind::Tracepoint) return nullptr;
    if (!p.format) {
        size_t slash = p.tracepoint.find('/');
        p.format =
            readTracepointFormat(p.tracepoint.substr(0, slash), p.tracepoint.substr(slash + 1));
        if (!p.format) p.format = TracepointFormat{};
    }
    return p.format->id ? &*p.format : nullptr;
}

} // namespace dtrace::providers
