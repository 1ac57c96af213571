// Compiles one D clause (or the ERROR dispatcher) into one BPF function.
// Values live in temporaries: r6-r8 first, then stack slots; r9 holds the
// per-CPU context for the whole function; r0-r5 are scratch.
#pragma once

#include "bpf/assembler.h"
#include "codegen/generator.h"

#include <functional>

namespace dtrace::codegen {

class ProgramBuilder;

enum class Space { DMem, Kernel, User, Scratch };

using program::Fault;
using program::faultCode;

// What a part of a long clause returns: 0 to go on, 1 after a fault, or
// kPartAbandon to end the clause without its record (speculate()).
inline constexpr int32_t kPartAbandon = 2;

// The clause function's frame: temporaries r6-r8 then stack slots.
inline constexpr int kRegSlots = 3;
inline constexpr int kMaxStackSlots = 40;
inline constexpr int16_t kStackTlsKey = -24; // 16 bytes: task, variable id
inline constexpr int16_t kStackTemps = -32;
// Below the temporaries: the program's context (for bpf_get_stack), kept by
// clause functions of programs that use stack() or ustack().
inline constexpr int16_t kStackProgramContext = kStackTemps - 8 * kMaxStackSlots;
// An alloca pointer is its offset in the scratch area plus this (so that
// none is NULL), as DTrace for Linux shows them.
inline constexpr int32_t kScratchPointerBias = 8;
// The registers uregs[] reads: those struct pt_regs saves (x86-64: r15 ... ss).
inline constexpr int32_t kUserRegisters = 21;

inline bool isSigned(const sema::TypeRef &t) {
    return sema::isSignedInt(t);
}

// An address: a temporary holding a pointer, plus a constant offset.
struct Address {
    int slot = -1;
    int64_t offset = 0;
    Space space = Space::DMem;
};

class FunctionCompiler {
  public:
    FunctionCompiler(ProgramBuilder &pb, bpf::Function &f, const ir::Clause *clause,
                     bool errorClause);

    // Emits the clause: returns 0, or 1 after a fault (the caller then
    // runs the ERROR probe).
    void compileClause();

  private:
    // Temporaries.
    int alloc();
    void release(int slot);
    bpf::Reg get(int slot, bpf::Reg scratch);
    void put(int slot, bpf::Reg src);
    int16_t stackOffset(int slot) const;

    // Emission helpers.
    void emit(const bpf::Insn &i) { f_->emit(i); }
    void normalize(bpf::Reg r, const sema::TypeRef &t);
    void loadImm(bpf::Reg r, int64_t v);
    void fault(uint32_t type, bpf::Reg value);
    void faultIfNonZero(bpf::Reg result, uint32_t type, bpf::Reg value);
    void faultBadRead(bpf::Reg address, bool user);
    void faultOfType(bpf::Reg type, bpf::Reg value);
    void bumpDrop(DropCounter which);
    // r0 = the value of the key at r2 in map, or NULL (clobbers r1-r5).
    void callLookup(bpf::MapId map);
    void addressOf(bpf::Reg dst, const Address &a);
    void checkedRead(bpf::Reg dstPtr, uint32_t size, bpf::Reg src, Space space);
    void scratchPointer(bpf::Reg dst, const Address &a, bpf::Reg size, uint32_t faultType);
    void scratchToAddress(bpf::Reg r);

