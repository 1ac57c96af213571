// Expression lowering for one clause function.
#include "codegen/function.h"
#include "codegen/program.h"

#include <algorithm>

namespace dtrace::codegen {

using namespace bpf;
using ir::NodeKind;
using sema::TypeRef;

namespace {

constexpr int kRegSlots = 3; // r6, r7, r8
constexpr int kMaxStackSlots = 40;
constexpr int16_t kStackTlsKey = -24; // 16 bytes: task, variable id
constexpr int16_t kStackTemps = -32;

constexpr uint32_t kFltBadAddr = 1;
constexpr uint32_t kFltDivZero = 4;
constexpr uint32_t kFltBadIndex = 11;
// An alloca pointer is its offset in the scratch area plus this (so that
// none is NULL), as DTrace for Linux shows them.
constexpr int32_t kScratchPointerBias = 8;

bool isSigned(const TypeRef &t) {
    return sema::isSignedInt(t);
}

} // namespace

FunctionCompiler::FunctionCompiler(ProgramBuilder &pb, bpf::Function &f, const ir::Clause *clause,
                                   bool errorClause)
    : pb_(pb), f_(&f), clause_(clause), errorClause_(errorClause) {}

// ------------------------------------------------------------ temporaries

int FunctionCompiler::alloc() {
    for (size_t i = 0; i < slotsInUse_.size(); ++i)
        if (!slotsInUse_[i]) {
            slotsInUse_[i] = true;
            return static_cast<int>(i);
        }
    if (slotsInUse_.size() >= kRegSlots + kMaxStackSlots)
        fail("D_UNSUPPORTED", clause_ ? clause_->loc : SourceLoc{}, "expression too complex");
    slotsInUse_.push_back(true);
    maxSlots_ = std::max(maxSlots_, static_cast<int>(slotsInUse_.size()));
    return static_cast<int>(slotsInUse_.size() - 1);
}

void FunctionCompiler::release(int slot) {
    if (slot >= 0 && static_cast<size_t>(slot) < slotsInUse_.size()) slotsInUse_[slot] = false;
}

int16_t FunctionCompiler::stackOffset(int slot) const {
    return static_cast<int16_t>(kStackTemps - 8 * (slot - kRegSlots));
}

Reg FunctionCompiler::get(int slot, Reg scratch) {
    if (slot < kRegSlots) return static_cast<Reg>(R6 + slot);
    emit(load(Size::DW, scratch, FP, stackOffset(slot)));
    return scratch;
}

void FunctionCompiler::put(int slot, Reg src) {
    if (slot < kRegSlots) {
        Reg r = static_cast<Reg>(R6 + slot);
        if (r != src) emit(movReg(r, src));
        return;
    }
    emit(store(Size::DW, FP, stackOffset(slot), src));
}

// ---------------------------------------------------------------- helpers

void FunctionCompiler::loadImm(Reg r, int64_t v) {
    if (v >= INT32_MIN && v <= INT32_MAX)
        emit(movImm(r, static_cast<int32_t>(v)));
    else
        f_->ldImm64(r, static_cast<uint64_t>(v));
}

// Brings a register to its type's width: sign- or zero-extended.
void FunctionCompiler::normalize(Reg r, const TypeRef &t) {
    auto s = sema::stripTypedefs(t);
    if (!s || s->kind == sema::TypeKind::Pointer) return;
    uint64_t size = s->size;
    if (size >= 8 || size == 0) return;
    int shift = static_cast<int>(64 - size * 8);
    if (s->isSigned) {
        emit(alu64Imm(BPF_LSH, r, shift));
        emit(alu64Imm(BPF_ARSH, r, shift));
    } else if (size == 4) {
        emit(alu32Reg(BPF_MOV, r, r));
    } else {
        emit(alu64Imm(BPF_AND, r, size == 1 ? 0xff : 0xffff));
    }
}

// Records a fault and leaves the clause.
void FunctionCompiler::fault(uint32_t type, Reg value) {
    if (errorClause_) {
        // A fault in an ERROR clause is a double error: counted, not reported.
        f_->call(pb_.dropFunction(kDoubleErrors));
        emit(movImm(R0, 0));
        emit(exitInsn());
        return;
    }
    uint32_t pc = static_cast<uint32_t>(f_->size());
    emit(store(Size::DW, R9, dctx::kFaultValue, value));
    emit(storeImm(Size::W, R9, dctx::kFaultType, static_cast<int32_t>(type)));
    emit(storeImm(Size::DW, R9, dctx::kFaultPc, static_cast<int32_t>(pc)));
    emit(storeImm(Size::W, R9, dctx::kFaultClause, clause_->index));
    f_->jump(faultLabel_);
    faultUsed_ = true;
}

void FunctionCompiler::faultIfNonZero(Reg result, uint32_t type, Reg value) {
    Label ok = f_->newLabel();
    f_->jumpImm(BPF_JEQ, result, 0, ok);
    fault(type, value);
    f_->bind(ok);
}

void FunctionCompiler::bumpDrop(DropCounter which) {
    f_->call(pb_.dropFunction(which));
}

void FunctionCompiler::addressOf(Reg dst, const Address &a) {
    Reg r = get(a.slot, dst);
    if (r != dst) emit(movReg(dst, r));
    if (a.offset) emit(alu64Imm(BPF_ADD, dst, static_cast<int32_t>(a.offset)));
}

// Copies size bytes from a kernel or user address to dstPtr, faulting on
// a bad address.
void FunctionCompiler::checkedRead(Reg dstPtr, uint32_t size, Reg src, Space space) {
    emit(movReg(R3, src));
    if (dstPtr != R1) emit(movReg(R1, dstPtr));
    emit(movImm(R2, static_cast<int32_t>(size)));
    f_->callHelper(space == Space::User ? BPF_FUNC_probe_read_user : BPF_FUNC_probe_read_kernel);
    Label ok = f_->newLabel();
    f_->jumpImm(BPF_JEQ, R0, 0, ok);
    fault(kFltBadAddr, R3 == src ? R3 : src);
    f_->bind(ok);
}

// --------------------------------------------------------------- values

int FunctionCompiler::value(const ir::Node &n) {
    if (sema::isString(n.type) && n.kind != NodeKind::Assign) return stringValue(n);
    switch (n.kind) {
    case NodeKind::Const: return constantValue(n);
    case NodeKind::String: return stringValue(n);
    case NodeKind::BuiltinVar: return builtin(n);
    case NodeKind::Var:
    case NodeKind::ArrayElem:
    case NodeKind::Member:
    case NodeKind::Deref:
    case NodeKind::Element: {
        bool dynamic = n.kind == NodeKind::ArrayElem ||
                       (n.kind == NodeKind::Var && n.var->scope == ir::Scope::ThreadLocal);
        if (dynamic && sema::isScalar(n.type)) {
            // A shared global function reads it (0 when it does not exist).
            const ir::Variable &var = *n.var;
            bool tls = !var.isAssoc();
            bpf::MapId map = tls ? pb_.g.tlsMap : pb_.g.vars.at(&var).map;
            if (!tls) dynamicKey(n);
            emit(movReg(R1, R9));
            emit(movImm(R2, static_cast<int32_t>(var.id)));
            f_->call(pb_.dynamicAccessFunction(map, tls, false));
            normalize(R0, n.type);
            int s = alloc();
            put(s, R0);
            return s;
        }
        Address a = address(n, false);
        if (!sema::isScalar(n.type)) {
            // An aggregate's value is its address (a real one, also for
            // structs in alloca'd scratch memory).
            int s = alloc();
            if (a.space == Space::Scratch) {
                emit(movImm(R5, static_cast<int32_t>(std::max<uint64_t>(1, sema::typeSize(n.type)))));
                scratchPointer(R0, a, R5, kFltBadAddr);
            } else {
                addressOf(R0, a);
            }
            put(s, R0);
            release(a.slot);
            return s;
        }
        unsigned shift = n.kind == NodeKind::Member ? static_cast<unsigned>(n.offsetBits % 8) : 0;
        int s = loadScalar(a, n.type, shift, n.kind == NodeKind::Member ? n.bitSize : 0);
        return s;
    }
    case NodeKind::AddrOf: {
        Address a = address(*n.kids[0], false);
        int s = alloc();
        addressOf(R0, a);
        put(s, R0);
        release(a.slot);
        return s;
    }
    case NodeKind::Unary: {
        int s = value(*n.kids[0]);
        Reg r = get(s, R0);
        switch (n.op) {
        case ir::Op::Neg: emit(bpf::neg(r)); break;
        case ir::Op::BitNot: emit(alu64Imm(BPF_XOR, r, -1)); break;
        case ir::Op::LogNot: {
            Label zero = f_->newLabel(), done = f_->newLabel();
            f_->jumpImm(BPF_JEQ, r, 0, zero);
            emit(movImm(r, 0));
            f_->jump(done);
            f_->bind(zero);
            emit(movImm(r, 1));
            f_->bind(done);
            break;
        }
        default: break;
        }
        // Like DTrace, arithmetic is 64-bit: results narrow to their type
        // only when stored, cast or recorded.
        put(s, r);
        return s;
    }
    case NodeKind::Binary:
        if (n.op == ir::Op::LogAnd || n.op == ir::Op::LogOr || n.op == ir::Op::LogXor)
            return logical(n);
        if (n.op == ir::Op::Eq || n.op == ir::Op::Ne || n.op == ir::Op::Lt || n.op == ir::Op::Le ||
            n.op == ir::Op::Gt || n.op == ir::Op::Ge)
            return compare(n);
        return binary(n);
    case NodeKind::Conditional: return conditional(n);
    case NodeKind::Cast: return cast(n);
    case NodeKind::Assign: return assign(n);
    case NodeKind::IncDec: return incdec(n);
    case NodeKind::Call: return call(n);
    case NodeKind::Comma: {
        release(value(*n.kids[0]));
        return value(*n.kids[1]);
    }
    case NodeKind::ArgN:
    case NodeKind::AggregationRef: break;
    }
    fail("D_UNSUPPORTED", n.loc, "expression not supported yet");
}

int FunctionCompiler::constantValue(const ir::Node &n) {
    int s = alloc();
    Reg r = s < kRegSlots ? static_cast<Reg>(R6 + s) : R0;
    loadImm(r, n.value);
    put(s, r);
    return s;
}

int FunctionCompiler::stringTemp() {
    if (static_cast<uint32_t>(strTemps_) >= pb_.g.layout.strtmpSlots)
        fail("D_UNSUPPORTED", clause_ ? clause_->loc : SourceLoc{}, "too many string temporaries");
    return strTemps_++;
}

int FunctionCompiler::stringValue(const ir::Node &n) {
    Generator &g = pb_.g;
    switch (n.kind) {
    case NodeKind::String: {
        int s = alloc();
        f_->ldMapValue(R0, g.strtabMap, g.strtab.add(n.str));
        put(s, R0);
        return s;
    }
    case NodeKind::BuiltinVar: return builtin(n);
    case NodeKind::Var:
    case NodeKind::ArrayElem:
    case NodeKind::Member:
    case NodeKind::Element: {
        Address a = address(n, false);
        int s = alloc();
        addressOf(R0, a);
        put(s, R0);
        release(a.slot);
        return s;
    }
    case NodeKind::Cast: return cast(n);
    case NodeKind::Conditional: return conditional(n);
    case NodeKind::Call: return call(n);
    case NodeKind::Comma: {
        release(value(*n.kids[0]));
        return value(*n.kids[1]);
    }
    case NodeKind::Assign: return assign(n);
    case NodeKind::Binary: {
        // string + offset: the characters from the offset on (at most to
        // the NUL), copied into a temporary.
        int str = stringArg(*n.kids[0]);
        int off = value(*n.kids[1]);
        Reg rs = get(str, R1);
        if (rs != R1) emit(movReg(R1, rs));
        f_->call(pb_.subprogram(SubprogramKind::Strlen));
        Reg ro = get(off, R3);
        if (ro != R3) emit(movReg(R3, ro));
        Label notNegative = f_->newLabel(), inside = f_->newLabel();
        f_->jumpImm(BPF_JSGE, R3, 0, notNegative);
        emit(movImm(R3, 0));
        f_->bind(notNegative);
        f_->jumpReg(BPF_JLE, R3, R0, inside);
        emit(movReg(R3, R0));
        f_->bind(inside);
        rs = get(str, R0);
        emit(alu64Reg(BPF_ADD, R3, rs));
        int t = stringTemp();
        uint32_t toff = g.layout.strtmp + static_cast<uint32_t>(t) * g.layout.strslot;
        emit(movReg(R1, R9));
        emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(toff)));
        emit(movImm(R2, static_cast<int32_t>(g.strsize + 1)));
        f_->callHelper(BPF_FUNC_probe_read_kernel_str);
        release(off);
        emit(movReg(R0, R9));
        emit(alu64Imm(BPF_ADD, R0, static_cast<int32_t>(toff)));
        put(str, R0);
        return str;
    }
    case NodeKind::Deref: {
        Address a = address(n, false);
        int s = alloc();
        if (a.space == Space::Scratch) {
            emit(movImm(R5, static_cast<int32_t>(g.strsize + 1)));
            scratchPointer(R0, a, R5, kFltBadAddr);
        } else {
            // A string read from kernel memory.
            Reg r = get(a.slot, R3);
            if (r != R3) emit(movReg(R3, r));
            int t = stringTemp();
            uint32_t off = g.layout.strtmp + static_cast<uint32_t>(t) * g.layout.strslot;
            emit(movReg(R1, R9));
            emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(off)));
            emit(movImm(R2, static_cast<int32_t>(g.strsize + 1)));
            f_->callHelper(a.space == Space::User ? BPF_FUNC_probe_read_user_str : BPF_FUNC_probe_read_kernel_str);
            emit(movReg(R0, R9));
            emit(alu64Imm(BPF_ADD, R0, static_cast<int32_t>(off)));
        }
        put(s, R0);
        release(a.slot);
        return s;
    }
    default: break;
    }
    fail("D_UNSUPPORTED", n.loc, "string expression not supported yet");
}

