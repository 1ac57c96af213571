// The program-wide generator (maps, layout, string table) and the builder
// of one BPF program (entry function, clause functions, ERROR dispatcher,
// shared subprograms).
#pragma once

#include "bpf/assembler.h"
#include "codegen/generator.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>

namespace dtrace::codegen {

enum class SubprogramKind {
    Strcmp,
    Strlen,
    Strchr,
    Strrchr,
    Index,
    Rindex,
    Strtok,
    ToUpper,
    ToLower,
    Lltostr,
    Basename,
    Dirname,
    Substr,
    Cleanpath,
    Progenyof,
    DPath,
    Chill,
    NulToSpace,
    FormatInet4,
    FormatInet6,
    FormatInet6Strict,
    FormatLinkEther,
    FormatLinkInfiniband,
};

// The address formats of inet_ntoa, inet_ntoa6, inet_ntop and link_ntop.
enum class AddressFormat { Inet4, Inet6, Inet6Strict, LinkEther, LinkInfiniband };
// How many address bytes a format reads.
uint32_t addressFormatBytes(AddressFormat kind);

// Makes f a global function (verified once, on its own) that returns
// `fallback` when one of its pointer arguments (other than those in
// `nullable`) is NULL, as the verifier requires.
void makeGlobalFunction(bpf::Function &f, std::vector<bpf::ParamKind> params, int32_t fallback,
                        std::vector<int> nullable = {});

// A clause of a program shared by several probes (Identity::SelectorTable)
// that wants only some of them: bit `bit` of the clause mask in the probe
// table is set for the probes listed.
struct ClauseMask {
    uint64_t bit = 0;
    std::set<const providers::Probe *> probes;
};

// Where kernel structures keep what D builtins read (from the program's
// kernel types).
struct KernelOffsets {
    int64_t taskRealParent = -1;
    int64_t taskTgid = -1;
    int64_t taskExecRuntime = -1;
    int64_t taskMm = -1;
    int64_t mmArgStart = -1; // struct mm_struct: arg_start, and arg_end after it
    // d_path(): struct path, dentry, qstr, vfsmount and mount.
    int64_t pathMnt = -1, pathDentry = -1, dentryParent = -1, dentryNameLen = -1,
            dentryNameName = -1, vfsmountRoot = -1, mountParent = -1, mountMountpoint = -1,
            mountMnt = -1;
    // Where the current thread's root is (task_struct.fs, fs_struct.root):
    // d_path() stops there, as the kernel's does for a chroot.
    int64_t taskFs = -1, fsRoot = -1;
    bool pathsKnown() const {
        return pathMnt >= 0 && pathDentry >= 0 && dentryParent >= 0 && dentryNameLen >= 0 &&
               dentryNameName >= 0 && vfsmountRoot >= 0 && mountParent >= 0 &&
               mountMountpoint >= 0 && mountMnt >= 0;
    }
};

class Generator final : public providers::ProviderMaps {
  public:
    Generator(const ir::Program &prog, uint32_t recordReserve);
    // The record area reserved at first (codegen runs again for more).
    static constexpr uint32_t kRecordReserve = 512;
    CompiledProgram run();

    const ir::Program &prog;
    CompiledProgram out;
    Layout layout;
    StringTable strtab;
    uint32_t strsize = 256;
    bpf::MapId dctxMap = -1, stateMap = -1, globalsMap = -1, strtabMap = -1, buffersMap = -1,
               dropsMap = -1, tlsMap = -1, specsMap = -1;
    std::map<const ir::Variable *, VarStorage> vars;
    std::map<const ir::Aggregation *, AggStorage> aggs;
    uint32_t tlsValueSize = 8;
    uint32_t histogramZeroSize = 0;
    bpf::MapId histogramZeroMap = -1;
    KernelOffsets kernel;
    std::vector<const ir::Clause *> errorClauses;
    uint32_t errorProbeId = 3, beginProbeId = 1, endProbeId = 2;
    // The CPUs' cpuinfo_t (curcpu, chip, lgrp), added when first used.
    bpf::MapId cpuInfoMap();
    bpf::MapId cpuInfoMap_ = -1;
    // Identity::Cookie probes' names: a table of (provider, module,
    // function, name) string offsets, one entry per probe (its index is in
    // its cookie), and the largest offset in it.
    uint32_t cookieNamesOffset = 0, cookieNames = 0, cookieNamesMax = 0;
    // A names table's entries (Identity::SelectorTable).
    static constexpr uint32_t kNameWidth = 32;

