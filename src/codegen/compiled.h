// What code generation produces: the maps to create, the BPF programs with
// their attach points, and the tables the consumer decodes records with.
// Nothing here holds a file descriptor.
#pragma once

#include "bpf/assembler.h"
#include "program/format.h"
#include "providers/probe.h"
#include "sema/ir.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace dtrace::codegen {

struct MapSpec {
    std::string name;
    uint32_t type = 0; // enum bpf_map_type
    uint32_t keySize = 0;
    uint32_t valueSize = 0;
    uint32_t maxEntries = 1;
    uint32_t flags = 0;
    std::vector<uint8_t> initialValue; // written to key 0 after creation
    bool freeze = false;
    bool ringBufferPerCpu = false; // a ring buffer of maxEntries bytes per CPU
};

// A clause of a system call program that wants only some of its calls:
// bit `bit` of the sysprobes mask is set for the probes listed.
struct SyscallClauseMask {
    uint64_t bit = 0;
    std::set<const providers::Probe *> probes;
};

struct ProgramSpec {
    std::string name;
    uint32_t type = 0; // enum bpf_prog_type
    providers::AttachKind attach = providers::AttachKind::Begin;
    std::vector<const providers::Probe *> probes;
    std::string tracepoint; // raw tracepoint name
    uint64_t periodNs = 0;
    bpf::LinkedProgram code;
    std::vector<SyscallClauseMask> sysMasks;
    std::vector<uint64_t> cookies; // uprobes: each probe's BPF cookie, as probes
    // fbt: the function the trampoline calls the program from, and
    // whether at entry (BPF_TRACE_FENTRY) or return (BPF_TRACE_FEXIT).
    uint32_t attachBtfId = 0;
    uint32_t expectedAttachType = 0;
};

// How the consumer reads one value out of a record.
struct ValueDesc {
    enum class Kind { Integer, String, Bytes, Stack };
    Kind kind = Kind::Integer;
    bool userStack = false; // Kind::Stack: a ustack (the process ID, then the frames)
    uint8_t symbolForm = 0; // Kind::Stack: func/sym (1) or mod (2) of its one frame
    uint32_t size = 8;      // bytes in the record (strings: strsize + 1)
    uint32_t typeSize = 8;  // the D type's size (for integer printing width)
    bool isSigned = true;
    bool isPointer = false;
    std::string typeName;
};

enum class ItemKind {
    Trace,
    Printf,
    Exit,
    System,
    Printa,
    AggregationAction,
    SetOption,
    Print,
    Freopen,
    Ftruncate,
    Tracemem
};

struct RecordItem {
    ItemKind kind = ItemKind::Trace;
    uint32_t offset = 0; // of the first value
    int presentBit = -1; // >= 0: bit of the record's presence mask (actions under if)
    std::vector<ValueDesc> values;
    std::vector<uint32_t> valueOffsets;
    program::ParsedFormat format;
    bool hasFormat = false;
    std::vector<int> aggregations; // printa, aggregation actions
    ir::AggregationActionKind aggAction = ir::AggregationActionKind::Clear;
    sema::TypeRef printType;                // print(): what the pointer points to
    std::string optionName;                 // setopt
    std::optional<std::string> optionValue; // setopt
};

struct ClauseDesc {
    int index = 0; // dt_clause_N
    std::string description;
    uint32_t recordSize = 0;
    bool hasPresence = false;
    std::vector<RecordItem> items;
    bool isErrorClause = false;
    bool isEndClause = false;
};

// The bytes DTrace's own record of a clause would take in a principal
// buffer: a 4-byte EPID, then each recorded value at its D type's size and
// alignment (the values of actions under if/else only when present).
// bufpolicy=ring sizes its rings in these units, so that a bufsize holds as
// many records as it does in DTrace.
inline uint64_t dtraceRecordBytes(const ClauseDesc &cd, uint64_t presence = ~0ull) {
    uint64_t at = 4;
    auto put = [&](uint64_t size, uint64_t align) {
        align = std::clamp<uint64_t>(align, 1, 8);
        at = (at + align - 1) / align * align + size;
    };
    for (const auto &item : cd.items) {
        if (item.presentBit >= 0 && !(presence & (1ull << item.presentBit))) continue;
        if (item.kind == ItemKind::Exit || item.kind == ItemKind::Printa) {
            put(4, 4);
            continue;
        }
        for (const auto &v : item.values) {
            if (v.kind == ValueDesc::Kind::String)
                put(v.typeSize, 1);
            else
                put(v.typeSize, std::has_single_bit(v.typeSize) ? v.typeSize : 8);
        }
    }
    return at;
}

// quantize(): buckets for -2^62.. (and below), ..., -1, 0, 1, ..., 2^62..
constexpr uint32_t kQuantizeBuckets = 127;
constexpr uint32_t kQuantizeZeroBucket = 63;
inline bool isHistogram(ir::AggFunc f) {
    return f == ir::AggFunc::Quantize || f == ir::AggFunc::Lquantize ||
           f == ir::AggFunc::Llquantize;
}
// lquantize(base, limit, step): the levels between base and limit (the
// buckets are: below base, the levels, limit and above).
inline int64_t lquantizeLevels(const std::vector<int64_t> &params) {
    return params.size() < 3 || params[2] <= 0 ? 1 : (params[1] - params[0]) / params[2];
}

