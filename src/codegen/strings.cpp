// The string subprograms every program may share: comparison, length,
// searching, tokenizing, case conversion, number formatting and path
// names. Loops whose result depends on the data run under bpf_loop, so
// the verifier checks each loop body once and the caller sees a single
// path whatever the strings hold. Every string lives in a buffer of
// strslot bytes; every index is bounds-checked before it is used.
#include "codegen/program.h"

#include <algorithm>

namespace dtrace::codegen {

using namespace bpf;

namespace {

// Calls bpf_loop(count, callback, fp + ctxOffset, 0).
void emitLoop(Function &f, FunctionId callback, int32_t count, int16_t ctxOffset) {
    f.emit(movImm(R1, count));
    f.ldFunction(R2, callback);
    f.emit(movReg(R3, FP));
    f.emit(alu64Imm(BPF_ADD, R3, ctxOffset));
    f.emit(movImm(R4, 0));
    f.callHelper(BPF_FUNC_loop);
}

void returnImm(Function &f, int32_t v) {
    f.emit(movImm(R0, v));
    f.emit(exitInsn());
}

void makeGlobal(Function &f, std::vector<ParamKind> params, int32_t fallback,
                std::vector<int> nullable = {}) {
    makeGlobalFunction(f, std::move(params), fallback, std::move(nullable));
}

// Writes a one-character string ("." or "/") at the pointer in r.
void emitConstantString(Function &f, Reg r, char c) {
    f.emit(storeImm(Size::H, r, 0, c));
}

} // namespace

void makeGlobalFunction(Function &f, std::vector<ParamKind> params, int32_t fallback,
                        std::vector<int> nullable) {
    for (size_t i = 0; i < params.size(); ++i) {
        if (params[i] == ParamKind::Scalar) continue;
        if (std::find(nullable.begin(), nullable.end(), static_cast<int>(i)) != nullable.end())
            continue;
        Label ok = f.newLabel();
        f.jumpImm(BPF_JNE, static_cast<Reg>(R1 + i), 0, ok);
        returnImm(f, fallback);
        f.bind(ok);
    }
    f.setGlobal(std::move(params));
}

bpf::FunctionId ProgramBuilder::addFunction(const std::string &name,
                                            const std::function<void(bpf::Function &)> &body) {
    functions.emplace_back(name);
    auto id = static_cast<bpf::FunctionId>(functions.size() - 1);
    // Emit into a local: emitting may add functions to the vector.
    bpf::Function f(name);
    body(f);
    functions[id] = std::move(f);
    return id;
}

bpf::FunctionId ProgramBuilder::subprogram(SubprogramKind k) {
    auto it = subprograms_.find(k);
    if (it != subprograms_.end()) return it->second;
    bpf::FunctionId id = -1;
    switch (k) {
    case SubprogramKind::Strcmp:
        id = addFunction("dt_strcmp", [&](Function &f) { emitStrcmp(f); });
        break;
    case SubprogramKind::Strlen:
        id = addFunction("dt_strlen", [&](Function &f) { emitStrlen(f); });
        break;
    case SubprogramKind::Strchr:
        id = addFunction("dt_strchr", [&](Function &f) { emitStrchr(f, false); });
        break;
    case SubprogramKind::Strrchr:
        id = addFunction("dt_strrchr", [&](Function &f) { emitStrchr(f, true); });
        break;
    case SubprogramKind::Index:
        id = addFunction("dt_index", [&](Function &f) { emitIndex(f, false); });
        break;
    case SubprogramKind::Rindex:
        id = addFunction("dt_rindex", [&](Function &f) { emitIndex(f, true); });
        break;
    case SubprogramKind::Strtok:
        id = addFunction("dt_strtok", [&](Function &f) { emitStrtok(f); });
        break;
    case SubprogramKind::ToUpper:
        id = addFunction("dt_toupper", [&](Function &f) { emitCase(f, true); });
        break;
    case SubprogramKind::ToLower:
        id = addFunction("dt_tolower", [&](Function &f) { emitCase(f, false); });
        break;
    case SubprogramKind::Lltostr:
        id = addFunction("dt_lltostr", [&](Function &f) { emitLltostr(f); });
        break;
    case SubprogramKind::Basename:
        id = addFunction("dt_basename", [&](Function &f) { emitPathPart(f, true); });
        break;
    case SubprogramKind::Dirname:
        id = addFunction("dt_dirname", [&](Function &f) { emitPathPart(f, false); });
        break;
    case SubprogramKind::Substr:
        id = addFunction("dt_substr", [&](Function &f) { emitSubstr(f); });
        break;
    case SubprogramKind::Progenyof:
        id = addFunction("dt_progenyof", [&](Function &f) { emitProgenyof(f); });
        break;
    case SubprogramKind::NulToSpace:
        id = addFunction("dt_nul_to_space", [&](Function &f) { emitNulToSpace(f); });
        break;
    case SubprogramKind::Chill:
        id = addFunction("dt_chill", [&](Function &f) { emitChill(f); });
        break;
    case SubprogramKind::DPath:
        id = addFunction("dt_d_path", [&](Function &f) { emitDPath(f); });
        break;
    case SubprogramKind::Cleanpath:
        id = addFunction("dt_cleanpath", [&](Function &f) { emitCleanpath(f); });
        break;
    case SubprogramKind::FormatInet4:
        id = addFunction("dt_ntop_inet4",
                         [&](Function &f) { emitAddressFormat(f, AddressFormat::Inet4); });
        break;
    case SubprogramKind::FormatInet6:
        id = addFunction("dt_ntop_inet6",
                         [&](Function &f) { emitAddressFormat(f, AddressFormat::Inet6); });
        break;
    case SubprogramKind::FormatInet6Strict:
        id = addFunction("dt_ntop_inet6s",
                         [&](Function &f) { emitAddressFormat(f, AddressFormat::Inet6Strict); });
        break;
    case SubprogramKind::FormatLinkEther:
        id = addFunction("dt_ntop_ether",
                         [&](Function &f) { emitAddressFormat(f, AddressFormat::LinkEther); });
        break;
    case SubprogramKind::FormatLinkInfiniband:
        id = addFunction("dt_ntop_ib",
                         [&](Function &f) { emitAddressFormat(f, AddressFormat::LinkInfiniband); });
        break;
    }
    subprograms_[k] = id;
    return id;
}

// dt_strcmp(a, b): <0, 0 or >0 as the strings compare. It walks both
// strings a 64-bit word at a time with one branch per word (a word that
// differs or holds a NUL ends the walk).
void ProgramBuilder::emitStrcmp(bpf::Function &f) {
    makeGlobal(f, {ParamKind::String, ParamKind::String}, 0);
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    Label loop = f.newLabel(), stop = f.newLabel(), equal = f.newLabel(), bytes = f.newLabel();
    // r1 = a, r2 = b, r3 = offset; r4/r5 = the words; r0 = "stop" bits.
    f.emit(movImm(R3, 0));
    f.bind(loop);
    f.jumpImm(BPF_JGT, R3, static_cast<int32_t>(g.layout.strslot - 8), equal);
    f.emit(movReg(R4, R1));
    f.emit(alu64Reg(BPF_ADD, R4, R3));
    f.emit(load(Size::DW, R4, R4, 0));
    f.emit(movReg(R5, R2));
    f.emit(alu64Reg(BPF_ADD, R5, R3));
    f.emit(load(Size::DW, R5, R5, 0));
    // stop = (a ^ b) | haszero(a)
    f.emit(movReg(R0, R4));
    f.ldImm64(R6, ones);
    f.emit(alu64Reg(BPF_SUB, R0, R6));
    f.emit(movReg(R6, R4));
    f.emit(alu64Imm(BPF_XOR, R6, -1));
    f.emit(alu64Reg(BPF_AND, R0, R6));
    f.ldImm64(R6, highs);
    f.emit(alu64Reg(BPF_AND, R0, R6));
    f.emit(movReg(R6, R4));
    f.emit(alu64Reg(BPF_XOR, R6, R5));
    f.emit(alu64Reg(BPF_OR, R0, R6));
    f.jumpImm(BPF_JNE, R0, 0, stop);
    f.emit(alu64Imm(BPF_ADD, R3, 8));
    f.jump(loop);
    // The first byte that differs or ends a: compare the bytes there.
    f.bind(stop);
    f.emit(movImm(R3, 0));
    f.bind(bytes);
    f.emit(movReg(R1, R4));
    f.emit(alu64Reg(BPF_RSH, R1, R3));
    f.emit(alu64Imm(BPF_AND, R1, 0xff));
    f.emit(movReg(R2, R5));
    f.emit(alu64Reg(BPF_RSH, R2, R3));
    f.emit(alu64Imm(BPF_AND, R2, 0xff));
    Label differ = f.newLabel();
    f.jumpReg(BPF_JNE, R1, R2, differ);
    f.jumpImm(BPF_JEQ, R1, 0, equal);
    f.emit(alu64Imm(BPF_ADD, R3, 8));
    f.jumpImm(BPF_JLT, R3, 64, bytes);
    f.jump(equal);
    f.bind(differ);
    f.emit(movReg(R0, R1));
    f.emit(alu64Reg(BPF_SUB, R0, R2));
    f.emit(exitInsn());
    f.bind(equal);
    returnImm(f, 0);
}

// dt_strlen(s): the length of s (at most strsize), a word at a time.
void ProgramBuilder::emitStrlen(bpf::Function &f) {
    const uint32_t L = g.layout.strslot, S = g.strsize;
    makeGlobal(f, {ParamKind::String}, 0);
    FunctionId cb = addFunction("dt_strlen_cb", [&](Function &c) {
        const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
        Label storeResult = c.newLabel(), clamp = c.newLabel();
        c.emit(movReg(R6, R2));
        c.jumpImm(BPF_JGE, R1, static_cast<int32_t>(L / 8), clamp);
        c.emit(movReg(R3, R1));
        c.emit(alu64Imm(BPF_LSH, R3, 3));
        c.emit(load(Size::DW, R4, R6, 0));
        c.emit(alu64Reg(BPF_ADD, R4, R3));
        c.emit(load(Size::DW, R4, R4, 0));
        c.emit(movReg(R5, R4));
        c.ldImm64(R0, ones);
        c.emit(alu64Reg(BPF_SUB, R5, R0));
        c.emit(movReg(R0, R4));
        c.emit(alu64Imm(BPF_XOR, R0, -1));
        c.emit(alu64Reg(BPF_AND, R5, R0));
        c.ldImm64(R0, highs);
        c.emit(alu64Reg(BPF_AND, R5, R0));
        Label more = c.newLabel();
        c.jumpImm(BPF_JNE, R5, 0, more);
        returnImm(c, 0);
        c.bind(more);
        for (int k = 0; k < 8; ++k) {
            Label next = c.newLabel();
            c.emit(movReg(R0, R4));
            if (k) c.emit(alu64Imm(BPF_RSH, R0, 8 * k));
            c.emit(alu64Imm(BPF_AND, R0, 0xff));
            c.jumpImm(BPF_JNE, R0, 0, next);
            c.emit(movReg(R0, R3));
            if (k) c.emit(alu64Imm(BPF_ADD, R0, k));
            c.jump(storeResult);
            c.bind(next);
        }
        c.bind(clamp);
        c.emit(movImm(R0, static_cast<int32_t>(S)));
        c.bind(storeResult);
        Label ok = c.newLabel();
        c.jumpImm(BPF_JLE, R0, static_cast<int32_t>(S), ok);
        c.emit(movImm(R0, static_cast<int32_t>(S)));
        c.bind(ok);
        c.emit(store(Size::DW, R6, 8, R0));
        returnImm(c, 1);
    });
    f.emit(store(Size::DW, FP, -16, R1));
    f.emit(storeImm(Size::DW, FP, -8, static_cast<int32_t>(S)));
    emitLoop(f, cb, static_cast<int32_t>(L / 8), -16);
    f.emit(load(Size::DW, R0, FP, -8));
    f.emit(exitInsn());
}

// dt_strchr(s, c) / dt_strrchr(s, c): the index of the first (last)
// occurrence of the character c in s, or -1.
void ProgramBuilder::emitStrchr(bpf::Function &f, bool last) {
    const uint32_t S = g.strsize;
    makeGlobal(f, {ParamKind::String, ParamKind::Scalar}, -1);
    FunctionId cb = addFunction(last ? "dt_strrchr_cb" : "dt_strchr_cb", [&](Function &c) {
        Label nomatch = c.newLabel(), stop = c.newLabel();
        c.emit(movReg(R6, R2));
        c.jumpImm(BPF_JGT, R1, static_cast<int32_t>(S), stop);
        c.emit(load(Size::DW, R3, R6, 0));
        c.emit(alu64Reg(BPF_ADD, R3, R1));
        c.emit(load(Size::B, R3, R3, 0));
        c.emit(load(Size::DW, R4, R6, 8));
        c.jumpReg(BPF_JNE, R3, R4, nomatch);
        c.emit(store(Size::DW, R6, 16, R1));
        if (!last) c.jump(stop);
        c.bind(nomatch);
        c.jumpImm(BPF_JEQ, R3, 0, stop);
        returnImm(c, 0);
        c.bind(stop);
        returnImm(c, 1);
    });
    f.emit(store(Size::DW, FP, -24, R1));
    f.emit(alu64Imm(BPF_AND, R2, 0xff));
    f.emit(store(Size::DW, FP, -16, R2));
    f.emit(storeImm(Size::DW, FP, -8, -1));
    emitLoop(f, cb, static_cast<int32_t>(S + 1), -24);
    f.emit(load(Size::DW, R0, FP, -8));
    f.emit(exitInsn());
}

// dt_index(s, sub, start) and dt_rindex(s, sub, start): the first
// occurrence of sub at or after start (the last at or before it), or -1.
// A negative start means "from the beginning" (rindex: "from the end").
// One bpf_loop walks the candidates, each checked by dt_match_at (a
// bpf_loop of its own): at most strsize + 1 steps a loop, whatever strsize
// is.
void ProgramBuilder::emitIndex(bpf::Function &f, bool reverse) {
    const uint32_t S = g.strsize;
    makeGlobal(f, {ParamKind::String, ParamKind::String, ParamKind::Scalar}, -1);
    FunctionId strlen = subprogram(SubprogramKind::Strlen);
    // dt_match_at(s, sub, i): 1 if sub occurs in s at i, else 0.
    FunctionId matchCb = addFunction("dt_match_at_cb", [&](Function &c) {
        // r1 = j; ctx: 0 s, 8 sub, 16 i, 24 result
        Label stop = c.newLabel(), differ = c.newLabel();
        c.emit(movReg(R6, R2));
        c.jumpImm(BPF_JGT, R1, static_cast<int32_t>(S), stop);
        c.emit(load(Size::DW, R2, R6, 8));
        c.emit(alu64Reg(BPF_ADD, R2, R1));
        c.emit(load(Size::B, R2, R2, 0)); // sub[j]
        Label more = c.newLabel();
        c.jumpImm(BPF_JNE, R2, 0, more);
        c.emit(storeImm(Size::DW, R6, 24, 1)); // all of sub matched
        c.jump(stop);
        c.bind(more);
        c.emit(load(Size::DW, R3, R6, 16));
        c.emit(alu64Reg(BPF_ADD, R3, R1));
        c.jumpImm(BPF_JGT, R3, static_cast<int32_t>(S), differ);
        c.emit(load(Size::DW, R4, R6, 0));
        c.emit(alu64Reg(BPF_ADD, R4, R3));
        c.emit(load(Size::B, R4, R4, 0)); // s[i + j]
        c.jumpReg(BPF_JNE, R4, R2, differ);
        returnImm(c, 0);
        c.bind(differ);
        c.bind(stop);
        returnImm(c, 1);
    });
    FunctionId matchAt = addFunction("dt_match_at", [&](Function &m) {
        makeGlobal(m, {ParamKind::String, ParamKind::String, ParamKind::Scalar}, 0);
        m.emit(store(Size::DW, FP, -32, R1));
        m.emit(store(Size::DW, FP, -24, R2));
        m.emit(store(Size::DW, FP, -16, R3));
        m.emit(storeImm(Size::DW, FP, -8, 0));
        emitLoop(m, matchCb, static_cast<int32_t>(S + 1), -32);
        m.emit(load(Size::DW, R0, FP, -8));
        m.emit(exitInsn());
    });
    // The candidates: r1 = k; ctx: fp-48 s, -40 sub, -32 start, -24
    // result, -16 the last candidate.
    FunctionId cb = addFunction(reverse ? "dt_rindex_cb" : "dt_index_cb", [&](Function &c) {
        Label stop = c.newLabel();
        c.emit(movReg(R6, R2));
        c.emit(load(Size::DW, R3, R6, 16)); // start
        if (reverse) {
            c.emit(alu64Reg(BPF_SUB, R3, R1));
            c.jumpImm(BPF_JSLT, R3, 0, stop);
        } else {
            c.emit(alu64Reg(BPF_ADD, R3, R1));
            c.emit(load(Size::DW, R4, R6, 32));
            c.jumpReg(BPF_JSGT, R3, R4, stop);
        }
        c.jumpImm(BPF_JGT, R3, static_cast<int32_t>(S), stop);
        c.emit(movReg(R7, R3));
        c.emit(load(Size::DW, R1, R6, 0));
        c.emit(load(Size::DW, R2, R6, 8));
        c.call(matchAt);
        Label next = c.newLabel();
        c.jumpImm(BPF_JEQ, R0, 0, next);
        c.emit(store(Size::DW, R6, 24, R7));
        c.jump(stop);
        c.bind(next);
        returnImm(c, 0);
        c.bind(stop);
        returnImm(c, 1);
    });
    Label done = f.newLabel(), haveStart = f.newLabel();
    f.emit(store(Size::DW, FP, -48, R1));
    f.emit(store(Size::DW, FP, -40, R2));
    f.emit(store(Size::DW, FP, -32, R3));
    f.emit(storeImm(Size::DW, FP, -24, -1));
    f.call(strlen); // strlen(s)
    f.emit(store(Size::DW, FP, -16, R0));
    if (reverse) {
        f.emit(load(Size::DW, R1, FP, -40));
        f.call(strlen); // strlen(sub)
        f.emit(load(Size::DW, R1, FP, -16));
        f.emit(alu64Reg(BPF_SUB, R1, R0)); // the last position sub fits
        f.jumpImm(BPF_JSLT, R1, 0, done);
        f.emit(load(Size::DW, R2, FP, -32));
        f.jumpImm(BPF_JSLT, R2, 0, haveStart);
        f.jumpReg(BPF_JSGT, R2, R1, haveStart);
        f.emit(movReg(R1, R2));
        f.bind(haveStart);
        f.emit(store(Size::DW, FP, -32, R1));
    } else {
        f.emit(load(Size::DW, R2, FP, -32));
        f.jumpImm(BPF_JSGE, R2, 0, haveStart);
        f.emit(storeImm(Size::DW, FP, -32, 0));
        f.bind(haveStart);
    }
    emitLoop(f, cb, static_cast<int32_t>(S + 2), -48);
    f.bind(done);
    f.emit(load(Size::DW, R0, FP, -24));
    f.emit(exitInsn());
}

// dt_strtok(dctx, s, delim): the next token, as an offset into the
// tokenizer's buffer in the per-CPU context; -1 for none (NULL), -2 if
// s is NULL and no string was given before.
void ProgramBuilder::emitStrtok(bpf::Function &f) {
    const uint32_t S = g.strsize, L = g.layout.strslot;
    const int32_t tok = static_cast<int32_t>(g.layout.strtok);
    const int16_t pos = static_cast<int16_t>(g.layout.strtokState);
    const int16_t valid = static_cast<int16_t>(pos + 8);
    const int32_t bitmap = valid + 8;
    // ctx: fp-32 dctx, -24 delim, -16 result, -8 first index
    auto bitOf = [&](Function &c, Reg ch, Reg dctxReg, Reg out) {
        // out = the delimiter bit of character ch
        c.emit(movReg(out, ch));
        c.emit(alu64Imm(BPF_RSH, out, 3));
        c.emit(alu64Reg(BPF_ADD, out, dctxReg));
        c.emit(load(Size::B, out, out, static_cast<int16_t>(bitmap)));
        c.emit(movReg(R5, ch));
        c.emit(alu64Imm(BPF_AND, R5, 7));
        c.emit(alu64Reg(BPF_RSH, out, R5));
        c.emit(alu64Imm(BPF_AND, out, 1));
    };
    FunctionId bits = addFunction("dt_strtok_delims", [&](Function &c) {
        Label stop = c.newLabel();
        c.emit(movReg(R6, R2));
        c.jumpImm(BPF_JGT, R1, static_cast<int32_t>(S), stop);
        c.emit(load(Size::DW, R3, R6, 8));
        c.emit(alu64Reg(BPF_ADD, R3, R1));
        c.emit(load(Size::B, R3, R3, 0));
        c.jumpImm(BPF_JEQ, R3, 0, stop);
        c.emit(load(Size::DW, R7, R6, 0)); // dctx
        c.emit(movReg(R4, R3));
        c.emit(alu64Imm(BPF_RSH, R4, 3));
        c.emit(alu64Reg(BPF_ADD, R4, R7));
        c.emit(load(Size::B, R0, R4, static_cast<int16_t>(bitmap)));
        c.emit(alu64Imm(BPF_AND, R3, 7));
        c.emit(movImm(R5, 1));
        c.emit(alu64Reg(BPF_LSH, R5, R3));
        c.emit(alu64Reg(BPF_OR, R0, R5));
        c.emit(store(Size::B, R4, static_cast<int16_t>(bitmap), R0));
        returnImm(c, 0);
        c.bind(stop);
        returnImm(c, 1);
    });
    // Scans from the first index: skip (the first non-delimiter) or scan
    // (the first delimiter); either stops at the NUL.
    auto scanner = [&](const char *name, bool wantDelim) {
        return addFunction(name, [&](Function &c) {
            Label stop = c.newLabel(), found = c.newLabel();
            c.emit(movReg(R6, R2));
            c.emit(load(Size::DW, R3, R6, 24));
            c.emit(alu64Reg(BPF_ADD, R3, R1));
            c.jumpImm(BPF_JGT, R3, static_cast<int32_t>(S), stop);
            c.emit(load(Size::DW, R7, R6, 0));
            c.emit(movReg(R4, R7));
            c.emit(alu64Reg(BPF_ADD, R4, R3));
            c.emit(load(Size::B, R4, R4, static_cast<int16_t>(tok)));
            c.jumpImm(BPF_JEQ, R4, 0, found);
            c.emit(movReg(R8, R3));
            bitOf(c, R4, R7, R0);
            c.emit(movReg(R3, R8));
            c.jumpImm(wantDelim ? BPF_JNE : BPF_JEQ, R0, 0, found);
            returnImm(c, 0);
            c.bind(found);
            c.emit(store(Size::DW, R6, 16, R3));
            c.bind(stop);
            returnImm(c, 1);
        });
    };
    FunctionId skip = scanner("dt_strtok_skip", false);
    FunctionId scan = scanner("dt_strtok_scan", true);

    makeGlobal(f, {ParamKind::Context, ParamKind::String, ParamKind::String}, -1, {1});
    Label saved = f.newLabel(), go = f.newLabel(), none = f.newLabel(), atNul = f.newLabel(),
          setPos = f.newLabel(), restore = f.newLabel();
    f.emit(movReg(R6, R1));
    f.emit(store(Size::DW, FP, -32, R1));
    f.emit(store(Size::DW, FP, -24, R3));
    f.jumpImm(BPF_JEQ, R2, 0, saved);
    f.emit(movReg(R3, R2));
    f.emit(movReg(R1, R6));
    f.emit(alu64Imm(BPF_ADD, R1, tok));
    f.emit(movImm(R2, static_cast<int32_t>(L)));
    f.callHelper(BPF_FUNC_probe_read_kernel_str);
    f.emit(storeImm(Size::DW, R6, pos, 0));
    f.emit(storeImm(Size::DW, R6, valid, 1));
    f.jump(go);
    f.bind(saved);
    f.emit(load(Size::DW, R0, R6, valid));
    f.jumpImm(BPF_JNE, R0, 0, restore);
    returnImm(f, -2);
    // The previous token ended at a delimiter that was replaced by NUL:
    // put it back, as the next token starts there (DTrace skips only the
    // delimiters of the new call).
    f.bind(restore);
    f.emit(load(Size::DW, R1, R6, pos));
    f.jumpImm(BPF_JGT, R1, static_cast<int32_t>(S), go);
    f.emit(load(Size::B, R2, R6, static_cast<int16_t>(valid + 4)));
    f.emit(alu64Reg(BPF_ADD, R1, R6));
    f.emit(store(Size::B, R1, static_cast<int16_t>(tok), R2));
    f.bind(go);
    for (int i = 0; i < 4; ++i)
        f.emit(storeImm(Size::DW, R6, static_cast<int16_t>(bitmap + 8 * i), 0));
    emitLoop(f, bits, static_cast<int32_t>(S + 1), -32);
    f.emit(load(Size::DW, R6, FP, -32));
    f.emit(load(Size::DW, R1, R6, pos));
    f.emit(store(Size::DW, FP, -8, R1));
    f.emit(storeImm(Size::DW, FP, -16, static_cast<int32_t>(S)));
    emitLoop(f, skip, static_cast<int32_t>(S + 1), -32);
    f.emit(load(Size::DW, R6, FP, -32));
    f.emit(load(Size::DW, R7, FP, -16)); // start
    f.jumpImm(BPF_JGT, R7, static_cast<int32_t>(S), none);
    f.emit(movReg(R1, R6));
    f.emit(alu64Reg(BPF_ADD, R1, R7));
    f.emit(load(Size::B, R1, R1, static_cast<int16_t>(tok)));
    f.jumpImm(BPF_JEQ, R1, 0, none);
    f.emit(store(Size::DW, FP, -8, R7));
    f.emit(storeImm(Size::DW, FP, -16, static_cast<int32_t>(S)));
    emitLoop(f, scan, static_cast<int32_t>(S + 1), -32);
    f.emit(load(Size::DW, R6, FP, -32));
    f.emit(load(Size::DW, R8, FP, -16)); // end
    f.jumpImm(BPF_JGT, R8, static_cast<int32_t>(S), atNul);
    f.emit(movReg(R1, R6));
    f.emit(alu64Reg(BPF_ADD, R1, R8));
    f.emit(load(Size::B, R2, R1, static_cast<int16_t>(tok)));
    f.jumpImm(BPF_JEQ, R2, 0, atNul);
    f.emit(storeImm(Size::B, R1, static_cast<int16_t>(tok), 0));
    f.emit(store(Size::B, R6, static_cast<int16_t>(valid + 4), R2)); // the delimiter, for next time
    f.jump(setPos);
    f.bind(atNul);
    f.emit(storeImm(Size::B, R6, static_cast<int16_t>(valid + 4), 0));
    f.bind(setPos);
    f.emit(store(Size::DW, R6, pos, R8));
    f.emit(movReg(R0, R7));
    f.emit(exitInsn());
    f.bind(none);
    f.emit(load(Size::DW, R6, FP, -32));
    f.emit(load(Size::DW, R7, FP, -16));
    f.emit(store(Size::DW, R6, pos, R7));
    returnImm(f, -1);
}

// dt_toupper(dst, src) / dt_tolower(dst, src).
void ProgramBuilder::emitCase(bpf::Function &f, bool upper) {
    const uint32_t S = g.strsize;
    makeGlobal(f, {ParamKind::String, ParamKind::String}, 0);
    FunctionId cb = addFunction(upper ? "dt_toupper_cb" : "dt_tolower_cb", [&](Function &c) {
        Label stop = c.newLabel(), keep = c.newLabel();
        c.emit(movReg(R6, R2));
        c.jumpImm(BPF_JGT, R1, static_cast<int32_t>(S), stop);
        c.emit(load(Size::DW, R3, R6, 8));
        c.emit(alu64Reg(BPF_ADD, R3, R1));
        c.emit(load(Size::B, R3, R3, 0));
        c.jumpImm(BPF_JLT, R3, upper ? 'a' : 'A', keep);
        c.jumpImm(BPF_JGT, R3, upper ? 'z' : 'Z', keep);
        c.emit(alu64Imm(upper ? BPF_SUB : BPF_ADD, R3, 32));
        c.bind(keep);
        c.emit(load(Size::DW, R4, R6, 0));
        c.emit(alu64Reg(BPF_ADD, R4, R1));
        c.emit(store(Size::B, R4, 0, R3));
        c.jumpImm(BPF_JEQ, R3, 0, stop);
        returnImm(c, 0);
        c.bind(stop);
        returnImm(c, 1);
    });
    f.emit(store(Size::DW, FP, -16, R1));
    f.emit(store(Size::DW, FP, -8, R2));
    f.emit(storeImm(Size::B, R1, static_cast<int16_t>(S), 0));
    emitLoop(f, cb, static_cast<int32_t>(S + 1), -16);
    returnImm(f, 0);
}

// dt_nul_to_space(dst, n): the first n bytes of dst with each NUL a space
// (a process's arguments, as its command line shows them).
void ProgramBuilder::emitNulToSpace(bpf::Function &f) {
    const uint32_t S = g.strsize;
    makeGlobal(f, {ParamKind::String, ParamKind::Scalar}, 0);
    // ctx: fp-16 dst, fp-8 n
    FunctionId cb = addFunction("dt_nul_to_space_cb", [&](Function &c) {
        Label stop = c.newLabel(), keep = c.newLabel();
        c.emit(load(Size::DW, R3, R2, 8));
        c.jumpReg(BPF_JGE, R1, R3, stop);
        c.jumpImm(BPF_JGE, R1, static_cast<int32_t>(S), stop);
        c.emit(load(Size::DW, R4, R2, 0));
        c.emit(alu64Reg(BPF_ADD, R4, R1));
        c.emit(load(Size::B, R3, R4, 0));
        c.jumpImm(BPF_JNE, R3, 0, keep);
        c.emit(storeImm(Size::B, R4, 0, ' '));
        c.bind(keep);
        returnImm(c, 0);
        c.bind(stop);
        returnImm(c, 1);
    });
    f.emit(store(Size::DW, FP, -16, R1));
    f.emit(store(Size::DW, FP, -8, R2));
    emitLoop(f, cb, static_cast<int32_t>(S), -16);
    returnImm(f, 0);
}

// dt_lltostr(dst, value, base, dctx): value in base (2..36); negative
// values print with a sign in base 10.
void ProgramBuilder::emitLltostr(bpf::Function &f) {
    makeGlobal(f, {ParamKind::String, ParamKind::Scalar, ParamKind::Scalar, ParamKind::Context}, 0);
    const int16_t buf = static_cast<int16_t>(g.layout.numbuf);
    // The digits go into the context's number buffer, right to left; the
    // position, value and base live after them (map memory the verifier
    // does not track, so the loop body is verified once, not per digit).
    const int16_t position = static_cast<int16_t>(buf + 72), value = static_cast<int16_t>(buf + 80),
                  radix = static_cast<int16_t>(buf + 88);
    // ctx: fp-40 dctx, -8 dst
    FunctionId cb = addFunction("dt_lltostr_cb", [&](Function &c) {
        Label stop = c.newLabel(), letter = c.newLabel(), put = c.newLabel();
        c.emit(load(Size::DW, R6, R2, 0)); // dctx
        c.emit(load(Size::DW, R7, R6, position));
        c.jumpImm(BPF_JSLT, R7, 1, stop);
        c.jumpImm(BPF_JGT, R7, 70, stop);
        c.emit(load(Size::DW, R3, R6, value));
        c.emit(load(Size::DW, R4, R6, radix));
        c.jumpImm(BPF_JEQ, R4, 0, stop);
        c.emit(movReg(R5, R3));
        c.emit(alu64Reg(BPF_MOD, R5, R4));
        c.jumpImm(BPF_JGE, R5, 10, letter);
        c.emit(alu64Imm(BPF_ADD, R5, '0'));
        c.jump(put);
        c.bind(letter);
        c.emit(alu64Imm(BPF_ADD, R5, 'a' - 10));
        c.bind(put);
        c.emit(movReg(R0, R6));
        c.emit(alu64Reg(BPF_ADD, R0, R7));
        c.emit(store(Size::B, R0, buf, R5));
        c.emit(alu64Imm(BPF_SUB, R7, 1));
        c.emit(store(Size::DW, R6, position, R7));
        c.emit(alu64Reg(BPF_DIV, R3, R4));
        c.emit(store(Size::DW, R6, value, R3));
        c.jumpImm(BPF_JEQ, R3, 0, stop);
        returnImm(c, 0);
        c.bind(stop);
        returnImm(c, 1);
    });
    Label positive = f.newLabel(), noSign = f.newLabel(), ok = f.newLabel();
    f.emit(store(Size::DW, FP, -40, R4));
    f.emit(store(Size::DW, FP, -8, R1));
    f.emit(store(Size::DW, R4, radix, R3));
    f.emit(movImm(R5, 0)); // negative?
    f.jumpImm(BPF_JNE, R3, 10, positive);
    f.jumpImm(BPF_JSGE, R2, 0, positive);
    f.emit(bpf::neg(R2));
    f.emit(movImm(R5, 1));
    f.bind(positive);
    f.emit(store(Size::DW, R4, value, R2));
    f.emit(storeImm(Size::DW, R4, position, 70));
    f.emit(storeImm(Size::B, R4, static_cast<int16_t>(buf + 71), 0));
    f.emit(movReg(R6, R5));
    emitLoop(f, cb, 70, -40);
    f.emit(load(Size::DW, R8, FP, -40)); // dctx
    f.emit(load(Size::DW, R7, R8, position));
    f.jumpImm(BPF_JEQ, R6, 0, noSign);
    f.jumpImm(BPF_JSLT, R7, 0, noSign);
    f.jumpImm(BPF_JGT, R7, 70, noSign);
    f.emit(movReg(R1, R8));
    f.emit(alu64Reg(BPF_ADD, R1, R7));
    f.emit(storeImm(Size::B, R1, buf, '-'));
    f.emit(alu64Imm(BPF_SUB, R7, 1));
    f.bind(noSign);
    // Copy buf[position + 1 .. 71] (with its NUL) to dst.
    f.jumpImm(BPF_JSGE, R7, 0, ok);
    f.emit(movImm(R7, 0));
    f.bind(ok);
    f.emit(alu64Imm(BPF_AND, R7, 0x7f));
    Label inRange = f.newLabel();
    f.jumpImm(BPF_JLE, R7, 70, inRange);
    f.emit(movImm(R7, 70));
    f.bind(inRange);
    f.emit(movReg(R3, R8));
    f.emit(alu64Imm(BPF_ADD, R3, buf + 1));
    f.emit(alu64Reg(BPF_ADD, R3, R7));
    f.emit(movImm(R2, 71));
    f.emit(alu64Reg(BPF_SUB, R2, R7));
    if (g.strsize + 1 < 71) {
        Label fits = f.newLabel();
        f.jumpImm(BPF_JLE, R2, static_cast<int32_t>(g.strsize + 1), fits); // truncated at strsize
        f.emit(movImm(R2, static_cast<int32_t>(g.strsize + 1)));
        f.bind(fits);
    }
    f.emit(load(Size::DW, R1, FP, -8));
    f.callHelper(BPF_FUNC_probe_read_kernel_str);
    returnImm(f, 0);
}

// dt_basename(dst, src) and dt_dirname(dst, src), as in libgen.
void ProgramBuilder::emitPathPart(bpf::Function &f, bool base) {
    const uint32_t S = g.strsize;
    makeGlobal(f, {ParamKind::String, ParamKind::String}, 0);
    FunctionId strlen = subprogram(SubprogramKind::Strlen);
    // ctx: fp-24 src, -16 end, -8 start
    // Trailing slashes: end decreases while src[end-1] == '/' and end > 1.
    FunctionId trailing =
        addFunction(base ? "dt_basename_trail" : "dt_dirname_trail", [&](Function &c) {
            Label stop = c.newLabel();
            c.emit(movReg(R6, R2));
            c.emit(load(Size::DW, R3, R6, 8));
            c.jumpImm(BPF_JLE, R3, 1, stop);
            c.jumpImm(BPF_JGT, R3, static_cast<int32_t>(S + 1), stop);
            c.emit(load(Size::DW, R4, R6, 0));
            c.emit(alu64Reg(BPF_ADD, R4, R3));
            c.emit(load(Size::B, R4, R4, -1));
            c.jumpImm(BPF_JNE, R4, '/', stop);
            c.emit(alu64Imm(BPF_SUB, R3, 1));
            c.emit(store(Size::DW, R6, 8, R3));
            returnImm(c, 0);
            c.bind(stop);
            returnImm(c, 1);
        });
    // The last component: start decreases while src[start-1] != '/'.
    FunctionId component =
        addFunction(base ? "dt_basename_comp" : "dt_dirname_comp", [&](Function &c) {
            Label stop = c.newLabel();
            c.emit(movReg(R6, R2));
            c.emit(load(Size::DW, R3, R6, 16));
            c.jumpImm(BPF_JEQ, R3, 0, stop);
            c.jumpImm(BPF_JGT, R3, static_cast<int32_t>(S + 1), stop);
            c.emit(load(Size::DW, R4, R6, 0));
            c.emit(alu64Reg(BPF_ADD, R4, R3));
            c.emit(load(Size::B, R4, R4, -1));
            c.jumpImm(BPF_JEQ, R4, '/', stop);
            c.emit(alu64Imm(BPF_SUB, R3, 1));
            c.emit(store(Size::DW, R6, 16, R3));
            returnImm(c, 0);
            c.bind(stop);
            returnImm(c, 1);
        });
    Label dot = f.newLabel(), slash = f.newLabel(), copy = f.newLabel();
    f.emit(movReg(R8, R1)); // dst
    f.emit(store(Size::DW, FP, -24, R2));
    f.emit(movReg(R1, R2));
    f.call(strlen);
    f.jumpImm(BPF_JEQ, R0, 0, dot);
    f.emit(store(Size::DW, FP, -16, R0));
    emitLoop(f, trailing, static_cast<int32_t>(S + 1), -24);
    f.emit(load(Size::DW, R7, FP, -16)); // end
    if (base) {
        Label notRoot = f.newLabel();
        f.jumpImm(BPF_JNE, R7, 1, notRoot);
        f.emit(load(Size::DW, R1, FP, -24));
        f.emit(load(Size::B, R1, R1, 0));
        f.jumpImm(BPF_JEQ, R1, '/', slash);
        f.bind(notRoot);
    }
    f.emit(store(Size::DW, FP, -8, R7));
    emitLoop(f, component, static_cast<int32_t>(S + 1), -24);
    f.emit(load(Size::DW, R6, FP, -8)); // start
    if (!base) {
        // dirname: what precedes the last component, without its slashes.
        f.jumpImm(BPF_JEQ, R6, 0, dot);
        f.emit(store(Size::DW, FP, -16, R6));
        emitLoop(f, trailing, static_cast<int32_t>(S + 1), -24);
        f.emit(load(Size::DW, R7, FP, -16));
        f.emit(movImm(R6, 0));
    }
    f.bind(copy);
    // copy src[start .. end) to dst
    f.jumpImm(BPF_JGT, R6, static_cast<int32_t>(S), dot);
    f.jumpImm(BPF_JGT, R7, static_cast<int32_t>(S), dot);
    f.jumpReg(BPF_JGT, R6, R7, dot);
    f.emit(movReg(R2, R7));
    f.emit(alu64Reg(BPF_SUB, R2, R6));
    f.emit(alu64Imm(BPF_ADD, R2, 1));
    f.jumpImm(BPF_JSLT, R2, 1, dot);
    f.jumpImm(BPF_JGT, R2, static_cast<int32_t>(S + 1), dot);
    f.emit(load(Size::DW, R3, FP, -24));
    f.emit(alu64Reg(BPF_ADD, R3, R6));
    f.emit(movReg(R1, R8));
    f.callHelper(BPF_FUNC_probe_read_kernel_str);
    returnImm(f, 0);
    f.bind(dot);
    emitConstantString(f, R8, '.');
    returnImm(f, 0);
    if (base) {
        f.bind(slash);
        emitConstantString(f, R8, '/');
        returnImm(f, 0);
    }
}

// dt_substr(dst, s, index, count, hasCount): DTrace's substr(). A
// negative index counts from the end; a negative count leaves that many
// characters off the end; the range is clipped to the string.
void ProgramBuilder::emitSubstr(bpf::Function &f) {
    const uint32_t S = g.strsize;
    makeGlobal(f,
               {ParamKind::String, ParamKind::String, ParamKind::Scalar, ParamKind::Scalar,
                ParamKind::Scalar},
               0);
    FunctionId strlen = subprogram(SubprogramKind::Strlen);
    Label startOk = f.newLabel(), endSet = f.newLabel(), empty = f.newLabel(),
          clipStart = f.newLabel(), clipEnd = f.newLabel();
    f.emit(movReg(R6, R1)); // dst
    f.emit(movReg(R7, R2)); // s
    f.emit(store(Size::DW, FP, -8, R3));
    f.emit(store(Size::DW, FP, -16, R4));
    f.emit(store(Size::DW, FP, -24, R5));
    f.emit(movReg(R1, R2));
    f.call(strlen);
    f.emit(movReg(R8, R0));             // slen
    f.emit(load(Size::DW, R1, FP, -8)); // start
    f.jumpImm(BPF_JSGE, R1, 0, startOk);
    f.emit(alu64Reg(BPF_ADD, R1, R8));
    f.bind(startOk);
    f.emit(load(Size::DW, R2, FP, -16)); // count
    f.emit(load(Size::DW, R3, FP, -24)); // hasCount
    Label hasCount = f.newLabel(), positive = f.newLabel();
    f.jumpImm(BPF_JNE, R3, 0, hasCount);
    f.emit(movReg(R4, R8)); // end = slen
    f.jump(endSet);
    f.bind(hasCount);
    f.jumpImm(BPF_JSGE, R2, 0, positive);
    f.emit(movReg(R4, R8));
    f.emit(alu64Reg(BPF_ADD, R4, R2)); // end = slen + count
    f.jump(endSet);
    f.bind(positive);
    f.emit(movReg(R4, R1));
    f.emit(alu64Reg(BPF_ADD, R4, R2)); // end = start + count
    f.bind(endSet);
    f.jumpImm(BPF_JSGE, R1, 0, clipStart);
    f.emit(movImm(R1, 0));
    f.bind(clipStart);
    f.jumpReg(BPF_JSLE, R4, R8, clipEnd);
    f.emit(movReg(R4, R8));
    f.bind(clipEnd);
    f.jumpReg(BPF_JSGE, R1, R4, empty);
    f.jumpImm(BPF_JGT, R1, static_cast<int32_t>(S), empty);
    f.jumpImm(BPF_JGT, R4, static_cast<int32_t>(S), empty);
    f.emit(movReg(R2, R4));
    f.emit(alu64Reg(BPF_SUB, R2, R1));
    f.emit(alu64Imm(BPF_ADD, R2, 1));
    // The verifier cannot relate two registers: bound the size itself.
    f.jumpImm(BPF_JSLT, R2, 1, empty);
    f.jumpImm(BPF_JGT, R2, static_cast<int32_t>(S + 1), empty);
    f.emit(movReg(R3, R7));
    f.emit(alu64Reg(BPF_ADD, R3, R1));
    f.emit(movReg(R1, R6));
    f.callHelper(BPF_FUNC_probe_read_kernel_str);
    returnImm(f, 0);
    f.bind(empty);
    f.emit(storeImm(Size::B, R6, 0, 0));
    returnImm(f, 0);
}

} // namespace dtrace::codegen