int FunctionCompiler::builtin(const ir::Node &n) {
    Generator &g = pb_.g;
    int s = alloc();
    auto probeString = [&](const std::string &text) {
        f_->ldMapValue(R0, g.strtabMap, g.strtab.add(text));
        put(s, R0);
        return s;
    };
    const providers::Probe *probe = errorClause_ ? nullptr : pb_.probe();
    bool dynamic = pb_.ctx.dynamicProbe && !errorClause_;
    switch (n.builtin) {
    case ir::Builtin::Arg:
        emit(load(Size::DW, R0, R9, static_cast<int16_t>(dctx::kArgs + 8 * n.value)));
        break;
    case ir::Builtin::Pid:
        f_->callHelper(BPF_FUNC_get_current_pid_tgid);
        emit(alu64Imm(BPF_RSH, R0, 32));
        break;
    case ir::Builtin::Tid:
        f_->callHelper(BPF_FUNC_get_current_pid_tgid);
        emit(alu32Reg(BPF_MOV, R0, R0));
        break;
    case ir::Builtin::Uid:
        f_->callHelper(BPF_FUNC_get_current_uid_gid);
        emit(alu32Reg(BPF_MOV, R0, R0));
        break;
    case ir::Builtin::Gid:
        f_->callHelper(BPF_FUNC_get_current_uid_gid);
        emit(alu64Imm(BPF_RSH, R0, 32));
        break;
    case ir::Builtin::Ppid: {
        Label done = f_->newLabel();
        emit(movImm(R0, 0));
        put(s, R0);
        if (g.kernel.taskRealParent < 0 || g.kernel.taskTgid < 0) break;
        f_->callHelper(BPF_FUNC_get_current_task);
        emit(movReg(R3, R0));
        emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(g.kernel.taskRealParent)));
        emit(movReg(R1, R9));
        emit(alu64Imm(BPF_ADD, R1, dctx::kScratch));
        emit(movImm(R2, 8));
        f_->callHelper(BPF_FUNC_probe_read_kernel);
        f_->jumpImm(BPF_JNE, R0, 0, done);
        emit(load(Size::DW, R3, R9, dctx::kScratch));
        emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(g.kernel.taskTgid)));
        emit(movReg(R1, R9));
        emit(alu64Imm(BPF_ADD, R1, dctx::kScratch));
        emit(movImm(R2, 4));
        f_->callHelper(BPF_FUNC_probe_read_kernel);
        f_->jumpImm(BPF_JNE, R0, 0, done);
        emit(load(Size::W, R0, R9, dctx::kScratch));
        put(s, R0);
        f_->bind(done);
        return s;
    }
    case ir::Builtin::Execname: {
        int t = stringTemp();
        uint32_t off = g.layout.strtmp + static_cast<uint32_t>(t) * g.layout.strslot;
        emit(movReg(R1, R9));
        emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(off)));
        emit(movImm(R2, static_cast<int32_t>(std::min<uint32_t>(16, g.strsize + 1))));
        f_->callHelper(BPF_FUNC_get_current_comm);
        emit(movReg(R0, R9));
        emit(alu64Imm(BPF_ADD, R0, static_cast<int32_t>(off)));
        break;
    }
    case ir::Builtin::Timestamp:
    case ir::Builtin::Vtimestamp: {
        // Constant for the whole probe firing, as in DTrace.
        bool v = n.builtin == ir::Builtin::Vtimestamp;
        int16_t cache = v ? dctx::kVtimestamp : dctx::kTimestamp;
        Label have = f_->newLabel();
        emit(load(Size::DW, R0, R9, cache));
        f_->jumpImm(BPF_JNE, R0, 0, have);
        if (v && g.kernel.taskExecRuntime >= 0) {
            f_->callHelper(BPF_FUNC_get_current_task);
            emit(movReg(R3, R0));
            emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(g.kernel.taskExecRuntime)));
            emit(movReg(R1, R9));
            emit(alu64Imm(BPF_ADD, R1, dctx::kScratch));
            emit(movImm(R2, 8));
            f_->callHelper(BPF_FUNC_probe_read_kernel);
            emit(load(Size::DW, R0, R9, dctx::kScratch));
        } else {
            f_->callHelper(BPF_FUNC_ktime_get_ns);
        }
        emit(store(Size::DW, R9, cache, R0));
        f_->bind(have);
        break;
    }
    case ir::Builtin::Walltimestamp:
        f_->callHelper(BPF_FUNC_ktime_get_ns);
        f_->ldMapValue(R1, g.stateMap, 0);
        emit(load(Size::DW, R1, R1, offsetof(StateValue, walltimeOffset)));
        emit(alu64Reg(BPF_ADD, R0, R1));
        break;
    case ir::Builtin::Cpu: f_->callHelper(BPF_FUNC_get_smp_processor_id); break;
    case ir::Builtin::Id:
        if (errorClause_)
            loadImm(R0, g.errorProbeId);
        else if (probe && !dynamic)
            loadImm(R0, probe->id);
        else
            emit(load(Size::W, R0, R9, dctx::kProbeId));
        break;
    case ir::Builtin::Epid: loadImm(R0, clause_->index + 1); break;
    case ir::Builtin::Probeprov:
    case ir::Builtin::Probemod:
    case ir::Builtin::Probefunc:
    case ir::Builtin::Probename: {
        providers::AttachKind kind = errorClause_ ? providers::AttachKind::Error : pb_.ctx.attach;
        if (n.builtin == ir::Builtin::Probefunc && dynamic) {
            Label ok = f_->newLabel();
            emit(load(Size::W, R1, R9, dctx::kFuncOffset));
            uint32_t max =
                g.syscallNamesOffset + (g.syscallCount - 1) * Generator::kSyscallNameWidth;
            f_->jumpImm(BPF_JLE, R1, static_cast<int32_t>(max), ok);
            emit(movImm(R1, static_cast<int32_t>(g.syscallNamesOffset)));
            f_->bind(ok);
            f_->ldMapValue(R0, g.strtabMap, 0);
            emit(alu64Reg(BPF_ADD, R0, R1));
            break;
        }
        std::string prov, mod, func, name;
        if (kind == providers::AttachKind::Error || kind == providers::AttachKind::Begin ||
            kind == providers::AttachKind::End) {
            prov = "dtrace";
            name = kind == providers::AttachKind::Error   ? "ERROR"
                   : kind == providers::AttachKind::Begin ? "BEGIN"
                                                          : "END";
        } else if (kind == providers::AttachKind::SyscallEntry ||
                   kind == providers::AttachKind::SyscallReturn) {
            prov = "syscall";
            mod = "vmlinux";
            name = kind == providers::AttachKind::SyscallEntry ? "entry" : "return";
        } else if (probe) {
            prov = probe->provider;
            mod = probe->module;
            func = probe->function;
            name = probe->name;
        }
        const std::string &text = n.builtin == ir::Builtin::Probeprov   ? prov
                                  : n.builtin == ir::Builtin::Probemod  ? mod
                                  : n.builtin == ir::Builtin::Probefunc ? func
                                                                        : name;
        return probeString(text);
    }
    case ir::Builtin::Errno: emit(load(Size::DW, R0, R9, dctx::kErrno)); break;
    case ir::Builtin::Curthread: f_->callHelper(BPF_FUNC_get_current_task); break;
    case ir::Builtin::Caller:
    case ir::Builtin::Ucaller:
    case ir::Builtin::Stackdepth:
    case ir::Builtin::Ustackdepth:
    case ir::Builtin::Ipl: emit(movImm(R0, 0)); break;
    }
    normalize(R0, n.type);
    put(s, R0);
    return s;
}

