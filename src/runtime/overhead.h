// The overload governor and -x probestats: reads the per-clause counters
// the probes keep in each CPU's context (codegen's ClauseStats), works out
// how much of each CPU the probes took since the last look, and formats
// the tables dtrace prints.
#pragma once

#include "kernel/loader.h"
#include "program/plan.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace dtrace::runtime {

class OverheadMonitor {
  public:
    OverheadMonitor(const program::CompiledProgram &prog, const kernel::Session &session);

    bool enabled() const { return prog_.statsClauses > 0; }
    // Starts an interval (call when the probes are enabled).
    void start();
    // Ends the interval: when the probes took more than thresholdPct of some
    // CPU, DTrace's abort message and the costliest clauses on that CPU.
    std::optional<std::string> check(double thresholdPct);
    // -x probestats: per clause, firings and min/mean/max nanoseconds.
    std::string statistics();

  private:
    using Counters = std::vector<program::ClauseStats>; // by clause
    bool read(std::vector<Counters> &perCpu) const;
    std::string clauseLabel(uint32_t clause) const;

    const program::CompiledProgram &prog_;
    int contextFd_ = -1;
    int cpus_ = 0;
    std::vector<Counters> last_;
    std::chrono::steady_clock::time_point lastTime_;
};

} // namespace dtrace::runtime
