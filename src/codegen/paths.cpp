// cleanpath(): the lexical clean-up of a path name (empty and "."
// components dropped, ".." removing the component before it, no trailing
// slash). One bpf_loop callback advances a small state machine by one step
// per iteration: at a component, copying a name, or backing up over one.
#include "codegen/program.h"

namespace dtrace::codegen {

using namespace bpf;

namespace {

// Callback context, on the global function's stack: the buffers.
constexpr int16_t kDst = -8;      // the result buffer
constexpr int16_t kSrc = -16;     // the path
constexpr int16_t kDctx = -24;    // the per-CPU context
constexpr int16_t kContext = -24; // the lowest word: what bpf_loop is given

// Context offsets as the callback sees them (relative to its R2).
constexpr int16_t at(int16_t fpOffset) {
    return static_cast<int16_t>(fpOffset - kContext);
}

// The state machine's words, in the per-CPU context's number buffer: a map
// value, whose contents the verifier does not track, so every iteration
// looks alike to it and the loop is verified once.
constexpr int32_t kRead = 0;    // read index
constexpr int32_t kWrite = 8;   // write index
constexpr int32_t kDotDot = 16; // the write index ".." may not back up past
constexpr int32_t kMode = 24;   // 0 at a component, 1 copying a name, 2 backing up
constexpr int32_t kRooted = 32;

} // namespace

// dt_cleanpath(dst, src)
void ProgramBuilder::emitCleanpath(bpf::Function &f) {
    const int32_t S = static_cast<int32_t>(g.strsize);
    const int32_t numbuf = static_cast<int32_t>(g.layout.numbuf);
    auto state = [&](int32_t off) { return static_cast<int16_t>(numbuf + off); };
    makeGlobalFunction(f, {ParamKind::String, ParamKind::String, ParamKind::Context}, 0);
    FunctionId step = addFunction("dt_cleanpath_step", [&](Function &c) {
        Label stop = c.newLabel(), copying = c.newLabel(), backing = c.newLabel(),
              next = c.newLabel();
        Label notSlash = c.newLabel(), notDot = c.newLabel(), notDotDot = c.newLabel(),
              name = c.newLabel();
        Label noSeparator = c.newLabel(), separator = c.newLabel();
        c.emit(movReg(R6, R2));
        c.emit(load(Size::DW, R2, R6, at(kDctx))); // R2: the per-CPU context, all through
        c.emit(load(Size::DW, R7, R2, state(kRead)));
        c.emit(load(Size::DW, R8, R2, state(kWrite)));
        c.jumpImm(BPF_JGT, R7, S - 2, stop); // keeps src[r + 2] inside the buffer
        c.jumpImm(BPF_JGE, R8, S - 3, stop); // room for "/.." and the NUL
        c.emit(load(Size::DW, R0, R2, state(kMode)));
        c.jumpImm(BPF_JEQ, R0, 1, copying);
        c.jumpImm(BPF_JEQ, R0, 2, backing);
        // At a component: r0..r2 = src[r], src[r + 1], src[r + 2].
        c.emit(load(Size::DW, R9, R6, at(kSrc)));
        c.emit(alu64Reg(BPF_ADD, R9, R7));
        c.emit(load(Size::B, R3, R9, 0));
        c.jumpImm(BPF_JEQ, R3, 0, stop);
        c.jumpImm(BPF_JNE, R3, '/', notSlash);
        c.emit(alu64Imm(BPF_ADD, R7, 1)); // an empty component
        c.jump(next);
        c.bind(notSlash);
        c.emit(load(Size::B, R4, R9, 1));
        c.jumpImm(BPF_JNE, R3, '.', name);
        Label dotEnds = c.newLabel();
        c.jumpImm(BPF_JEQ, R4, 0, dotEnds);
        c.jumpImm(BPF_JNE, R4, '/', notDot);
        c.bind(dotEnds);
        c.emit(alu64Imm(BPF_ADD, R7, 1)); // "."
        c.jump(next);
        c.bind(notDot);
        c.jumpImm(BPF_JNE, R4, '.', name);
        c.emit(load(Size::B, R5, R9, 2));
        Label dotDotEnds = c.newLabel();
        c.jumpImm(BPF_JEQ, R5, 0, dotDotEnds);
        c.jumpImm(BPF_JNE, R5, '/', notDotDot);
        c.bind(dotDotEnds);
        // "..": back up over the last name, or keep it where nothing can
        // be backed up over in a relative path.
        c.emit(alu64Imm(BPF_ADD, R7, 2));
        c.emit(load(Size::DW, R1, R2, state(kDotDot)));
        Label keep = c.newLabel();
        c.jumpReg(BPF_JLE, R8, R1, keep);
        c.emit(alu64Imm(BPF_SUB, R8, 1));
        c.emit(storeImm(Size::DW, R2, state(kMode), 2));
        c.jump(next);
        c.bind(keep);
        c.emit(load(Size::DW, R1, R2, state(kRooted)));
        c.jumpImm(BPF_JNE, R1, 0, next);
        c.emit(load(Size::DW, R9, R6, at(kDst)));
        c.emit(alu64Reg(BPF_ADD, R9, R8));
        Label noSlash = c.newLabel();
        c.jumpImm(BPF_JEQ, R8, 0, noSlash);
        c.emit(storeImm(Size::B, R9, 0, '/'));
        c.emit(alu64Imm(BPF_ADD, R9, 1));
        c.emit(alu64Imm(BPF_ADD, R8, 1));
        c.bind(noSlash);
        c.emit(storeImm(Size::B, R9, 0, '.'));
        c.emit(storeImm(Size::B, R9, 1, '.'));
        c.emit(alu64Imm(BPF_ADD, R8, 2));
        c.emit(store(Size::DW, R2, state(kDotDot), R8));
        c.jump(next);
        c.bind(notDotDot);
        c.bind(name);
        // A name: a separator unless it is the first thing written.
        c.emit(load(Size::DW, R1, R2, state(kRooted)));
        c.jumpImm(BPF_JEQ, R1, 0, separator);
        c.jumpImm(BPF_JEQ, R8, 1, noSeparator);
        Label writeSep = c.newLabel();
        c.jump(writeSep);
        c.bind(separator);
        c.jumpImm(BPF_JEQ, R8, 0, noSeparator);
        c.bind(writeSep);
        c.emit(load(Size::DW, R9, R6, at(kDst)));
        c.emit(alu64Reg(BPF_ADD, R9, R8));
        c.emit(storeImm(Size::B, R9, 0, '/'));
        c.emit(alu64Imm(BPF_ADD, R8, 1));
        c.bind(noSeparator);
        c.emit(storeImm(Size::DW, R2, state(kMode), 1));
        c.jump(next);

        // Copying a name: one character, or back to a component.
        c.bind(copying);
        {
            Label done = c.newLabel();
            c.emit(load(Size::DW, R9, R6, at(kSrc)));
            c.emit(alu64Reg(BPF_ADD, R9, R7));
            c.emit(load(Size::B, R3, R9, 0));
            c.jumpImm(BPF_JEQ, R3, 0, done);
            c.jumpImm(BPF_JEQ, R3, '/', done);
            c.emit(load(Size::DW, R9, R6, at(kDst)));
            c.emit(alu64Reg(BPF_ADD, R9, R8));
            c.emit(store(Size::B, R9, 0, R3));
            c.emit(alu64Imm(BPF_ADD, R8, 1));
            c.emit(alu64Imm(BPF_ADD, R7, 1));
            c.jump(next);
            c.bind(done);
            c.emit(storeImm(Size::DW, R2, state(kMode), 0));
            c.jump(next);
        }

        // Backing up: to the previous slash, or to where ".." may reach.
        c.bind(backing);
        {
            Label done = c.newLabel();
            c.emit(load(Size::DW, R1, R2, state(kDotDot)));
            c.jumpReg(BPF_JLE, R8, R1, done);
            c.emit(load(Size::DW, R9, R6, at(kDst)));
            c.emit(alu64Reg(BPF_ADD, R9, R8));
            c.emit(load(Size::B, R3, R9, 0));
            c.jumpImm(BPF_JEQ, R3, '/', done);
            c.emit(alu64Imm(BPF_SUB, R8, 1));
            c.jump(next);
            c.bind(done);
            c.emit(storeImm(Size::DW, R2, state(kMode), 0));
        }

        c.bind(next);
        c.emit(store(Size::DW, R2, state(kRead), R7));
        c.emit(store(Size::DW, R2, state(kWrite), R8));
        c.emit(movImm(R0, 0));
        c.emit(exitInsn());
        c.bind(stop);
        c.emit(movImm(R0, 1));
        c.emit(exitInsn());
    });

    Label relative = f.newLabel(), run = f.newLabel();
    f.emit(store(Size::DW, FP, kDst, R1));
    f.emit(store(Size::DW, FP, kSrc, R2));
    f.emit(store(Size::DW, FP, kDctx, R3));
    for (int32_t w : {kRead, kWrite, kDotDot, kMode, kRooted})
        f.emit(storeImm(Size::DW, R3, state(w), 0));
    f.emit(load(Size::B, R4, R2, 0));
    f.jumpImm(BPF_JNE, R4, '/', relative);
    f.emit(storeImm(Size::B, R1, 0, '/'));
    for (int32_t w : {kRead, kWrite, kDotDot, kRooted}) f.emit(storeImm(Size::DW, R3, state(w), 1));
    f.jump(run);
    f.bind(relative);
    f.bind(run);
    // Each character is read once, written at most once and backed up
    // over at most once; components add a step each.
    f.emit(movImm(R1, 4 * (S + 2)));
    f.ldFunction(R2, step);
    f.emit(movReg(R3, FP));
    f.emit(alu64Imm(BPF_ADD, R3, kContext));
    f.emit(movImm(R4, 0));
    f.callHelper(BPF_FUNC_loop);
    // Terminate; a relative path that cleaned away to nothing is ".".
    Label notEmpty = f.newLabel(), terminate = f.newLabel();
    f.emit(load(Size::DW, R6, FP, kDst));
    f.emit(load(Size::DW, R7, FP, kDctx));
    f.emit(load(Size::DW, R7, R7, state(kWrite)));
    f.jumpImm(BPF_JGT, R7, S, terminate);
    f.jumpImm(BPF_JNE, R7, 0, notEmpty);
    f.emit(load(Size::DW, R2, FP, kSrc));
    f.emit(load(Size::B, R3, R2, 0));
    f.jumpImm(BPF_JEQ, R3, 0, notEmpty);
    f.emit(storeImm(Size::B, R6, 0, '.'));
    f.emit(movImm(R7, 1));
    f.bind(notEmpty);
    f.emit(alu64Reg(BPF_ADD, R6, R7));
    f.emit(storeImm(Size::B, R6, 0, 0));
    f.bind(terminate);
    f.emit(movImm(R0, 0));
    f.emit(exitInsn());
}

// dt_progenyof(pid, dctx): walks from the current task up its real parents
// (at most 256 generations) looking for a process whose tgid is pid.
void ProgramBuilder::emitProgenyof(bpf::Function &f) {
    const int32_t numbuf = static_cast<int32_t>(g.layout.numbuf);
    auto slot = [&](int32_t off) { return static_cast<int16_t>(numbuf + off); };
    const int32_t tgidOff = static_cast<int32_t>(g.kernel.taskTgid);
    const int32_t parentOff = static_cast<int32_t>(g.kernel.taskRealParent);
    // ctx: fp-16 dctx, fp-8 pid. The task, tgid, parent and result words
    // live in the context's number buffer (untracked map memory).
    makeGlobalFunction(f, {ParamKind::Scalar, ParamKind::Context}, 0);
    FunctionId step = addFunction("dt_progenyof_step", [&](Function &c) {
        Label stop = c.newLabel();
        c.emit(movReg(R6, R2));
        c.emit(load(Size::DW, R7, R6, 0)); // dctx
        c.emit(load(Size::DW, R8, R7, slot(0)));
        c.jumpImm(BPF_JEQ, R8, 0, stop);
        c.emit(movReg(R1, R7));
        c.emit(alu64Imm(BPF_ADD, R1, numbuf + 8));
        c.emit(movImm(R2, 4));
        c.emit(movReg(R3, R8));
        c.emit(alu64Imm(BPF_ADD, R3, tgidOff));
        c.callHelper(BPF_FUNC_probe_read_kernel);
        c.jumpImm(BPF_JNE, R0, 0, stop);
        c.emit(load(Size::W, R1, R7, slot(8)));
        c.emit(load(Size::DW, R2, R6, 8)); // pid
        Label notIt = c.newLabel();
        c.emit(alu64Imm(BPF_LSH, R2, 32));
        c.emit(alu64Imm(BPF_RSH, R2, 32));
        c.jumpReg(BPF_JNE, R1, R2, notIt);
        c.emit(storeImm(Size::DW, R7, slot(24), 1));
        c.jump(stop);
        c.bind(notIt);
        c.emit(movReg(R1, R7));
        c.emit(alu64Imm(BPF_ADD, R1, numbuf + 16));
        c.emit(movImm(R2, 8));
        c.emit(movReg(R3, R8));
        c.emit(alu64Imm(BPF_ADD, R3, parentOff));
        c.callHelper(BPF_FUNC_probe_read_kernel);
        c.jumpImm(BPF_JNE, R0, 0, stop);
        c.emit(load(Size::DW, R1, R7, slot(16)));
        c.jumpReg(BPF_JEQ, R1, R8, stop); // the idle task is its own parent
        c.emit(store(Size::DW, R7, slot(0), R1));
        c.emit(movImm(R0, 0));
        c.emit(exitInsn());
        c.bind(stop);
        c.emit(movImm(R0, 1));
        c.emit(exitInsn());
    });
    f.emit(store(Size::DW, FP, -8, R1));
    f.emit(store(Size::DW, FP, -16, R2));
    f.emit(movReg(R6, R2));
    f.callHelper(BPF_FUNC_get_current_task);
    f.emit(store(Size::DW, R6, slot(0), R0));
    f.emit(storeImm(Size::DW, R6, slot(24), 0));
    f.emit(movImm(R1, 256));
    f.ldFunction(R2, step);
    f.emit(movReg(R3, FP));
    f.emit(alu64Imm(BPF_ADD, R3, -16));
    f.emit(movImm(R4, 0));
    f.callHelper(BPF_FUNC_loop);
    f.emit(load(Size::DW, R0, R6, slot(24)));
    f.emit(exitInsn());
}

// dt_d_path(dst, dctx): the caller has left the path's vfsmount at
// numbuf+0 and its dentry at numbuf+8. Each step of the loop prepends one
// name ("/name") or climbs from a mount's root to where it is mounted.
// Returns 0, or 1 when kernel memory could not be read.
void ProgramBuilder::emitDPath(bpf::Function &f) {
    const KernelOffsets &k = g.kernel;
    const int32_t numbuf = static_cast<int32_t>(g.layout.numbuf);
    const int32_t buf = static_cast<int32_t>(g.layout.pathbuf);
    const int32_t end =
        static_cast<int32_t>(g.layout.strslot); // the NUL's index in the path buffer
    auto slot = [&](int32_t off) { return static_cast<int16_t>(numbuf + off); };
    const int16_t kMnt = slot(0), kDentry = slot(8), kPos = slot(16), kFailed = slot(24),
                  kTmp = slot(32), kLen = slot(40), kName = slot(48), kRootMnt = slot(56),
                  kRootDentry = slot(64);
    makeGlobalFunction(f, {ParamKind::String, ParamKind::Context}, 0);
    // r7: dctx. Reads a kernel word at (reg + off) into tmp; on failure
    // marks the walk failed and stops.
    FunctionId step = addFunction("dt_d_path_step", [&](Function &c) {
        Label stop = c.newLabel(), fail = c.newLabel(), notRoot = c.newLabel(), next = c.newLabel();
        auto readWord = [&](Reg base, int64_t off, int16_t into, uint32_t size) {
            c.emit(movReg(R1, R7));
            c.emit(alu64Imm(BPF_ADD, R1, into));
            c.emit(movImm(R2, static_cast<int32_t>(size)));
            c.emit(movReg(R3, base));
            c.emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(off)));
            c.callHelper(BPF_FUNC_probe_read_kernel);
            c.jumpImm(BPF_JNE, R0, 0, fail);
        };
        c.emit(load(Size::DW, R7, R2, 0)); // dctx
        c.emit(load(Size::DW, R8, R7, kDentry));
        c.emit(load(Size::DW, R6, R7, kMnt));
        c.jumpImm(BPF_JEQ, R8, 0, stop);
        // At the thread's root (a chroot's): the path is complete.
        Label belowRoot = c.newLabel();
        c.emit(load(Size::DW, R1, R7, kRootDentry));
        c.jumpReg(BPF_JNE, R1, R8, belowRoot);
        c.emit(load(Size::DW, R1, R7, kRootMnt));
        c.jumpReg(BPF_JEQ, R1, R6, stop);
        c.bind(belowRoot);
        // At the root of this mount (or of the file system)?
        readWord(R6, k.vfsmountRoot, kTmp, 8);
        c.emit(load(Size::DW, R1, R7, kTmp));
        Label atRoot = c.newLabel();
        c.jumpReg(BPF_JEQ, R1, R8, atRoot);
        readWord(R8, k.dentryParent, kTmp, 8);
        c.emit(load(Size::DW, R1, R7, kTmp));
        c.jumpReg(BPF_JNE, R1, R8, notRoot);
        c.bind(atRoot);
        {
            // Cross to the mount point in the parent mount, or stop at the
            // top of the tree.
            c.emit(movReg(R9, R6));
            c.emit(alu64Imm(BPF_SUB, R9, static_cast<int32_t>(k.mountMnt))); // struct mount
            readWord(R9, k.mountParent, kTmp, 8);
            c.emit(load(Size::DW, R1, R7, kTmp));
            c.jumpReg(BPF_JEQ, R1, R9, stop);
            c.jumpImm(BPF_JEQ, R1, 0, stop);
            c.emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(k.mountMnt)));
            c.emit(store(Size::DW, R7, kMnt, R1));
            readWord(R9, k.mountMountpoint, kDentry, 8);
            c.jump(next);
        }
        c.bind(notRoot);
        // Prepend "/name".
        readWord(R8, k.dentryNameLen, kLen, 4);
        readWord(R8, k.dentryNameName, kName, 8);
        c.emit(load(Size::W, R2, R7, kLen));
        c.emit(load(Size::DW, R3, R7, kPos));
        c.jumpImm(BPF_JGT, R2, end, stop); // a name longer than a string: stop here
        c.emit(movReg(R4, R3));
        c.emit(alu64Reg(BPF_SUB, R4, R2));
        c.emit(alu64Imm(BPF_SUB, R4, 1));
        c.jumpImm(BPF_JSLT, R4, 0, stop); // no room left
        c.jumpImm(BPF_JGT, R4, end, stop);
        c.emit(store(Size::DW, R7, kPos, R4));
        c.emit(movReg(R1, R7));
        c.emit(alu64Reg(BPF_ADD, R1, R4));
        c.emit(storeImm(Size::B, R1, static_cast<int16_t>(buf), '/'));
        c.emit(alu64Imm(BPF_ADD, R1, buf + 1));
        c.emit(load(Size::DW, R3, R7, kName));
        c.callHelper(BPF_FUNC_probe_read_kernel);
        c.jumpImm(BPF_JNE, R0, 0, fail);
        c.emit(load(Size::DW, R1, R7, kTmp)); // the parent, read above
        c.emit(store(Size::DW, R7, kDentry, R1));
        c.bind(next);
        c.emit(movImm(R0, 0));
        c.emit(exitInsn());
        c.bind(fail);
        c.emit(storeImm(Size::DW, R7, kFailed, 1));
        c.bind(stop);
        c.emit(movImm(R0, 1));
        c.emit(exitInsn());
    });
    f.emit(store(Size::DW, FP, -8, R2));
    f.emit(store(Size::DW, FP, -16, R1));
    f.emit(movReg(R7, R2));
    f.emit(storeImm(Size::DW, R7, kPos, end));
    f.emit(storeImm(Size::DW, R7, kFailed, 0));
    f.emit(storeImm(Size::B, R7, static_cast<int16_t>(buf + end), 0));
    // The thread's root: current->fs->root's mount and dentry (none where
    // they cannot be read, and then the walk goes to the top).
    f.emit(storeImm(Size::DW, R7, kRootMnt, 0));
    f.emit(storeImm(Size::DW, R7, kRootDentry, 0));
    if (k.taskFs >= 0 && k.fsRoot >= 0) {
        Label noRoot = f.newLabel();
        f.callHelper(BPF_FUNC_get_current_task);
        f.emit(movReg(R3, R0));
        f.emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(k.taskFs)));
        f.emit(movReg(R1, R7));
        f.emit(alu64Imm(BPF_ADD, R1, kTmp));
        f.emit(movImm(R2, 8));
        f.callHelper(BPF_FUNC_probe_read_kernel);
        f.jumpImm(BPF_JNE, R0, 0, noRoot);
        f.emit(load(Size::DW, R3, R7, kTmp));
        f.jumpImm(BPF_JEQ, R3, 0, noRoot);
        f.emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(k.fsRoot + k.pathMnt)));
        f.emit(movReg(R1, R7));
        f.emit(alu64Imm(BPF_ADD, R1, kRootMnt));
        f.emit(movImm(R2, 8));
        f.callHelper(BPF_FUNC_probe_read_kernel);
        f.emit(load(Size::DW, R3, R7, kTmp));
        f.emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(k.fsRoot + k.pathDentry)));
        f.emit(movReg(R1, R7));
        f.emit(alu64Imm(BPF_ADD, R1, kRootDentry));
        f.emit(movImm(R2, 8));
        f.callHelper(BPF_FUNC_probe_read_kernel);
        f.bind(noRoot);
    }
    f.emit(movImm(R1, 256));
    f.ldFunction(R2, step);
    f.emit(movReg(R3, FP));
    f.emit(alu64Imm(BPF_ADD, R3, -8));
    f.emit(movImm(R4, 0));
    f.callHelper(BPF_FUNC_loop);
    f.emit(load(Size::DW, R7, FP, -8));
    f.emit(load(Size::DW, R6, FP, -16));
    Label bad = f.newLabel(), copy = f.newLabel();
    f.emit(load(Size::DW, R0, R7, kFailed));
    f.jumpImm(BPF_JNE, R0, 0, bad);
    // Nothing prepended: the root.
    f.emit(load(Size::DW, R3, R7, kPos));
    f.jumpImm(BPF_JNE, R3, end, copy);
    f.emit(storeImm(Size::B, R7, static_cast<int16_t>(buf + end - 1), '/'));
    f.emit(movImm(R3, end - 1));
    f.bind(copy);
    Label inRange = f.newLabel();
    f.jumpImm(BPF_JLE, R3, end, inRange);
    f.emit(movImm(R3, end));
    f.bind(inRange);
    f.emit(alu64Reg(BPF_ADD, R3, R7));
    f.emit(alu64Imm(BPF_ADD, R3, buf));
    f.emit(movReg(R1, R6));
    f.emit(movImm(R2, static_cast<int32_t>(g.strsize + 1)));
    f.callHelper(BPF_FUNC_probe_read_kernel_str);
    f.emit(movImm(R0, 0));
    f.emit(exitInsn());
    f.bind(bad);
    f.emit(movImm(R0, 1));
    f.emit(exitInsn());
}