    // Expressions.
    int value(const ir::Node &n);
    int constantValue(const ir::Node &n);
    int stringValue(const ir::Node &n);
    int builtin(const ir::Node &n);
    void arith(ir::Op op, bpf::Reg ra, bpf::Reg rb, bool sgn, bool lhsSigned);
    int binary(const ir::Node &n);
    int logical(const ir::Node &n);
    int compare(const ir::Node &n);
    int conditional(const ir::Node &n);
    int cast(const ir::Node &n);
    int assign(const ir::Node &n);
    int incdec(const ir::Node &n);
    int call(const ir::Node &n);
    int allocaScratch(int sizeSlot, bool translation = false);
    void stackFrames(const ir::Node &n);
    void copyIntoScratch(int dst, int sizeSlot, int src, bool user, bool srcIsScratch);
    bool mayBeNull(const ir::Node &n) const;
    void checkNotNull(const ir::Node &n, int slot);
    int stringArg(const ir::Node &n);
    void tempAddress(bpf::Reg r, int t);
    void substringFromIndex(int src, int dst);
    void argumentsToRegisters(const std::vector<int> &slots);
    int loadScalar(const Address &a, const sema::TypeRef &t, unsigned bitOffset, unsigned bitSize);
    Address address(const ir::Node &n, bool forWrite);
    Address dynamicAddress(const ir::Node &n, bool forWrite);
    void buildKey(const ir::Variable &v, const std::vector<int> &keySlots,
                  const std::vector<const ir::Node *> &keyNodes, uint32_t keySize,
                  const std::vector<uint32_t> &offsets);
    void tlsKey(const ir::Variable &v);
    void dynamicKey(const ir::Node &n);
    void storeScalar(const ir::Node &target, int valueSlot);
    void storeToMemory(const ir::Node &target, int valueSlot);
    void deleteDynamic(const ir::Node &target);
    void storeAggregate(const ir::Node &target, const ir::Node &valueNode, int valueSlot);
    void copyString(bpf::Reg dst, int srcSlot);
    int stringTemp();
    int stringResult();
    int addressToString(const ir::Node &n);
    int walkPath(int p);
    void readCurrentTaskWord(int64_t offset, bpf::Label failed);
    void readKernelToScratch(int32_t size, bpf::Label failed);
    int copyOut(const ir::Node &n);
    int strcmpCall(int a, int b);

    // Statements.
    void statements(const std::vector<ir::StmtPtr> &body);
    void clauseBody(const std::vector<ir::StmtPtr> &body);
    void statement(const ir::Stmt &s);
    void recordValue(const ir::Node &n, int slot, uint32_t offset, ValueDesc &desc);
    ValueDesc describeValue(const sema::TypeRef &t) const;
    uint32_t reserveRecord(uint32_t size, uint32_t align);
    void aggregate(const ir::Stmt &s);
    void exitAction(const ir::Stmt &s);
    void printAction(const ir::Stmt &s);
    void tracememAction(const ir::Stmt &s);
    uint32_t recordMemory(int slot, const sema::TypeRef &addressType, uint32_t bytes,
                          ValueDesc &desc);
    void markPresent(RecordItem &item, SourceLoc loc);
    void quantizeBucket();
    void lquantizeBucket(const std::vector<int64_t> &params);
    void llquantizeBucket(const std::vector<int64_t> &params);

    // Speculations (speculation.cpp).
    int speculationCall();
    int stackValue(const ir::Node &n);
    void speculateAction(const ir::Stmt &s);
    void finishSpeculation(const ir::Stmt &s, uint32_t op);
    void chargeSpeculativeRecord(uint64_t charge);
    void abandonClause();

    ProgramBuilder &pb_;
    bpf::Function *f_; // the function being emitted: the clause, or a part of it
    const ir::Clause *clause_;
    bool errorClause_;
    std::vector<bool> slotsInUse_;
    int maxSlots_ = 0;
    int strTemps_ = 0;
    bpf::Label faultLabel_ = -1;
    bool faultUsed_ = false;
    bpf::Label endLabel_ = -1;
    // Record being built.
    ClauseDesc *desc_ = nullptr;
    uint32_t recordUsed_ = 0;
    bool hasRecord_ = false;
    bool hasExit_ = false;
    int conditionalDepth_ = 0;
    bool inPart_ = false; // emitting a part of a long clause
    int depth_ = 0;       // of value()'s recursion (NestingGuard)
};

} // namespace dtrace::codegen
