// The kernel/consumer ABI: what the generated BPF programs write and the
// consumer reads. Record and state layouts, drop counters, fault codes and
// the per-CPU context's fixed part are defined here once; code generation
// and the runtime both include this, and neither defines them again.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace dtrace::program {

// DTrace's fault types (DTRACEFLT_*): the ERROR probe's arg4 and what the
// consumer says of a fault.
enum class Fault : uint32_t {
    Unknown = 0,
    BadAddr = 1,
    BadAlign = 2,
    IllOp = 3,
    DivZero = 4,
    NoScratch = 5,
    KPriv = 6,
    UPriv = 7,
    TupOflow = 8,
    BadStack = 9,
    BadSize = 10,
    BadIndex = 11,
    Library = 1000,
};
constexpr uint32_t faultCode(Fault f) {
    return static_cast<uint32_t>(f);
}

// D's names for them (DTRACEFLT_BADADDR ...), as predefined constants.
struct FaultName {
    std::string_view name;
    Fault fault;
};
constexpr std::array<FaultName, 13> kFaultNames = {{
    {"DTRACEFLT_UNKNOWN", Fault::Unknown},
    {"DTRACEFLT_BADADDR", Fault::BadAddr},
    {"DTRACEFLT_BADALIGN", Fault::BadAlign},
    {"DTRACEFLT_ILLOP", Fault::IllOp},
    {"DTRACEFLT_DIVZERO", Fault::DivZero},
    {"DTRACEFLT_NOSCRATCH", Fault::NoScratch},
    {"DTRACEFLT_KPRIV", Fault::KPriv},
    {"DTRACEFLT_UPRIV", Fault::UPriv},
    {"DTRACEFLT_TUPOFLOW", Fault::TupOflow},
    {"DTRACEFLT_BADSTACK", Fault::BadStack},
    {"DTRACEFLT_BADSIZE", Fault::BadSize},
    {"DTRACEFLT_BADINDEX", Fault::BadIndex},
    {"DTRACEFLT_LIBRARY", Fault::Library},
}};

// What DTrace says of a fault: "invalid address (0x10)", "divide-by-zero".
std::string faultText(uint32_t fault, uint64_t value);

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

struct ErrorRecord {
    RecordHeader header;
    uint32_t clause;
    uint32_t fault;
    uint64_t value;
    uint64_t pc;
};

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

// The state map, shared with the consumer (memory-mapped).
struct StateValue {
    uint32_t activity; // see Activity
    int32_t exitStatus;
    uint64_t walltimeOffset; // realtime - monotonic, set by the consumer
    uint64_t heartbeat;      // CLOCK_MONOTONIC ns of the consumer's last pass; 0 before tracing
    // Bytes waiting in the ring buffer at which a record wakes the consumer
    // (set by the consumer: half the ring); 0 before it is set.
    uint64_t wakeMark;
};
// kAborted: the deadman found the consumer unresponsive; probes do nothing.
enum Activity : uint32_t { kActive = 0, kExiting = 1, kStopped = 2, kAborted = 3 };
constexpr int16_t kStateActivityOffset = 0;
constexpr int16_t kStateHeartbeatOffset = 16;
constexpr int16_t kStateWakeMarkOffset = 24;

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
// Without -x probestats, one firing in this many is timed.
constexpr uint32_t kSampleEvery = 16;

// A keyed aggregation's map key: the D key's bytes, then this tag: the
// CPU's number and the aggregation's slot in the map, u32 each. The
// consumer merges the CPUs.
struct AggregationTag {
    uint32_t cpu;
    uint32_t slot;
};
constexpr uint32_t kAggTagSize = sizeof(AggregationTag);

// quantize(): buckets for -2^62.. (and below), ..., -1, 0, 1, ..., 2^62..
constexpr uint32_t kQuantizeBuckets = 127;
constexpr uint32_t kQuantizeZeroBucket = 63;

// A shared program's probe table (an array map indexed by the selector
// its provider's code computes, a system call's number): the ID of the
// probe of that selector (0: none enabled), then as many u64s as its
// clause masks need: bit i (of word i / 64) for clause mask i, set when
// that clause wants the probe.
struct SelectorProbe {
    uint32_t probeId = 0;
    uint32_t pad = 0;
};
constexpr uint32_t kClauseMasksOffset = sizeof(SelectorProbe);

// cpuinfo_t, as D lays it out: the CPU's number, its processor set (-1
// on Linux), chip and locality group; cpu_info is a pointer Linux has no
// use for. The cpuinfo map holds one for each possible CPU.
struct CpuInfo {
    int32_t id;
    int32_t pset;
    int32_t chip;
    int32_t lgrp;
    uint64_t info;
};
static_assert(sizeof(CpuInfo) == 24);

// Fixed offsets in the per-CPU context (an array map indexed by CPU), where
// every program keeps the firing's state. Providers' argument code writes
// kArgs and the probe's identity; the rest is code generation's.
namespace dctx {
constexpr int16_t kArgs = 0;     // u64[10]
constexpr int16_t kProbeId = 80; // u32: the probe that fired
constexpr int16_t kSelector =
    84; // u32: which of a shared program's probes (a system call's number)
constexpr int16_t kTimestamp = 88;    // u64: cached timestamp (0: not yet read)
constexpr int16_t kVtimestamp = 96;   // u64: cached vtimestamp
constexpr int16_t kFaultType = 104;   // u32
constexpr int16_t kFaultClause = 108; // u32
constexpr int16_t kFaultValue = 112;  // u64
constexpr int16_t kFaultPc = 120;     // u64
constexpr int16_t kSaved = 128;       // u64[7]: args 0..5 and probe id, while ERROR runs
constexpr int16_t kErrno = 184;       // u64: errno of this firing
constexpr int16_t kScratch = 192;     // u64[4]: destination of checked loads
constexpr int16_t kScratchTop = 232;  // u64: bytes of scratch alloca'd by this clause
constexpr int16_t kSelfAddress = 240; // u64: this context's own address (for alloca pointers)
// (the syscall probes read pt_regs, 64 bytes, into kScratch.. at entry:
// nothing that must outlive the arguments' reading may lie in 192..255)
constexpr int16_t kCpu = 256;        // u64: the CPU this firing runs on
constexpr int16_t kFuncOffset = 264; // u32: offset of probefunc in the string table
constexpr int16_t kFixedEnd = 272;
} // namespace dctx

} // namespace dtrace::program
