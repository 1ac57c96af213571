// Lowering of D's subroutines: strings, byte order, device numbers.
#include "codegen/function.h"
#include "codegen/program.h"

namespace dtrace::codegen {

using namespace bpf;

// Results of these may be NULL (no match, no more tokens).
bool FunctionCompiler::mayBeNull(const ir::Node &n) const {
    if (n.kind == ir::NodeKind::Call)
        return n.subr == ir::Subr::Strchr || n.subr == ir::Subr::Strrchr ||
               n.subr == ir::Subr::Strstr || n.subr == ir::Subr::Strtok;
    if (n.kind == ir::NodeKind::Conditional) return mayBeNull(*n.kids[1]) || mayBeNull(*n.kids[2]);
    // A string element that was never assigned (or deleted) is NULL.
    // So is a string variable set to NULL.
    if (sema::isString(n.type) &&
        (n.kind == ir::NodeKind::ArrayElem || n.kind == ir::NodeKind::Var))
        return true;
    if (n.kind == ir::NodeKind::Comma) return mayBeNull(*n.kids[1]);
    return false;
}

// A string that may be NULL must not be read: fault as DTrace does.
void FunctionCompiler::checkNotNull(const ir::Node &n, int slot) {
    if (!mayBeNull(n)) return;
    Reg r = get(slot, R1);
    Label ok = f_->newLabel();
    f_->jumpImm(BPF_JNE, r, 0, ok);
    emit(movImm(R1, 0));
    fault(faultCode(Fault::BadAddr), R1);
    f_->bind(ok);
}

int FunctionCompiler::stringArg(const ir::Node &n) {
    int s = value(n);
    checkNotNull(n, s);
    return s;
}

// A new string temporary, its address in a temporary slot (for results).
int FunctionCompiler::stringResult() {
    int t = stringTemp();
    int d = alloc();
    tempAddress(R0, t);
    put(d, R0);
    return d;
}

// The address of string temporary t in r.
void FunctionCompiler::tempAddress(Reg r, int t) {
    Generator &g = pb_.g;
    emit(movReg(r, R9));
    emit(alu64Imm(
        BPF_ADD, r,
        static_cast<int32_t>(g.layout.strtmp + static_cast<uint32_t>(t) * g.layout.strslot)));
}

// Given an index in r0 (-1 for none) into the string in slot src,
// leaves in slot dst a copy of the string from that index, or NULL.
void FunctionCompiler::substringFromIndex(int src, int dst) {
    Generator &g = pb_.g;
    Label none = f_->newLabel(), done = f_->newLabel();
    f_->jumpImm(BPF_JSLT, R0, 0, none);
    f_->jumpImm(BPF_JGT, R0, static_cast<int32_t>(g.strsize), none);
    Reg rs = get(src, R3);
    if (rs != R3) emit(movReg(R3, rs));
    emit(alu64Reg(BPF_ADD, R3, R0));
    int t = stringTemp();
    tempAddress(R1, t);
    emit(movImm(R2, static_cast<int32_t>(g.strsize + 1)));
    f_->callHelper(BPF_FUNC_probe_read_kernel_str);
    tempAddress(R0, t);
    put(dst, R0);
    f_->jump(done);
    f_->bind(none);
    emit(movImm(R0, 0));
    put(dst, R0);
    f_->bind(done);
}

int FunctionCompiler::strcmpCall(int a, int b) {
    bpf::FunctionId fn = pb_.subprogram(SubprogramKind::Strcmp);
    Reg ra = get(a, R1);
    if (ra != R1) emit(movReg(R1, ra));
    Reg rb = get(b, R2);
    if (rb != R2) emit(movReg(R2, rb));
    f_->call(fn);
    int s = alloc();
    put(s, R0);
    return s;
}

// Loads the values in slots into r1, r2, ... (from stack slots last, so
// no argument register is clobbered by another's load).
void FunctionCompiler::argumentsToRegisters(const std::vector<int> &slots) {
    for (size_t i = 0; i < slots.size(); ++i) {
        Reg target = static_cast<Reg>(R1 + i);
        Reg r = get(slots[i], target);
        if (r != target) emit(movReg(target, r));
    }
}

// alloca(size): zeroed scratch memory, 8-byte aligned, valid to the end
// of the clause; the value is a real address.
int FunctionCompiler::allocaScratch(int sizeSlot, bool translation) {
    const Layout &l = pb_.g.layout;
    int32_t limit = static_cast<int32_t>(translation ? l.scratchSize : l.allocaLimit);
    Reg rs = get(sizeSlot, R1);
    if (rs != R1) emit(movReg(R1, rs));
    Label bad = f_->newLabel(), ok = f_->newLabel();
    f_->jumpImm(BPF_JGT, R1, limit, bad);
    emit(load(Size::DW, R2, R9, dctx::kScratchTop));
    f_->jumpImm(BPF_JGT, R2, limit, bad);
    emit(movReg(R3, R1));
    emit(alu64Imm(BPF_ADD, R3, 7));
    emit(alu64Imm(BPF_AND, R3, ~7));
    emit(alu64Reg(BPF_ADD, R3, R2)); // the new top
    f_->jumpImm(BPF_JGT, R3, limit, bad);
    f_->jump(ok);
    f_->bind(bad);
    emit(movImm(R1, 0));
    fault(faultCode(Fault::NoScratch), R1);
    f_->bind(ok);
    emit(store(Size::DW, R9, dctx::kScratchTop, R3));
    // Zero it: copy from the zero area.
    emit(store(Size::DW, FP, -16, R2));
    emit(movReg(R4, R2));
    emit(movReg(R2, R1)); // size
    emit(movReg(R1, R9));
    emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(l.scratch)));
    emit(alu64Reg(BPF_ADD, R1, R4));
    emit(movReg(R3, R9));
    emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(l.zero)));
    f_->callHelper(BPF_FUNC_probe_read_kernel);
    int p = alloc();
    emit(load(Size::DW, R0, FP, -16));
    emit(alu64Imm(BPF_ADD, R0, 8)); // the alloca pointer bias
    put(p, R0);
    return p;
}

