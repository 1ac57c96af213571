// The io provider: block requests issued to a device (start) and
// completed (done), and threads waiting for I/O (wait-start as they go off
// CPU in io_schedule(), wait-done as they come back), with bufinfo_t,
// devinfo_t and fileinfo_t.
//
// What a thread waits for is not known where it sleeps: the provider keeps,
// for each thread, a copy of the block I/O (bio) it submitted last, taken
// by a program of its own on block:block_bio_queue (in the submitter's
// context), and wait-start and wait-done translate that copy (the bio
// itself may be gone when the wait ends). wait-done consumes it.
#include "kernel/kernel_btf.h"
#include "providers/firing.h"
#include "providers/hook_provider.h"
#include "providers/kernel_functions.h"
#include "providers/registry.h"

#include <array>

namespace dtrace::providers {

namespace {

using namespace bpf;
namespace dctx = program::dctx;

constexpr const char *kSubmitHook = "block_bio_queue";
constexpr const char *kSubmitProgram = "dt_io_submit";

// A thread's copy of its last bio, as the map holds it and as the firing's
// arg6..arg9 hold it for D (struct __dtrace_io_wait in io.d); arg5 points
// at it.
constexpr int kCopyFields = 4; // bdev, sector, bytes, flags
constexpr int16_t kCopyArg = dctx::kArgs + 8 * 6;
constexpr int16_t kCopyPointerArg = dctx::kArgs + 8 * 5;
// The program's stack: the map's key (pid_tgid) and the value being made.
constexpr int16_t kKey = -16;
constexpr int16_t kValue = -16 - 8 * kCopyFields;
constexpr uint32_t kMaxThreads = 16384;

// Where the copied fields lie in the kernel's struct bio, and the byte
// of task_struct holding in_iowait; read from BTF once.
struct KernelLayout {
    struct Field {
        uint32_t offset;
        int32_t size;
    };
    std::array<Field, kCopyFields> bio{};
    bool haveBio = false;
    std::optional<uint32_t> inIowaitBit;
};

const KernelLayout &kernelLayout() {
    static const KernelLayout layout = [] {
        KernelLayout l;
        const struct btf *btf = kernel::vmlinuxBtf();
        const std::array<std::pair<const char *, int32_t>, kCopyFields> fields{
            {{"bi_bdev", 8}, {"bi_iter.bi_sector", 8}, {"bi_iter.bi_size", 4}, {"bi_opf", 4}}};
        l.haveBio = true;
        for (size_t i = 0; i < fields.size(); ++i) {
            auto bit = kernel::memberBitOffset(btf, "bio", fields[i].first);
            if (!bit || *bit % 8) l.haveBio = false;
            else l.bio[i] = {*bit / 8, fields[i].second};
        }
        l.inIowaitBit = kernel::memberBitOffset(btf, "task_struct", "in_iowait");
        return l;
    }();
    return layout;
}

bool isWaitProbe(const Probe &p) {
    return p.name == "wait-start" || p.name == "wait-done";
}

class IoProvider final : public HookProvider {
  public:
    std::string_view name() const override { return "io"; }

    std::vector<ProgramShape> programShapes(const Probe &p) const override {
        std::vector<ProgramShape> shapes = HookProvider::programShapes(p);
        if (isWaitProbe(p) && recordsSubmissions()) {
            ProgramShape s;
            s.programType = BPF_PROG_TYPE_RAW_TRACEPOINT;
            s.programName = kSubmitProgram;
            s.hook = kSubmitHook;
            s.shareKey = "io:submitted";
            s.runsClauses = false;
            shapes.push_back(std::move(s));
        }
        return shapes;
    }

    void emitFilter(FiringCode &code) const override {
        if (code.shape.programName == kSubmitProgram) {
            emitRecordSubmission(code);
            return;
        }
        HookProvider::emitFilter(code);
    }

    void emitArguments(FiringCode &code) const override {
        HookProvider::emitArguments(code);
        if (!isWaitProbe(*code.probes.front())) return;
        Function &f = code.f;
        if (recordsSubmissions()) {
            Label none = f.newLabel();
            MapId map = submissions(code);
            f.callHelper(BPF_FUNC_get_current_pid_tgid);
            f.emit(store(Size::DW, FP, kKey, R0));
            emitStackKeyLookup(f, map, kKey, none);
            for (int i = 0; i < kCopyFields; ++i) {
                f.emit(load(Size::DW, R1, R0, static_cast<int16_t>(8 * i)));
                f.emit(store(Size::DW, R9, static_cast<int16_t>(kCopyArg + 8 * i), R1));
            }
            if (code.probes.front()->name == "wait-done") emitConsume(f, map);
            f.bind(none);
        } else {
            for (int i = 0; i < kCopyFields; ++i)
                f.emit(storeImm(Size::DW, R9, static_cast<int16_t>(kCopyArg + 8 * i), 0));
        }
        f.emit(movReg(R1, R9));
        f.emit(alu64Imm(BPF_ADD, R1, kCopyArg));
        f.emit(store(Size::DW, R9, kCopyPointerArg, R1));
    }

