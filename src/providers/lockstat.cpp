// The lockstat provider's contention probes, on the kernel's lock
// contention tracepoints (lock:contention_begin, lock:contention_end):
// adaptive-spin and adaptive-block (a mutex, spun on or slept for),
// adaptive-acquire-error (a mutex wait that failed), spin-spin (a spin
// lock), rw-spin (a reader-writer spin lock) and rw-block (a reader-writer
// semaphore). args[1] is the time waited in nanoseconds, measured from the
// contention's beginning, which the provider's program on contention_begin
// keeps for each thread in a map of its own. The acquire and release
// probes would fire on every lock operation, for which the kernel has no
// tracepoint: they are not provided, and naming them says so.
#include "providers/catalog.h"
#include "providers/firing.h"
#include "providers/kernel_functions.h"
#include "providers/registry.h"

#include <array>

namespace dtrace::providers {

namespace {

using namespace bpf;
namespace dctx = program::dctx;

// The flags of lock:contention_begin (the kernel's LCB_F_*).
constexpr int32_t kSpin = 1 << 0, kRead = 1 << 1, kWrite = 1 << 2, kRt = 1 << 3, kPercpu = 1 << 4,
                  kMutex = 1 << 5;

struct LockProbe {
    const char *name;
    std::array<const char *, 3> argTypes; // nullptr: none
};
// Each probe's selector is its index.
constexpr std::array<LockProbe, 6> kProbes{{
    {"adaptive-spin", {"struct mutex *", "uint64_t", nullptr}},
    {"adaptive-block", {"struct mutex *", "uint64_t", nullptr}},
    {"adaptive-acquire-error", {"struct mutex *", "int", nullptr}},
    {"spin-spin", {"spinlock_t *", "uint64_t", nullptr}},
    {"rw-spin", {"rwlock_t *", "uint64_t", "int"}},
    {"rw-block", {"struct rw_semaphore *", "uint64_t", "int"}},
}};
enum Selector : int32_t { AdaptiveSpin, AdaptiveBlock, AcquireError, SpinSpin, RwSpin, RwBlock };
constexpr int32_t kNoProbe = 0xffff; // past any probe table: the program returns

// The hook-less probes DTrace has.
constexpr std::array<const char *, 6> kHoldProbes{
    "adaptive-acquire", "adaptive-release", "spin-acquire",
    "spin-release",     "rw-acquire",       "rw-release",
};

constexpr const char *kBegin = "contention_begin";
constexpr const char *kEnd = "contention_end";

// A thread's contention in progress (the map's value, by pid_tgid).
constexpr int16_t kKey = -16;    // u64 pid_tgid
constexpr int16_t kStart = -40;  // u64 when it began
constexpr int16_t kLock = -32;   // u64 the lock's address
constexpr int16_t kFlags = -24;  // u64 LCB_F_* flags
constexpr int16_t kWaited = -48; // end: args[1], the time waited (or the error)
constexpr int16_t kReader = -56; // end: args[2], RW_READER or RW_WRITER
constexpr uint32_t kMaxThreads = 16384;

class LockstatProvider final : public Provider {
  public:
    std::string_view name() const override { return "lockstat"; }

    void provide(const ProbeDescription &d, ProbeCatalog &catalog) override {
        if (made_ || !fieldMatches(d.provider, "lockstat") || !namesLockProbe(d)) return;
        made_ = true;
        hooksPresent_ = rawTracepointExists(kBegin) && rawTracepointExists(kEnd);
        if (!hooksPresent_) return;
        for (const LockProbe &lp : kProbes) {
            Probe p;
            p.owner = this;
            p.provider = "lockstat";
            p.module = "vmlinux";
            p.name = lp.name;
            for (const char *t : lp.argTypes)
                if (t) p.argTypes.push_back(t);
            catalog.add(std::move(p));
        }
    }

    std::string unavailableReason(const ProbeDescription &d) const override {
        if (!made_ || !fieldMatches(d.provider, "lockstat")) return {};
        if (!hooksPresent_)
            return "the lockstat provider's probes need the kernel tracepoints "
                   "lock:contention_begin and lock:contention_end, which this kernel lacks";
        for (const char *hold : kHoldProbes)
            if (fieldMatches(d.name, hold))
                return "the lockstat provider's acquire and release probes are not available "
                       "on Linux: the kernel traces lock contention only, not every acquisition "
                       "and release";
        return {};
    }

