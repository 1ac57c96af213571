#include "cli/dtrace.h"

#include "cli/command_line.h"
#include "cli/list.h"
#include "cli/provider_build.h"
#include "cli/session.h"
#include "output/json.h"
#include "program/options.h"
#include "providers/catalog.h"
#include "util/error.h"
#include "util/messages.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <sys/resource.h>
#include <unistd.h>

namespace dtrace::cli {

namespace {

// -x options: most set D options; a few are the preprocessor's (-C, -D,
// -U, -I, the C dialect). Throws Error for a bad one.
program::Options takeOptions(CommandLine &cl) {
    program::Options options;
    if (cl.includedFiles) cl.cppArgs.push_back("-H");
    // DTRACE_OPT_NAME=value in the environment sets option name, before
    // the command line (which wins). DTRACE_OPT_CPPARGS is cpp's.
    struct Setting {
        std::string name;
        std::optional<std::string> value;
        std::string where; // for messages: "-x name" or the variable
    };
    std::vector<Setting> all;
    for (char **e = environ; *e; ++e) {
        std::string_view var = *e;
        if (!var.starts_with("DTRACE_OPT_")) continue;
        size_t eq = var.find('=');
        std::string name(var.substr(11, eq == std::string_view::npos ? eq : eq - 11));
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (name == "cppargs") continue;
        std::string value(eq == std::string_view::npos ? "" : var.substr(eq + 1));
        all.push_back({name, value.empty() ? std::nullopt : std::optional(value),
                       "option " + std::string(var.substr(0, eq))});
    }
    for (const auto &[name, value] : cl.xoptions) all.push_back({name, value, "-x " + name});
    for (const auto &[name, value, where] : all) {
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
                throw Error("failed to set " + where + ": Invalid value for specified option");
            // GNU cpp defines __STDC__ as 1 in every mode but K&R (it
            // cannot be redefined quietly): a and t keep its default.
            if (*value == "s") cl.cppArgs.push_back("-traditional-cpp");
            if (*value == "c") cl.cppArgs.push_back("-ansi");
        } else if (auto err = options.set(
                       name, value ? std::optional<std::string_view>(*value) : std::nullopt,
                       false)) {
            throw Error("failed to set " + where + ": " + *err);
        }
    }
    // Options that stand for flags, or act before compiling.
    if (options.zdefs) cl.zeroMatchOk = true;
    if (options.disasm) cl.disassemble = true;
    if (!options.cpppath.empty()) cl.cppPath = options.cpppath;
    // -x lockmem: the locked-memory limit (maps count against it on
    // kernels before 5.11; later ones charge the memory cgroup).
    if (options.chosen("lockmem")) {
        // The soft limit; the hard one only raised (commands dtrace runs
        // inherit it).
        struct rlimit now {};
        getrlimit(RLIMIT_MEMLOCK, &now);
        struct rlimit limit {options.lockmem, std::max<rlim_t>(options.lockmem, now.rlim_max)};
        if (setrlimit(RLIMIT_MEMLOCK, &limit) != 0) {
            int why = errno;
            throw Error("failed to set -x lockmem: " + std::string(std::strerror(why)) +
                        (options.lockmem > now.rlim_max
                             ? " (above the hard limit of " + std::to_string(now.rlim_max) + " bytes)"
                             : ""));
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
    if (cl.version) {
        // -V -v: the program's own version and build too.
        if (cl.verbose)
            return std::printf("dtrace: Oracle D 2.0\nThis is dtrace %s for Linux on eBPF\n"
                               "D language versions: 1.0 to 2.0\n",
                               DTRACE_VERSION) > 0
                       ? 0
                       : 1;
        return std::printf("dtrace: Oracle D 2.0\n") > 0 ? 0 : 1;
    }
    if (cl.anonymous)
        throw Error(std::string("-") + cl.anonymousFlag +
                    ": anonymous tracing is not supported: Linux has no DTrace driver to hold an "
                    "enabling from boot; start dtrace as a service (a systemd unit) instead");
    // Messages are JSON from the first one, an error in another -x too.
    if (const char *env = std::getenv("DTRACE_OPT_OFORMAT")) useJsonMessages(std::string_view(env) == "json");
    for (const auto &[name, value] : cl.xoptions)
        if (name == "oformat" && value) useJsonMessages(*value == "json");
    program::Options options = takeOptions(cl);
    providers::ProbeCatalog catalog;
    if (cl.header || cl.linkObject) return buildProviderFiles(cl, options, catalog);
    // -l -o FILE: the listing goes to the file.
    if (cl.list && cl.outputFile && !std::freopen(cl.outputFile->c_str(), "w", stdout))
        throw Error("failed to open output file '" + *cl.outputFile +
                    "': " + std::strerror(errno));
    if (cl.list && cl.commands.empty() && cl.pids.empty())
        return listProbes(cl, catalog, std::nullopt,
                          options.oformat == program::OutputFormat::Json);
    if (cl.sources.empty() && !cl.list) throw UsageError("");
    raiseOpenFileLimit();
    TracingSession session(cl, std::move(options), catalog, argv[0]);
    return session.run();
}

} // namespace dtrace::cli
