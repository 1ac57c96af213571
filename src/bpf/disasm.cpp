#include "bpf/disasm.h"

#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <map>

namespace dtrace::bpf {

namespace {

const char *aluName(uint8_t op) {
    switch (op) {
    case BPF_ADD: return "+=";
    case BPF_SUB: return "-=";
    case BPF_MUL: return "*=";
    case BPF_DIV: return "/=";
    case BPF_OR: return "|=";
    case BPF_AND: return "&=";
    case BPF_LSH: return "<<=";
    case BPF_RSH: return ">>=";
    case BPF_MOD: return "%=";
    case BPF_XOR: return "^=";
    case BPF_MOV: return "=";
    case BPF_ARSH: return "s>>=";
    default: return "?=";
    }
}

const char *jumpName(uint8_t op) {
    switch (op) {
    case BPF_JEQ: return "==";
    case BPF_JGT: return ">";
    case BPF_JGE: return ">=";
    case BPF_JSET: return "&";
    case BPF_JNE: return "!=";
    case BPF_JSGT: return "s>";
    case BPF_JSGE: return "s>=";
    case BPF_JLT: return "<";
    case BPF_JLE: return "<=";
    case BPF_JSLT: return "s<";
    case BPF_JSLE: return "s<=";
    default: return "?";
    }
}

const char *sizeName(uint8_t sz) {
    switch (sz) {
    case BPF_B: return "u8";
    case BPF_H: return "u16";
    case BPF_W: return "u32";
    default: return "u64";
    }
}

std::string fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char *f, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, f);
    std::vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    return buf;
}

} // namespace

std::string disassembleInsn(std::span<const Insn> insns, size_t i) {
    const Insn &in = insns[i];
    uint8_t cls = BPF_CLASS(in.code);
    switch (cls) {
    case BPF_ALU64:
    case BPF_ALU: {
        const char *r = cls == BPF_ALU64 ? "r" : "w";
        uint8_t op = BPF_OP(in.code);
        if (op == BPF_NEG) return fmt("%s%d = -%s%d", r, in.dst_reg, r, in.dst_reg);
        if (BPF_SRC(in.code) == BPF_X)
            return fmt("%s%d %s %s%d", r, in.dst_reg, aluName(op), r, in.src_reg);
        return fmt("%s%d %s %d", r, in.dst_reg, aluName(op), in.imm);
    }
    case BPF_LDX:
        return fmt("r%d = *(%s *)(r%d %+d)", in.dst_reg, sizeName(BPF_SIZE(in.code)), in.src_reg,
                   in.off);
    case BPF_STX:
        if (BPF_MODE(in.code) == BPF_ATOMIC) {
            const char *size = sizeName(BPF_SIZE(in.code));
            if (in.imm == BPF_CMPXCHG)
                return fmt("r0 = cmpxchg((%s *)(r%d %+d), r0, r%d)", size, in.dst_reg, in.off,
                           in.src_reg);
            if (in.imm == (BPF_ADD | BPF_FETCH))
                return fmt("r%d = atomic_fetch_add((%s *)(r%d %+d), r%d)", in.src_reg, size,
                           in.dst_reg, in.off, in.src_reg);
            if (in.imm == BPF_XCHG)
                return fmt("r%d = xchg((%s *)(r%d %+d), r%d)", in.src_reg, size, in.dst_reg, in.off,
                           in.src_reg);
            return fmt("lock *(%s *)(r%d %+d) %s r%d", size, in.dst_reg, in.off,
                       aluName(static_cast<uint8_t>(in.imm & ~BPF_FETCH)), in.src_reg);
        }
        return fmt("*(%s *)(r%d %+d) = r%d", sizeName(BPF_SIZE(in.code)), in.dst_reg, in.off,
                   in.src_reg);
    case BPF_ST:
        return fmt("*(%s *)(r%d %+d) = %d", sizeName(BPF_SIZE(in.code)), in.dst_reg, in.off,
                   in.imm);
    case BPF_LD: {
        if (in.code != (BPF_LD | BPF_DW | BPF_IMM) || i + 1 >= insns.size()) return "(bad ld)";
        uint64_t v = static_cast<uint32_t>(in.imm) |
                     (static_cast<uint64_t>(static_cast<uint32_t>(insns[i + 1].imm)) << 32);
        if (in.src_reg == BPF_PSEUDO_MAP_FD) return fmt("r%d = map[%d] ll", in.dst_reg, in.imm);
        if (in.src_reg == BPF_PSEUDO_MAP_VALUE)
            return fmt("r%d = &map[%d] + %u ll", in.dst_reg, in.imm,
                       static_cast<uint32_t>(insns[i + 1].imm));
        return fmt("r%d = 0x%" PRIx64 " ll", in.dst_reg, v);
    }
    case BPF_JMP:
    case BPF_JMP32: {
        uint8_t op = BPF_OP(in.code);
        if (op == BPF_EXIT) return "exit";
        if (op == BPF_CALL) {
            if (in.src_reg == BPF_PSEUDO_CALL) return fmt("call pc%+d", in.imm);
            return fmt("call %d", in.imm);
        }
        if (op == BPF_JA) return fmt("goto pc%+d", in.off);
        const char *r = cls == BPF_JMP ? "r" : "w";
        if (BPF_SRC(in.code) == BPF_X)
            return fmt("if %s%d %s %s%d goto pc%+d", r, in.dst_reg, jumpName(op), r, in.src_reg,
                       in.off);
        return fmt("if %s%d %s %d goto pc%+d", r, in.dst_reg, jumpName(op), in.imm, in.off);
    }
    default: return fmt("(code 0x%02x)", in.code);
    }
}

std::string disassemble(const LinkedProgram &code, std::span<const std::string> mapNames) {
    std::string out;
    const auto &insns = code.insns;
    std::map<size_t, const MapReloc *> relocs;
    for (const auto &r : code.mapRelocs) relocs[r.insn] = &r;
    size_t fn = 0;
    for (size_t i = 0; i < insns.size(); ++i) {
        while (fn < code.functions.size() && code.functions[fn].start == i) {
            out += code.functions[fn].name + ":\n";
            ++fn;
        }
        const SourceTag &t = code.tags[i];
        std::string where = t.clause >= 0 ? fmt("  ; clause %d line %d", t.clause, t.line) : "";
        std::string text = disassembleInsn(insns, i);
        if (auto r = relocs.find(i); r != relocs.end()) {
            // Name the map the loader will put here.
            const std::string &name = mapNames[static_cast<size_t>(r->second->map)];
            text = r->second->value ? fmt("r%d = &map[%s] + %u ll", insns[i].dst_reg, name.c_str(),
                                          r->second->offset)
                                    : fmt("r%d = map[%s] ll", insns[i].dst_reg, name.c_str());
        }
        out += fmt("%5zu: ", i) + text + where + "\n";
        if (insns[i].code == (BPF_LD | BPF_DW | BPF_IMM)) ++i;
    }
    return out;
}

} // namespace dtrace::bpf