// Copies size bytes from a kernel (or user) address into alloca'd memory
// at dst: the destination must lie in memory this clause alloca'd.
void FunctionCompiler::copyIntoScratch(int dst, int sizeSlot, int src, bool user,
                                       bool srcIsScratch) {
    const Layout &l = pb_.g.layout;
    Reg rs = get(sizeSlot, R5);
    if (rs != R5) emit(movReg(R5, rs));
    Label sizeOk = f_->newLabel();
    f_->jumpImm(BPF_JLE, R5, static_cast<int32_t>(l.scratchSize), sizeOk);
    fault(faultCode(Fault::BadSize), R5);
    f_->bind(sizeOk);
    scratchPointer(R1, {dst, 0, Space::Scratch}, R5, faultCode(Fault::BadAddr));
    rs = get(sizeSlot, R2);
    if (rs != R2) emit(movReg(R2, rs));
    Label sizeOk2 = f_->newLabel();
    f_->jumpImm(BPF_JLE, R2, static_cast<int32_t>(l.scratchSize), sizeOk2);
    emit(movImm(R2, 0));
    f_->bind(sizeOk2);
    Reg ra = get(src, R3);
    if (ra != R3) emit(movReg(R3, ra));
    if (srcIsScratch) {
        emit(store(Size::DW, FP, -16, R1));
        scratchToAddress(R3);
        emit(load(Size::DW, R1, FP, -16));
    }
    f_->callHelper(user ? BPF_FUNC_probe_read_user : BPF_FUNC_probe_read_kernel);
    Label ok = f_->newLabel();
    f_->jumpImm(BPF_JEQ, R0, 0, ok);
    ra = get(src, R3);
    faultBadRead(ra, user);
    f_->bind(ok);
}

