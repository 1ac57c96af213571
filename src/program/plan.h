// The load plan: what code generation hands the runtime to create and
// attach, with the decode tables it reads records by. Maps are described
// with their role, programs with the kernel hook they attach to, all as
// plain values: nothing here holds a file descriptor, and nothing needs the
// compiler's IR or the providers to read it.
#pragma once

#include "bpf/assembler.h"
#include "program/decode.h"
#include "program/options.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dtrace::program {

// What a map is for. The runtime finds the maps it reads by role.
enum class MapRole {
    Context,          // dctx: the per-CPU context, an entry per CPU
    State,            // the activity word, exit status, heartbeat (memory-mapped)
    Drops,            // per-CPU drop counters (DropCounter)
    Buffers,          // the principal buffers: a BPF ring buffer per CPU
    Strings,          // the string table: constants, names, tables
    Globals,          // global variables
    ThreadLocals,     // self-> variables
    AssociativeArray, // one associative array
    Aggregations,     // the aggregations of one shape
    HistogramZero,    // zeros to start a histogram's buckets from
    ProbeTable,       // a shared program's probes by selector (SelectorProbe)
    Speculations,     // speculation states (memory-mapped)
    CpuInfo,          // each possible CPU's cpuinfo_t, filled from the system at load
    ProgramChain,     // the programs a program tail-calls in turn (by slot)
    ProviderState,    // a provider's own state across firings (lockstat: contention starts)
};

struct MapSpec {
    MapRole role = MapRole::Context;
    std::string name;  // the kernel's name for it (bpftool shows it)
    uint32_t type = 0; // enum bpf_map_type
    uint32_t keySize = 0;
    uint32_t valueSize = 0;
    uint32_t maxEntries = 1; // 0: one entry per possible CPU
    uint32_t flags = 0;
    std::vector<uint8_t> initialValue; // written to key 0 after creation
    // Entries written after creation (key bytes, value bytes).
    std::vector<std::pair<std::vector<uint8_t>, std::vector<uint8_t>>> entries;
    bool freeze = false;
    bool ringBufferPerCpu = false; // a ring buffer of bufsize bytes per CPU
};

// One uprobe of a program: a probe site in an ELF file, in one process.
struct UprobeSite {
    std::string probe; // its full name, for messages
    int pid = 0;
    std::string path;
    uint64_t offset = 0; // in the file
    bool isReturn = false;
    uint64_t semaphoreOffset = 0; // a USDT semaphore the kernel counts (0: none)
    uint64_t cookie = 0;          // what the program reads as its BPF cookie
};

// Where and how the kernel runs a program.
struct AttachTarget {
    enum class Kind {
        None,          // not attached: run by the consumer (BEGIN, END)
        RawTracepoint, // a raw tracepoint (name)
        Timer,         // a CPU-clock perf event (periodNs) on every CPU, or one
        Tracepoint,    // a tracefs event's perf event (tracepointId)
        Uprobes,       // uprobes (sites), one link per file where the kernel can
        Trampoline,    // a BPF trampoline on a kernel function (btfId, attachType)
        Kprobe,        // a kprobe or kretprobe (kretprobe) on a kernel function (name)
        // kprobes (or kretprobes) on many kernel functions in one kprobe_multi
        // link, each with its cookie (functions, cookies)
        KprobeMulti,
    };
    Kind kind = Kind::None;
    std::string name;          // RawTracepoint, Kprobe; Tracepoint: "subsystem/event"
    uint64_t tracepointId = 0; // Tracepoint
    uint64_t periodNs = 0;     // Timer
    bool oneCpu = false;       // Timer: tick-N fires on one CPU
    std::vector<UprobeSite> uprobes;
    uint32_t btfId = 0;      // Trampoline: the function
    uint32_t attachType = 0; // Trampoline: BPF_TRACE_FENTRY or BPF_TRACE_FEXIT
    bool kretprobe = false;  // Kprobe, KprobeMulti: at the function's return
    std::vector<std::string> functions; // KprobeMulti
    std::vector<uint64_t> cookies;      // KprobeMulti: each function's
    std::string description; // what it traces, for messages ("profile-97", a probe's name)
};

// What a program is to the runtime.
enum class ProgramRole {
    Probes,  // fires on its attach target
    Begin,   // dtrace:::BEGIN, run once by the consumer before tracing
    End,     // dtrace:::END, run once by the consumer after
    Deadman, // the deadman's timer: a safety net, tracing goes on without it
    // The clauses of a probe past what one program may hold: tail-called
    // by the program before it (chainSlot of the map chainMap), loaded as
    // the first of its chain is, never attached.
    Continuation,
};

struct ProgramSpec {
    std::string name;
    uint32_t type = 0; // enum bpf_prog_type
    ProgramRole role = ProgramRole::Probes;
    AttachTarget attach; // a Continuation: its chain's first program's
    bpf::LinkedProgram code;
    int chainMap = -1; // a Continuation: its ProgramChain map, and its slot there
    uint32_t chainSlot = 0;
};

// The is-enabled sites of the DTrace-style USDT probes a program enables,
// in one file of one process: patched while they are traced.
struct IsEnabledSites {
    int pid = 0;
    std::string path;
    std::vector<uint64_t> offsets; // in the file
};

struct CompiledProgram {
    // The load plan.
    std::vector<MapSpec> maps; // by map ID (bpf::MapId)
    std::vector<ProgramSpec> programs;
    std::vector<IsEnabledSites> isEnabledSites;
    // The decode tables.
    std::vector<ClauseDesc> clauses; // by clause index
    std::vector<AggregationDesc> aggregations;
    std::vector<TypeDesc> types;   // print()'s types
    std::vector<ProbeInfo> probes; // that can fire, by ID (BEGIN, END, ERROR, the enabled ones)
    Options options;
    // Facts of the programs the runtime needs.
    uint32_t nspec = 0;          // speculations (0: the program uses none)
    bool usesUserStacks = false; // ustack(): name frames while the process lives
    uint32_t stringSize = 0;     // strslot: the bytes of every string buffer
    size_t matchedProbes = 0;
    bool needsDestructive = false;
    // Where the ClauseStats of clause i are in each CPU's context (at
    // statsOffset + 8 + i * sizeof(ClauseStats)); 0 when not accounted.
    uint32_t statsOffset = 0;
    uint32_t statsClauses = 0;
    uint32_t contextSize = 0;
    bool timesEveryFiring = false; // -x probestats; else 1 in kSampleEvery

    // The map of a role the runtime reads (the first, for roles of many);
    // -1 when the program has none.
    int mapOf(MapRole role) const {
        for (size_t i = 0; i < maps.size(); ++i)
            if (maps[i].role == role) return static_cast<int>(i);
        return -1;
    }
    const ProbeInfo *probe(uint32_t id) const {
        auto it = std::lower_bound(probes.begin(), probes.end(), id,
                                   [](const ProbeInfo &p, uint32_t want) { return p.id < want; });
        return it != probes.end() && it->id == id ? &*it : nullptr;
    }
};

} // namespace dtrace::program
