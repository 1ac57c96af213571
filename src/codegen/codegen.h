// Lowers the typed IR to BPF programs, one per attach point.
#pragma once

#include "codegen/compiled.h"
#include "sema/ir.h"

namespace dtrace::codegen {

// Fails with a CompileError for what the generator cannot express.
CompiledProgram generate(const ir::Program &prog);

} // namespace dtrace::codegen
