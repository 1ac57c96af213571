// Prints BPF instructions the way the kernel's verifier log does (dtrace -S).
#pragma once

#include "bpf/assembler.h"
#include "bpf/insn.h"

#include <span>
#include <string>

namespace dtrace::bpf {

std::string disassembleInsn(std::span<const Insn> insns, size_t index);
// A linked program, its map references named after mapNames (by map ID),
// each instruction with the clause and line it came from.
std::string disassemble(const LinkedProgram &code, std::span<const std::string> mapNames);

} // namespace dtrace::bpf
