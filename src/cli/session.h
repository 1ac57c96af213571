// A tracing session of dtrace(8), in the steps a reader can follow: the
// target process (-c, -p), compilation, the checks before anything is
// enabled, loading, then tracing (BEGIN, the probes, the consumer's loop),
// and the end (END, the aggregations). Every step throws Error when it
// fails; what the session owns (the -c child, the output file, the
// kernel's objects) is released by its destructor, whatever the way out.
#pragma once

#include "cli/child_process.h"

#include <list>
#include "cli/command_line.h"
#include "kernel/is_enabled.h"
#include "kernel/loader.h"
#include "program/plan.h"
#include "providers/catalog.h"
#include "sema/sema.h"

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace dtrace::runtime {
class Consumer;
class MetricsServer;
class OverheadMonitor;
} // namespace dtrace::runtime

namespace dtrace::cli {

class TracingSession {
  public:
    TracingSession(CommandLine &cl, program::Options options, providers::ProbeCatalog &catalog,
                   std::string argv0);
    ~TracingSession();
    TracingSession(const TracingSession &) = delete;
    TracingSession &operator=(const TracingSession &) = delete;

    // The whole session; its exit status.
    int run();

  private:
    struct OutputCloser {
        void operator()(FILE *f) const {
            if (f && f != stdout) std::fclose(f);
        }
    };

    void startTarget();      // -c forks the command (held), -p checks the process
    void compile();          // the programs, into compiled_
    void reportMatches();    // "dtrace: script 'x.d' matched N probes"
    void reportSlowAttach() const; // thousands of kernel functions one at a time
    void checkEnabling();    // what DTrace refuses before enabling anything
    void openOutput();       // -o
    // -x metrics: listening before anything is loaded; answering scrapes.
    void startMetrics();
    void serveMetrics();
    void load();             // maps and programs into the kernel
    void enable();           // BEGIN, then the probes, then the -c command runs
    void reportStability(FILE *out, size_t source, bool descriptions) const;
    bool traceUntilDone();   // the consumer's loop; false when aborted
    bool targetsEnded(runtime::Consumer &consumer); // every -c and -p process gone
    int finish(bool normal); // END, drops, aggregations; the exit status

    CommandLine &cl_;
    program::Options options_;
    providers::ProbeCatalog &catalog_;
    std::string argv0_;
    const bool testing_;
    sema::CompileContext ctx_;
    std::list<ChildProcess> children_; // the -c commands still running
    std::vector<int> grabbed_;         // the -p processes still running
    std::vector<size_t> matched_;
    ir::Program ir_;
    program::CompiledProgram compiled_;
    std::unique_ptr<FILE, OutputCloser> out_;
    kernel::Session kernel_;
    std::unique_ptr<runtime::Consumer> consumer_;
    std::unique_ptr<runtime::OverheadMonitor> overhead_;
    // -x metrics
    std::unique_ptr<runtime::MetricsServer> metrics_;
    std::vector<Fd> links_; // the attachments: cleared to detach
    // Detaches links_ while END runs and output prints: on kernels without
    // uprobe_multi a big pid glob takes a grace period a probe to detach.
    std::jthread detacher_;
    kernel::IsEnabledPatches isEnabledPatches_;
    std::optional<std::string> overloaded_;
    bool outputClosed_ = false; // the reader of a piped output has gone
    // _DTRACE_TIMING=1: where start-up time goes (for bench/).
    const bool timing_;
    double cppMs_ = 0, compileMs_ = 0, codegenMs_ = 0;
};

} // namespace dtrace::cli