// dt_chill(ns): spins until ns nanoseconds have passed, at most 500 ms
// (DTrace's chill limit) and at most bpf_loop's iteration bound.
void ProgramBuilder::emitChill(bpf::Function &f) {
    makeGlobalFunction(f, {ParamKind::Scalar}, 0);
    FunctionId step = addFunction("dt_chill_step", [&](Function &c) {
        Label more = c.newLabel();
        c.emit(movReg(R6, R2));
        c.callHelper(BPF_FUNC_ktime_get_ns);
        c.emit(load(Size::DW, R1, R6, 8)); // deadline
        c.jumpReg(BPF_JLT, R0, R1, more);
        c.emit(movImm(R0, 1));
        c.emit(exitInsn());
        c.bind(more);
        c.emit(movImm(R0, 0));
        c.emit(exitInsn());
    });
    Label capped = f.newLabel(), positive = f.newLabel();
    f.emit(movReg(R6, R1));
    f.jumpImm(BPF_JSGT, R6, 0, positive);
    f.emit(movImm(R0, 0));
    f.emit(exitInsn());
    f.bind(positive);
    f.jumpImm(BPF_JLE, R6, 500000000, capped);
    f.emit(movImm(R6, 500000000));
    f.bind(capped);
    f.callHelper(BPF_FUNC_ktime_get_ns);
    f.emit(alu64Reg(BPF_ADD, R0, R6));
    f.emit(store(Size::DW, FP, -8, R0));
    f.emit(movImm(R1, 1 << 23));
    f.ldFunction(R2, step);
    f.emit(movReg(R3, FP));
    f.emit(alu64Imm(BPF_ADD, R3, -16));
    f.emit(movImm(R4, 0));
    f.callHelper(BPF_FUNC_loop);
    f.emit(movImm(R0, 0));
    f.emit(exitInsn());
}

} // namespace dtrace::codegen
