#include "providers/uprobe_provider.h"

#include "providers/catalog.h"
#include "providers/firing.h"

#include <map>

namespace dtrace::providers {

namespace {

using namespace bpf;
namespace dctx = program::dctx;

// A USDT site's arguments, each where its note says: a register, a
// constant, or user memory at a register plus a displacement; then cut to
// its size and sign- or zero-extended.
void emitUsdtArguments(Function &f, const std::vector<UsdtArgument> &args) {
    using Kind = UsdtArgument::Kind;
    for (size_t i = 0; i < args.size() && i < 10; ++i) {
        const UsdtArgument &a = args[i];
        const auto slot = static_cast<int16_t>(dctx::kArgs + 8 * i);
        switch (a.kind) {
        case Kind::Unsupported: f.emit(storeImm(Size::DW, R9, slot, 0)); continue;
        case Kind::Constant:
            f.ldImm64(R1, static_cast<uint64_t>(a.value));
            f.emit(store(Size::DW, R9, slot, R1));
            continue;
        case Kind::Register:
            f.emit(load(Size::DW, R1, R6, static_cast<int16_t>(a.regsOffset)));
            break;
        case Kind::Memory: {
            f.emit(storeImm(Size::DW, R9, slot, 0));
            f.emit(load(Size::DW, R3, R6, static_cast<int16_t>(a.regsOffset)));
            if (a.value != 0) {
                f.ldImm64(R1, static_cast<uint64_t>(a.value));
                f.emit(alu64Reg(BPF_ADD, R3, R1));
            }
            f.emit(movReg(R1, R9));
            f.emit(alu64Imm(BPF_ADD, R1, slot));
            f.emit(movImm(R2, std::abs(a.size)));
            f.callHelper(BPF_FUNC_probe_read_user);
            f.emit(load(Size::DW, R1, R9, slot));
            break;
        }
        }
        int bits = 8 * std::abs(a.size);
        if (bits < 64) {
            f.emit(alu64Imm(BPF_LSH, R1, 64 - bits));
            f.emit(alu64Imm(a.size < 0 ? BPF_ARSH : BPF_RSH, R1, 64 - bits));
        }
        f.emit(store(Size::DW, R9, slot, R1));
    }
}

// A program key for a site's way of finding its arguments.
std::string argumentsKey(const std::vector<UsdtArgument> &args) {
    std::string key;
    for (const UsdtArgument &a : args)
        key += std::to_string(static_cast<int>(a.kind)) + "," + std::to_string(a.size) + "," +
               std::to_string(a.regsOffset) + "," + std::to_string(a.value) + ";";
    return key;
}

} // namespace

bool UprobeProvider::matches(const ProbeDescription &d, const Probe &p) const {
    return fieldMatches(d.provider, p.provider) &&
           moduleMatches(d.module, {p.user->path, p.user->mainExecutable}) &&
           fieldMatches(d.function, p.function) && fieldMatches(d.name, p.name);
}

// One program for the probes of each set of clauses (entries apart from
// returns); USDT sites hold their arguments in different places: a program
// for each way of finding them.
std::vector<ProgramShape> UprobeProvider::programShapes(const Probe &p) const {
    const UserProbe &u = *p.user;
    ProgramShape s;
    s.programType = BPF_PROG_TYPE_KPROBE;
    s.userFunctionEntry = !u.isReturn && !u.usdt && p.name == "entry";
    s.programName = u.isReturn            ? "dt_uretprobe"
                    : u.usdt              ? "dt_usdt"
                    : s.userFunctionEntry ? "dt_uentry"
                                          : "dt_uprobe";
    s.shareKey = s.programName + ":" + (u.usdt ? argumentsKey(u.arguments) : std::string());
    s.identity = ProgramShape::Identity::Cookie;
    s.sameClausesOnly = true;
    return {s};
}

// A function's arguments in their registers; on return arg1 is the return
// value (and arg0, the returning instruction's offset, is not known to a
// uretprobe: 0). A USDT site's where its note or DOF says.
void UprobeProvider::emitArguments(FiringCode &code) const {
    const UserProbe &u = *code.probes.front()->user;
    Function &f = code.f;
    if (u.usdt) {
        emitUsdtArguments(f, u.arguments);
    } else if (u.isReturn) {
        f.emit(load(Size::DW, R1, R6, ptregs::kReturn));
        f.emit(store(Size::DW, R9, dctx::kArgs + 8, R1));
    } else {
        for (size_t i = 0; i < std::size(ptregs::kCallArgs); ++i) {
            f.emit(load(Size::DW, R1, R6, ptregs::kCallArgs[i]));
            f.emit(store(Size::DW, R9, static_cast<int16_t>(dctx::kArgs + 8 * i), R1));
        }
    }
}

std::vector<program::IsEnabledSites> UprobeProvider::isEnabledSites(const Probe &p) const {
    if (p.user->isEnabledSites.empty()) return {};
    return {{p.user->pid, p.user->path, p.user->isEnabledSites}};
}

program::AttachTarget UprobeProvider::attachTarget(const ProgramShape &,
                                                   std::span<const Probe *const> probes,
                                                   std::span<const uint64_t> cookies) const {
    program::AttachTarget t;
    t.kind = program::AttachTarget::Kind::Uprobes;
    for (size_t i = 0; i < probes.size(); ++i) {
        const UserProbe &u = *probes[i]->user;
        if (u.isEnabledOnly) continue; // only patched, never probed
        t.uprobes.push_back({probes[i]->fullName(), u.pid, u.path, u.offset, u.isReturn,
                             u.semaphoreOffset, i < cookies.size() ? cookies[i] : probes[i]->id});
    }
    if (!probes.empty()) t.description = probes.front()->fullName();
    return t;
}

std::vector<ProcessObject> UprobeProvider::objectsOf(int pid, const std::string &module,
                                                     const ProbeCatalog &catalog) const {
    auto objects = mappedObjectsOf(pid, catalog);
    addLibraryLoadedLater(pid, module, objects);
    return objects;
}

std::vector<ProcessObject> UprobeProvider::mappedObjectsOf(int pid,
                                                           const ProbeCatalog &catalog) const {
    return processObjects(pid, catalog.pendingExec(pid));
}

void UprobeProvider::addProbes(std::vector<Probe> probes, ProbeCatalog &catalog) {
    for (Probe &p : probes) {
        std::string key = std::to_string(p.user->pid) + ":" + p.user->path + ":" +
                          std::to_string(p.user->offset) + ":" + p.provider + ":" + p.function +
                          ":" + p.name;
        if (!made_.insert(key).second) continue;
        p.owner = this;
        catalog.add(std::move(p));
    }
}

} // namespace dtrace::providers
