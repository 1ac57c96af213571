#include "cli/dtrace.h"

#include "bpf/disasm.h"
#include "cli/child_process.h"
#include "cli/command_line.h"
#include "cli/dof_link.h"
#include "cli/preprocess.h"
#include "cli/provider_files.h"
#include "codegen/codegen.h"
#include "frontend/parser.h"
#include "kernel/attach.h"
#include "kernel/is_enabled.h"
#include "kernel/loader.h"
#include "providers/kernel_functions.h"
#include "providers/user_probes.h"
#include "runtime/consumer.h"
#include "runtime/overhead.h"
#include "sema/sema.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>

namespace dtrace::cli {

namespace {

std::atomic<bool> gInterrupted{false};

void onSignal(int) {
    gInterrupted = true;
}

void installSignals() {
    struct sigaction sa {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
}

void printCompileError(const ProgramSource &src, const CompileError &e, bool errtags) {
    std::string tag = errtags && !e.tag().empty() ? "[" + e.tag() + "] " : "";
    std::string where = e.loc().line > 0 ? "line " + std::to_string(e.loc().line) + ": " : "";
    if (src.kind == ProgramSource::Kind::Script)
        std::fprintf(stderr, "dtrace: failed to compile script %s: %s%s%s\n", src.name.c_str(),
                     tag.c_str(), where.c_str(), e.message().c_str());
    else
        std::fprintf(stderr, "dtrace: invalid probe specifier %s: %s%s%s\n", src.name.c_str(),
                     tag.c_str(), where.c_str(), e.message().c_str());
}

// The `dtrace -l` table.
int listProbes(CommandLine &cl, providers::ProbeCatalog &catalog, std::optional<int> target) {
    std::vector<const providers::Probe *> probes;
    if (cl.sources.empty()) {
        probes = catalog.list({});
    } else {
        for (const auto &s : cl.sources) {
            if (s.kind == ProgramSource::Kind::Script) continue;
            std::string desc = s.name;
            if (!s.fromFlag) {
                size_t cut = desc.find_first_of("/{ \t");
                desc = desc.substr(0, cut);
            }
            if (target)
                for (size_t at; (at = desc.find("$target")) != std::string::npos;)
                    desc.replace(at, 7, std::to_string(*target));
            providers::ProbeDescription d;
            if (!providers::parseProbeDescription(desc, d)) {
                std::fprintf(
                    stderr, "dtrace: invalid probe specifier %s: Overspecified probe description\n",
                    desc.c_str());
                return 1;
            }
            auto m = catalog.list(d);
            if (m.empty() && !cl.zeroMatchOk) {
                std::fprintf(stderr,
                             "dtrace: invalid probe specifier %s: probe description %s does not "
                             "match any probes\n",
                             s.name.c_str(), d.text().c_str());
                return 1;
            }
            probes.insert(probes.end(), m.begin(), m.end());
        }
    }
    std::printf("%5s %10s %17s %33s %s\n", "ID", "PROVIDER", "MODULE", "FUNCTION", "NAME");
    for (const auto *p : probes) {
        std::printf("%5u %10s %17s %33s %s\n", p->id, p->provider.c_str(), p->module.c_str(),
                    p->function.c_str(), p->name.c_str());
        if (!cl.verbose) continue;
        // -v: the probe's stability and its arguments' types.
        providers::ProbeStability st = p->owner->stability(*p);
        for (auto [title, a] : {std::pair{"Probe Description Attributes", st.probe},
                                std::pair{"Argument Attributes", st.arguments}})
            std::printf("\n\t%s\n\t\tIdentifier Names: %s\n\t\tData Semantics:   %s\n"
                        "\t\tDependency Class: %s\n",
                        title, a.names, a.data, a.dependency);
        std::printf("\n\tArgument Types\n");
        const auto &types = catalog.resolved(*p).argTypes;
        for (size_t i = 0; i < types.size(); ++i)
            std::printf("\t\targs[%zu]: %s\n", i, types[i].c_str());
        if (types.empty()) std::printf("\t\tNone\n");
        std::printf("\n");
    }
    return 0;
}

// dtrace -h and -G: the provider definitions of the -s scripts, as the
// header of their probe macros or the object that defines their
// semaphores. Nothing is traced.
int buildProviderFiles(CommandLine &cl, const program::Options &options,
                       providers::ProbeCatalog &catalog) {
    const char *flag = cl.header ? "-h" : "-G";
    const ProgramSource *script = nullptr;
    for (const auto &s : cl.sources)
        if (s.kind == ProgramSource::Kind::Script && !script) script = &s;
    if (!script) {
        std::fprintf(stderr, "dtrace: %s requires a D script with provider definitions (-s)\n",
                     flag);
        return 1;
    }
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
                auto pre = preprocess(text, cl.cppArgs);
                if (!pre) {
                    std::fprintf(stderr,
                                 "dtrace: failed to compile script %s: Preprocessor failed to "
                                 "process input program\n",
                                 src.name.c_str());
                    return 1;
                }
                text = *pre;
            }
            frontend::Parser parser(
                text, [&](std::string_view n, bool k) { return sema.isTypeName(n, k); });
            asts.push_back(parser.parseProgram());
            sema.analyzeSource(asts.back());
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
            printCompileError(src, e, sema.options().errtags);
            return 1;
        }
    }
    if (specs.empty()) {
        std::fprintf(stderr, "dtrace: no providers are defined in %s\n", script->name.c_str());
        return 1;
    }
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
        if (!f) {
            std::fprintf(stderr, "dtrace: failed to open header file '%s': %s\n", path.c_str(),
                         std::strerror(errno));
            return 1;
        }
        std::string text = providerHeader(specs, guard, script->name);
        bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
        ok = std::fclose(f) == 0 && ok;
        if (!ok) {
            std::fprintf(stderr, "dtrace: failed to write header file '%s'\n", path.c_str());
            return 1;
        }
        return 0;
    }
    // -G: the remaining arguments are the objects whose probe sites link
    // with these providers; DTrace-style sites are rewritten in them.
    if (auto err = checkProbeSites(specs, cl.macroArgs)) {
        std::fprintf(stderr, "dtrace: %s\n", err->c_str());
        return 1;
    }
    if (auto err = linkDofProbeSites(specs, cl.macroArgs)) {
        std::fprintf(stderr, "dtrace: %s\n", err->c_str());
        return 1;
    }
    std::string path = cl.outputFile ? *cl.outputFile : stem + ".o";
    if (auto err = writeProviderObject(specs, path)) {
        std::fprintf(stderr, "dtrace: %s\n", err->c_str());
        return 1;
    }
    return 0;
}

} // namespace

