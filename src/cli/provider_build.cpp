#include "cli/provider_build.h"

#include "cli/compile.h"
#include "cli/dof_link.h"
#include "cli/preprocess.h"
#include "cli/provider_files.h"
#include "frontend/parser.h"
#include "sema/sema.h"
#include "util/large_stack.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace dtrace::cli {

// dtrace -h and -G: the provider definitions of the -s scripts, as the
// header of their probe macros or the object that defines their
// semaphores. Nothing is traced.
int buildProviderFiles(const CommandLine &cl, const program::Options &options,
                       providers::ProbeCatalog &catalog) {
    const char *flag = cl.header ? "-h" : "-G";
    const ProgramSource *script = nullptr;
    for (const auto &s : cl.sources)
        if (s.kind == ProgramSource::Kind::Script && !script) script = &s;
    if (!script)
        throw Error(std::string(flag) + " requires a D script with provider definitions (-s)");
    sema::CompileContext ctx;
    ctx.allowZeroMatches = true;
    sema::Sema sema(options, catalog, ctx);
    std::vector<frontend::Program> asts;
    std::vector<ProviderSpec> specs;
    for (const auto &src : cl.sources) {
        if (src.kind != ProgramSource::Kind::Script) continue;
        try {
            std::string text = src.text;
            if (cl.cpp) {
                try {
                    text = preprocess(text, cl.cppArgs, cl.cppPath);
                } catch (const Error &e) {
                    throw Error("failed to compile script " + src.name + ": " + e.message());
                }
            }
            runWithStack(kCompilerStack, text.size(), [&] {
                frontend::Parser parser(
                    text, [&](std::string_view n, bool k) { return sema.isTypeName(n, k); });
                asts.push_back(parser.parseProgram());
                sema.analyzeSource(asts.back());
            });
            for (const auto &item : asts.back().items) {
                const auto *def = std::get_if<frontend::ProviderDef>(&item);
                if (!def) continue;
                ProviderSpec spec{def->name, {}};
                for (const auto &probe : def->probes) {
                    if (probe.params.size() > 10)
                        throw CompileError("D_PROV_BADPROBE", probe.loc,
                                           "probe " + def->name + ":" + probe.name +
                                               " has more than 10 arguments");
                    spec.probes.push_back({probe.name, sema.parameterTypes(probe)});
                }
                specs.push_back(std::move(spec));
            }
        } catch (const CompileError &e) {
            throw Error(compileErrorText(src, e, sema.options().errtags));
        }
    }
    if (specs.empty()) throw Error("no providers are defined in " + script->name);
    // The output is named after the first script unless -o names it.
    std::string stem = script->name;
    if (stem.size() > 2 && stem.compare(stem.size() - 2, 2, ".d") == 0)
        stem.resize(stem.size() - 2);
    if (cl.header) {
        std::string path = cl.outputFile ? *cl.outputFile : stem + ".h";
        std::string base = path.substr(path.rfind('/') + 1);
        std::string guard = "_";
        for (char c : base.substr(0, base.rfind('.')))
            guard += std::isalnum(static_cast<unsigned char>(c))
                         ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                         : '_';
        guard += "_H";
        FILE *f = std::fopen(path.c_str(), "w");
        if (!f) throw Error("failed to open header file '" + path + "': " + std::strerror(errno));
        std::string text = providerHeader(specs, guard, script->name);
        bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
        ok = std::fclose(f) == 0 && ok;
        if (!ok) throw Error("failed to write header file '" + path + "'");
        return 0;
    }
    // -G: the remaining arguments are the objects whose probe sites link
    // with these providers; DTrace-style sites are rewritten in them.
    checkProbeSites(specs, cl.macroArgs);
    linkDofProbeSites(specs, cl.macroArgs);
    writeProviderObject(specs, cl.outputFile ? *cl.outputFile : stem + ".o");
    return 0;
}

} // namespace dtrace::cli