// ra = ra op rb, with C's semantics for the operand types.
void FunctionCompiler::arith(ir::Op op, Reg ra, Reg rb, bool sgn, bool lhsSigned) {
    if (op == ir::Op::Div || op == ir::Op::Mod) {
        Label ok = f_->newLabel();
        f_->jumpImm(BPF_JNE, rb, 0, ok);
        emit(movImm(R0, 0));
        fault(kFltDivZero, R0);
        f_->bind(ok);
        if (!sgn) {
            emit(alu64Reg(op == ir::Op::Div ? BPF_DIV : BPF_MOD, ra, rb));
            return;
        }
        // Signed division from unsigned: divide magnitudes, fix the sign.
        // r3 = result is negative, r4 = |a|, r5 = |b|.
        Label aPos = f_->newLabel(), bPos = f_->newLabel(), done = f_->newLabel();
        emit(movReg(R4, ra));
        emit(movReg(R5, rb));
        emit(movImm(R3, 0));
        f_->jumpImm(BPF_JSGE, R4, 0, aPos);
        emit(bpf::neg(R4));
        emit(alu64Imm(BPF_XOR, R3, 1));
        f_->bind(aPos);
        f_->jumpImm(BPF_JSGE, R5, 0, bPos);
        emit(bpf::neg(R5));
        // As in DTrace, both quotient and remainder take the sign of a * b.
        emit(alu64Imm(BPF_XOR, R3, 1));
        f_->bind(bPos);
        emit(alu64Reg(op == ir::Op::Div ? BPF_DIV : BPF_MOD, R4, R5));
        f_->jumpImm(BPF_JEQ, R3, 0, done);
        emit(bpf::neg(R4));
        f_->bind(done);
        emit(movReg(ra, R4));
        return;
    }
    uint8_t code = BPF_ADD;
    switch (op) {
    case ir::Op::Add: code = BPF_ADD; break;
    case ir::Op::Sub: code = BPF_SUB; break;
    case ir::Op::Mul: code = BPF_MUL; break;
    case ir::Op::And: code = BPF_AND; break;
    case ir::Op::Or: code = BPF_OR; break;
    case ir::Op::Xor: code = BPF_XOR; break;
    case ir::Op::Shl: code = BPF_LSH; break;
    case ir::Op::Shr: code = lhsSigned ? BPF_ARSH : BPF_RSH; break;
    default: break;
    }
    emit(alu64Reg(code, ra, rb));
}

