#include "cli/compile.h"

#include "cli/preprocess.h"
#include "codegen/codegen.h"
#include "frontend/parser.h"
#include "util/large_stack.h"

#include <chrono>
#include <cstdlib>

namespace dtrace::cli {

size_t sourceBytes(const CommandLine &cl) {
    size_t n = 0;
    for (const auto &src : cl.sources) n += src.text.size();
    return n;
}

std::string compileErrorText(const ProgramSource &src, const CompileError &e, bool errtags) {
    std::string tag = errtags && !e.tag().empty() ? "[" + e.tag() + "] " : "";
    // A script's errors name the line; a program on the command line's
    // name the part of the clause (DTrace's "in action list: ").
    bool script = src.kind == ProgramSource::Kind::Script;
    std::string where =
        script ? (e.loc().line > 0 ? "line " + std::to_string(e.loc().line) + ": " : "")
        : e.region().empty() ? ""
                             : "in " + e.region() + ": ";
    return (script ? "failed to compile script " : "invalid probe specifier ") + src.name + ": " +
           tag + where + e.message();
}

std::string sourceContext(const ProgramSource &src, const CompileError &e, bool preprocessed) {
    // Not for the test corpus (its expected output is DTrace's text alone),
    // nor after cpp (its lines are not the file's).
    // Nor where a whole probe description is the subject (no match, a
    // provider missing here: the text names it): those stay one line.
    int line = e.loc().line, column = e.loc().column;
    if (std::getenv("_DTRACE_TESTING") || preprocessed || line <= 0 || column <= 0) return {};
    if (e.tag().starts_with("D_PDESC") || e.tag().starts_with("D_PROC")) return {};
    size_t start = 0;
    for (int l = 1; l < line; ++l) {
        start = src.text.find('\n', start);
        if (start == std::string::npos) return {};
        ++start;
    }
    std::string text = src.text.substr(start, src.text.find('\n', start) - start);
    size_t at = static_cast<size_t>(column - 1); // a byte offset
    if (at > text.size()) return {};
    // The column in characters (UTF-8), as an editor counts it.
    size_t characters = 1;
    for (size_t i = 0; i < at; ++i)
        if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) ++characters;
    // A long line is shown around the column.
    constexpr size_t kWindow = 60;
    std::string prefix, suffix;
    if (at > kWindow) {
        size_t cut = at - kWindow;
        while (cut < at && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) ++cut;
        text.erase(0, cut);
        at -= cut;
        prefix = "...";
    }
    if (text.size() > at + kWindow) {
        size_t cut = at + kWindow;
        while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) ++cut;
        text.erase(cut);
        suffix = "...";
    }
    // The caret under the column: tabs kept, a multibyte character one
    // column wide (its continuation bytes take none).
    std::string marker(prefix.size(), ' ');
    for (size_t i = 0; i < at; ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if ((c & 0xc0) == 0x80) continue;
        marker += c == '\t' ? '\t' : ' ';
    }
    std::string number = std::to_string(line);
    return "\n " + number + " | " + prefix + text + suffix + "\n " + std::string(number.size(), ' ') +
           " | " + marker + "^ column " + std::to_string(characters);
}

namespace {
CompiledSources compileOnThisStack(const CommandLine &cl, sema::Sema &sema,
                                   sema::CompileContext &ctx, const std::string &argv0,
                                   double *cppMs);
} // namespace

CompiledSources compileSources(const CommandLine &cl, sema::Sema &sema, sema::CompileContext &ctx,
                               const std::string &argv0, double *cppMs) {
    CompiledSources out;
    runWithStack(kCompilerStack, sourceBytes(cl),
                 [&] { out = compileOnThisStack(cl, sema, ctx, argv0, cppMs); });
    return out;
}

program::CompiledProgram generateCode(const CommandLine &cl, const ir::Program &ir) {
    program::CompiledProgram out;
    runWithStack(kCompilerStack, sourceBytes(cl), [&] {
        try {
            out = codegen::generate(ir);
        } catch (const CompileError &e) {
            throw CompileFailure(compileErrorText(cl.sources.front(), e, ir.options.errtags), e,
                                 cl.sources.front().name,
                                 sourceContext(cl.sources.front(), e, cl.cpp));
        }
    });
    return out;
}

namespace {

CompiledSources compileOnThisStack(const CommandLine &cl, sema::Sema &sema,
                                   sema::CompileContext &ctx, const std::string &argv0,
                                   double *cppMs) {
    using Clock = std::chrono::steady_clock;
    CompiledSources out;
    out.asts.reserve(cl.sources.size());
    for (const auto &src : cl.sources) {
        ctx.macroArgs.clear();
        ctx.macroArgs.push_back(src.kind == ProgramSource::Kind::Script ? src.name : argv0);
        for (const auto &a : cl.macroArgs) ctx.macroArgs.push_back(a);
        sema.setMacroArguments(ctx.macroArgs);
        bool errtags = sema.options().errtags;
        try {
            std::string text = src.text;
            if (cl.cpp && src.kind == ProgramSource::Kind::Script) {
                Clock::time_point start = Clock::now();
                try {
                    text = preprocess(text, cl.cppArgs, cl.cppPath);
                } catch (const Error &e) {
                    throw Error("failed to compile script " + src.name + ": " + e.message());
                }
                if (cppMs)
                    *cppMs +=
                        std::chrono::duration<double, std::milli>(Clock::now() - start).count();
            }
            frontend::Parser parser(
                text, [&](std::string_view n, bool k) { return sema.isTypeName(n, k); });
            out.asts.push_back(parser.parseProgram());
            out.matched.push_back(sema.analyzeSource(out.asts.back()));
        } catch (const CompileError &e) {
            // A #pragma in the failing program may have asked for the tags.
            throw CompileFailure(compileErrorText(src, e, errtags || sema.options().errtags), e,
                                 src.name, sourceContext(src, e, cl.cpp));
        }
    }
    out.ir = sema.finish();
    return out;
}

} // namespace

} // namespace dtrace::cli