    // Whether a description could name a lockstat probe: the kernel (its
    // BTF, megabytes) is read only for one that could ("BEGIN" names a
    // probe of every provider).
    static bool namesLockProbe(const ProbeDescription &d) {
        if (!fieldMatches(d.module, "vmlinux") || !fieldMatches(d.function, "")) return false;
        for (const LockProbe &lp : kProbes)
            if (fieldMatches(d.name, lp.name)) return true;
        for (const char *hold : kHoldProbes)
            if (fieldMatches(d.name, hold)) return true;
        return false;
    }

    void resolve(Probe &p) const override { p.resolved = true; }
    // Its probes' names and args[0] types differ: a clause is compiled for
    // each (the probes still share a program on each hook).
    bool separateEnabling(const Probe &) const override { return true; }

    std::vector<ProgramShape> programShapes(const Probe &) const override {
        std::vector<ProgramShape> shapes;
        for (const char *hook : {kBegin, kEnd}) {
            ProgramShape s;
            s.programType = BPF_PROG_TYPE_RAW_TRACEPOINT;
            s.programName = "dt_lockstat";
            s.hook = hook;
            s.shareKey = std::string("lockstat:") + hook;
            s.identity = ProgramShape::Identity::SelectorTable;
            s.kernelStackSkip = 4;
            shapes.push_back(std::move(s));
        }
        return shapes;
    }

    uint32_t selector(const Probe &p) const override {
        for (size_t i = 0; i < kProbes.size(); ++i)
            if (p.name == kProbes[i].name) return static_cast<uint32_t>(i);
        return kNoProbe;
    }

    void emitSelector(FiringCode &code) const override {
        program::MapSpec spec;
        spec.name = "lockstat";
        spec.type = BPF_MAP_TYPE_LRU_HASH;
        spec.keySize = 8;
        spec.valueSize = 24;
        spec.maxEntries = kMaxThreads;
        MapId map = code.maps->providerMap(spec);
        Function &f = code.f;
        f.callHelper(BPF_FUNC_get_current_pid_tgid);
        f.emit(store(Size::DW, FP, kKey, R0));
        if (code.shape.hook == kBegin)
            emitBegin(f, map);
        else
            emitEnd(f, map);
    }

    void emitArguments(FiringCode &code) const override {
        Function &f = code.f;
        f.emit(load(Size::DW, R1, R6, 0));
        f.emit(store(Size::DW, R9, dctx::kArgs, R1));
        if (code.shape.hook != kEnd) return;
        f.emit(load(Size::DW, R1, FP, kWaited));
        f.emit(store(Size::DW, R9, dctx::kArgs + 8, R1));
        f.emit(load(Size::DW, R1, FP, kReader));
        f.emit(store(Size::DW, R9, dctx::kArgs + 16, R1));
    }

    program::AttachTarget attachTarget(const ProgramShape &shape, std::span<const Probe *const>,
                                       std::span<const uint64_t>) const override {
        program::AttachTarget t;
        t.kind = program::AttachTarget::Kind::RawTracepoint;
        t.name = shape.hook;
        t.description = "lockstat (lock:" + shape.hook + ")";
        return t;
    }

  private:
    // Remembers when the thread's contention began. A mutex first spins
    // (LCB_F_SPIN) and, failing that, sleeps: the sleep's contention_begin
    // keeps the spin's start, so the wait is reported once, as a block.
    // r0 = the thread's contention in progress on the hook's lock (its
    // first argument), else to `none`.
    static void emitThreadsContention(Function &f, MapId map, Label none) {
        emitStackKeyLookup(f, map, kKey, none);
        f.emit(load(Size::DW, R1, R0, 8));
        f.emit(load(Size::DW, R2, R6, 0));
        f.jumpReg(BPF_JNE, R1, R2, none);
    }

    static void emitBegin(Function &f, MapId map) {
        Label fresh = f.newLabel(), done = f.newLabel();
        emitThreadsContention(f, map, fresh);
        f.emit(load(Size::DW, R1, R0, 16));
        f.emit(alu64Imm(BPF_AND, R1, kSpin));
        f.jumpImm(BPF_JEQ, R1, 0, fresh);
        f.emit(load(Size::DW, R2, R6, 8));
        f.emit(movReg(R1, R2));
        f.emit(alu64Imm(BPF_AND, R1, kSpin));
        f.jumpImm(BPF_JNE, R1, 0, fresh);
        f.emit(store(Size::DW, R0, 16, R2));
        f.jump(done);
        f.bind(fresh);
        f.callHelper(BPF_FUNC_ktime_get_ns);
        f.emit(store(Size::DW, FP, kStart, R0));
        f.emit(load(Size::DW, R1, R6, 0));
        f.emit(store(Size::DW, FP, kLock, R1));
        f.emit(load(Size::DW, R1, R6, 8));
        f.emit(store(Size::DW, FP, kFlags, R1));
        emitStackKeyUpdate(f, map, kKey, kStart);
        f.bind(done);
        f.emit(movImm(R7, kNoProbe)); // fires nothing
    }