int FunctionCompiler::binary(const ir::Node &n) {
    int a = value(*n.kids[0]);
    int b = value(*n.kids[1]);
    Reg ra = get(a, R1);
    Reg rb = get(b, R2);
    arith(n.op, ra, rb, isSigned(n.type), isSigned(n.kids[0]->type));
    put(a, ra);
    release(b);
    return a;
}

int FunctionCompiler::compare(const ir::Node &n) {
    if (sema::isString(n.kids[0]->type) && n.kids[1]->isConstant()) {
        // s == NULL: s is NULL or "".
        int a = value(*n.kids[0]);
        Reg r = get(a, R1);
        Label isNull = f_->newLabel(), done = f_->newLabel();
        f_->jumpImm(BPF_JEQ, r, 0, isNull);
        emit(load(Size::B, R0, r, 0));
        f_->jumpImm(BPF_JEQ, R0, 0, isNull);
        emit(movImm(R0, n.op == ir::Op::Ne ? 1 : 0));
        f_->jump(done);
        f_->bind(isNull);
        emit(movImm(R0, n.op == ir::Op::Ne ? 0 : 1));
        f_->bind(done);
        put(a, R0);
        return a;
    }
    int a = value(*n.kids[0]);
    int b = value(*n.kids[1]);
    Reg ra, rb;
    bool sgn = isSigned(n.kids[0]->type) && isSigned(n.kids[1]->type);
    if (sema::isString(n.kids[0]->type) && (mayBeNull(*n.kids[0]) || mayBeNull(*n.kids[1]))) {
        // NULL equals only NULL; a NULL orders before any string.
        Label bothSet = f_->newLabel(), done = f_->newLabel();
        int c = alloc();
        Reg ra2 = get(a, R1);
        if (ra2 != R1) emit(movReg(R1, ra2));
        Reg rb2 = get(b, R2);
        if (rb2 != R2) emit(movReg(R2, rb2));
        Label oneNull = f_->newLabel();
        f_->jumpImm(BPF_JEQ, R1, 0, oneNull);
        f_->jumpImm(BPF_JNE, R2, 0, bothSet);
        f_->bind(oneNull);
        // r0 = (a != 0) - (b != 0)
        Label aZero = f_->newLabel(), bZero = f_->newLabel();
        emit(movImm(R0, 0));
        f_->jumpImm(BPF_JEQ, R1, 0, aZero);
        emit(movImm(R0, 1));
        f_->bind(aZero);
        f_->jumpImm(BPF_JEQ, R2, 0, bZero);
        emit(alu64Imm(BPF_SUB, R0, 1));
        f_->bind(bZero);
        put(c, R0);
        f_->jump(done);
        f_->bind(bothSet);
        f_->call(pb_.subprogram(SubprogramKind::Strcmp));
        put(c, R0);
        f_->bind(done);
        ra = get(c, R1);
        emit(movImm(R2, 0));
        rb = R2;
        release(b);
        release(a);
        a = c;
        b = -1;
        sgn = true;
    } else if (sema::isString(n.kids[0]->type)) {
        int c = strcmpCall(a, b);
        ra = get(c, R1);
        emit(movImm(R2, 0));
        rb = R2;
        release(b);
        release(a);
        a = c;
        b = -1;
        sgn = true;
    } else {
        ra = get(a, R1);
        rb = get(b, R2);
    }
    uint8_t code = BPF_JEQ;
    switch (n.op) {
    case ir::Op::Eq: code = BPF_JEQ; break;
    case ir::Op::Ne: code = BPF_JNE; break;
    case ir::Op::Lt: code = sgn ? BPF_JSLT : BPF_JLT; break;
    case ir::Op::Le: code = sgn ? BPF_JSLE : BPF_JLE; break;
    case ir::Op::Gt: code = sgn ? BPF_JSGT : BPF_JGT; break;
    case ir::Op::Ge: code = sgn ? BPF_JSGE : BPF_JGE; break;
    default: break;
    }
    Label yes = f_->newLabel();
    emit(movImm(R0, 1));
    f_->jumpReg(code, ra, rb, yes);
    emit(movImm(R0, 0));
    f_->bind(yes);
    put(a, R0);
    release(b);
    return a;
}

