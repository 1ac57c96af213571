#include "cli/session.h"

#include "cli/compile.h"
#include "cli/dtrace.h"
#include "cli/list.h"
#include "codegen/codegen.h"
#include "kernel/attach.h"
#include "providers/kprobes.h"
#include "providers/user_probes.h"
#include "runtime/consumer.h"
#include "runtime/metrics_server.h"
#include "runtime/overhead.h"
#include "util/messages.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace dtrace::cli {

namespace {

using Clock = std::chrono::steady_clock;

double elapsedMs(Clock::time_point since) {
    return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

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

// The program of a role (BEGIN, END), or -1.
int programFd(const program::CompiledProgram &compiled, const kernel::Session &session,
              program::ProgramRole role) {
    for (size_t i = 0; i < compiled.programs.size(); ++i)
        if (compiled.programs[i].role == role) return session.programs[i].get();
    return -1;
}

// A report the runtime made as lines that start with "dtrace: ".
void reportText(Severity severity, std::string_view text) {
    if (text.starts_with("dtrace: ")) text.remove_prefix(8);
    if (!text.empty()) report(severity, text);
}

} // namespace

TracingSession::TracingSession(CommandLine &cl, program::Options options,
                               providers::ProbeCatalog &catalog, std::string argv0)
    : cl_(cl), options_(std::move(options)), catalog_(catalog), argv0_(std::move(argv0)),
      testing_(std::getenv("_DTRACE_TESTING") != nullptr),
      timing_(std::getenv("_DTRACE_TIMING") != nullptr || options_.debug) {
    ctx_.allowZeroMatches = cl_.zeroMatchOk;
    ctx_.libraryDirs = cl_.libraryDirs;
}

TracingSession::~TracingSession() = default;

int TracingSession::run() {
    startTarget();
    // -l with -c or -p: the process's probes too ($target).
    if (cl_.list)
        return listProbes(cl_, catalog_, ctx_.targetPid,
                          options_.oformat == program::OutputFormat::Json);
    compile();
    if (cl_.disassemble) std::fputs(codegen::disassemble(compiled_).c_str(), stderr);
    if (cl_.compileOnly) {
        // -e -v: the report, and each probe description's attributes.
        if (cl_.verbose)
            for (size_t i = 0; i < cl_.sources.size(); ++i) reportStability(stdout, i, true);
        return 0;
    }
    // -x cpu (or its pragma): a CPU that is there and online, or nothing
    // would ever fire.
    if (auto cpu = ir_.options.cpu) {
        bool online = *cpu < static_cast<uint64_t>(sysconf(_SC_NPROCESSORS_CONF));
        std::string state = "/sys/devices/system/cpu/cpu" + std::to_string(*cpu) + "/online";
        if (FILE *f = online ? std::fopen(state.c_str(), "r") : nullptr) {
            online = std::fgetc(f) != '0';
            std::fclose(f);
        }
        if (!online)
            throw Error("failed to set -x cpu: CPU " + std::to_string(*cpu) + " is not online");
    }
    if (compiled_.needsDestructive && !ir_.options.destructive)
        throw Error("could not enable tracing: Destructive actions not allowed");
    openOutput();
    reportMatches();
    // Declarations only: nothing can ever fire.
    if (ir_.clauses.empty()) return 0;
    checkEnabling();
    startMetrics();
    load();
    // For bench/: the cost of compiling and verifying, without tracing.
    if (std::getenv("_DTRACE_LOAD_ONLY")) return 0;
    enable();
    bool normal = traceUntilDone();
    return finish(normal);
}

// -c: the commands exist before compilation so that $target (the first)
// is known (they wait, not yet exec'd, until tracing is on). -p: the
// processes must exist; $target is the first when there is no -c.
void TracingSession::startTarget() {
    for (const std::string &command : cl_.commands) {
        ChildProcess &child = children_.emplace_back(command);
        if (!ctx_.targetPid) ctx_.targetPid = child.pid();
        // It has not exec'd yet: pid probes are those of the command.
        std::string first = command.substr(0, command.find_first_of(" \t"));
        catalog_.expectExec(child.pid(), providers::resolveCommand(first));
    }
    for (int pid : cl_.pids) {
        if (kill(pid, 0) != 0 && errno == ESRCH)
            throw Error("failed to grab pid " + std::to_string(pid) + ": No such process");
        if (!ctx_.targetPid) ctx_.targetPid = pid;
        grabbed_.push_back(pid);
    }
}

// Whether every -c command and -p process has ended (dtrace then ends),
// noticing each as it goes; false when there were none.
bool TracingSession::targetsEnded(runtime::Consumer &consumer) {
    if (cl_.commands.empty() && cl_.pids.empty()) return false;
    bool quiet = ir_.options.quiet;
    for (auto it = children_.begin(); it != children_.end();) {
        pid_t pid = it->pid();
        if (!it->exited([&] { consumer.rememberProcess(pid); })) {
            ++it;
            continue;
        }
        if (!quiet) report(Severity::Info, it->exitNotice());
        it = children_.erase(it);
    }
    std::erase_if(grabbed_, [&](int pid) {
        if (kill(pid, 0) == 0 || errno != ESRCH) return false;
        if (!quiet) report(Severity::Info, "pid " + std::to_string(pid) + " has exited");
        return true;
    });
    return children_.empty() && grabbed_.empty();
}

void TracingSession::compile() {
    Clock::time_point start = Clock::now();
    // Probe IDs as `dtrace -l` gives them: every probe listed first.
    if (mayNameProbeIds(cl_)) catalog_.list({});
    sema::Sema sema(options_, catalog_, ctx_);
    CompiledSources sources = compileSources(cl_, sema, ctx_, argv0_, &cppMs_);
    matched_ = std::move(sources.matched);
    ir_ = std::move(sources.ir);
    // #pragma D option oformat=json: messages from now on as JSON too.
    if (ir_.options.oformat == program::OutputFormat::Json) useJsonMessages(true);
    compileMs_ = elapsedMs(start) - cppMs_;
    Clock::time_point codegenStart = Clock::now();
    compiled_ = generateCode(cl_, ir_);
    codegenMs_ = elapsedMs(codegenStart);
}

// A program's name in reports: a script's path, or a description up to
// its predicate or action list, as DTrace crops it.
static std::string reportedName(const ProgramSource &s) {
    if (s.kind == ProgramSource::Kind::Script) return s.name;
    return s.name.substr(0, s.name.find_first_of("{/;"));
}

// Kernel functions enabled one at a time (no kprobe_multi, which takes
// them all in one link: CONFIG_FPROBE) each wait for the kernel when they
// are attached and again when detached: past a thousand, say so first.
void TracingSession::reportSlowAttach() const {
    using Kind = program::AttachTarget::Kind;
    size_t oneByOne = 0;
    for (const program::ProgramSpec &p : compiled_.programs)
        if (p.role == program::ProgramRole::Probes &&
            (p.attach.kind == Kind::Kprobe || p.attach.kind == Kind::Trampoline))
            ++oneByOne;
    if (oneByOne > 1000 && !ir_.options.quiet)
        report(Severity::Info,
               "enabling " + std::to_string(oneByOne) +
                   " kernel function probes one at a time (this kernel has no kprobe_multi, "
                   "CONFIG_FPROBE): attaching and detaching them takes a while");
}

void TracingSession::reportMatches() {
    for (size_t i = 0; i < cl_.sources.size(); ++i) {
        const auto &s = cl_.sources[i];
        const char *kind = s.kind == ProgramSource::Kind::Script ? "script" : "description";
        size_t n = matched_[i];
        if (!ir_.options.quiet)
            report(Severity::Info, std::string(kind) + " '" + reportedName(s) + "' matched " +
                                       std::to_string(n) + " probe" + (n == 1 ? "" : "s"));
        if (cl_.verbose) reportStability(out_ ? out_.get() : stdout, i, false);
    }
}

// -v: the lowest stability attributes of a program's probe descriptions
// and of its statements (to the output, even with -q, as DTrace does).
void TracingSession::reportStability(FILE *out, size_t source, bool descriptions) const {
    const auto &s = cl_.sources[source];
    program::Attributes described = program::kHighest, statements = program::kHighest;
    bool any = false;
    for (const auto &c : ir_.clauses)
        if (static_cast<size_t>(c.source) == source) {
            any = true;
            described = program::lowest(described, c.descriptionAttributes);
            statements = program::lowest(statements, c.statementAttributes);
        }
    if (!any) described = statements = program::kStableCommon;
    std::fprintf(out, "\nStability attributes for %s %s:\n",
                 s.kind == ProgramSource::Kind::Script ? "script" : "description",
                 reportedName(s).c_str());
    auto attributes = [out](const char *title, const program::Attributes &a) {
        std::fprintf(out,
                     "\n\t%s\n\t\tIdentifier Names: %s\n\t\tData Semantics:   %s\n"
                     "\t\tDependency Class: %s\n",
                     title, program::stabilityName(a.name), program::stabilityName(a.data),
                     program::dependencyClassName(a.dependency));
    };
    attributes("Minimum Probe Description Attributes", described);
    attributes("Minimum Statement Attributes", statements);
    if (!descriptions) {
        std::fprintf(out, "\n");
        std::fflush(out);
        return;
    }
    // -e: each description (once), and what its probes are.
    const std::string *previous = nullptr;
    for (const auto &c : ir_.clauses) {
        if (static_cast<size_t>(c.source) != source || (previous && *previous == c.description))
            continue;
        previous = &c.description;
        providers::ProbeDescription d;
        providers::parseProbeDescription(c.description, d);
        std::fprintf(out, "\n%s\n", d.text().c_str());
        if (c.probes.empty() || c.unstableDescription) continue;
        attributes("Probe Description Attributes", c.descriptionAttributes);
        attributes("Argument Attributes", c.argumentAttributes);
        std::fprintf(out, "\n\tArgument Types\n");
        const auto &types = catalog_.argumentTypes(*c.probes.front());
        for (size_t i = 0; i < types.size(); ++i)
            std::fprintf(out, "\t\targs[%zu]: %s\n", i, types[i].c_str());
        if (types.empty()) std::fprintf(out, "\t\tNone\n");
        std::fprintf(out, "\n");
    }
    std::fflush(out);
}

void TracingSession::openOutput() {
    if (!cl_.outputFile) return;
    out_.reset(std::fopen(cl_.outputFile->c_str(), "w"));
    if (!out_)
        throw Error("failed to open output file '" + *cl_.outputFile +
                    "': " + std::strerror(errno));
}

// What DTrace refuses before enabling anything: a record larger than the
// principal buffer, an associative array larger than the dynamic variable
// space; and fbt where the kernel has no BPF trampolines (said in a line
// before anything is loaded).
void TracingSession::checkEnabling() {
    const program::Options &opts = ir_.options;
    const program::BufferPolicy policy = opts.bufpolicy;
    // (An error record that does not fit is counted as a drop, as DTrace
    // does not size the buffer for faults.)
    uint64_t largest = 0, largestEnd = 0;
    for (const auto &c : compiled_.clauses) {
        // A ring counts records as DTrace does (see dtraceRecordBytes); a
        // record takes its ring header too.
        uint64_t size = !c.recordSize                           ? 0
                        : policy == program::BufferPolicy::Ring ? program::dtraceRecordBytes(c)
                                                                : c.recordSize + 8;
        largest = std::max(largest, size);
        if (c.isEndClause) largestEnd = std::max(largestEnd, size);
    }
    if (policy == program::BufferPolicy::Fill && largestEnd > opts.bufsize)
        throw Error("could not enable tracing: END enablings exceed size of principal buffer");
    // A fault's ERROR record (its five values after the EPID, 48 bytes as
    // DTrace counts it) can come from any probe: a switch or fill buffer
    // must hold one with DTrace's header (8 bytes) and size word (4).
    constexpr uint64_t kErrorRecordBytes = 8 + 4 + 48;
    if (policy != program::BufferPolicy::Ring) largest = std::max(largest, kErrorRecordBytes);
    if (largest > opts.bufsize)
        throw Error("could not enable tracing: Enabling exceeds size of buffer");
    // aggsize must hold an entry of the largest key and the largest value
    // the aggregations have.
    uint64_t maxKey = 0, maxValue = 0;
    for (const auto &a : compiled_.aggregations) {
        maxKey = std::max<uint64_t>(maxKey, a.keys.empty() ? 0 : a.keySize - program::kAggTagSize);
        maxValue = std::max<uint64_t>(maxValue, a.valueSize);
    }
    if (maxValue && maxKey + maxValue > opts.aggsize)
        throw Error("could not enable tracing: Enabling exceeds size of buffer");
    for (const auto &m : compiled_.maps)
        if (m.role == program::MapRole::AssociativeArray &&
            m.keySize + m.valueSize > opts.dynvarsize)
            throw Error("could not enable tracing: Enabling exceeds size of buffer");
    for (const auto &p : compiled_.programs) {
        if (p.attach.kind != program::AttachTarget::Kind::Trampoline) continue;
        if (auto why = kernel::trampolinesUnavailable(p.attach.btfId)) {
            // fbt falls back to kprobes when it can: here it could not.
            if (auto noKprobes = providers::kprobesUnavailable()) *why += "; and " + *noKprobes;
            throw Error("could not enable tracing: " + p.attach.description + ": " + *why);
        }
        break;
    }
}

void TracingSession::load() {
    Clock::time_point start = Clock::now();
    try {
        kernel::load(compiled_, kernel_, cl_.verbose);
    } catch (const kernel::LoadError &e) {
        // -v: the verifier's own words, after DTrace's line.
        std::string log = cl_.verbose ? e.verifierLog() : std::string();
        while (!log.empty() && log.back() == '\n') log.pop_back();
        if (log.empty()) throw;
        throw Error(e.message() + "\n" + log);
    }
    if (cl_.verbose)
        report(Severity::Info, "kernel memory held by this session: " +
                                   std::to_string(kernel_.memoryBytes) + " bytes");
    if (kernel_.bufsizeLowered && !ir_.options.quietresize) {
        uint64_t b = kernel_.bufsizeLowered;
        const char *unit = "";
        for (const char *u : {"k", "m", "g"})
            if (b >= 1024 && b % 1024 == 0) b /= 1024, unit = u;
        report(Severity::Warning, "principal buffer size lowered to " + std::to_string(b) + unit);
    }
    if (timing_)
        std::fprintf(stderr,
                     "dtrace: timing: cpp %.2f ms, parse and sema %.2f ms, codegen %.2f ms, maps "
                     "and verifier %.2f ms\n",
                     cppMs_, compileMs_, codegenMs_, elapsedMs(start));
}

// Bound before the programs load, so that an address in use fails at
// once; served from the consumer's loop (the aggregations are read there
// as printa() reads them, with no thread sharing them).
void TracingSession::startMetrics() {
    const std::string &address = ir_.options.metrics;
    if (address.empty()) return;
    metrics_ = std::make_unique<runtime::MetricsServer>(address);
    if (!ir_.options.quiet || address.ends_with(":0"))
        report(Severity::Info, "serving metrics at " + metrics_->url());
}

void TracingSession::serveMetrics() {
    if (metrics_) metrics_->serve([this] { return consumer_->metrics(); });
}

// BEGIN runs first and completes before any other probe is enabled; its
// records are consumed once tracing is on, as in DTrace (so the effects of
// its system() actions can be traced). Then the probes are attached, the
// is-enabled sites patched, and the -c command let go.
void TracingSession::enable() {
    const program::Options &opts = ir_.options;
    runtime::ConsumerConfig cc;
    cc.quiet = opts.quiet;
    cc.testing = testing_;
    cc.droptags = opts.droptags;
    cc.ring = opts.bufpolicy == program::BufferPolicy::Ring;
    cc.ringSize = opts.bufsize;
    cc.out = out_ ? out_.get() : stdout;
    consumer_ = std::make_unique<runtime::Consumer>(compiled_, kernel_, cc);
    consumer_->open();
    consumer_->setWalltimeOffset();
    if (metrics_ && !consumer_->wakeOnReadable(metrics_->waitFd()))
        throw Error("cannot serve metrics: " + std::string(std::strerror(errno)));
    installSignals();

    if (int beginFd = programFd(compiled_, kernel_, program::ProgramRole::Begin); beginFd >= 0) {
        try {
            kernel::runOnce(beginFd);
        } catch (const Error &e) {
            report(Severity::Error, e.what());
        }
    }
    if (!consumer_->exitRequested()) {
        reportSlowAttach();
        kernel::attachAll(compiled_, kernel_, links_);
        // DTrace-style is-enabled sites: patched now in a running process,
        // in the -c command once it has exec'd.
        std::vector<kernel::IsEnabledSites> afterExec;
        for (const program::IsEnabledSites &sites : compiled_.isEnabledSites) {
            bool aCommand = std::any_of(children_.begin(), children_.end(),
                                        [&](const ChildProcess &c) { return c.pid() == sites.pid; });
            if (aCommand)
                afterExec.push_back(sites);
            else
                isEnabledPatches_.apply(sites);
        }
        for (ChildProcess &child : children_) {
            std::vector<kernel::IsEnabledSites> its;
            for (const auto &sites : afterExec)
                if (sites.pid == child.pid()) its.push_back(sites);
            child.release(its, isEnabledPatches_, compiled_.usesUserStacks);
        }
    }
    consumer_->heartbeat();
    consumer_->drain();
    overhead_ = std::make_unique<runtime::OverheadMonitor>(compiled_, kernel_);
    overhead_->start();
}

// The consumer's loop: drains the buffers at switchrate, reports drops and
// checks the overload governor at statusrate, keeps the deadman fed, until
// exit(), a signal, or the end of the traced process. Then the probes stop
// and are detached. False when tracing was aborted (overload, deadman).
bool TracingSession::traceUntilDone() {
    const program::Options &opts = ir_.options;
    runtime::Consumer &consumer = *consumer_;
    const bool governor = !opts.nooverload;
    const auto overloadPct = static_cast<double>(opts.overload);
    // Go round the loop well within the deadman interval.
    uint64_t loopNs = std::min(opts.switchrate, opts.statusrate);
    if (opts.deadman) loopNs = std::min(loopNs, opts.deadman / 4);
    // Committed and discarded speculations are freed as the consumer reads
    // them: at cleanrate at least.
    if (compiled_.nspec) loopNs = std::min(loopNs, opts.cleanrate);
    // User frames are named from the live process: read them soon.
    if (compiled_.usesUserStacks) loopNs = std::min<uint64_t>(loopNs, 10000000);
    int pollMs = static_cast<int>(std::clamp<uint64_t>(loopNs / 1000000, 1, 1000));
    // The end of the traced process ends tracing at once (of several,
    // each is looked for often).
    size_t targets = cl_.commands.size() + cl_.pids.size();
    if (targets == 1 && !consumer.wakeOnExit(*ctx_.targetPid)) pollMs = std::min(pollMs, 20);
    if (targets > 1) pollMs = std::min(pollMs, 20);
    auto nextStatus = Clock::now() + std::chrono::nanoseconds(opts.statusrate);
    auto nextKeyScan = Clock::now();
    auto nextPendingScan = Clock::now();
    while (!consumer.exitRequested() && !gInterrupted) {
        consumer.heartbeat();
        consumer.poll(pollMs);
        serveMetrics();
        if (consumer.outputClosed()) {
            outputClosed_ = true;
            break;
        }
        if (compiled_.usesUserStacks) {
            for (const ChildProcess &child : children_) consumer.rememberProcess(child.pid());
            for (int pid : grabbed_) consumer.rememberProcess(pid);
            if (Clock::now() >= nextKeyScan) {
                consumer.rememberKeyProcesses();
                nextKeyScan = Clock::now() + std::chrono::milliseconds(100);
            }
        }
        // Is-enabled sites of libraries the process had not loaded yet.
        if (isEnabledPatches_.hasPending() && Clock::now() >= nextPendingScan) {
            isEnabledPatches_.retryPending();
            nextPendingScan = Clock::now() + std::chrono::milliseconds(20);
        }
        if (Clock::now() >= nextStatus) {
            consumer.reportDrops();
            // SystemTap's overload governor: too much of a CPU in probes.
            if (governor && (overloaded_ = overhead_->check(overloadPct))) break;
            nextStatus = Clock::now() + std::chrono::nanoseconds(opts.statusrate);
        }
        if (targetsEnded(consumer)) break;
    }
    // DTrace notices exit() at its next status check: a statusrate the
    // user set is kept (by default the end comes at once).
    if (consumer.exitRequested() && opts.chosen("statusrate"))
        while (!gInterrupted && Clock::now() < nextStatus) {
            consumer.heartbeat();
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(nextStatus - Clock::now());
            consumer.poll(static_cast<int>(std::clamp<int64_t>(left.count(), 1, pollMs)));
            serveMetrics();
        }
    consumer.stopProbes();
    detacher_ = std::jthread([links = std::move(links_)]() mutable { kernel::detachAll(links); });
    isEnabledPatches_.restore();
    consumer.drain();
    return !overloaded_ && !consumer.aborted();
}

int TracingSession::finish(bool normal) {
    const program::Options &opts = ir_.options;
    runtime::Consumer &consumer = *consumer_;
    if (!normal) {
        consumer.flushRings();
        if (overloaded_) {
            reportText(Severity::Error, *overloaded_);
            if (opts.probestats) reportText(Severity::Info, overhead_->statistics());
        } else {
            report(Severity::Error, "processing aborted: Abort due to systemic unresponsiveness");
            consumer.reportDrops();
        }
        return 1;
    }
    if (outputClosed_) {
        // As DTrace ends when its output's reader has gone: by SIGPIPE,
        // once the probes are off (a -c command it made goes too).
        if (detacher_.joinable()) detacher_.join();
        children_.clear();
        std::signal(SIGPIPE, SIG_DFL);
        std::raise(SIGPIPE);
        return 1;
    }
    if (int endFd = programFd(compiled_, kernel_, program::ProgramRole::End); endFd >= 0) {
        try {
            kernel::runOnce(endFd);
        } catch (const Error &e) {
            report(Severity::Error, e.what());
        }
        consumer.drain();
    }
    consumer.flushRings();
    consumer.reportDrops();
    Clock::time_point printStart = Clock::now();
    consumer.printAggregations();
    if (timing_)
        std::fprintf(stderr, "dtrace: timing: aggregations printed in %.2f ms\n",
                     elapsedMs(printStart));
    if (opts.probestats) reportText(Severity::Info, overhead_->statistics());
    std::fflush(nullptr);
    if (detacher_.joinable()) detacher_.join();
    return consumer.exitRequested() ? consumer.exitStatus() : 0;
}

} // namespace dtrace::cli
