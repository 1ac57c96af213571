#include "cli/dtrace.h"

#include "cli/command_line.h"
#include "cli/list.h"
#include "cli/provider_build.h"
#include "cli/session.h"
#include "program/options.h"
#include "providers/catalog.h"

#include <cstdio>
#include <cstdlib>

namespace dtrace::cli {

namespace {

// -x options: most set D options; a few are the preprocessor's (-C, -D,
// -U, -I, the C dialect). Throws Error for a bad one.
program::Options takeOptions(CommandLine &cl) {
    program::Options options;
    for (const auto &[name, value] : cl.xoptions) {
        if (name == "cpp") {
            cl.cpp = true;
        } else if (name == "define" && value) {
            cl.cppArgs.push_back("-D" + *value);
        } else if (name == "undef" && value) {
            cl.cppArgs.push_back("-U" + *value);
        } else if (name == "incdir" && value) {
            cl.cppArgs.push_back("-I" + *value);
        } else if (name == "stdc") {
            // The C dialect the preprocessor follows: a (ANSI, the
            // default), c (strict ANSI), s (K&R: no __STDC__), t
            // (transition).
            if (!value || value->size() != 1 ||
                std::string("acst").find((*value)[0]) == std::string::npos)
                throw Error("failed to set -x stdc: Invalid value for specified option");
            if (*value == "s") cl.cppArgs.push_back("-traditional-cpp");
        } else if (auto err = options.set(
                       name, value ? std::optional<std::string_view>(*value) : std::nullopt,
                       false)) {
            throw Error("failed to set -x " + name + ": " + *err);
        }
    }
    // The test corpus expects no "principal buffer size lowered" notes.
    if (std::getenv("_DTRACE_TESTING") && !options.quietresize)
        options.set("quietresize", std::nullopt, false);
    return options;
}

} // namespace

int run(int argc, char **argv) {
    CommandLine cl = parseCommandLine(argc, argv);
    // -V reports the version and does nothing else, whatever else is given.
    if (cl.version) return std::printf("dtrace: Oracle D 2.0\n") > 0 ? 0 : 1;
    program::Options options = takeOptions(cl);
    providers::ProbeCatalog catalog;
    if (cl.header || cl.linkObject) return buildProviderFiles(cl, options, catalog);
    if (cl.list && !cl.command && !cl.pid) return listProbes(cl, catalog, std::nullopt);
    if (cl.sources.empty() && !cl.list) throw UsageError("");
    TracingSession session(cl, std::move(options), catalog, argv[0]);
    return session.run();
}

} // namespace dtrace::cli