int FunctionCompiler::logical(const ir::Node &n) {
    int a = value(*n.kids[0]);
    Reg ra = get(a, R1);
    Label done = f_->newLabel();
    // Normalise a to 0/1.
    Label aZero = f_->newLabel(), aDone = f_->newLabel();
    f_->jumpImm(BPF_JEQ, ra, 0, aZero);
    emit(movImm(ra, 1));
    f_->jump(aDone);
    f_->bind(aZero);
    emit(movImm(ra, 0));
    f_->bind(aDone);
    put(a, ra);
    if (n.op == ir::Op::LogAnd) f_->jumpImm(BPF_JEQ, ra, 0, done);
    if (n.op == ir::Op::LogOr) f_->jumpImm(BPF_JNE, ra, 0, done);
    int b = value(*n.kids[1]);
    Reg rb = get(b, R2);
    Label bZero = f_->newLabel(), bDone = f_->newLabel();
    f_->jumpImm(BPF_JEQ, rb, 0, bZero);
    emit(movImm(R0, 1));
    f_->jump(bDone);
    f_->bind(bZero);
    emit(movImm(R0, 0));
    f_->bind(bDone);
    if (n.op == ir::Op::LogXor) {
        ra = get(a, R1);
        emit(alu64Reg(BPF_XOR, R0, ra));
    }
    put(a, R0);
    release(b);
    f_->bind(done);
    return a;
}

int FunctionCompiler::conditional(const ir::Node &n) {
    int c = value(*n.kids[0]);
    Reg rc = get(c, R1);
    Label elseL = f_->newLabel(), done = f_->newLabel();
    f_->jumpImm(BPF_JEQ, rc, 0, elseL);
    int a = value(*n.kids[1]);
    Reg ra = get(a, R0);
    put(c, ra);
    release(a);
    f_->jump(done);
    f_->bind(elseL);
    int b = value(*n.kids[2]);
    Reg rb = get(b, R0);
    put(c, rb);
    release(b);
    f_->bind(done);
    return c;
}

int FunctionCompiler::cast(const ir::Node &n) {
    const ir::Node &x = *n.kids[0];
    if (sema::isVoid(n.type)) {
        release(value(x));
        return constantValue(ir::Node(NodeKind::Const, n.loc, n.type));
    }
    if (sema::isString(n.type)) {
        if (sema::isString(x.type)) return value(x);
        // A string from kernel memory: a pointer, or an array's address.
        Generator &g = pb_.g;
        Space space = Space::Kernel;
        int src;
        if (sema::isArray(x.type)) {
            Address a = address(x, false);
            space = a.space;
            src = alloc();
            addressOf(R0, a);
            put(src, R0);
            release(a.slot);
        } else {
            src = value(x);
            auto pt = sema::stripTypedefs(x.type);
            if (pt && pt->kind == sema::TypeKind::Pointer && pt->isUserland) space = Space::User;
            if (pt && pt->kind == sema::TypeKind::Pointer && pt->isDPtr) {
                Reg r = get(src, R1);
                if (r != R1) emit(movReg(R1, r));
                scratchToAddress(R1);
                put(src, R1);
            }
        }
        int t = stringTemp();
        uint32_t off = g.layout.strtmp + static_cast<uint32_t>(t) * g.layout.strslot;
        Reg rs = get(src, R3);
        if (rs != R3) emit(movReg(R3, rs));
        emit(movReg(R1, R9));
        emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(off)));
        emit(movImm(R2, static_cast<int32_t>(g.strsize + 1)));
        if (space == Space::DMem)
            f_->callHelper(BPF_FUNC_probe_read_kernel_str);
        else
            f_->callHelper(space == Space::User ? BPF_FUNC_probe_read_user_str
                                               : BPF_FUNC_probe_read_kernel_str);
        Label ok = f_->newLabel();
        f_->jumpImm(BPF_JSGT, R0, 0, ok);
        rs = get(src, R3);
        fault(kFltBadAddr, rs);
        f_->bind(ok);
        emit(movReg(R0, R9));
        emit(alu64Imm(BPF_ADD, R0, static_cast<int32_t>(off)));
        put(src, R0);
        return src;
    }
    if (sema::isArray(x.type)) {
        // An array decays to its address.
        Address a = address(x, false);
        int s = alloc();
        addressOf(R0, a);
        put(s, R0);
        release(a.slot);
        return s;
    }
    int s = value(x);
    Reg r = get(s, R0);
    normalize(r, n.type);
    put(s, r);
    return s;
}

// ------------------------------------------------------------- addresses

void FunctionCompiler::tlsKey(const ir::Variable &v) {
    f_->callHelper(BPF_FUNC_get_current_task);
    emit(store(Size::DW, FP, kStackTlsKey, R0));
    emit(storeImm(Size::DW, FP, kStackTlsKey + 8, v.id));
}

// Evaluates an associative array element's keys into the context's key
// buffer.
void FunctionCompiler::dynamicKey(const ir::Node &n) {
    const VarStorage &st = pb_.g.vars.at(n.var);
    std::vector<int> slots;
    std::vector<const ir::Node *> nodes;
    for (const auto &k : n.kids) {
        slots.push_back(value(*k));
        nodes.push_back(k.get());
    }
    buildKey(*n.var, slots, nodes, st.keySize, st.keyOffsets);
    for (int s : slots) release(s);
}

