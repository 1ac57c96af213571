#include "cli/dtrace.h"

#include "cli/command_line.h"
#include "cli/list.h"
#include "cli/provider_build.h"
#include "cli/session.h"
#include "output/json.h"
#include "program/options.h"
#include "providers/catalog.h"
#include "util/messages.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sys/resource.h>

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

// Every probe site holds a file descriptor (the link of a uprobe or
// kprobe's perf event, where the kernel has no multi-site links): take
// up to 65536 open files where root may raise the hard limit (to
// fs.nr_open), else the most the hard limit allows.
void raiseOpenFileLimit() {
    struct rlimit limit {};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    unsigned long nrOpen = 0;
    if (FILE *f = std::fopen("/proc/sys/fs/nr_open", "r")) {
        if (std::fscanf(f, "%lu", &nrOpen) != 1) nrOpen = 0;
        std::fclose(f);
    }
    // Not past 65536: commands dtrace starts inherit the limit, and some
    // walk every descriptor it allows.
    nrOpen = std::min(nrOpen, 65536UL);
    if (nrOpen > limit.rlim_max) {
        struct rlimit all {
            nrOpen, nrOpen
        };
        if (setrlimit(RLIMIT_NOFILE, &all) == 0) return;
    }
    if (limit.rlim_cur >= limit.rlim_max) return;
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
}

void jsonMessageSink(Severity severity, std::string_view text, const MessageDetail *detail) {
    std::fputs((output::jsonMessage(severity, text, detail) + "\n").c_str(), stderr);
}

} // namespace

void useJsonMessages(bool json) {
    setMessageSink(json ? jsonMessageSink : nullptr);
}

int run(int argc, char **argv) {
    CommandLine cl = parseCommandLine(argc, argv);
    // --help and --version (GNU's) and -V answer and do nothing else,
    // whatever else is given.
    if (cl.help) return std::fputs(usage().c_str(), stdout) >= 0 ? 0 : 1;
    if (cl.longVersion)
        return std::printf("dtrace %s (DTrace for Linux on eBPF)\nD language: Oracle D 2.0\n",
                           DTRACE_VERSION) > 0
                   ? 0
                   : 1;
    if (cl.version) return std::printf("dtrace: Oracle D 2.0\n") > 0 ? 0 : 1;
    // Messages are JSON from the first one, an error in another -x too.
    for (const auto &[name, value] : cl.xoptions)
        if (name == "oformat" && value) useJsonMessages(*value == "json");
    program::Options options = takeOptions(cl);
    providers::ProbeCatalog catalog;
    if (cl.header || cl.linkObject) return buildProviderFiles(cl, options, catalog);
    if (cl.list && !cl.command && !cl.pid)
        return listProbes(cl, catalog, std::nullopt,
                          options.oformat == program::OutputFormat::Json);
    if (cl.sources.empty() && !cl.list) throw UsageError("");
    raiseOpenFileLimit();
    TracingSession session(cl, std::move(options), catalog, argv[0]);
    return session.run();
}

} // namespace dtrace::cli