    program::AttachTarget attachTarget(const ProgramShape &shape,
                                       std::span<const Probe *const> probes,
                                       std::span<const uint64_t> cookies) const override {
        if (shape.programName != kSubmitProgram)
            return HookProvider::attachTarget(shape, probes, cookies);
        program::AttachTarget t;
        t.kind = program::AttachTarget::Kind::RawTracepoint;
        t.name = shape.hook;
        t.description = "io (block:" + shape.hook + ")";
        return t;
    }

  protected:
    // io: block requests issued to a device and completed, and threads waiting
    // for I/O (going off CPU in io_schedule(), back on when it is done).
    std::vector<Probe> probes() const override {
        const std::string rq = "((struct request *)arg0)";
        auto bufArgs = [&](std::string_view name, Hook hook, std::string filter,
                           const std::string &from) {
            return mapped(name, std::move(hook), std::move(filter),
                          {{"bufinfo_t *", "xlate <bufinfo_t *> (" + from + ")"},
                           {"devinfo_t *", "xlate <devinfo_t *> (" + from + ")"},
                           {"fileinfo_t *", "xlate <fileinfo_t *> (" + from + ")"}});
        };
        std::vector<Probe> out;
        // Requests for a device's data (not flushes, which have no device
        // part and no bytes).
        for (auto [name, hook] :
             {std::pair{"start", "block_rq_issue"}, {"done", "block_rq_complete"}})
            out.push_back(bufArgs(name, rawTracepoint(hook), rq + "->part != 0", rq));
        const std::string copy = "((struct __dtrace_io_wait *)arg5)";
        const std::string inIowait = "((struct task_struct *)curthread)->in_iowait";
        out.push_back(bufArgs("wait-start", rawTracepoint("sched_switch"),
                              "arg0 == 0 && arg3 != 0 && ((struct task_struct *)arg1)->in_iowait",
                              copy));
        Hook switchedTo = kernelFunctionOr("sched_exit_tp", "finish_task_switch");
        out.push_back(bufArgs(
            "wait-done", switchedTo,
            (switchedTo.kind == HookKind::RawTracepoint ? "arg0 != 0 && " : "") + inIowait, copy));
        return out;
    }

  private:
    static bool recordsSubmissions() {
        return kernelLayout().haveBio && rawTracepointExists(kSubmitHook);
    }

    static MapId submissions(FiringCode &code) {
        program::MapSpec spec;
        spec.name = "io_submitted";
        spec.type = BPF_MAP_TYPE_LRU_HASH;
        spec.keySize = 8;
        spec.valueSize = 8 * kCopyFields;
        spec.maxEntries = kMaxThreads;
        return code.maps->providerMap(spec);
    }

    // On block_bio_queue (r6: its arguments, the bio first): the submitting
    // thread's copy of the bio. Fires no probe.
    static void emitRecordSubmission(FiringCode &code) {
        Function &f = code.f;
        const KernelLayout &l = kernelLayout();
        for (int i = 0; i < kCopyFields; ++i) {
            const int16_t at = static_cast<int16_t>(kValue + 8 * i);
            f.emit(storeImm(Size::DW, FP, at, 0));
            f.emit(movReg(R1, FP));
            f.emit(alu64Imm(BPF_ADD, R1, at));
            f.emit(movImm(R2, l.bio[static_cast<size_t>(i)].size));
            f.emit(load(Size::DW, R3, R6, 0));
            f.emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(l.bio[static_cast<size_t>(i)].offset)));
            f.callHelper(BPF_FUNC_probe_read_kernel);
        }
        f.callHelper(BPF_FUNC_get_current_pid_tgid);
        f.emit(store(Size::DW, FP, kKey, R0));
        emitStackKeyUpdate(f, submissions(code), kKey, kValue);
    }

    // wait-done: a wait for I/O that ends (the thread is still in_iowait)
    // has used the copy; a later wait is for I/O submitted later.
    static void emitConsume(Function &f, MapId map) {
        const KernelLayout &l = kernelLayout();
        if (!l.inIowaitBit) return;
        Label keep = f.newLabel();
        f.callHelper(BPF_FUNC_get_current_task);
        f.emit(movReg(R3, R0));
        f.emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(*l.inIowaitBit / 8)));
        f.emit(storeImm(Size::DW, FP, kValue, 0));
        f.emit(movReg(R1, FP));
        f.emit(alu64Imm(BPF_ADD, R1, kValue));
        f.emit(movImm(R2, 1));
        f.callHelper(BPF_FUNC_probe_read_kernel);
        f.emit(load(Size::B, R1, FP, kValue));
        f.emit(alu64Imm(BPF_AND, R1, 1 << (*l.inIowaitBit % 8)));
        f.jumpImm(BPF_JEQ, R1, 0, keep);
        emitStackKeyDelete(f, map, kKey);
        f.bind(keep);
    }
};

} // namespace

std::unique_ptr<Provider> makeIoProvider() {
    return std::make_unique<IoProvider>();
}

} // namespace dtrace::providers