// Fills the key buffer in the per-CPU context from evaluated keys.
void FunctionCompiler::buildKey(const ir::Variable &, const std::vector<int> &keySlots,
                                const std::vector<const ir::Node *> &keyNodes, uint32_t keySize,
                                const std::vector<uint32_t> &offsets) {
    Generator &g = pb_.g;
    uint32_t base = g.layout.keys;
    auto byReference = [](const ir::Node *k) {
        return sema::isString(k->type) || sema::isStructOrUnion(k->type) || sema::isArray(k->type);
    };
    bool anyString = std::any_of(keyNodes.begin(), keyNodes.end(), byReference);
    if (anyString)
        for (uint32_t o = 0; o < keySize; o += 8)
            emit(storeImm(Size::DW, R9, static_cast<int16_t>(base + o), 0));
    for (size_t i = 0; i < keySlots.size(); ++i) {
        uint32_t off = base + offsets[i];
        if (sema::isString(keyNodes[i]->type)) {
            Reg r = get(keySlots[i], R3);
            if (r != R3) emit(movReg(R3, r));
            emit(movReg(R1, R9));
            emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(off)));
            emit(movImm(R2, static_cast<int32_t>(g.strsize + 1)));
            f_->callHelper(BPF_FUNC_probe_read_kernel_str);
        } else if (byReference(keyNodes[i])) {
            // A struct, union or array key is its bytes, not its address.
            Reg r = get(keySlots[i], R3);
            if (r != R3) emit(movReg(R3, r));
            emit(movReg(R1, R9));
            emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(off)));
            emit(movImm(R2, static_cast<int32_t>(sema::typeSize(keyNodes[i]->type))));
            f_->callHelper(BPF_FUNC_probe_read_kernel);
        } else {
            Reg r = get(keySlots[i], R0);
            emit(store(Size::DW, R9, static_cast<int16_t>(off), r));
        }
    }
}

// The storage of a thread-local variable or associative array element.
// Reads of missing elements see the zero area; writes create the element,
// or go to the sink (and count a drop) when the space is exhausted.
Address FunctionCompiler::dynamicAddress(const ir::Node &n, bool forWrite) {
    Generator &g = pb_.g;
    const ir::Variable &v = *n.var;
    const VarStorage &st = g.vars.at(&v);
    bpf::MapId map;
    auto keyPtr = [&](Reg r) {
        if (v.isAssoc()) {
            emit(movReg(r, R9));
            emit(alu64Imm(BPF_ADD, r, static_cast<int32_t>(g.layout.keys)));
        } else {
            emit(movReg(r, FP));
            emit(alu64Imm(BPF_ADD, r, kStackTlsKey));
        }
    };
    if (v.isAssoc()) {
        map = st.map;
        std::vector<int> slots;
        std::vector<const ir::Node *> nodes;
        for (const auto &k : n.kids) {
            slots.push_back(value(*k));
            nodes.push_back(k.get());
        }
        buildKey(v, slots, nodes, st.keySize, st.keyOffsets);
        for (int s : slots) release(s);
    } else {
        map = g.tlsMap;
        tlsKey(v);
    }
    Label have = f_->newLabel(), done = f_->newLabel();
    keyPtr(R2);
    f_->call(pb_.lookupFunction(map));
    f_->jumpImm(BPF_JNE, R0, 0, have);
    if (!forWrite && sema::isString(n.type)) {
        emit(movImm(R0, 0)); // a missing string element is NULL
    } else if (!forWrite) {
        emit(movReg(R0, R9));
        emit(alu64Imm(BPF_ADD, R0, static_cast<int32_t>(g.layout.zero)));
    } else {
        Label sink = f_->newLabel();
        f_->ldMap(R1, map);
        keyPtr(R2);
        emit(movReg(R3, R9));
        emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(g.layout.zero)));
        emit(movImm(R4, BPF_NOEXIST));
        f_->callHelper(BPF_FUNC_map_update_elem);
        f_->jumpImm(BPF_JNE, R0, 0, sink);
        keyPtr(R2);
        f_->call(pb_.lookupFunction(map));
        f_->jumpImm(BPF_JNE, R0, 0, have);
        f_->bind(sink);
        bumpDrop(kDynvarDrops);
        emit(movReg(R0, R9));
        emit(alu64Imm(BPF_ADD, R0, static_cast<int32_t>(g.layout.zero + g.layout.zeroSize)));
    }
    f_->jump(done);
    f_->bind(have);
    f_->bind(done);
    int s = alloc();
    put(s, R0);
    return {s, 0, Space::DMem};
}

Address FunctionCompiler::address(const ir::Node &n, bool forWrite) {
    Generator &g = pb_.g;
    switch (n.kind) {
    case NodeKind::Var: {
        const ir::Variable &v = *n.var;
        const VarStorage &st = g.vars.at(&v);
        if (v.scope == ir::Scope::Global) {
            int s = alloc();
            f_->ldMapValue(R0, g.globalsMap, st.offset);
            put(s, R0);
            return {s, 0, Space::DMem};
        }
        if (v.scope == ir::Scope::ClauseLocal) {
            int s = alloc();
            emit(movReg(R0, R9));
            put(s, R0);
            return {s, static_cast<int64_t>(g.layout.locals + st.offset), Space::DMem};
        }
        return dynamicAddress(n, forWrite);
    }
    case NodeKind::ArrayElem: return dynamicAddress(n, forWrite);
    case NodeKind::Deref: {
        int s = value(*n.kids[0]);
        return {s, 0, n.scratch ? Space::Scratch : n.userAddress ? Space::User : Space::Kernel};
    }
    case NodeKind::Member: {
        Address a = address(*n.kids[0], forWrite);
        a.offset += static_cast<int64_t>(n.offsetBits / 8);
        return a;
    }
    case NodeKind::Element: {
        const ir::Node &base = *n.kids[0];
        Address a;
        uint64_t count, elem;
        if (sema::isString(base.type)) {
            a = {value(base), 0, Space::DMem};
            checkNotNull(base, a.slot);
            count = g.layout.strslot;
            elem = 1;
        } else {
            a = address(base, forWrite);
            auto at = sema::stripTypedefs(base.type);
            count = at->count;
            elem = sema::typeSize(at->target);
        }
        int i = value(*n.kids[1]);
        Reg ri = get(i, R1);
        if (ri != R1) emit(movReg(R1, ri));
        if (a.space == Space::DMem) {
            Label ok = f_->newLabel();
            f_->jumpImm(BPF_JLT, R1, static_cast<int32_t>(count), ok);
            fault(kFltBadIndex, R1);
            f_->bind(ok);
        }
        if (elem != 1) emit(alu64Imm(BPF_MUL, R1, static_cast<int32_t>(elem)));
        Reg rb = get(a.slot, R2);
        emit(alu64Reg(BPF_ADD, rb, R1));
        put(a.slot, rb);
        release(i);
        return a;
    }
    default:
        if (sema::isString(n.type)) {
            int s = value(n);
            checkNotNull(n, s);
            return {s, 0, Space::DMem};
        }
        if (!sema::isScalar(n.type)) return {value(n), 0, Space::Kernel};
        break;
    }
    fail("D_UNSUPPORTED", n.loc, "cannot take the address of this expression");
}

