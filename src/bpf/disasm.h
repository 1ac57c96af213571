// Prints BPF instructions the way the kernel's verifier log does (dtrace -S).
#pragma once

#include "bpf/insn.h"
#include "codegen/compiled.h"

#include <span>
#include <string>

namespace dtrace::bpf {

std::string disassembleInsn(std::span<const Insn> insns, size_t index);
std::string disassemble(const codegen::CompiledProgram &prog);

} // namespace dtrace::bpf
