#include "runtime/overhead.h"

#include <bpf/bpf.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace dtrace::runtime {

OverheadMonitor::OverheadMonitor(const program::CompiledProgram &prog,
                                 const kernel::Session &session)
    : prog_(prog), cpus_(session.cpus) {
    if (int context = prog.mapOf(program::MapRole::Context);
        context >= 0 && static_cast<size_t>(context) < session.maps.size())
        contextFd_ = session.maps.at(static_cast<size_t>(context)).get();
}

bool OverheadMonitor::read(std::vector<Counters> &perCpu) const {
    if (!enabled() || contextFd_ < 0) return false;
    std::vector<uint8_t> value(prog_.contextSize);
    perCpu.assign(static_cast<size_t>(cpus_), Counters(prog_.statsClauses));
    for (int cpu = 0; cpu < cpus_; ++cpu) {
        uint32_t key = static_cast<uint32_t>(cpu);
        if (bpf_map_lookup_elem(contextFd_, &key, value.data()) != 0) continue;
        std::memcpy(perCpu[static_cast<size_t>(cpu)].data(), value.data() + prog_.statsOffset + 8,
                    prog_.statsClauses * sizeof(program::ClauseStats));
    }
    return true;
}

void OverheadMonitor::start() {
    read(last_);
    lastTime_ = std::chrono::steady_clock::now();
}

std::string OverheadMonitor::clauseLabel(uint32_t clause) const {
    std::string label = "dt_clause_" + std::to_string(clause);
    if (clause < prog_.clauses.size() && !prog_.clauses[clause].description.empty())
        label += " (" + prog_.clauses[clause].description + ")";
    return label;
}

std::optional<std::string> OverheadMonitor::check(double thresholdPct) {
    std::vector<Counters> now;
    if (!read(now)) return std::nullopt;
    auto t = std::chrono::steady_clock::now();
    double wallNs = std::chrono::duration<double, std::nano>(t - lastTime_).count();
    std::vector<Counters> before = std::move(last_);
    last_ = now;
    lastTime_ = t;
    if (wallNs <= 0 || before.size() != now.size()) return std::nullopt;
    // A clause's time on a CPU: the timed firings' total, scaled up to all
    // its firings (one in kSampleEvery is timed).
    auto busy = [&](size_t cpu, uint32_t c) {
        const auto &a = before[cpu][c], &b = now[cpu][c];
        double firings = static_cast<double>(b.firings - a.firings);
        double timed = static_cast<double>(b.timed - a.timed);
        double total = static_cast<double>(b.totalNs - a.totalNs);
        if (firings <= 0) return 0.0;
        if (timed > 0) return total / timed * firings;
        return b.timed ? static_cast<double>(b.totalNs) / static_cast<double>(b.timed) * firings
                       : 0.0;
    };
    size_t worstCpu = 0;
    double worst = 0;
    for (size_t cpu = 0; cpu < now.size(); ++cpu) {
        double sum = 0;
        for (uint32_t c = 0; c < prog_.statsClauses; ++c) sum += busy(cpu, c);
        if (sum > worst) worst = sum, worstCpu = cpu;
    }
    double pct = worst / wallNs * 100.0;
    if (pct <= thresholdPct) return std::nullopt;
    char line[256];
    std::snprintf(
        line, sizeof line,
        "dtrace: processing aborted: probe overhead exceeded threshold (%.0f%% > %.0f%%)\n", pct,
        thresholdPct);
    std::string msg = line;
    std::snprintf(line, sizeof line, "dtrace: costliest clauses on CPU %zu over the last %.2f s:\n",
                  worstCpu, wallNs / 1e9);
    msg += line;
    std::vector<std::pair<double, uint32_t>> order;
    for (uint32_t c = 0; c < prog_.statsClauses; ++c)
        if (double b = busy(worstCpu, c); b > 0) order.push_back({b, c});
    std::sort(order.rbegin(), order.rend());
    if (order.size() > 5) order.resize(5);
    for (auto [b, c] : order) {
        const auto &a = before[worstCpu][c], &n = now[worstCpu][c];
        uint64_t firings = n.firings - a.firings;
        std::snprintf(line, sizeof line,
                      "  %5.1f%% of the CPU  %12llu firings  %8.0f ns each  %s\n",
                      b / wallNs * 100.0, static_cast<unsigned long long>(firings),
                      firings ? b / static_cast<double>(firings) : 0.0, clauseLabel(c).c_str());
        msg += line;
    }
    return msg;
}

std::string OverheadMonitor::statistics() {
    std::vector<Counters> now;
    if (!read(now)) return "";
    std::string out =
        "dtrace: probe statistics (each clause: firings, and nanoseconds per firing):\n";
    char line[256];
    std::snprintf(line, sizeof line, "  %12s %10s %10s %10s  %s\n", "firings", "min", "mean", "max",
                  "clause");
    out += line;
    for (uint32_t c = 0; c < prog_.statsClauses; ++c) {
        uint64_t firings = 0, timed = 0, total = 0, mn = 0, mx = 0;
        for (const auto &cpu : now) {
            const auto &s = cpu[c];
            firings += s.firings;
            timed += s.timed;
            total += s.totalNs;
            if (s.minNs && (mn == 0 || s.minNs < mn)) mn = s.minNs;
            mx = std::max(mx, s.maxNs);
        }
        if (c < prog_.clauses.size() && prog_.clauses[c].isErrorClause && firings == 0) continue;
        std::snprintf(line, sizeof line, "  %12llu %10llu %10llu %10llu  %s\n",
                      static_cast<unsigned long long>(firings), static_cast<unsigned long long>(mn),
                      static_cast<unsigned long long>(timed ? total / timed : 0),
                      static_cast<unsigned long long>(mx), clauseLabel(c).c_str());
        out += line;
    }
    return out;
}

} // namespace dtrace::runtime
