// Internals of the code generator: data layout, the program-wide
// generator and the per-function compiler.
#pragma once

#include "codegen/compiled.h"
#include "sema/ir.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dtrace::codegen {

// Fixed offsets in the per-CPU context (an array map indexed by CPU).
namespace dctx {
constexpr int16_t kArgs = 0;          // u64[10]
constexpr int16_t kProbeId = 80;      // u32: the probe that fired
constexpr int16_t kSyscallNr = 84;    // u32: system call number (syscall probes)
constexpr int16_t kTimestamp = 88;    // u64: cached timestamp (0: not yet read)
constexpr int16_t kVtimestamp = 96;   // u64: cached vtimestamp
constexpr int16_t kFaultType = 104;   // u32
constexpr int16_t kFaultClause = 108; // u32
constexpr int16_t kFaultValue = 112;  // u64
constexpr int16_t kFaultPc = 120;     // u64
constexpr int16_t kSaved = 128;       // u64[7]: args 0..5 and probe id, while ERROR runs
constexpr int16_t kErrno = 184;       // u64: errno of this firing
constexpr int16_t kScratch = 192;     // u64[4]: destination of checked loads
constexpr int16_t kFuncOffset = 224;  // u32: offset of probefunc in the string table
constexpr int16_t kScratchTop = 232;  // u64: bytes of scratch alloca'd by this clause
constexpr int16_t kSelfAddress = 240; // u64: this context's own address (for alloca pointers)
// (the syscall probes read pt_regs, 64 bytes, into kScratch.. at entry)
constexpr int16_t kCpu = 256; // u64: the CPU this firing runs on
constexpr int16_t kFixedEnd = 264;
} // namespace dctx

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

struct Layout {
    uint32_t locals = 0, localsSize = 0;
    uint32_t keys = 0, keysSize = 0;
    uint32_t zero = 0, zeroSize = 0;
    uint32_t strtmp = 0, strtmpSlots = 0;
    uint32_t strtok = 0;  // strtok's buffer (strslot), position, valid flag, delimiter bitmap
    uint32_t numbuf = 0;  // lltostr's digits (72 bytes) and state (24), address formatting
    uint32_t pathbuf = 0; // d_path's path, built right to left (2 strslots), when used
    uint32_t kernelStack = 0, userStack = 0; // stack() and ustack() frames, when used
    uint32_t symbol = 0;                     // func(), ufunc() ...: process ID and address
    bool usesStacks =
        false; // clause functions keep the program's context (fp + kStackProgramContext)
    uint32_t scratch = 0, scratchSize = 0; // alloca'd memory
    // Per-clause accounting (overload governor, probestats): a sample
    // counter, then for each clause the words of ClauseStats.
    uint32_t stats = 0, statsClauses = 0;
    uint32_t record = 0, recordSize = 0;
    uint32_t strslot = 0; // bytes per string temporary (strsize + 1, rounded)
    // What instructions address at r9 + a 16-bit offset must end here.
    static constexpr uint32_t kImmediateLimit = 32767;
    // Where the accounting of hundreds of clauses goes when it does not fit
    // below that (addressed through a pointer).
    static constexpr uint32_t kFarStats = 32768;
    uint32_t total() const { return record + recordSize; }
    uint32_t contextSize() const {
        uint32_t statsEnd =
            statsClauses ? stats + 8 + statsClauses * static_cast<uint32_t>(sizeof(ClauseStats))
                         : 0;
        return std::max(total(), statsEnd);
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

// What one BPF program is for: which probes, which clauses.
struct ProgramContext {
    providers::AttachKind attach;
    std::vector<const providers::Probe *> probes;
    bool dynamicProbe = false; // probe identity known only at run time (syscalls)
    bool isErrorFunction = false;
    std::string rawTracepoint; // Mapped probes on raw tracepoints: which one
};

} // namespace dtrace::codegen
