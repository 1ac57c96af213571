// -x metrics: what /metrics serves. Each aggregation, read as printa()
// reads it, becomes a Prometheus metric family; dtrace's own counters
// (records, errors, drops) follow. docs/metrics.md is the mapping.
#pragma once

#include "output/prometheus.h"
#include "runtime/aggregations.h"

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace dtrace::runtime {

// The consumer's own counts since tracing began.
struct SelfMetrics {
    uint64_t records = 0;                  // records read from the buffers
    uint64_t errors = 0;                   // faults (error records)
    std::map<std::string, uint64_t> drops; // by DTrace's drop kind, lower case
};

// An aggregation's family: dtrace_NAME (dtrace_agg for @), count() a
// counter dtrace_NAME_total, histograms with their buckets' upper bounds.
output::prometheus::Family aggregationFamily(const AggregationSnapshot &snap,
                                             const output::SymbolResolver *syms);

// Every family /metrics serves: dtrace's own, then the aggregations'
// (a name taken already gets the aggregation's ID after it).
std::string metricsText(std::span<const AggregationSnapshot> snaps, const SelfMetrics &self,
                        const output::SymbolResolver *syms);

} // namespace dtrace::runtime