    bpf::MapId addMap(MapSpec spec);
    bpf::MapId providerMap(const MapSpec &spec) override;
    // print()'s type descriptors: the index of t's in out.types.
    int typeDescriptor(const sema::TypeRef &t);
    ClauseDesc &clauseDesc(const ir::Clause &c);
    bool clauseDescribed(int index) const;
    void markDescribed(int index) { described_.at(static_cast<size_t>(index)) = true; }

  private:
    std::map<std::string, bpf::MapId> providerMaps_;
    void planVariables();
    void describeProbes();
    // A SelectorTable program's probe table and names.
    void planProbeTable(ProgramContext &ctx);
    void fillProbeTable(const ProgramContext &ctx, const std::vector<const ir::Clause *> &clauses,
                        const std::vector<ClauseMask> &masks);
    void planCookieNames(const std::vector<const providers::Probe *> &probes);
    std::map<const providers::Probe *, uint32_t> cookieIndex_;
    std::map<std::vector<std::pair<int, std::string>>, uint32_t> namesTables_;
    std::map<std::pair<int, std::string>, std::set<uint64_t>> isEnabledSites_;
    std::map<const sema::Type *, int> typeDescriptors_;
    void planAggregations();
    void planKernelOffsets();
    void planSpeculations();
    void planLayout();
    void checkLayout() const;
    void buildPrograms();
    void addProgram(ProgramContext ctx, const std::vector<const ir::Clause *> &clauses);
    static ProgramContext dtraceProgram(providers::ProbeRole role, const char *name);
    static bool chainable(const ProgramContext &ctx);
    bpf::MapId addChainMap();
    static constexpr size_t kMaxChain = 33;
    void addDeadman();

    std::vector<bool> described_;
};

// A probe's clauses past the functions one program may have go in a chain
// of programs, each tail-calling the next (through the ProgramChain map):
// where this program is in its chain.
struct ChainPosition {
    bpf::MapId map = -1;       // -1: a program alone
    uint32_t slot = 0;         // 0: the chain's first, which the kernel runs
    bool next = false;         // a program follows
    uint64_t firstMaskBit = 0; // SelectorTable clause masks go on from here
};

// What linkFunctions() throws when a program would have more functions than
// the kernel allows: the clauses go in a chain instead.
struct TooManyFunctions {
    const ir::Clause *firstPast = nullptr; // the first clause past the limit
    size_t functions = 0;
};

class ProgramBuilder {
  public:
    ProgramBuilder(Generator &g, ProgramContext ctx, ChainPosition chain = {});

    Generator &g;
    ProgramContext ctx;
    ChainPosition chain;
    std::vector<bpf::Function> functions;