// A keyed aggregation's map key: the D key's bytes, then this tag: the
// CPU's number and the aggregation's slot in the map, u32 each. The
// consumer merges the CPUs.
struct AggregationTag {
    uint32_t cpu;
    uint32_t slot;
};
constexpr uint32_t kAggTagSize = sizeof(AggregationTag);

struct AggregationDesc {
    std::string name;
    int id = 0;
    ir::AggFunc func = ir::AggFunc::Count;
    std::vector<ValueDesc> keys;
    std::vector<uint32_t> keyOffsets;
    uint32_t keySize = 0; // of the map's key (keyed: the D key, then the tag)
    uint32_t valueSize = 0;
    bpf::MapId map = -1; // shared by the aggregations of its shape
    uint32_t slot = 0;   // keyed: the slot in its keys' tags; unkeyed: its index
    bool keyed = false;
    std::vector<int64_t> params;
    ir::LlquantizeLayout llquantize; // llquantize(): its buckets, worked out once
};

// Record header: every record in a ring buffer starts with one.
struct RecordHeader {
    uint32_t epid; // clause index + 1; kErrorRecord for faults; kSpecControl
    uint32_t probeId;
    uint32_t cpu;         // the CPU the record was made on
    uint32_t speculation; // 0, or generation << 16 | speculation ID
};
// Clauses with if/else put a 64-bit presence mask right after the header.
constexpr uint32_t kPresenceOffset = sizeof(RecordHeader);
constexpr uint32_t kErrorRecord = 0xffffffffu;
constexpr uint32_t kSpecControl = 0xfffffffeu;

// Speculations. The kernel keeps one SpecState per speculation ID (in one
// memory-mapped array) and tags speculative records with the ID and the
// generation it was allocated in; the consumer holds them until a commit
// or discard record, in the ring buffer's order, says what to do, then
// frees the speculation.
enum SpecStateKind : uint32_t {
    kSpecInactive = 0,
    kSpecActive = 1,
    kSpecFinishing = 2, // committed or discarded; the consumer has not yet freed it
    kSpecClaiming = 3,  // being set up by speculation()
};
struct SpecState {
    uint32_t state;
    uint32_t generation;
    uint64_t used; // bytes speculated, counted as DTrace counts records
};
enum SpecOp : uint32_t { kSpecCommit = 1, kSpecDiscard = 2 };
struct SpecControlRecord {
    RecordHeader header; // epid kSpecControl
    uint32_t op;
    uint32_t pad;
};
constexpr uint32_t kMaxSpeculations = 4096;
// print() records at most this much of an object (printsize may show less).
constexpr uint32_t kMaxPrintBytes = 4096;

struct ErrorRecord {
    RecordHeader header;
    uint32_t clause;
    uint32_t fault;
    uint64_t value;
    uint64_t pc;
};

// The state map, shared with the consumer (memory-mapped).
struct StateValue {
    uint32_t activity; // see Activity
    int32_t exitStatus;
    uint64_t walltimeOffset; // realtime - monotonic, set by the consumer
    uint64_t heartbeat;      // CLOCK_MONOTONIC ns of the consumer's last pass; 0 before tracing
};
// kAborted: the deadman found the consumer unresponsive; probes do nothing.
enum Activity : uint32_t { kActive = 0, kExiting = 1, kStopped = 2, kAborted = 3 };
constexpr int16_t kStateActivityOffset = 0;
constexpr int16_t kStateHeartbeatOffset = 16;

// Per-CPU counters of what was lost.
enum DropCounter : uint32_t {
    kPrincipalDrops = 0,
    kDynvarDrops,
    kAggDrops,
    kDoubleErrors,
    kErrors,
    kSpecDrops,   // a speculation's buffer (specsize) was full
    kSpecBusy,    // speculate() on a speculation being committed or discarded
    kSpecUnavail, // speculation() found no free speculation (nspec)
    kDropCounters
};

// Per-CPU accounting of one clause, in the per-CPU context: firings, the
// firings that were timed, their total, shortest and longest (ns).
struct ClauseStats {
    uint64_t firings;
    uint64_t timed;
    uint64_t totalNs;
    uint64_t minNs;
    uint64_t maxNs;
};

struct CompiledProgram {
    std::vector<MapSpec> maps;
    std::vector<ProgramSpec> programs;
    std::vector<ClauseDesc> clauses; // by clause index
    std::vector<AggregationDesc> aggregations;
    bpf::MapId stateMap = -1, buffersMap = -1, dropsMap = -1, globalsMap = -1, contextMap = -1,
               specsMap = -1;
    uint32_t nspec = 0;          // speculations (0: the program uses none)
    bool usesUserStacks = false; // ustack(): name frames while the process lives
    uint32_t stringSize = 0;     // strslot: the bytes of every string buffer
    program::Options options;
    size_t matchedProbes = 0;
    bool needsDestructive = false;
    // Where the ClauseStats of clause i are in each CPU's context (at
    // statsOffset + 8 + i * sizeof(ClauseStats)); 0 when not accounted.
    uint32_t statsOffset = 0;
    uint32_t statsClauses = 0;
    uint32_t contextSize = 0;
    bool timesEveryFiring = false; // -x probestats; else 1 in kSampleEvery
};
constexpr uint32_t kSampleEvery = 16;

} // namespace dtrace::codegen
