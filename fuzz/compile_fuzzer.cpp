// A libFuzzer target on the compiler: any bytes, as a D program, through
// the lexer, parser, semantic analysis and BPF code generation (nothing is
// loaded). A compile error is a normal outcome; a crash, a sanitizer report
// or any other exception is a bug. Built with fuzz/driver.cpp (our own
// mutation driver, for gcc), or with clang's -fsanitize=fuzzer where there
// is one.
#include "codegen/codegen.h"
#include "frontend/diagnostics.h"
#include "frontend/parser.h"
#include "providers/probe.h"
#include "program/options.h"
#include "sema/sema.h"

#include <cstddef>
#include <cstdint>
#include <string>

// Where the last input stopped (an error tag, or "ok"), for our driver.
std::string gFuzzOutcome;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    using namespace dtrace;
    static providers::ProbeCatalog catalog;
    std::string text(reinterpret_cast<const char *>(data), size);
    program::Options options;
    sema::CompileContext ctx;
    ctx.macroArgs = {"fuzz", "1", "two"};
    ctx.allowZeroMatches = true;
    try {
        sema::Sema sema(options, catalog, ctx);
        frontend::Parser parser(text,
                                [&](std::string_view n, bool k) { return sema.isTypeName(n, k); });
        frontend::Program program = parser.parseProgram();
        sema.analyzeSource(program);
        ir::Program ir = sema.finish();
        (void)codegen::generate(ir);
        gFuzzOutcome = "ok";
    } catch (const CompileError &e) {
        // The compiler refused the program, with a message: fine.
        gFuzzOutcome = e.tag();
    }
    return 0;
}
