// Internals of the code generator: data layout, the program-wide
// generator and the per-function compiler.
#pragma once

#include "program/plan.h"
#include "providers/provider.h"
#include "sema/ir.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dtrace::codegen {

// Code generation speaks the contract's vocabulary (program/).
namespace dctx = program::dctx;
using program::AggFunc;
using program::AggregationDesc;
using program::AggregationTag;
using program::ClauseDesc;
using program::ClauseStats;
using program::CompiledProgram;
using program::DropCounter;
using program::ErrorRecord;
using program::isHistogram;
using program::ItemKind;
using program::kAborted;
using program::kActive;
using program::kAggDrops;
using program::kAggTagSize;
using program::kDoubleErrors;
using program::kDropCounters;
using program::kDynvarDrops;
using program::kErrorRecord;
using program::kErrors;
using program::kExiting;
using program::kMaxPrintBytes;
using program::kMaxSpeculations;
using program::kPresenceOffset;
using program::kPrincipalDrops;
using program::kQuantizeBuckets;
using program::kQuantizeZeroBucket;
using program::kSampleEvery;
using program::kSpecActive;
using program::kSpecBusy;
using program::kSpecClaiming;
using program::kSpecCommit;
using program::kSpecControl;
using program::kSpecDiscard;
using program::kSpecDrops;
using program::kSpecFinishing;
using program::kSpecInactive;
using program::kSpecUnavail;
using program::kStateActivityOffset;
using program::kStateHeartbeatOffset;
using program::lquantizeLevels;
using program::MapRole;
using program::MapSpec;
using program::ProgramSpec;
using program::RecordHeader;
using program::RecordItem;
using program::SpecControlRecord;
using program::SpecState;
using program::StateValue;
using program::ValueDesc;

// Where each variable and aggregation lives.
struct VarStorage {
    bpf::MapId map = -1;  // TLS and associative arrays: their hash map
    uint32_t offset = 0;  // globals (in the globals map) and clause-locals (in dctx)
    uint32_t size = 0;    // bytes of storage for the value
    uint32_t keySize = 0; // associative arrays
    std::vector<uint32_t> keyOffsets;
};

struct AggStorage {
    bpf::MapId map = -1; // shared by the aggregations of its shape
    uint32_t slot = 0;   // this one's tag (keyed) or array index (unkeyed) in it
    uint32_t keySize = 0;
    uint32_t valueSize = 0;
    std::vector<uint32_t> keyOffsets;
    bool keyed = false;
};

// The per-CPU context, in two regions. First what instructions address at
// r9 + a 16-bit offset (which must end below kImmediateLimit): the fixed
// part, clause-locals, keys, the number buffer, strtok's state, d_path's
// buffer, stack frames, the accounting, the record (its size reserved
// before code is generated). Then what code addresses through a pointer
// (r9 + a 32-bit immediate), as large as strsize makes it: the zero area,
// strtok's buffer, alloca'd scratch, the string temporaries; and the
// accounting of hundreds of clauses.
struct Layout {
    uint32_t locals = 0, localsSize = 0;
    uint32_t keys = 0, keysSize = 0;
    uint32_t numbuf = 0;      // lltostr's digits (72 bytes) and state (24), address formatting
    uint32_t strtokState = 0; // strtok's position, valid flag, delimiter bitmap (48 bytes)
    uint32_t pathbuf = 0;     // d_path's path, built right to left (2 strslots), when used
    uint32_t kernelStack = 0, userStack = 0; // stack() and ustack() frames, when used
    uint32_t symbol = 0;                     // func(), ufunc() ...: process ID and address
    bool usesStacks =
        false; // clause functions keep the program's context (fp + kStackProgramContext)
    // Per-clause accounting (overload governor, probestats): a sample
    // counter, then for each clause the words of ClauseStats.
    uint32_t stats = 0, statsClauses = 0;
    uint32_t record = 0, recordSize = 0, recordReserve = 0;
    // The pointer region.
    uint32_t zero = 0, zeroSize = 0;
    uint32_t strtok = 0;                   // strtok's buffer (strslot)
    uint32_t scratch = 0, scratchSize = 0; // alloca'd memory
    uint32_t allocaLimit = 0;              // what alloca() may take of it (scratchsize)
    // A stack's frames for caller, ucaller, stackdepth and ustackdepth.
    uint32_t frames = 0;
    static constexpr uint32_t kMaxFrames = 127; // the kernel's perf_event_max_stack
    uint32_t strtmp = 0, strtmpSlots = 0;
    uint32_t end = 0;     // of the pointer region
    uint32_t strslot = 0; // bytes per string temporary (strsize + 1, rounded)
    // What instructions address at r9 + a 16-bit offset must end here.
    static constexpr uint32_t kImmediateLimit = 32767;
    // The end of the immediate region.
    uint32_t total() const { return record + std::max(recordSize, recordReserve); }
    uint32_t contextSize() const {
        uint32_t statsEnd =
            statsClauses ? stats + 8 + statsClauses * static_cast<uint32_t>(sizeof(ClauseStats))
                         : 0;
        return std::max({total(), end, statsEnd});
    }
};

// The string table: every string constant the programs use, each in a
// slot of strsize+1 bytes so string code may read a full string from it.
class StringTable {
  public:
    explicit StringTable(uint32_t slot) : slot_(slot) {}
    uint32_t add(const std::string &s);
    // A table of fixed-width names indexed by number (system call names).
    uint32_t addIndexed(const std::vector<std::pair<int, std::string>> &names, uint32_t width,
                        uint32_t count);
    // Bytes of data (8-aligned), not shared with any other entry.
    uint32_t addBlob(const std::vector<uint8_t> &blob);
    std::vector<uint8_t> bytes() const;
    uint32_t slot() const { return slot_; }

  private:
    uint32_t slot_;
    std::vector<uint8_t> data_;
    std::map<std::string, uint32_t> offsets_;
};

// How a value of type t is recorded and keyed (function_stmt.cpp).
ValueDesc describeType(const sema::TypeRef &t, uint32_t strslot, uint32_t strsize);

class Generator;

// What one BPF program is for: which probes, in which shape their provider
// gives it (BEGIN and END: no provider).
struct ProgramContext {
    providers::ProbeRole role = providers::ProbeRole::Traced;
    const providers::Provider *provider = nullptr;
    providers::ProgramShape shape;
    std::vector<const providers::Probe *> probes;
    std::vector<uint64_t> cookies; // Identity::Cookie: each probe's BPF cookie
    // Identity::SelectorTable: the table of probes by selector, how many
    // selectors it has, and the names table (probefunc by selector) in the
    // string table.
    bpf::MapId probeTable = -1;
    uint32_t selectors = 0;
    uint32_t namesOffset = 0;
    bool probeKnownStatically() const {
        return shape.identity == providers::ProgramShape::Identity::Static;
    }
};

} // namespace dtrace::codegen