int FunctionCompiler::call(const ir::Node &n) {
    Generator &g = pb_.g;
    switch (n.subr) {
    case ir::Subr::Strlen: {
        int a = stringArg(*n.kids[0]);
        argumentsToRegisters({a});
        f_->call(pb_.subprogram(SubprogramKind::Strlen));
        put(a, R0);
        return a;
    }
    case ir::Subr::Strjoin: {
        int a = stringArg(*n.kids[0]);
        int b = stringArg(*n.kids[1]);
        int t = stringTemp();
        // Copy a, then b after a's characters; the result holds strsize.
        tempAddress(R1, t);
        copyString(R1, a);
        Label ok = f_->newLabel();
        f_->jumpImm(BPF_JSGT, R0, 0, ok);
        emit(movImm(R0, 1));
        f_->bind(ok);
        emit(alu64Imm(BPF_SUB, R0, 1)); // characters copied
        Label clamped = f_->newLabel();
        f_->jumpImm(BPF_JLE, R0, static_cast<int32_t>(g.strsize), clamped);
        emit(movImm(R0, static_cast<int32_t>(g.strsize)));
        f_->bind(clamped);
        tempAddress(R1, t);
        emit(alu64Reg(BPF_ADD, R1, R0));
        emit(movImm(R2, static_cast<int32_t>(g.strsize + 1)));
        emit(alu64Reg(BPF_SUB, R2, R0));
        Reg rb = get(b, R3);
        if (rb != R3) emit(movReg(R3, rb));
        f_->callHelper(BPF_FUNC_probe_read_kernel_str);
        tempAddress(R0, t);
        put(a, R0);
        release(b);
        return a;
    }
    case ir::Subr::Rand: {
        int s = alloc();
        f_->callHelper(BPF_FUNC_get_prandom_u32);
        normalize(R0, n.type);
        put(s, R0);
        return s;
    }
    case ir::Subr::Substr: {
        int s = stringArg(*n.kids[0]);
        int i = value(*n.kids[1]);
        bool hasCount = n.kids.size() > 2;
        int c = hasCount ? value(*n.kids[2])
                         : constantValue(ir::Node(ir::NodeKind::Const, n.loc, n.type));
        int d = stringResult();
        int h = alloc();
        emit(movImm(R0, hasCount ? 1 : 0));
        put(h, R0);
        argumentsToRegisters({d, s, i, c, h});
        f_->call(pb_.subprogram(SubprogramKind::Substr));
        release(s);
        release(i);
        release(c);
        release(h);
        return d;
    }
    case ir::Subr::Strchr:
    case ir::Subr::Strrchr: {
        int s = stringArg(*n.kids[0]);
        int c = value(*n.kids[1]);
        argumentsToRegisters({s, c});
        f_->call(pb_.subprogram(n.subr == ir::Subr::Strchr ? SubprogramKind::Strchr
                                                           : SubprogramKind::Strrchr));
        int d = alloc();
        substringFromIndex(s, d);
        release(s);
        release(c);
        return d;
    }
    case ir::Subr::Strstr:
    case ir::Subr::Index:
    case ir::Subr::Rindex: {
        int s = stringArg(*n.kids[0]);
        int sub = stringArg(*n.kids[1]);
        bool explicitStart = n.kids.size() > 2;
        int start;
        if (explicitStart) {
            start = value(*n.kids[2]);
        } else {
            start = alloc();
            emit(movImm(R0, n.subr == ir::Subr::Rindex ? -1 : 0));
            put(start, R0);
        }
        argumentsToRegisters({s, sub, start});
        Label done = f_->newLabel();
        if (n.subr == ir::Subr::Rindex && explicitStart) {
            // An explicit negative start finds nothing in rindex(); the
            // subprogram reads a negative start as "from the end".
            Label go = f_->newLabel();
            f_->jumpImm(BPF_JSGE, R3, 0, go);
            emit(movImm(R0, -1));
            f_->jump(done);
            f_->bind(go);
        }
        f_->call(pb_.subprogram(n.subr == ir::Subr::Rindex ? SubprogramKind::Rindex
                                                           : SubprogramKind::Index));
        f_->bind(done);
        release(start);
        if (n.subr == ir::Subr::Strstr) {
            int d = alloc();
            substringFromIndex(s, d);
            release(s);
            release(sub);
            return d;
        }
        put(s, R0);
        release(sub);
        return s;
    }
    case ir::Subr::Strtok: {
        const ir::Node &arg = *n.kids[0];
        int s;
        if (arg.isConstant()) {
            s = alloc();
            emit(movImm(R0, 0));
            put(s, R0);
        } else {
            s = stringArg(arg);
        }
        int delim = stringArg(*n.kids[1]);
        int ctx = alloc();
        emit(movReg(R0, R9));
        put(ctx, R0);
        argumentsToRegisters({ctx, s, delim});
        f_->call(pb_.subprogram(SubprogramKind::Strtok));
        release(delim);
        release(ctx);
        Label ok = f_->newLabel();
        f_->jumpImm(BPF_JNE, R0, -2, ok);
        emit(movImm(R1, 0));
        fault(faultCode(Fault::BadAddr), R1); // strtok(NULL, ...) with nothing to continue
        f_->bind(ok);
        // The token lives in strtok's buffer; hand out a copy.
        emit(movReg(R1, R9));
        emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(g.layout.strtok)));
        put(s, R1);
        int d = alloc();
        substringFromIndex(s, d);
        release(s);
        return d;
    }
    case ir::Subr::Toupper:
    case ir::Subr::Tolower:
    case ir::Subr::Basename:
    case ir::Subr::Cleanpath:
    case ir::Subr::Dirname: {
        int s = stringArg(*n.kids[0]);
        int d = stringResult();
        int ctx = -1;
        if (n.subr == ir::Subr::Cleanpath) {
            ctx = alloc();
            emit(movReg(R0, R9));
            put(ctx, R0);
            argumentsToRegisters({d, s, ctx});
        } else {
            argumentsToRegisters({d, s});
        }
        SubprogramKind k = n.subr == ir::Subr::Toupper     ? SubprogramKind::ToUpper
                           : n.subr == ir::Subr::Tolower   ? SubprogramKind::ToLower
                           : n.subr == ir::Subr::Basename  ? SubprogramKind::Basename
                           : n.subr == ir::Subr::Cleanpath ? SubprogramKind::Cleanpath
                                                           : SubprogramKind::Dirname;
        f_->call(pb_.subprogram(k));
        release(s);
        if (ctx >= 0) release(ctx);
        return d;
    }
    case ir::Subr::Lltostr: {
        int v = value(*n.kids[0]);
        int base;
        if (n.kids.size() > 1) {
            base = value(*n.kids[1]);
            Reg r = get(base, R1);
            Label bad = f_->newLabel(), ok = f_->newLabel();
            f_->jumpImm(BPF_JSLT, r, 2, bad);
            f_->jumpImm(BPF_JSLE, r, 36, ok);
            f_->bind(bad);
            fault(faultCode(Fault::IllOp), r);
            f_->bind(ok);
        } else {
            base = alloc();
            emit(movImm(R0, 10));
            put(base, R0);
        }
        int d = stringResult();
        int ctx = alloc();
        emit(movReg(R0, R9));
        put(ctx, R0);
        argumentsToRegisters({d, v, base, ctx});
        f_->call(pb_.subprogram(SubprogramKind::Lltostr));
        release(v);
        release(base);
        release(ctx);
        return d;
    }
    case ir::Subr::Copyout:
    case ir::Subr::Copyoutstr: return copyOut(n);
    case ir::Subr::DPath:
    case ir::Subr::DMountpoint: {
        // d_path(struct path *): the path's mount and dentry are read here
        // (a bad address faults); a global function walks up the dentries
        // and across mounts, building the name right to left.
        // __d_mountpoint(struct path *): the same walk from where the
        // path's mount is mounted (its parent mount and mount point), "/"
        // for the root.
        Generator &g = pb_.g;
        if (!g.kernel.pathsKnown())
            fail("D_UNSUPPORTED", n.loc,
                 "d_path( ) needs the kernel's path, dentry and mount types from BTF");
        int p = value(*n.kids[0]);
        const uint32_t state = g.layout.numbuf;
        const auto mountMnt = static_cast<int32_t>(g.kernel.mountMnt);
        // A kernel word at r3 + offset into state + at (a bad read faults).
        auto readWord = [&](int64_t offset, uint32_t at) {
            emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(offset)));
            emit(movReg(R1, R9));
            emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(state + at)));
            emit(movImm(R2, 8));
            f_->callHelper(BPF_FUNC_probe_read_kernel);
            Label ok = f_->newLabel();
            f_->jumpImm(BPF_JEQ, R0, 0, ok);
            Reg rp = get(p, R3);
            fault(faultCode(Fault::BadAddr), rp);
            f_->bind(ok);
        };
        auto pathTo = [&] { // r3 = the struct path
            Reg rp = get(p, R3);
            if (rp != R3) emit(movReg(R3, rp));
        };
        pathTo();
        readWord(g.kernel.pathMnt, 0); // the vfsmount
        if (n.subr == ir::Subr::DPath) {
            pathTo();
            readWord(g.kernel.pathDentry, 8);
            return walkPath(p);
        }
        // The vfsmount's struct mount, around it: the parent and the mount
        // point.
        emit(load(Size::DW, R3, R9, static_cast<int16_t>(state)));
        readWord(g.kernel.mountMountpoint - mountMnt, 8);
        emit(load(Size::DW, R3, R9, static_cast<int16_t>(state)));
        readWord(g.kernel.mountParent - mountMnt, 0);
        emit(load(Size::DW, R3, R9, static_cast<int16_t>(state)));
        emit(alu64Imm(BPF_ADD, R3, mountMnt));
        emit(store(Size::DW, R9, static_cast<int16_t>(state), R3));
        return walkPath(p);
    }
    case ir::Subr::Progenyof: {
        // Is the current process pid or one of its descendants?
        if (pb_.g.kernel.taskRealParent < 0 || pb_.g.kernel.taskTgid < 0)
            fail("D_UNSUPPORTED", n.loc, "progenyof( ) needs the kernel's task_struct from BTF");
        int pid = value(*n.kids[0]);
        int ctx = alloc();
        emit(movReg(R0, R9));
        put(ctx, R0);
        argumentsToRegisters({pid, ctx});
        f_->call(pb_.subprogram(SubprogramKind::Progenyof));
        release(ctx);
        put(pid, R0);
        return pid;
    }
    case ir::Subr::Stop: {
        // stop(): the process stops (SIGSTOP) as soon as it leaves the kernel.
        emit(movImm(R1, 19));
        f_->callHelper(BPF_FUNC_send_signal);
        int s = alloc();
        emit(movImm(R0, 0));
        put(s, R0);
        return s;
    }
    case ir::Subr::Chill: {
        // chill(ns): spin on this CPU for ns nanoseconds (a bounded loop).
        int ns = value(*n.kids[0]);
        argumentsToRegisters({ns});
        f_->call(pb_.subprogram(SubprogramKind::Chill));
        put(ns, R0);
        return ns;
    }
    case ir::Subr::Raise: {
        // raise(sig): a signal to the current thread's process.
        int sig = value(*n.kids[0]);
        Reg r = get(sig, R1);
        if (r != R1) emit(movReg(R1, r));
        f_->callHelper(BPF_FUNC_send_signal);
        release(sig);
        int s = alloc();
        emit(movImm(R0, 0));
        put(s, R0);
        return s;
    }
    case ir::Subr::InetNtoa:
    case ir::Subr::InetNtoa6:
    case ir::Subr::InetNtop:
    case ir::Subr::LinkNtop: return addressToString(n);
    case ir::Subr::Htons:
    case ir::Subr::Htonl:
    case ir::Subr::Htonll: {
        int v = value(*n.kids[0]);
        Reg r = get(v, R0);
        int bits = n.subr == ir::Subr::Htons ? 16 : n.subr == ir::Subr::Htonl ? 32 : 64;
        emit(make(BPF_ALU | BPF_END | BPF_TO_BE, r, 0, 0, bits));
        put(v, r);
        return v;
    }
    case ir::Subr::Cpuinfo: {
        // The CPU's entry in the cpuinfo map; CPU 0's for a number past
        // the last CPU.
        bpf::MapId map = pb_.g.cpuInfoMap();
        int v = value(*n.kids[0]);
        emit(alu32Reg(BPF_MOV, R1, get(v, R1)));
        emit(store(Size::W, R9, dctx::kScratch, R1));
        emit(movReg(R2, R9));
        emit(alu64Imm(BPF_ADD, R2, dctx::kScratch));
        callLookup(map);
        Label found = f_->newLabel();
        f_->jumpImm(BPF_JNE, R0, 0, found);
        emit(storeImm(Size::W, R9, dctx::kScratch, 0));
        emit(movReg(R2, R9));
        emit(alu64Imm(BPF_ADD, R2, dctx::kScratch));
        callLookup(map);
        f_->jumpImm(BPF_JNE, R0, 0, found);
        emit(movReg(R0, R9)); // (never: CPU 0 exists) a zeroed scratch word
        emit(alu64Imm(BPF_ADD, R0, dctx::kScratch));
        f_->bind(found);
        put(v, R0);
        return v;
    }
    case ir::Subr::Uregs: {
        // The thread's saved user registers (pt_regs, in the order of
        // <sys/reg.h>): their address copied out as a number (the
        // verifier allows no variable offset into a kernel pointer), then
        // the register read from it. An index past them is an illegal
        // operation.
        int v = value(*n.kids[0]);
        Reg ri = get(v, R1);
        Label inRange = f_->newLabel();
        f_->jumpImm(BPF_JLE, ri, kUserRegisters - 1, inRange);
        fault(faultCode(Fault::IllOp), ri);
        f_->bind(inRange);
        f_->callHelper(BPF_FUNC_get_current_task_btf);
        emit(movReg(R1, R0));
        f_->callHelper(BPF_FUNC_task_pt_regs);
        emit(store(Size::DW, FP, -16, R0));
        emit(movReg(R1, R9));
        emit(alu64Imm(BPF_ADD, R1, dctx::kScratch));
        emit(movImm(R2, 8));
        emit(movReg(R3, FP));
        emit(alu64Imm(BPF_ADD, R3, -16));
        f_->callHelper(BPF_FUNC_probe_read_kernel);
        ri = get(v, R3);
        if (ri != R3) emit(movReg(R3, ri));
        emit(alu64Imm(BPF_LSH, R3, 3));
        emit(load(Size::DW, R1, R9, dctx::kScratch));
        emit(alu64Reg(BPF_ADD, R3, R1));
        emit(movReg(R1, R9));
        emit(alu64Imm(BPF_ADD, R1, dctx::kScratch));
        emit(movImm(R2, 8));
        f_->callHelper(BPF_FUNC_probe_read_kernel);
        Label read = f_->newLabel();
        f_->jumpImm(BPF_JEQ, R0, 0, read);
        emit(storeImm(Size::DW, R9, dctx::kScratch, 0));
        f_->bind(read);
        emit(load(Size::DW, R0, R9, dctx::kScratch));
        put(v, R0);
        return v;
    }
    case ir::Subr::Getmajor:
    case ir::Subr::Getminor: {
        // Linux's kernel-internal dev_t: 12 bits of major above 20 of minor.
        int v = value(*n.kids[0]);
        Reg r = get(v, R0);
        emit(alu32Reg(BPF_MOV, r, r));
        if (n.subr == ir::Subr::Getmajor)
            emit(alu64Imm(BPF_RSH, r, 20));
        else
            emit(alu64Imm(BPF_AND, r, 0xfffff));
        put(v, r);
        return v;
    }
    case ir::Subr::Alloca: {
        int size = value(*n.kids[0]);
        int p = allocaScratch(size, n.translated);
        release(size);
        return p;
    }
    case ir::Subr::Copyin: {
        int addr = value(*n.kids[0]);
        int size = value(*n.kids[1]);
        int p = allocaScratch(size);
        copyIntoScratch(p, size, addr, true, false);
        release(addr);
        release(size);
        return p;
    }
    case ir::Subr::Bcopy:
    case ir::Subr::Copyinto: {
        bool user = n.subr == ir::Subr::Copyinto;
        int src = value(*n.kids[0]);
        int dst = value(*n.kids[user ? 2 : 1]);
        int size = value(*n.kids[user ? 1 : 2]);
        auto st = sema::stripTypedefs(n.kids[0]->type);
        copyIntoScratch(dst, size, src, user,
                        !user && st && st->kind == sema::TypeKind::Pointer && st->isDPtr);
        release(src);
        release(size);
        return dst;
    }
    case ir::Subr::Copyinstr: {
        int addr = value(*n.kids[0]);
        int t = stringTemp();
        emit(movImm(R2, static_cast<int32_t>(g.strsize + 1)));
        if (n.kids.size() > 1) {
            // At most size bytes (and strsize) are copied.
            int size = value(*n.kids[1]);
            Reg rs = get(size, R0);
            Label keep = f_->newLabel();
            f_->jumpImm(BPF_JGT, rs, static_cast<int32_t>(g.strsize), keep);
            emit(movReg(R2, rs));
            emit(alu64Imm(BPF_ADD, R2, 1));
            f_->bind(keep);
            release(size);
        }
        Reg ra = get(addr, R3);
        if (ra != R3) emit(movReg(R3, ra));
        tempAddress(R1, t);
        f_->callHelper(BPF_FUNC_probe_read_user_str);
        Label ok = f_->newLabel();
        f_->jumpImm(BPF_JSGT, R0, 0, ok);
        ra = get(addr, R3);
        faultBadRead(ra, true);
        f_->bind(ok);
        tempAddress(R0, t);
        put(addr, R0);
        return addr;
    }
    case ir::Subr::Speculation: return speculationCall();
    case ir::Subr::Stack: return stackValue(n);
    case ir::Subr::None: break;
    }
    fail("D_UNSUPPORTED", n.loc, "subroutine not supported yet");
}

} // namespace dtrace::codegen