int FunctionCompiler::loadScalar(const Address &a, const TypeRef &t, unsigned bitShift,
                                 unsigned bitSize) {
    uint64_t size = sema::typeSize(t);
    if (size == 0 || size > 8) size = 8;
    uint64_t loadBytes = size;
    if (bitSize) {
        uint64_t need = (bitShift + bitSize + 7) / 8;
        loadBytes = need <= 1 ? 1 : need <= 2 ? 2 : need <= 4 ? 4 : 8;
    }
    Reg dst = a.slot < kRegSlots ? static_cast<Reg>(R6 + a.slot) : R0;
    if (a.space == Space::Scratch) {
        emit(movImm(R5, static_cast<int32_t>(loadBytes)));
        scratchPointer(R1, a, R5, kFltBadAddr);
        emit(load(sizeFor(loadBytes), dst, R1, 0));
    } else if (a.space == Space::DMem) {
        Reg p = get(a.slot, R1);
        // Scalars in D variables are stored as full 64-bit words.
        emit(load(sizeFor(loadBytes), dst, p, static_cast<int16_t>(a.offset)));
    } else {
        Reg p = get(a.slot, R3);
        if (p != R3) emit(movReg(R3, p));
        if (a.offset) emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(a.offset)));
        emit(movReg(R1, R9));
        emit(alu64Imm(BPF_ADD, R1, dctx::kScratch));
        emit(movImm(R2, static_cast<int32_t>(loadBytes)));
        f_->callHelper(a.space == Space::User ? BPF_FUNC_probe_read_user
                                             : BPF_FUNC_probe_read_kernel);
        Label ok = f_->newLabel();
        f_->jumpImm(BPF_JEQ, R0, 0, ok);
        p = get(a.slot, R3);
        if (p != R3) emit(movReg(R3, p));
        if (a.offset) emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(a.offset)));
        fault(kFltBadAddr, R3);
        f_->bind(ok);
        emit(load(sizeFor(loadBytes), dst, R9, dctx::kScratch));
    }
    if (bitSize) {
        if (bitShift) emit(alu64Imm(BPF_RSH, dst, static_cast<int32_t>(bitShift)));
        if (isSigned(t)) {
            emit(alu64Imm(BPF_LSH, dst, static_cast<int32_t>(64 - bitSize)));
            emit(alu64Imm(BPF_ARSH, dst, static_cast<int32_t>(64 - bitSize)));
        } else if (bitSize < 32) {
            emit(alu64Imm(BPF_AND, dst, static_cast<int32_t>((1u << bitSize) - 1)));
        } else if (bitSize < 64) {
            f_->ldImm64(R2, (1ull << bitSize) - 1);
            emit(alu64Reg(BPF_AND, dst, R2));
        }
    } else {
        normalize(dst, t);
    }
    put(a.slot, dst);
    return a.slot;
}

// Turns an alloca pointer (scratch offset + bias) into the real address
// helpers can read from.
void FunctionCompiler::scratchToAddress(Reg r) {
    emit(load(Size::DW, R0, R9, dctx::kSelfAddress));
    emit(alu64Reg(BPF_ADD, r, R0));
    emit(alu64Imm(BPF_ADD, r, static_cast<int32_t>(pb_.g.layout.scratch) - kScratchPointerBias));
}

// dst = a pointer the verifier accepts for `size` (in a register) bytes at
// the alloca'd address a, or a fault if they are not all inside memory
// this clause has alloca'd. Clobbers r0-r5.
void FunctionCompiler::scratchPointer(Reg dst, const Address &a, Reg size, uint32_t faultType) {
    const Layout &l = pb_.g.layout;
    Reg r = get(a.slot, R4);
    if (r != R4) emit(movReg(R4, r));
    if (a.offset) emit(alu64Imm(BPF_ADD, R4, static_cast<int32_t>(a.offset)));
    if (size != R5) emit(movReg(R5, size));
    emit(movReg(R1, R4));
    emit(alu64Imm(BPF_SUB, R1, kScratchPointerBias)); // offset into scratch
    emit(load(Size::DW, R3, R9, dctx::kScratchTop));
    Label bad = f_->newLabel(), ok = f_->newLabel();
    f_->jumpReg(BPF_JGE, R1, R3, bad); // before it (negative) or past the top
    emit(movReg(R0, R1));
    emit(alu64Reg(BPF_ADD, R0, R5));
    f_->jumpReg(BPF_JGT, R0, R3, bad);
    f_->jumpImm(BPF_JGT, R1, static_cast<int32_t>(l.scratchSize), bad);
    f_->jump(ok);
    f_->bind(bad);
    fault(faultType, R4);
    f_->bind(ok);
    emit(alu64Reg(BPF_ADD, R1, R9));
    emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(l.scratch)));
    if (dst != R1) emit(movReg(dst, R1));
}

// ------------------------------------------------------------- stores

void FunctionCompiler::copyString(Reg dst, int srcSlot) {
    Generator &g = pb_.g;
    if (dst != R1) emit(movReg(R1, dst));
    Reg rs = get(srcSlot, R3);
    if (rs != R3) emit(movReg(R3, rs));
    emit(movImm(R2, static_cast<int32_t>(g.strsize + 1)));
    f_->callHelper(BPF_FUNC_probe_read_kernel_str);
}

void FunctionCompiler::storeScalar(const ir::Node &target, int v) {
    bool dynamic = target.kind == NodeKind::ArrayElem ||
                   (target.kind == NodeKind::Var && target.var->scope == ir::Scope::ThreadLocal);
    if (dynamic && sema::isScalar(target.type)) {
        // A shared global function stores it (or deletes it, for 0).
        const ir::Variable &var = *target.var;
        bool tls = !var.isAssoc();
        bpf::MapId map = tls ? pb_.g.tlsMap : pb_.g.vars.at(&var).map;
        if (!tls) dynamicKey(target);
        Reg rv = get(v, R3);
        if (rv != R3) emit(movReg(R3, rv));
        normalize(R3, target.type);
        emit(movReg(R1, R9));
        emit(movImm(R2, static_cast<int32_t>(var.id)));
        f_->call(pb_.dynamicAccessFunction(map, tls, true));
        return;
    }
    if (dynamic) {
        // Storing zero deletes the element.
        Label nonzero = f_->newLabel(), done = f_->newLabel();
        Reg rv = get(v, R0);
        f_->jumpImm(BPF_JNE, rv, 0, nonzero);
        deleteDynamic(target);
        f_->jump(done);
        f_->bind(nonzero);
        Address a = address(target, true);
        Reg p = get(a.slot, R1);
        rv = get(v, R2);
        if (rv != R2) emit(movReg(R2, rv));
        normalize(R2, target.type);
        emit(store(Size::DW, p, static_cast<int16_t>(a.offset), R2));
        release(a.slot);
        f_->bind(done);
        return;
    }
    storeToMemory(target, v);
}

