// The consumer: drains the per-CPU ring buffers, decodes records by EPID,
// prints them, runs consumer-side actions (system), watches the exit state
// and reports everything that was lost.
#pragma once

#include "kernel/loader.h"
#include "program/plan.h"
#include "runtime/aggregations.h"
#include "runtime/metrics.h"
#include "runtime/ring_reader.h"
#include "runtime/symbols.h"
#include "runtime/typed_print.h"

#include <cstdio>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>


namespace dtrace::runtime {

struct ConsumerConfig {
    bool quiet = false;
    bool testing = false; // _DTRACE_TESTING: no CPU and ID columns
    bool droptags = false;
    // bufpolicy=ring: each CPU keeps its most recent records, at most
    // ringSize bytes counted as DTrace counts them, printed at the end.
    bool ring = false;
    uint64_t ringSize = 0;
    FILE *out = stdout;
};

class Consumer {
  public:
    Consumer(const program::CompiledProgram &prog, kernel::Session &session, ConsumerConfig config);
    ~Consumer();
    Consumer(const Consumer &) = delete;
    Consumer &operator=(const Consumer &) = delete;

    // Sets up the ring buffers and maps the shared state.
    void open(); // throws Error
    // Waits up to timeoutMs for a wake-up, then drains every buffer.
    void poll(int timeoutMs);
    void drain();
    // Makes poll() return as soon as process pid exits (a pidfd in the ring
    // buffers' epoll set), so that -c and -p end at once; false when the
    // kernel has no pidfds.
    bool wakeOnExit(pid_t pid);
    // Makes poll() return when fd is readable too (the metrics server's).
    bool wakeOnReadable(int fd);

    bool exitRequested() const;
    // The consumer is alive: the deadman measures from the last call.
    void heartbeat();
    // The deadman stopped tracing while the consumer did not run.
    bool aborted() const;
    // Whether the output is a pipe whose reader has gone (`dtrace | head`).
    bool outputClosed() const;
    int exitStatus() const;
    // The traced process's mappings, read while it lives (ustack() keys
    // are named when aggregations print, perhaps after it has exited).
    void rememberProcess(int pid) { symbols_.rememberProcess(pid); }
    // Reads the mappings of the processes whose user frames are aggregation
    // keys, once each while they live, so that the frames are named even
    // when the process has exited by the time the keys print.
    void rememberKeyProcesses();
    // Ctrl-C, the traced command's exit: probes stop doing work.
    void stopProbes();
    void setWalltimeOffset();
    // Prints drop counts that grew since the last report.
    void reportDrops();
    // At the end: the blank line and every aggregation not yet printed.
    void printAggregations();
    // bufpolicy=ring: prints what the rings hold, CPU by CPU, oldest first.
    void flushRings();
    // -x metrics: every aggregation as it is now (read as printa() reads
    // it) and dtrace's own counters, in Prometheus's text format.
    std::string metrics();

  private:
    void record(const uint8_t *data, size_t size);
    void print(const uint8_t *data, size_t size);
    // The record as text, to out (-x oformat=json: to a string).
    void printText(const uint8_t *data, size_t size, FILE *out, bool quiet);
    static uint64_t presenceMask(const program::ClauseDesc &cd, const uint8_t *data, size_t size);
    void printJson(const uint8_t *data, size_t size);
    void jsonLine(const std::string &object);
    // To the principal buffer: printed now, or kept in a ring.
    void deliver(const uint8_t *data, size_t size);
    void keepInRing(const uint8_t *data, size_t size);
    void holdSpeculative(const program::RecordHeader &h, const uint8_t *data, size_t size);
    void finishSpeculation(const uint8_t *data, size_t size);
    void errorRecord(const uint8_t *data, size_t size);
    std::string probeName(uint32_t id) const;
    void printHeaderOnce();
    std::string flowName(const program::RecordHeader &h);
    output::FormatOptions formatOptions() const;
    void printa(const program::RecordItem &item);
    void aggregationAction(const program::RecordItem &item, int64_t value);
    void setOption(const program::RecordItem &item, const program::RecordHeader &h);
    // An aggregation as it is now, with its normalization.
    AggregationSnapshot read(const program::AggregationDesc &a);
    void runSystem(const std::string &command);
    void reopenOutput(const std::string &path);

    const program::CompiledProgram &prog_;
    kernel::Session &session_;
    ConsumerConfig config_;
    RingReader ring_;
    kernel::Fd exitFd_; // wakeOnExit's pidfd
    program::StateValue *state_ = nullptr;
    bool headerPrinted_ = false;
    int currentCpu_ = 0;
    std::vector<uint64_t> reported_; // drop counters already reported, per CPU and kind
    std::set<int> printed_;          // aggregations printa() has printed
    std::set<int> keyProcesses_;     // processes rememberKeyProcesses() has read
    std::map<int, int64_t> normals_; // normalize()'s factors by aggregation
    // trunc()'s result, which printa() in the same batch of records prints
    // (not the kernel's aggregation again, which has gained keys since).
    std::map<int, AggregationSnapshot> truncated_;
    Symbols symbols_;
    program::Options options_;         // the program's options, as setopt() changes them
    bool json_ = false;                // -x oformat=json
    FILE *original_ = nullptr;         // the output before freopen()
    std::vector<std::string> jsonOut_; // aggregations printa() wrote during a record
    struct RingRecord {
        std::vector<uint8_t> bytes;
        uint64_t charge = 0;
    };
    struct Ring {
        std::deque<RingRecord> records;
        uint64_t used = 0;
    };
    std::map<uint32_t, Ring> rings_; // by CPU
    struct Flow {
        int depth = 0;
        uint32_t lastProbe = 0;
    };
    std::map<uint32_t, Flow> flow_; // flowindent: indentation by CPU
    // Speculations: the records of each ID's current generation, until
    // its commit or discard record arrives.
    struct Speculation {
        uint32_t generation = 0;
        std::vector<std::vector<uint8_t>> records;
    };
    std::map<uint32_t, Speculation> speculations_;
    std::map<uint32_t, uint32_t> finished_; // ID -> the generation last committed or discarded
    program::SpecState *specs_ = nullptr;   // the kernel's, memory-mapped
    uint64_t lateSpeculations_ = 0;         // records speculated after their commit or discard
    SelfMetrics self_;                      // counts -x metrics serves
};

} // namespace dtrace::runtime
