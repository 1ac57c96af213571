#include "providers/x86_length.h"

namespace dtrace::providers {

namespace {

// Immediate sizes: Z is 2 or 4 by the operand size, V is Z or 8 with
// REX.W (mov r64, imm64), M a memory offset (8, or 4 with 0x67).
enum Imm : uint8_t { None, B, W, Z, V, M, WB, Bad };

struct OneByte {
    bool modrm;
    Imm imm;
};

OneByte oneByte(uint8_t op) {
    if (op < 0x40) {
        switch (op & 7) {
        case 0:
        case 1:
        case 2:
        case 3: return {true, None};
        case 4: return {false, B};
        case 5: return {false, Z};
        default: return {false, Bad}; // push/pop seg, daa...: invalid in 64-bit mode
        }
    }
    if (op >= 0x50 && op <= 0x5f) return {false, None};
    if (op >= 0x70 && op <= 0x7f) return {false, B};
    if (op >= 0x84 && op <= 0x8f) return {true, None};
    if (op >= 0x90 && op <= 0x99) return {false, None};
    if (op >= 0xb0 && op <= 0xb7) return {false, B};
    if (op >= 0xb8 && op <= 0xbf) return {false, V};
    if (op >= 0xd8 && op <= 0xdf) return {true, None}; // x87
    switch (op) {
    case 0x63: return {true, None};
    case 0x68: return {false, Z};
    case 0x69: return {true, Z};
    case 0x6a: return {false, B};
    case 0x6b: return {true, B};
    case 0x6c:
    case 0x6d:
    case 0x6e:
    case 0x6f: return {false, None};
    case 0x80: return {true, B};
    case 0x81: return {true, Z};
    case 0x83: return {true, B};
    case 0x9b:
    case 0x9c:
    case 0x9d:
    case 0x9e:
    case 0x9f: return {false, None};
    case 0xa0:
    case 0xa1:
    case 0xa2:
    case 0xa3: return {false, M};
    case 0xa8: return {false, B};
    case 0xa9: return {false, Z};
    case 0xc0:
    case 0xc1: return {true, B};
    case 0xc2: return {false, W};
    case 0xc6: return {true, B};
    case 0xc7: return {true, Z};
    case 0xc8: return {false, WB};
    case 0xca: return {false, W};
    case 0xcd: return {false, B};
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3: return {true, None};
    case 0xe0:
    case 0xe1:
    case 0xe2:
    case 0xe3:
    case 0xe4:
    case 0xe5:
    case 0xe6:
    case 0xe7:
    case 0xeb: return {false, B};
    case 0xe8:
    case 0xe9: return {false, Z};
    case 0xf6:
    case 0xf7: return {true, None}; // test's immediate depends on ModRM.reg
    case 0xfe:
    case 0xff: return {true, None};
    }
    if ((op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf) || op == 0xc3 || op == 0xc9 ||
        op == 0xcb || op == 0xcc || op == 0xcf || op == 0xd7 || (op >= 0xec && op <= 0xef) ||
        op == 0xf1 || op == 0xf4 || op == 0xf5 || (op >= 0xf8 && op <= 0xfd))
        return {false, None};
    return {false, Bad};
}

// The 0F map: ModRM and immediate.
OneByte twoByte(uint8_t op) {
    switch (op) {
    case 0x04:
    case 0x0a:
    case 0x0c:
    case 0x24:
    case 0x25:
    case 0x26:
    case 0x27:
    case 0x36:
    case 0x39:
    case 0x3b:
    case 0x3c:
    case 0x3d:
    case 0x3e:
    case 0x3f:
    case 0x38:
    case 0x3a: return {false, Bad}; // (38 and 3A: three-byte maps, decoded apart)
    case 0x05:
    case 0x06:
    case 0x07:
    case 0x08:
    case 0x09:
    case 0x0b:
    case 0x0e:
    case 0x30:
    case 0x31:
    case 0x32:
    case 0x33:
    case 0x34:
    case 0x35:
    case 0x37:
    case 0x77:
    case 0xa0:
    case 0xa1:
    case 0xa2:
    case 0xa8:
    case 0xa9:
    case 0xaa: return {false, None};
    case 0x0f: return {true, B}; // 3DNow!: a suffix byte
    case 0x70:
    case 0x71:
    case 0x72:
    case 0x73:
    case 0xa4:
    case 0xac:
    case 0xba:
    case 0xc2:
    case 0xc4:
    case 0xc5:
    case 0xc6: return {true, B};
    }
    if (op >= 0x80 && op <= 0x8f) return {false, Z};    // jcc rel32
    if (op >= 0xc8 && op <= 0xcf) return {false, None}; // bswap
    return {true, None};
}

// A VEX or EVEX opcode of map 1 with an immediate byte (as in 0F).
bool vexMap1Immediate(uint8_t op) {
    return (op >= 0x70 && op <= 0x73) || op == 0xc2 || op == 0xc4 || op == 0xc5 || op == 0xc6;
}

// ModRM, SIB and displacement bytes from code[at] (the ModRM).
size_t modrmLength(std::span<const uint8_t> code, size_t at) {
    if (at >= code.size()) return 0;
    uint8_t modrm = code[at];
    uint8_t mod = modrm >> 6, rm = modrm & 7;
    size_t n = 1;
    if (mod == 3) return n;
    if (rm == 4) {
        if (at + 1 >= code.size()) return 0;
        uint8_t base = code[at + 1] & 7;
        ++n;
        if (mod == 0 && base == 5) n += 4;
    } else if (mod == 0 && rm == 5) {
        n += 4; // rip-relative
    }
    if (mod == 1) n += 1;
    if (mod == 2) n += 4;
    return n;
}

} // namespace

size_t x86InstructionLength(std::span<const uint8_t> code) {
    size_t i = 0;
    bool operand16 = false, address32 = false, repne = false, rexW = false;
    // Legacy prefixes (at most 14 bytes of them in a 15-byte instruction).
    for (; i < code.size() && i < 14 && isX86LegacyPrefix(code[i]); ++i) {
        operand16 = operand16 || code[i] == 0x66;
        address32 = address32 || code[i] == 0x67;
        repne = repne || code[i] == 0xf2;
    }
    if (i >= code.size()) return 0;
    if ((code[i] & 0xf0) == 0x40) {
        rexW = code[i] & 8;
        if (++i >= code.size()) return 0;
    }
    auto finish = [&](size_t n) -> size_t { return n <= code.size() && n <= 15 ? n : 0; };
    uint8_t op = code[i];

    // VEX (C4, C5) and EVEX (62): a map, then an opcode and ModRM.
    if (op == 0xc4 || op == 0xc5 || op == 0x62) {
        size_t payload = op == 0xc5 ? 1 : op == 0xc4 ? 2 : 3;
        if (i + payload + 1 >= code.size()) return 0;
        uint8_t map = op == 0xc5 ? 1 : (code[i + 1] & (op == 0x62 ? 0x07 : 0x1f));
        // VEX maps 1-3, EVEX 1-3, 5 and 6: the others (APX, USER_MSR) are
        // not decoded here.
        bool known =
            op == 0x62 ? (map >= 1 && map <= 3) || map == 5 || map == 6 : map >= 1 && map <= 3;
        if (!known) return 0;
        size_t at = i + 1 + payload;
        uint8_t opcode = code[at];
        if (map == 1 && opcode == 0x77) return finish(at + 1); // vzeroupper/vzeroall
        size_t m = modrmLength(code, at + 1);
        if (m == 0) return 0;
        bool imm = map == 3 || (map == 1 && vexMap1Immediate(opcode));
        return finish(at + 1 + m + (imm ? 1 : 0));
    }

    // XOP (AMD): 8F with a map in place of pop's ModRM.
    if (op == 0x8f && i + 1 < code.size() && (code[i + 1] & 0x1f) >= 8) return 0;
    // A branch with 0x66 (rel16 on AMD, rel32 on Intel): uprobes refuse
    // it anyway. (66 66 48 e8, the TLS call, has REX.W and is a rel32.)
    bool branch = op == 0xe8 || op == 0xe9 ||
                  (op == 0x0f && i + 1 < code.size() && (code[i + 1] & 0xf0) == 0x80);
    if (branch && operand16 && !rexW) return 0;

    OneByte kind;
    size_t after;
    if (op == 0x0f) {
        if (i + 1 >= code.size()) return 0;
        uint8_t op2 = code[i + 1];
        if (op2 == 0x38 || op2 == 0x3a) {
            size_t m = modrmLength(code, i + 3);
            if (m == 0) return 0;
            return finish(i + 3 + m + (op2 == 0x3a ? 1 : 0));
        }
        kind = twoByte(op2);
        // SSE4a extrq/insertq (66 or F2 0F 78): two immediate bytes.
        if (op2 == 0x78 && (operand16 || repne)) kind.imm = W;
        after = i + 2;
    } else {
        kind = oneByte(op);
        after = i + 1;
    }
    if (kind.imm == Bad) return 0;
    size_t n = after;
    if (kind.modrm) {
        size_t m = modrmLength(code, after);
        if (m == 0) return 0;
        n += m;
        // test r/m, imm (F6 /0, /1 and F7 /0, /1).
        uint8_t reg = (code[after] >> 3) & 7;
        if (op == 0xf6 && reg <= 1) kind.imm = B;
        if (op == 0xf7 && reg <= 1) kind.imm = Z;
    }
    switch (kind.imm) {
    case None: break;
    case B: n += 1; break;
    case W: n += 2; break;
    case Z: n += operand16 && !branch ? 2 : 4; break;
    case V: n += rexW ? 8 : operand16 ? 2 : 4; break;
    case M: n += address32 ? 4 : 8; break;
    case WB: n += 3; break;
    case Bad: return 0;
    }
    return finish(n);
}

bool x86InstructionBoundary(std::span<const uint8_t> code, size_t offset) {
    size_t at = 0;
    while (at < offset) {
        size_t n = x86InstructionLength(code.subspan(at));
        if (n == 0) return false;
        at += n;
    }
    return at == offset;
}

} // namespace dtrace::providers