// Deletes a thread-local variable or associative array element.
void FunctionCompiler::deleteDynamic(const ir::Node &target) {
    Generator &g = pb_.g;
    {
        const ir::Variable &var = *target.var;
        const VarStorage &st = g.vars.at(&var);
        if (var.isAssoc()) {
            std::vector<int> slots;
            std::vector<const ir::Node *> nodes;
            for (const auto &k : target.kids) {
                slots.push_back(value(*k));
                nodes.push_back(k.get());
            }
            buildKey(var, slots, nodes, st.keySize, st.keyOffsets);
            for (int s : slots) release(s);
            f_->ldMap(R1, st.map);
            emit(movReg(R2, R9));
            emit(alu64Imm(BPF_ADD, R2, static_cast<int32_t>(g.layout.keys)));
        } else {
            tlsKey(var);
            f_->ldMap(R1, g.tlsMap);
            emit(movReg(R2, FP));
            emit(alu64Imm(BPF_ADD, R2, kStackTlsKey));
        }
        f_->callHelper(BPF_FUNC_map_delete_elem);
    }
}

void FunctionCompiler::storeToMemory(const ir::Node &target, int v) {
    Address a = address(target, true);
    if (a.space != Space::DMem && a.space != Space::Scratch)
        fail("D_UNSUPPORTED", target.loc, "cannot store to kernel memory");
    uint64_t size = 8;
    if (target.kind == NodeKind::Member || target.kind == NodeKind::Element) {
        size = sema::typeSize(target.type);
        if (size == 0 || size > 8) size = 8;
    }
    if (target.kind == NodeKind::Deref) {
        size = sema::typeSize(target.type);
        if (size == 0 || size > 8) size = 8;
    }
    Reg p = get(a.slot, R1);
    if (a.space == Space::Scratch) {
        emit(movImm(R5, static_cast<int32_t>(size)));
        scratchPointer(R1, a, R5, kFltBadAddr);
        p = R1;
        a.offset = 0;
    }
    if (target.kind == NodeKind::Member && target.bitSize) {
        unsigned shift = static_cast<unsigned>(target.offsetBits % 8);
        unsigned bits = target.bitSize;
        uint64_t need = (shift + bits + 7) / 8;
        Size sz = need <= 1 ? Size::B : need <= 2 ? Size::H : need <= 4 ? Size::W : Size::DW;
        uint64_t mask = (bits >= 64 ? ~0ull : ((1ull << bits) - 1)) << shift;
        if (p != R1) emit(movReg(R1, p));
        emit(load(sz, R3, R1, static_cast<int16_t>(a.offset)));
        f_->ldImm64(R4, ~mask);
        emit(alu64Reg(BPF_AND, R3, R4));
        Reg rv = get(v, R2);
        emit(movReg(R5, rv));
        if (shift) emit(alu64Imm(BPF_LSH, R5, static_cast<int32_t>(shift)));
        f_->ldImm64(R4, mask);
        emit(alu64Reg(BPF_AND, R5, R4));
        emit(alu64Reg(BPF_OR, R3, R5));
        emit(store(sz, R1, static_cast<int16_t>(a.offset), R3));
    } else {
        Reg rv = get(v, R2);
        if (rv != R2) emit(movReg(R2, rv));
        normalize(R2, target.type);
        emit(store(sizeFor(size), p, static_cast<int16_t>(a.offset), R2));
    }
    release(a.slot);
}

void FunctionCompiler::storeAggregate(const ir::Node &target, const ir::Node &valueNode, int v) {
    Generator &g = pb_.g;
    Address a = address(target, true);
    if (a.space != Space::DMem && a.space != Space::Scratch)
        fail("D_UNSUPPORTED", target.loc, "cannot store to kernel memory");
    if (a.space == Space::Scratch) {
        uint32_t size = sema::isString(target.type) ? g.strsize + 1 : static_cast<uint32_t>(sema::typeSize(target.type));
        emit(movImm(R5, static_cast<int32_t>(size)));
        scratchPointer(R1, a, R5, kFltBadAddr);
    } else {
        addressOf(R1, a);
    }
    release(a.slot);
    if (sema::isString(target.type)) {
        copyString(R1, v);
        return;
    }
    uint64_t size = sema::typeSize(target.type);
    Reg rs = get(v, R3);
    if (rs != R3) emit(movReg(R3, rs));
    emit(movImm(R2, static_cast<int32_t>(size)));
    bool user = valueNode.kind == NodeKind::Deref && valueNode.userAddress;
    f_->callHelper(user ? BPF_FUNC_probe_read_user : BPF_FUNC_probe_read_kernel);
    Label ok = f_->newLabel();
    f_->jumpImm(BPF_JEQ, R0, 0, ok);
    rs = get(v, R3);
    fault(kFltBadAddr, rs);
    f_->bind(ok);
    (void)g;
}

int FunctionCompiler::assign(const ir::Node &n) {
    const ir::Node &target = *n.kids[0];
    const ir::Node &val = *n.kids[1];
    if (!sema::isScalar(target.type)) {
        bool dynamicTarget = target.kind == NodeKind::ArrayElem ||
                             (target.kind == NodeKind::Var && target.var->scope == ir::Scope::ThreadLocal);
        if (val.isConstant() && (!sema::isString(target.type) || dynamicTarget)) {
            // `x = 0` for a struct-valued dynamic variable deletes it.
            deleteDynamic(target);
            return constantValue(val);
        }
        int v = value(val);
        if (sema::isString(target.type) && mayBeNull(val)) {
            // Storing NULL: a dynamic variable is deleted, another holds "".
            Label notNull = f_->newLabel(), done = f_->newLabel();
            Reg r = get(v, R1);
            f_->jumpImm(BPF_JNE, r, 0, notNull);
            bool dynamic = target.kind == NodeKind::ArrayElem ||
                           (target.kind == NodeKind::Var && target.var->scope == ir::Scope::ThreadLocal);
            if (dynamic) {
                deleteDynamic(target);
            } else {
                Address a = address(target, true);
                addressOf(R1, a);
                release(a.slot);
                emit(storeImm(Size::B, R1, 0, 0));
            }
            f_->jump(done);
            f_->bind(notNull);
            storeAggregate(target, val, v);
            f_->bind(done);
            return v;
        }
        storeAggregate(target, val, v);
        return v;
    }
    if (!n.str.empty()) {
        // Compound assignment: target = target op value; the target is
        // read before the value is evaluated.
        int old = value(target);
        int v = value(val);
        Reg ro = get(old, R1);
        Reg rv = get(v, R2);
        arith(n.op, ro, rv, isSigned(val.type), isSigned(target.type));
        normalize(ro, target.type);
        put(v, ro);
        release(old);
        storeScalar(target, v);
        return v;
    }
    int v = value(val);
    storeScalar(target, v);
    return v;
}

int FunctionCompiler::incdec(const ir::Node &n) {
    const ir::Node &target = *n.kids[0];
    int old = value(target);
    int nw = alloc();
    Reg ro = get(old, R1);
    emit(movReg(R0, ro));
    emit(alu64Imm(BPF_ADD, R0, static_cast<int32_t>(n.value)));
    normalize(R0, target.type);
    put(nw, R0);
    storeScalar(target, nw);
    if (n.isPostfix) {
        release(nw);
        return old;
    }
    release(old);
    return nw;
}


} // namespace dtrace::codegen
