// BPF instruction encoding: one struct bpf_insn per instruction, built by
// small constructors named after what they do.
#pragma once

#include <linux/bpf.h>

#include <cstdint>

namespace dtrace::bpf {

using Insn = struct bpf_insn;

enum Reg : uint8_t { R0 = 0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 };
constexpr Reg FP = R10;

enum class Size : uint8_t { B = BPF_B, H = BPF_H, W = BPF_W, DW = BPF_DW };

inline Size sizeFor(uint64_t bytes) {
    switch (bytes) {
    case 1: return Size::B;
    case 2: return Size::H;
    case 4: return Size::W;
    default: return Size::DW;
    }
}

inline Insn make(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    Insn i{};
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    return i;
}

// ALU (64-bit unless named 32).
inline Insn alu64Imm(uint8_t op, Reg dst, int32_t imm) {
    return make(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
}
inline Insn alu64Reg(uint8_t op, Reg dst, Reg src) {
    return make(BPF_ALU64 | op | BPF_X, dst, src, 0, 0);
}
inline Insn alu32Imm(uint8_t op, Reg dst, int32_t imm) {
    return make(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}
inline Insn alu32Reg(uint8_t op, Reg dst, Reg src) {
    return make(BPF_ALU | op | BPF_X, dst, src, 0, 0);
}
inline Insn movImm(Reg dst, int32_t imm) {
    return alu64Imm(BPF_MOV, dst, imm);
}
inline Insn movReg(Reg dst, Reg src) {
    return alu64Reg(BPF_MOV, dst, src);
}
inline Insn neg(Reg dst) {
    return make(BPF_ALU64 | BPF_NEG, dst, 0, 0, 0);
}

// Memory.
inline Insn load(Size sz, Reg dst, Reg src, int16_t off) {
    return make(BPF_LDX | static_cast<uint8_t>(sz) | BPF_MEM, dst, src, off, 0);
}
inline Insn store(Size sz, Reg dst, int16_t off, Reg src) {
    return make(BPF_STX | static_cast<uint8_t>(sz) | BPF_MEM, dst, src, off, 0);
}
inline Insn storeImm(Size sz, Reg dst, int16_t off, int32_t imm) {
    return make(BPF_ST | static_cast<uint8_t>(sz) | BPF_MEM, dst, 0, off, imm);
}
inline Insn atomicAdd(Size sz, Reg dst, int16_t off, Reg src) {
    return make(BPF_STX | static_cast<uint8_t>(sz) | BPF_ATOMIC, dst, src, off, BPF_ADD);
}
// src = the old value of *(dst + off), which grows by src.
inline Insn atomicFetchAdd(Size sz, Reg dst, int16_t off, Reg src) {
    return make(BPF_STX | static_cast<uint8_t>(sz) | BPF_ATOMIC, dst, src, off,
                BPF_ADD | BPF_FETCH);
}
// If *(dst + off) equals r0 it becomes src; r0 = the old value either way.
inline Insn atomicCmpxchg(Size sz, Reg dst, int16_t off, Reg src) {
    return make(BPF_STX | static_cast<uint8_t>(sz) | BPF_ATOMIC, dst, src, off, BPF_CMPXCHG);
}

// Jumps; offsets are filled in by the assembler from labels.
inline Insn jumpImm(uint8_t op, Reg dst, int32_t imm) {
    return make(BPF_JMP | op | BPF_K, dst, 0, 0, imm);
}
inline Insn jumpReg(uint8_t op, Reg dst, Reg src) {
    return make(BPF_JMP | op | BPF_X, dst, src, 0, 0);
}
inline Insn jump() {
    return make(BPF_JMP | BPF_JA, 0, 0, 0, 0);
}
inline Insn callHelper(int32_t helper) {
    return make(BPF_JMP | BPF_CALL, 0, 0, 0, helper);
}
inline Insn exitInsn() {
    return make(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

// 64-bit immediates take two instruction slots.
inline Insn ldImm64Lo(Reg dst, uint8_t src, int32_t lo) {
    return make(BPF_LD | BPF_DW | BPF_IMM, dst, src, 0, lo);
}
inline Insn ldImm64Hi(int32_t hi) {
    return make(0, 0, 0, 0, hi);
}

} // namespace dtrace::bpf
