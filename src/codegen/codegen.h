// Lowers the typed IR to BPF programs, one per attach point.
#pragma once

#include "program/plan.h"
#include "sema/ir.h"

#include <string>

namespace dtrace::codegen {

// Fails with a CompileError for what the generator cannot express.
program::CompiledProgram generate(const ir::Program &prog);

// dtrace -S: every program's instructions, as the verifier's log shows them.
std::string disassemble(const program::CompiledProgram &prog);

} // namespace dtrace::codegen
