// The compile step of dtrace(8): every -s/-n/-P program, preprocessed
// (-C), parsed and analysed into one IR, then code generated. A failure is
// an Error that says which program failed, in DTrace's words.
#pragma once

#include "cli/command_line.h"
#include "frontend/ast.h"
#include "program/plan.h"
#include "sema/sema.h"

#include <optional>
#include <string>
#include <vector>

namespace dtrace::cli {

// "failed to compile script X: [TAG] line N: message" (the tag with
// -xerrtags), or for a description "invalid probe specifier ...".
std::string compileErrorText(const ProgramSource &src, const CompileError &e, bool errtags);
// The source line of the error with a caret under its column ("" where
// not known or not shown).
std::string sourceContext(const ProgramSource &src, const CompileError &e, bool preprocessed);

// The bytes of D the command line gives (the compiler's stack is sized by
// it).
size_t sourceBytes(const CommandLine &cl);

struct CompiledSources {
    std::vector<frontend::Program> asts;
    std::vector<size_t> matched; // probes each program matched
    ir::Program ir;
};

// Preprocesses (with cl.cpp), parses and analyses every program of the
// command line into one IR. argv0 is $0 of -n programs. Throws Error.
CompiledSources compileSources(const CommandLine &cl, sema::Sema &sema, sema::CompileContext &ctx,
                               const std::string &argv0, double *cppMs = nullptr);

// The BPF programs and tables of the IR. Throws Error.
program::CompiledProgram generateCode(const CommandLine &cl, const ir::Program &ir);

} // namespace dtrace::cli
