// Compiles D text in-process for unit tests: parse, analyse and (optionally)
// generate code, reporting DTrace-style errors as strings.
#pragma once

#include "codegen/codegen.h"
#include "frontend/parser.h"
#include "sema/sema.h"

#include <functional>
#include <memory>
#include <string>

namespace dtrace::test {

struct Compiled {
    std::string error; // "TAG line N: message", empty on success
    std::unique_ptr<providers::ProbeCatalog> catalog;
    frontend::Program ast;
    ir::Program ir;
};

// prepare: adds probes of its own to the catalog first (a test's made-up
// processes).
inline std::unique_ptr<Compiled>
compile(const std::string &src, std::vector<std::string> args = {},
        const std::function<void(providers::ProbeCatalog &)> &prepare = {}) {
    auto c = std::make_unique<Compiled>();
    c->catalog = std::make_unique<providers::ProbeCatalog>();
    if (prepare) prepare(*c->catalog);
    sema::CompileContext ctx;
    ctx.macroArgs.push_back("test.d");
    for (auto &a : args) ctx.macroArgs.push_back(a);
    sema::Sema s(program::Options(), *c->catalog, ctx);
    try {
        frontend::Parser p(src, [&](std::string_view n, bool k) { return s.isTypeName(n, k); });
        c->ast = p.parseProgram();
        s.analyzeSource(c->ast);
        c->ir = s.finish();
    } catch (const CompileError &e) {
        c->error = e.tag() + " line " + std::to_string(e.loc().line) + ": " + e.message();
    }
    return c;
}

inline std::string errorOf(const std::string &src) {
    return compile(src)->error;
}

} // namespace dtrace::test