namespace dtrace::codegen {

// The d_path walk from the mount and dentry in the number buffer's state
// into a new string (a bad read faults at p's address); releases p.
int FunctionCompiler::walkPath(int p) {
    int d = stringResult();
    int ctx = alloc();
    emit(movReg(R0, R9));
    put(ctx, R0);
    argumentsToRegisters({d, ctx});
    f_->call(pb_.subprogram(SubprogramKind::DPath));
    Label done = f_->newLabel();
    f_->jumpImm(BPF_JEQ, R0, 0, done);
    Reg rp = get(p, R3);
    fault(faultCode(Fault::BadAddr), rp);
    f_->bind(done);
    release(p);
    release(ctx);
    return d;
}

// inet_ntoa, inet_ntoa6, inet_ntop and link_ntop: the address bytes are
// copied into the context (a bad address faults), then a shared global
// function formats them. A family or link type known only at run time
// picks the format there; an unknown one is an illegal operation.
int FunctionCompiler::addressToString(const ir::Node &n) {
    Generator &g = pb_.g;
    bool twoArgs = n.subr == ir::Subr::InetNtop || n.subr == ir::Subr::LinkNtop;
    const ir::Node &addrNode = *n.kids[twoArgs ? 1 : 0];
    std::vector<std::pair<int64_t, AddressFormat>> choices;
    switch (n.subr) {
    case ir::Subr::InetNtoa: choices = {{0, AddressFormat::Inet4}}; break;
    case ir::Subr::InetNtoa6: {
        bool strict = n.kids.size() > 1 && n.kids[1]->value != 0;
        choices = {{0, strict ? AddressFormat::Inet6Strict : AddressFormat::Inet6}};
        break;
    }
    case ir::Subr::InetNtop:
        choices = {{2, AddressFormat::Inet4}, {10, AddressFormat::Inet6Strict}};
        break;
    default: choices = {{1, AddressFormat::LinkEther}, {32, AddressFormat::LinkInfiniband}}; break;
    }
    int kind = -1;
    if (twoArgs) {
        const ir::Node &k = *n.kids[0];
        bool known =
            k.isConstant() && std::any_of(choices.begin(), choices.end(),
                                          [&](const auto &c) { return c.first == k.value; });
        if (known)
            std::erase_if(choices, [&](const auto &c) { return c.first != k.value; });
        else
            kind = value(k); // decided (or refused) when it runs
    }
    int src = value(addrNode);
    bool srcIsScratch =
        sema::isPointer(addrNode.type) && sema::stripTypedefs(addrNode.type)->isDPtr;
    int d = stringResult();
    int ctx = alloc();
    emit(movReg(R0, R9));
    put(ctx, R0);
    Label done = f_->newLabel();
    for (size_t i = 0; i < choices.size(); ++i) {
        auto [code, format] = choices[i];
        Label next = f_->newLabel();
        if (kind >= 0) {
            Reg rk = get(kind, R1);
            f_->jumpImm(BPF_JNE, rk, static_cast<int32_t>(code), next);
        }
        // Copy the address bytes into the context's number buffer.
        emit(movReg(R1, R9));
        emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(g.layout.numbuf)));
        emit(movImm(R2, static_cast<int32_t>(addressFormatBytes(format))));
        Reg ra = get(src, R3);
        if (ra != R3) emit(movReg(R3, ra));
        if (srcIsScratch) scratchToAddress(R3);
        f_->callHelper(BPF_FUNC_probe_read_kernel);
        Label readOk = f_->newLabel();
        f_->jumpImm(BPF_JEQ, R0, 0, readOk);
        ra = get(src, R3);
        fault(faultCode(Fault::BadAddr), ra);
        f_->bind(readOk);
        argumentsToRegisters({d, ctx});
        SubprogramKind sk =
            format == AddressFormat::Inet4         ? SubprogramKind::FormatInet4
            : format == AddressFormat::Inet6       ? SubprogramKind::FormatInet6
            : format == AddressFormat::Inet6Strict ? SubprogramKind::FormatInet6Strict
            : format == AddressFormat::LinkEther   ? SubprogramKind::FormatLinkEther
                                                   : SubprogramKind::FormatLinkInfiniband;
        f_->call(pb_.subprogram(sk));
        f_->jump(done);
        f_->bind(next);
    }
    if (kind >= 0) {
        Reg rk = get(kind, R1);
        fault(faultCode(Fault::IllOp), rk);
    }
    f_->bind(done);
    if (kind >= 0) release(kind);
    release(src);
    release(ctx);
    return d;
}

} // namespace dtrace::codegen

