// Lowering of D's subroutines: strings, byte order, device numbers.
#include "codegen/function.h"
#include "codegen/program.h"

namespace dtrace::codegen {

using namespace bpf;

namespace {

constexpr uint32_t kFltBadAddr = 1;
constexpr uint32_t kFltIllOp = 3;

} // namespace

// Results of these may be NULL (no match, no more tokens).
bool FunctionCompiler::mayBeNull(const ir::Node &n) const {
    if (n.kind == ir::NodeKind::Call)
        return n.subr == ir::Subr::Strchr || n.subr == ir::Subr::Strrchr || n.subr == ir::Subr::Strstr ||
               n.subr == ir::Subr::Strtok;
    if (n.kind == ir::NodeKind::Conditional) return mayBeNull(*n.kids[1]) || mayBeNull(*n.kids[2]);
    if (n.kind == ir::NodeKind::Comma) return mayBeNull(*n.kids[1]);
    return false;
}

// A string that may be NULL must not be read: fault as DTrace does.
void FunctionCompiler::checkNotNull(const ir::Node &n, int slot) {
    if (!mayBeNull(n)) return;
    Reg r = get(slot, R1);
    Label ok = f_.newLabel();
    f_.jumpImm(BPF_JNE, r, 0, ok);
    emit(movImm(R1, 0));
    fault(kFltBadAddr, R1);
    f_.bind(ok);
}

int FunctionCompiler::stringArg(const ir::Node &n) {
    int s = value(n);
    checkNotNull(n, s);
    return s;
}

// The address of string temporary t in r.
void FunctionCompiler::tempAddress(Reg r, int t) {
    Generator &g = pb_.g;
    emit(movReg(r, R9));
    emit(alu64Imm(BPF_ADD, r, static_cast<int32_t>(g.layout.strtmp + static_cast<uint32_t>(t) * g.layout.strslot)));
}

// Given an index in r0 (-1 for none) into the string in slot src,
// leaves in slot dst a copy of the string from that index, or NULL.
void FunctionCompiler::substringFromIndex(int src, int dst) {
    Generator &g = pb_.g;
    Label none = f_.newLabel(), done = f_.newLabel();
    f_.jumpImm(BPF_JSLT, R0, 0, none);
    f_.jumpImm(BPF_JGT, R0, static_cast<int32_t>(g.strsize), none);
    Reg rs = get(src, R3);
    if (rs != R3) emit(movReg(R3, rs));
    emit(alu64Reg(BPF_ADD, R3, R0));
    int t = stringTemp();
    tempAddress(R1, t);
    emit(movImm(R2, static_cast<int32_t>(g.strsize + 1)));
    f_.callHelper(BPF_FUNC_probe_read_kernel_str);
    tempAddress(R0, t);
    put(dst, R0);
    f_.jump(done);
    f_.bind(none);
    emit(movImm(R0, 0));
    put(dst, R0);
    f_.bind(done);
}

int FunctionCompiler::strcmpCall(int a, int b) {
    bpf::FunctionId fn = pb_.subprogram(SubprogramKind::Strcmp);
    Reg ra = get(a, R1);
    if (ra != R1) emit(movReg(R1, ra));
    Reg rb = get(b, R2);
    if (rb != R2) emit(movReg(R2, rb));
    f_.call(fn);
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

int FunctionCompiler::call(const ir::Node &n) {
    Generator &g = pb_.g;
    switch (n.subr) {
    case ir::Subr::Strlen: {
        int a = stringArg(*n.kids[0]);
        argumentsToRegisters({a});
        f_.call(pb_.subprogram(SubprogramKind::Strlen));
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
        Label ok = f_.newLabel();
        f_.jumpImm(BPF_JSGT, R0, 0, ok);
        emit(movImm(R0, 1));
        f_.bind(ok);
        emit(alu64Imm(BPF_SUB, R0, 1)); // characters copied
        Label clamped = f_.newLabel();
        f_.jumpImm(BPF_JLE, R0, static_cast<int32_t>(g.strsize), clamped);
        emit(movImm(R0, static_cast<int32_t>(g.strsize)));
        f_.bind(clamped);
        tempAddress(R1, t);
        emit(alu64Reg(BPF_ADD, R1, R0));
        emit(movImm(R2, static_cast<int32_t>(g.strsize + 1)));
        emit(alu64Reg(BPF_SUB, R2, R0));
        Reg rb = get(b, R3);
        if (rb != R3) emit(movReg(R3, rb));
        f_.callHelper(BPF_FUNC_probe_read_kernel_str);
        tempAddress(R0, t);
        put(a, R0);
        release(b);
        return a;
    }
    case ir::Subr::Rand: {
        int s = alloc();
        f_.callHelper(BPF_FUNC_get_prandom_u32);
        normalize(R0, n.type);
        put(s, R0);
        return s;
    }
    case ir::Subr::Substr: {
        int s = stringArg(*n.kids[0]);
        int i = value(*n.kids[1]);
        bool hasCount = n.kids.size() > 2;
        int c = hasCount ? value(*n.kids[2]) : constantValue(ir::Node(ir::NodeKind::Const, n.loc, n.type));
        int t = stringTemp();
        int d = alloc();
        tempAddress(R0, t);
        put(d, R0);
        int h = alloc();
        emit(movImm(R0, hasCount ? 1 : 0));
        put(h, R0);
        argumentsToRegisters({d, s, i, c, h});
        f_.call(pb_.subprogram(SubprogramKind::Substr));
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
        f_.call(pb_.subprogram(n.subr == ir::Subr::Strchr ? SubprogramKind::Strchr : SubprogramKind::Strrchr));
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
        Label done = f_.newLabel();
        if (n.subr == ir::Subr::Rindex && explicitStart) {
            // An explicit negative start finds nothing in rindex(); the
            // subprogram reads a negative start as "from the end".
            Label go = f_.newLabel();
            f_.jumpImm(BPF_JSGE, R3, 0, go);
            emit(movImm(R0, -1));
            f_.jump(done);
            f_.bind(go);
        }
        f_.call(pb_.subprogram(n.subr == ir::Subr::Rindex ? SubprogramKind::Rindex : SubprogramKind::Index));
        f_.bind(done);
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
        f_.call(pb_.subprogram(SubprogramKind::Strtok));
        release(delim);
        release(ctx);
        Label ok = f_.newLabel();
        f_.jumpImm(BPF_JNE, R0, -2, ok);
        emit(movImm(R1, 0));
        fault(kFltBadAddr, R1); // strtok(NULL, ...) with nothing to continue
        f_.bind(ok);
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
    case ir::Subr::Dirname: {
        int s = stringArg(*n.kids[0]);
        int t = stringTemp();
        int d = alloc();
        tempAddress(R0, t);
        put(d, R0);
        argumentsToRegisters({d, s});
        SubprogramKind k = n.subr == ir::Subr::Toupper   ? SubprogramKind::ToUpper
                           : n.subr == ir::Subr::Tolower ? SubprogramKind::ToLower
                           : n.subr == ir::Subr::Basename ? SubprogramKind::Basename
                                                          : SubprogramKind::Dirname;
        f_.call(pb_.subprogram(k));
        release(s);
        return d;
    }
    case ir::Subr::Lltostr: {
        int v = value(*n.kids[0]);
        int base;
        if (n.kids.size() > 1) {
            base = value(*n.kids[1]);
            Reg r = get(base, R1);
            Label bad = f_.newLabel(), ok = f_.newLabel();
            f_.jumpImm(BPF_JSLT, r, 2, bad);
            f_.jumpImm(BPF_JSLE, r, 36, ok);
            f_.bind(bad);
            fault(kFltIllOp, r);
            f_.bind(ok);
        } else {
            base = alloc();
            emit(movImm(R0, 10));
            put(base, R0);
        }
        int t = stringTemp();
        int d = alloc();
        tempAddress(R0, t);
        put(d, R0);
        int ctx = alloc();
        emit(movReg(R0, R9));
        put(ctx, R0);
        argumentsToRegisters({d, v, base, ctx});
        f_.call(pb_.subprogram(SubprogramKind::Lltostr));
        release(v);
        release(base);
        release(ctx);
        return d;
    }
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
    case ir::Subr::Getmajor:
    case ir::Subr::Getminor: {
        // Linux's kernel-internal dev_t: 12 bits of major above 20 of minor.
        int v = value(*n.kids[0]);
        Reg r = get(v, R0);
        emit(alu32Reg(BPF_MOV, r, r));
        if (n.subr == ir::Subr::Getmajor) emit(alu64Imm(BPF_RSH, r, 20));
        else emit(alu64Imm(BPF_AND, r, 0xfffff));
        put(v, r);
        return v;
    }
    case ir::Subr::None: break;
    }
    fail("D_UNSUPPORTED", n.loc, "subroutine not supported yet");
}

} // namespace dtrace::codegen