    bpf::FunctionId subprogram(SubprogramKind k);
    // Shared static subprograms for map lookups (key in r2; the map value
    // or NULL in r0) and drop counters. The verifier rewrites each lookup
    // call it inlines, at a cost that grows with the program's length, so
    // clause code calls these instead of the helper at every use.
    struct MapLookup {
        bpf::FunctionId function;
        bool takesMap; // r1 must hold the map
    };
    MapLookup lookupFunction(bpf::MapId map);
    bpf::FunctionId dropFunction(DropCounter which);
    // speculation() and the common part of commit() and discard()
    // (speculation.cpp).
    bpf::FunctionId speculationFunction();
    bpf::FunctionId specFinishFunction();
    // dt_user_fault(r1 = address): r0 = the fault type of a failed read of
    // user memory there (function.cpp).
    bpf::FunctionId userFaultFunction();
    // Global functions that load or store a scalar dynamic variable
    // (dynvars.cpp).
    bpf::FunctionId dynamicAccessFunction(bpf::MapId map, bool threadLocal, bool store);
    bpf::FunctionId addFunction(const std::string &name,
                                const std::function<void(bpf::Function &)> &body);
    ProgramSpec build(const std::vector<const ir::Clause *> &clauses, bool usesArgs);
    // After build(): the clause masks of a SelectorTable program.
    const std::vector<ClauseMask> &clauseMasks() const { return masks_; }

    // Static probe facts for the clause code.
    const providers::Probe *probe() const {
        return ctx.probes.empty() ? nullptr : ctx.probes.front();
    }

  private:
    bpf::LinkedProgram linkFunctions(const std::vector<bpf::Function> &fns) const;
    void emitEntry(bpf::Function &f, const std::vector<const ir::Clause *> &clauses,
                   const std::vector<bpf::FunctionId> &clauseFns, bpf::FunctionId errorFn,
                   bool usesArgs);
    void emitProbeIdentity(bpf::Function &f, bpf::Label out);
    void emitSelectorLookup(bpf::Function &f, bpf::Label out);
    void emitProbeTableEntry(bpf::Function &f, bpf::Label out);
    void emitSelectorIdentity(bpf::Function &f);
    void emitContinuationEntry(bpf::Function &f, bpf::Label out);
    void emitContextLookup(bpf::Function &f, bpf::Label out);
    void emitAccountedCall(bpf::Function &f, int clauseIndex, bpf::FunctionId fn);
    bpf::FunctionId emitErrorDispatcher();
    void emitStrcmp(bpf::Function &f);
    void emitStrlen(bpf::Function &f);
    void emitStrchr(bpf::Function &f, bool last);
    void emitIndex(bpf::Function &f, bool reverse);
    void emitStrtok(bpf::Function &f);
    void emitCase(bpf::Function &f, bool upper);
    void emitLltostr(bpf::Function &f);
    void emitPathPart(bpf::Function &f, bool base);
    void emitSubstr(bpf::Function &f);
    void emitAddressFormat(bpf::Function &f, AddressFormat kind);
    void emitCleanpath(bpf::Function &f);
    void emitProgenyof(bpf::Function &f);
    void emitDPath(bpf::Function &f);
    void emitChill(bpf::Function &f);
    void emitNulToSpace(bpf::Function &f);
    void emitDynamicLoad(bpf::Function &f, bpf::MapId map, bool threadLocal);
    void emitDynamicStore(bpf::Function &f, bpf::MapId map, bool threadLocal);
    std::map<SubprogramKind, bpf::FunctionId> subprograms_;
    std::map<bpf::MapId, bpf::FunctionId> lookups_;
    std::map<int, bpf::FunctionId> drops_;
    std::map<std::pair<bpf::MapId, bool>, bpf::FunctionId> dynamicAccess_;
    std::vector<ClauseMask> masks_;
    bpf::FunctionId speculation_ = -1, specFinish_ = -1, userFault_ = -1, anyLookup_ = -1;
};

// Writes a record from the per-CPU context to this CPU's ring buffer, or
// counts a drop. Clobbers r0-r5 and the stack word at fp-8.
void emitRecordOutput(bpf::Function &f, Generator &g, uint32_t recordOffset, uint32_t size,
                      bool wakeup);
// Adds one to a per-CPU drop counter. Clobbers r0-r2 and fp-8.
void emitDropIncrement(bpf::Function &f, Generator &g, DropCounter which);

// Does any clause read arg0..arg9 or args[]?
bool usesProbeArguments(const ir::Clause &c);

} // namespace dtrace::codegen