int run(int argc, char **argv) {
    CommandLine cl;
    if (auto err = parseCommandLine(argc, argv, cl)) {
        std::fprintf(stderr, "dtrace: %s\n%s", err->c_str(), usage().c_str());
        return 2;
    }
    // -V reports the version and does nothing else, whatever else is given.
    if (cl.version) return std::printf("dtrace: Oracle D 2.0\n") > 0 ? 0 : 1;
    bool testing = std::getenv("_DTRACE_TESTING") != nullptr;

    program::Options options;
    for (const auto &[name, value] : cl.xoptions) {
        if (name == "cpp") {
            cl.cpp = true;
            continue;
        }
        if (name == "define" && value) {
            cl.cppArgs.push_back("-D" + *value);
            continue;
        }
        if (name == "undef" && value) {
            cl.cppArgs.push_back("-U" + *value);
            continue;
        }
        if (name == "incdir" && value) {
            cl.cppArgs.push_back("-I" + *value);
            continue;
        }
        if (name == "stdc") {
            // The C dialect the preprocessor follows: a (ANSI, the default),
            // c (strict ANSI), s (K&R: no __STDC__), t (transition).
            if (!value || value->size() != 1 ||
                std::string("acst").find((*value)[0]) == std::string::npos) {
                std::fprintf(stderr,
                             "dtrace: failed to set -x stdc: Invalid value for specified option\n");
                return 1;
            }
            if (*value == "s") cl.cppArgs.push_back("-traditional-cpp");
            continue;
        }
        auto err = options.set(name, value ? std::optional<std::string_view>(*value) : std::nullopt,
                               false);
        if (err) {
            std::fprintf(stderr, "dtrace: failed to set -x %s: %s\n", name.c_str(), err->c_str());
            return 1;
        }
    }
    if (testing && !options.quietresize) options.set("quietresize", std::nullopt, false);

    providers::ProbeCatalog catalog;
    if (cl.header || cl.linkObject) return buildProviderFiles(cl, options, catalog);
    if (cl.list && !cl.command && !cl.pid) return listProbes(cl, catalog, std::nullopt);
    if (cl.sources.empty() && !cl.list) {
        std::fprintf(stderr, "%s", usage().c_str());
        return 2;
    }

    // -c: the command exists before compilation so $target is known.
    Child child;
    sema::CompileContext ctx;
    ctx.allowZeroMatches = cl.zeroMatchOk;
    if (cl.command) {
        child = forkCommand(*cl.command);
        if (child.pid < 0) {
            std::fprintf(stderr, "dtrace: failed to execute %s\n", cl.command->c_str());
            return 1;
        }
        ctx.targetPid = child.pid;
        // It has not exec'd yet: pid probes are those of the command.
        std::string first = cl.command->substr(0, cl.command->find_first_of(" \t"));
        catalog.expectExec(child.pid, providers::resolveCommand(first));
    } else if (cl.pid) {
        if (kill(*cl.pid, 0) != 0 && errno == ESRCH) {
            std::fprintf(stderr, "dtrace: failed to grab pid %d: No such process\n", *cl.pid);
            return 1;
        }
        ctx.targetPid = *cl.pid;
    }
    auto killChild = [&] {
        if (child.pid > 0 && !child.reaped) {
            kill(child.pid, SIGKILL);
            waitpid(child.pid, nullptr, 0);
            child.pid = -1;
        }
    };
    if (cl.list) {
        // -l with -c or -p: the process's probes too ($target).
        int rc = listProbes(cl, catalog, ctx.targetPid);
        killChild();
        return rc;
    }

    // _DTRACE_TIMING=1 prints where start-up time goes (for bench/).
    using Clock = std::chrono::steady_clock;
    const bool timing = std::getenv("_DTRACE_TIMING") != nullptr;
    Clock::time_point phaseStart = Clock::now();
    double cppMs = 0;
    auto elapsedMs = [](Clock::time_point since) {
        return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
    };

    // Compile every program into one session.
    std::vector<frontend::Program> asts;
    asts.reserve(cl.sources.size());
    std::vector<size_t> matched;
    sema::Sema sema(options, catalog, ctx);
    ir::Program program;
    bool errtags = false;
    for (const auto &src : cl.sources) {
        ctx.macroArgs.clear();
        ctx.macroArgs.push_back(src.kind == ProgramSource::Kind::Script ? src.name
                                                                        : std::string(argv[0]));
        for (const auto &a : cl.macroArgs) ctx.macroArgs.push_back(a);
        sema.setMacroArguments(ctx.macroArgs);
        std::string text = src.text;
        try {
            errtags = sema.options().errtags;
            if (cl.cpp && src.kind == ProgramSource::Kind::Script) {
                Clock::time_point cppStart = Clock::now();
                auto pre = preprocess(text, cl.cppArgs);
                cppMs += elapsedMs(cppStart);
                if (!pre) {
                    std::fprintf(stderr,
                                 "dtrace: failed to compile script %s: Preprocessor failed to "
                                 "process input program\n",
                                 src.name.c_str());
                    killChild();
                    return 1;
                }
                text = *pre;
            }
            frontend::Parser parser(
                text, [&](std::string_view n, bool k) { return sema.isTypeName(n, k); });
            asts.push_back(parser.parseProgram());
            matched.push_back(sema.analyzeSource(asts.back()));
            errtags = sema.options().errtags;
        } catch (const CompileError &e) {
            errtags = errtags || sema.options().errtags;
            printCompileError(src, e, errtags);
            killChild();
            return 1;
        }
    }
    program = sema.finish();
    const program::Options &opts = program.options;

    double compileMs = elapsedMs(phaseStart) - cppMs;
    Clock::time_point codegenStart = Clock::now();
    program::CompiledProgram compiled;
    try {
        compiled = codegen::generate(program);
    } catch (const CompileError &e) {
        printCompileError(cl.sources.front(), e, opts.errtags);
        killChild();
        return 1;
    }
    if (cl.disassemble) std::fputs(codegen::disassemble(compiled).c_str(), stderr);
    if (cl.compileOnly) {
        killChild();
        return 0;
    }
    if (compiled.needsDestructive && !opts.destructive) {
        std::fprintf(stderr, "dtrace: could not enable tracing: Destructive actions not allowed\n");
        killChild();
        return 1;
    }

    bool quiet = opts.quiet;
    if (!quiet) {
        for (size_t i = 0; i < cl.sources.size(); ++i) {
            const auto &s = cl.sources[i];
            size_t n = matched[i];
            std::fprintf(stderr, "dtrace: %s '%s' matched %zu probe%s\n",
                         s.kind == ProgramSource::Kind::Script ? "script" : "description",
                         s.name.c_str(), n, n == 1 ? "" : "s");
        }
    }

    if (program.clauses.empty()) {
        // Nothing can ever fire: declarations only.
        killChild();
        return 0;
    }

    FILE *out = stdout;
    if (cl.outputFile) {
        out = std::fopen(cl.outputFile->c_str(), "w");
        if (!out) {
            std::fprintf(stderr, "dtrace: failed to open output file '%s': %s\n",
                         cl.outputFile->c_str(), std::strerror(errno));
            killChild();
            return 1;
        }
    }

    double codegenMs = elapsedMs(codegenStart);
    Clock::time_point loadStart = Clock::now();
    // Every record must fit the principal buffer (with its ring header).
    {
        uint64_t bufsize = opts.bufsize;
        const program::BufferPolicy policy = opts.bufpolicy;
        // (An error record that does not fit is counted as a drop, as DTrace
        // does not size the buffer for faults.)
        uint64_t largest = 0, largestEnd = 0;
        for (const auto &c : compiled.clauses) {
            // A ring counts records as DTrace does (see dtraceRecordBytes).
            uint64_t size = !c.recordSize                           ? 0
                            : policy == program::BufferPolicy::Ring ? program::dtraceRecordBytes(c)
                                                                    : c.recordSize + 8;
            largest = std::max(largest, size);
            if (c.isEndClause) largestEnd = std::max(largestEnd, size);
        }
        const char *refusal = nullptr;
        if (policy == program::BufferPolicy::Fill && largestEnd > bufsize)
            refusal = "END enablings exceed size of principal buffer";
        else if (largest > bufsize)
            refusal = "Enabling exceeds size of buffer";
        // The dynamic variable space must hold at least one element of
        // every associative array.
        for (const auto &m : compiled.maps)
            if (m.role == program::MapRole::AssociativeArray &&
                m.keySize + m.valueSize > opts.dynvarsize)
                refusal = "Enabling exceeds size of buffer";
        if (refusal) {
            std::fprintf(stderr, "dtrace: could not enable tracing: %s\n", refusal);
            killChild();
            return 1;
        }
    }
    // fbt needs BPF trampolines: find out before loading anything whether
    // this kernel has them, and if not say why in a line.
    for (const auto &p : compiled.programs) {
        if (p.attach.kind != program::AttachTarget::Kind::Trampoline) continue;
        if (auto why = kernel::trampolinesUnavailable(p.attach.btfId)) {
            std::fprintf(stderr, "dtrace: could not enable tracing: %s: %s\n",
                         p.attach.description.c_str(), why->c_str());
            killChild();
            return 1;
        }
        break;
    }
    kernel::Session session;
    if (auto err = kernel::load(compiled, session, cl.verbose)) {
        std::fprintf(stderr, "dtrace: %s\n", err->message.c_str());
        if (cl.verbose && !err->verifierLog.empty()) std::fputs(err->verifierLog.c_str(), stderr);
        killChild();
        return 1;
    }
    if (cl.verbose)
        std::fprintf(stderr, "dtrace: kernel memory held by this session: %zu bytes\n",
                     session.memoryBytes);
    if (session.bufsizeLowered && !opts.quietresize) {
        uint64_t b = session.bufsizeLowered;
        const char *unit = "";
        for (const char *u : {"k", "m", "g"})
            if (b >= 1024 && b % 1024 == 0) b /= 1024, unit = u;
        std::fprintf(stderr, "dtrace: principal buffer size lowered to %llu%s\n",
                     static_cast<unsigned long long>(b), unit);
    }
    if (timing)
        std::fprintf(stderr,
                     "dtrace: timing: cpp %.2f ms, parse and sema %.2f ms, codegen %.2f ms, maps "
                     "and verifier %.2f ms\n",
                     cppMs, compileMs, codegenMs, elapsedMs(loadStart));
    // For bench/: the cost of compiling and verifying, without tracing.
    if (std::getenv("_DTRACE_LOAD_ONLY")) {
        killChild();
        return 0;
    }

    runtime::ConsumerConfig cc;
    cc.quiet = quiet;
    cc.testing = testing;
    cc.droptags = opts.droptags;
    cc.ring = opts.bufpolicy == program::BufferPolicy::Ring;
    cc.ringSize = opts.bufsize;
    cc.out = out;
    runtime::Consumer consumer(compiled, session, cc);
    std::string err;
    if (!consumer.open(err)) {
        std::fprintf(stderr, "dtrace: could not enable tracing: %s\n", err.c_str());
        killChild();
        return 1;
    }
    consumer.setWalltimeOffset();
    installSignals();

    auto programFd = [&](program::ProgramRole role) {
        for (size_t i = 0; i < compiled.programs.size(); ++i)
            if (compiled.programs[i].role == role) return session.programs[i].get();
        return -1;
    };

    // BEGIN runs first and completes before any other probe is enabled;
    // its records are consumed once tracing is on, as in DTrace (so the
    // effects of its system() actions can be traced).
    int beginFd = programFd(program::ProgramRole::Begin);
    if (beginFd >= 0)
        if (auto e = kernel::runOnce(beginFd)) std::fprintf(stderr, "dtrace: %s\n", e->c_str());

    std::vector<kernel::Fd> links;
    kernel::IsEnabledPatches isEnabledPatches;
    if (!consumer.exitRequested()) {
        if (auto e = kernel::attachAll(compiled, session, links)) {
            std::fprintf(stderr, "dtrace: %s\n", e->c_str());
            killChild();
            return 1;
        }
        // DTrace-style is-enabled sites: patched now in a running
        // process, in the -c command once it has exec'd.
        std::vector<kernel::IsEnabledSites> afterExec;
        for (const program::IsEnabledSites &sites : compiled.isEnabledSites) {
            if (child.pid > 0 && sites.pid == child.pid)
                afterExec.push_back(sites);
            else
                isEnabledPatches.apply(sites);
        }
        if (child.pid > 0) releaseChild(child, afterExec, isEnabledPatches);
    }
    consumer.heartbeat();
    consumer.drain();
    runtime::OverheadMonitor overhead(compiled, session);
    overhead.start();
    const bool governor = !opts.nooverload;
    const double overloadPct = static_cast<double>(opts.overload);
    std::optional<std::string> overloaded;

    uint64_t switchNs = opts.switchrate;
    uint64_t statusNs = opts.statusrate;
    uint64_t deadmanNs = opts.deadman;
    // Go round the loop well within the deadman interval.
    uint64_t loopNs = std::min(switchNs, statusNs);
    if (deadmanNs) loopNs = std::min(loopNs, deadmanNs / 4);
    // Committed and discarded speculations are freed as the consumer reads
    // them: at cleanrate at least.
    if (compiled.nspec) loopNs = std::min(loopNs, opts.cleanrate);
    // User frames are named from the live process: read them soon.
    if (compiled.usesUserStacks) loopNs = std::min<uint64_t>(loopNs, 10000000);
    int pollMs = static_cast<int>(std::clamp<uint64_t>(loopNs / 1000000, 1, 1000));
    // The end of the traced process ends tracing at once.
    if (pid_t watched = child.pid > 0 ? child.pid : cl.pid ? *cl.pid : 0; watched > 0)
        if (!consumer.wakeOnExit(watched)) pollMs = std::min(pollMs, 20);
    auto nextStatus = Clock::now() + std::chrono::nanoseconds(statusNs);
    auto nextKeyScan = Clock::now();
    auto nextPendingScan = Clock::now();
    while (!consumer.exitRequested() && !gInterrupted) {
        consumer.heartbeat();
        consumer.poll(pollMs);
        if (compiled.usesUserStacks) {
            if (child.pid > 0) consumer.rememberProcess(child.pid);
            if (cl.pid) consumer.rememberProcess(*cl.pid);
            if (Clock::now() >= nextKeyScan) {
                consumer.rememberKeyProcesses();
                nextKeyScan = Clock::now() + std::chrono::milliseconds(100);
            }
        }
        // Is-enabled sites of libraries the process had not loaded yet.
        if (isEnabledPatches.hasPending() && Clock::now() >= nextPendingScan) {
            isEnabledPatches.retryPending();
            nextPendingScan = Clock::now() + std::chrono::milliseconds(20);
        }
        if (Clock::now() >= nextStatus) {
            consumer.reportDrops();
            // SystemTap's overload governor: too much of a CPU in probes.
            if (governor && (overloaded = overhead.check(overloadPct))) break;
            nextStatus = Clock::now() + std::chrono::nanoseconds(statusNs);
        }
        if (child.pid > 0) {
            int status;
            if (child.reaped || waitpid(child.pid, &status, WNOHANG) == child.pid) {
                child.reaped = false;
                if (!quiet) std::fprintf(stderr, "dtrace: pid %d has exited\n", child.pid);
                child.pid = -1;
                break;
            }
        } else if (cl.pid && kill(*cl.pid, 0) != 0 && errno == ESRCH) {
            if (!quiet) std::fprintf(stderr, "dtrace: pid %d has exited\n", *cl.pid);
            break;
        }
    }
    // DTrace notices exit() at its next status check: a statusrate the
    // user set is kept (by default the end comes at once).
    if (consumer.exitRequested() && opts.chosen("statusrate"))
        while (!gInterrupted && Clock::now() < nextStatus) {
            consumer.heartbeat();
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(nextStatus - Clock::now());
            consumer.poll(static_cast<int>(std::clamp<int64_t>(left.count(), 1, pollMs)));
        }
    consumer.stopProbes();
    links.clear(); // detach
    isEnabledPatches.restore();
    consumer.drain();
    if (overloaded || consumer.aborted()) consumer.flushRings();
    if (overloaded) {
        std::fputs(overloaded->c_str(), stderr);
        if (opts.probestats) std::fputs(overhead.statistics().c_str(), stderr);
        if (out != stdout) std::fclose(out);
        killChild();
        return 1;
    }
    if (consumer.aborted()) {
        std::fprintf(stderr,
                     "dtrace: processing aborted: Abort due to systemic unresponsiveness\n");
        consumer.reportDrops();
        if (out != stdout) std::fclose(out);
        killChild();
        return 1;
    }

    int endFd = programFd(program::ProgramRole::End);
    if (endFd >= 0) {
        if (auto e = kernel::runOnce(endFd)) std::fprintf(stderr, "dtrace: %s\n", e->c_str());
        consumer.drain();
    }
    consumer.flushRings();
    consumer.reportDrops();
    Clock::time_point printStart = Clock::now();
    consumer.printAggregations();
    if (timing)
        std::fprintf(stderr, "dtrace: timing: aggregations printed in %.2f ms\n",
                     elapsedMs(printStart));
    if (opts.probestats) std::fputs(overhead.statistics().c_str(), stderr);
    int status = consumer.exitRequested() ? consumer.exitStatus() : 0;
    if (out != stdout) std::fclose(out);
    killChild();
    return status;
}

} // namespace dtrace::cli