    // The contention's end: the probe its lock's kind and wait select, the
    // time waited, and the map's entry gone.
    static void emitEnd(Function &f, MapId map) {
        Label none = f.newLabel(), done = f.newLabel(), notMutex = f.newLabel(),
              notRw = f.newLabel();
        emitThreadsContention(f, map, none);
        f.emit(load(Size::DW, R1, R0, 0));
        f.emit(store(Size::DW, FP, kStart, R1));
        f.emit(load(Size::DW, R1, R0, 16));
        f.emit(store(Size::DW, FP, kFlags, R1));
        emitStackKeyDelete(f, map, kKey);
        f.callHelper(BPF_FUNC_ktime_get_ns);
        f.emit(load(Size::DW, R1, FP, kStart));
        f.emit(alu64Reg(BPF_SUB, R0, R1));
        f.emit(store(Size::DW, FP, kWaited, R0));
        // args[2]: RW_READER (1) for a reader, else RW_WRITER (0).
        f.emit(load(Size::DW, R8, FP, kFlags));
        f.emit(movReg(R1, R8));
        f.emit(alu64Imm(BPF_RSH, R1, 1));
        f.emit(alu64Imm(BPF_AND, R1, 1));
        f.emit(store(Size::DW, FP, kReader, R1));

        f.emit(movReg(R1, R8));
        f.emit(alu64Imm(BPF_AND, R1, kMutex));
        f.jumpImm(BPF_JEQ, R1, 0, notMutex);
        // A mutex: the wait failed (contention_end's int), was spun or slept.
        f.emit(load(Size::DW, R2, R6, 8));
        f.emit(alu64Imm(BPF_LSH, R2, 32));
        f.emit(alu64Imm(BPF_ARSH, R2, 32));
        Label ok = f.newLabel();
        f.jumpImm(BPF_JEQ, R2, 0, ok);
        f.emit(store(Size::DW, FP, kWaited, R2));
        f.emit(movImm(R7, AcquireError));
        f.jump(done);
        f.bind(ok);
        f.emit(movImm(R7, AdaptiveBlock));
        f.emit(movReg(R1, R8));
        f.emit(alu64Imm(BPF_AND, R1, kSpin));
        f.jumpImm(BPF_JEQ, R1, 0, done);
        f.emit(movImm(R7, AdaptiveSpin));
        f.jump(done);

        f.bind(notMutex);
        f.emit(movImm(R7, kNoProbe));
        f.emit(movReg(R1, R8));
        f.emit(alu64Imm(BPF_AND, R1, kRt | kPercpu));
        f.jumpImm(BPF_JNE, R1, 0, done); // rt_mutex, per-CPU semaphores: no probe
        f.emit(movReg(R1, R8));
        f.emit(alu64Imm(BPF_AND, R1, kRead | kWrite));
        f.jumpImm(BPF_JEQ, R1, 0, notRw);
        f.emit(movImm(R7, RwBlock));
        f.emit(movReg(R1, R8));
        f.emit(alu64Imm(BPF_AND, R1, kSpin));
        f.jumpImm(BPF_JEQ, R1, 0, done);
        f.emit(movImm(R7, RwSpin));
        f.jump(done);
        f.bind(notRw); // a plain lock: spun on is spin-spin; slept for, no probe
        f.emit(movReg(R1, R8));
        f.emit(alu64Imm(BPF_AND, R1, kSpin));
        f.jumpImm(BPF_JEQ, R1, 0, done);
        f.emit(movImm(R7, SpinSpin));
        f.jump(done);
        f.bind(none);
        f.emit(movImm(R7, kNoProbe));
        f.bind(done);
    }

    bool made_ = false;
    bool hooksPresent_ = false;
};

} // namespace

std::unique_ptr<Provider> makeLockstatProvider() {
    return std::make_unique<LockstatProvider>();
}

} // namespace dtrace::providers