namespace dtrace::codegen {

// copyout(buf, addr, nbytes) and copyoutstr(str, addr, maxlen): writes to
// the current process's memory. The source is alloca'd memory (checked to
// lie inside what the clause allocated) or a D string; a write the kernel
// refuses is a bad-address fault at the user address.
int FunctionCompiler::copyOut(const ir::Node &n) {
    Generator &g = pb_.g;
    const ir::Node &src = *n.kids[0];
    bool isStr = n.subr == ir::Subr::Copyoutstr || sema::isString(src.type);
    bool scratch = sema::isPointer(src.type) && sema::stripTypedefs(src.type)->isDPtr;
    int s = isStr ? stringArg(src) : value(src);
    if (!isStr && !scratch) {
        // Only alloca'd memory and strings are known to the verifier as
        // readable: any other source is a bad address when it runs.
        Label never = f_->newLabel();
        Reg rs = get(s, R1);
        if (rs != R1) emit(movReg(R1, rs));
        emit(movImm(R0, 1));
        f_->jumpImm(BPF_JEQ, R0, 0, never); // keeps what follows reachable
        fault(faultCode(Fault::BadAddr), R1);
        f_->bind(never);
        release(s);
        int r = alloc();
        emit(movImm(R0, 0));
        put(r, R0);
        return r;
    }
    int addr = value(*n.kids[1]);
    int size = value(*n.kids[2]);
    if (isStr) {
        // At most the string and its NUL, at most maxlen, inside its buffer.
        int len = alloc();
        Reg rs = get(s, R1);
        if (rs != R1) emit(movReg(R1, rs));
        f_->call(pb_.subprogram(SubprogramKind::Strlen));
        emit(alu64Imm(BPF_ADD, R0, 1));
        Reg rn = get(size, R1);
        Label keep = f_->newLabel();
        f_->jumpReg(BPF_JLE, R0, rn, keep);
        emit(movReg(R0, rn));
        f_->bind(keep);
        put(len, R0);
        release(size);
        size = len;
    }
    Reg rn = get(size, R3);
    if (rn != R3) emit(movReg(R3, rn));
    Label bad = f_->newLabel(), done = f_->newLabel(), sizeOk = f_->newLabel();
    uint32_t limit = isStr ? g.layout.strslot : g.layout.scratchSize;
    f_->jumpImm(BPF_JLE, R3, static_cast<int32_t>(limit), sizeOk);
    fault(faultCode(Fault::BadSize), R3);
    f_->bind(sizeOk);
    f_->jumpImm(BPF_JEQ, R3, 0, done);
    if (scratch && !isStr) {
        scratchPointer(R2, {s, 0, Space::Scratch}, R3, faultCode(Fault::BadAddr));
        rn = get(size, R3);
        if (rn != R3) emit(movReg(R3, rn));
        Label ok2 = f_->newLabel();
        f_->jumpImm(BPF_JLE, R3, static_cast<int32_t>(limit), ok2);
        emit(movImm(R3, 0));
        f_->bind(ok2);
    } else {
        Reg rp = get(s, R2);
        if (rp != R2) emit(movReg(R2, rp));
    }
    Reg ra = get(addr, R1);
    if (ra != R1) emit(movReg(R1, ra));
    f_->callHelper(BPF_FUNC_probe_write_user);
    f_->jumpImm(BPF_JEQ, R0, 0, done);
    f_->bind(bad);
    ra = get(addr, R1);
    fault(faultCode(Fault::BadAddr), ra);
    f_->bind(done);
    release(s);
    release(addr);
    release(size);
    int r = alloc();
    emit(movImm(R0, 0));
    put(r, R0);
    return r;
}

} // namespace dtrace::codegen
