// The length of an x86-64 instruction, decoded from its prefixes, opcode,
// ModRM, SIB, displacement and immediate: enough to walk a function from
// its start and tell whether a pid probe's offset falls on an instruction
// (a uprobe planted inside one would corrupt the program).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace dtrace::providers {

// Whether b is a legacy prefix (lock, rep, segment, operand or address
// size).
constexpr bool isX86LegacyPrefix(uint8_t b) {
    return b == 0xf0 || b == 0xf2 || b == 0xf3 || b == 0x2e || b == 0x36 || b == 0x3e ||
           b == 0x26 || b == 0x64 || b == 0x65 || b == 0x66 || b == 0x67;
}

// The length of the instruction code starts with; 0 when it is not one
// this decoder knows (or code ends first).
size_t x86InstructionLength(std::span<const uint8_t> code);

// Whether offset is where an instruction starts, walking from the start
// of code (a function); false when an instruction before it is unknown.
bool x86InstructionBoundary(std::span<const uint8_t> code, size_t offset);

} // namespace dtrace::providers
