// Reads aggregations out of their per-CPU maps, merges the CPUs' values
// and prints them in DTrace's order and format.
#pragma once

#include "output/records.h"
#include "program/plan.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace dtrace::runtime {

struct AggregationEntry {
    std::vector<output::DecodedValue> keys;
    std::vector<uint8_t> rawKey; // the D key's bytes (without the CPU tag)
    std::vector<uint32_t> cpus;  // the CPUs whose map entries hold it (keyed)
    // Merged values: count/sum: [0]; avg: count, sum; min/max: value, set.
    std::vector<int64_t> data;
    // The value DTrace sorts by (histograms: the sum of value x count).
    long double sortValue(const program::AggregationDesc *desc) const;
};

struct AggregationSnapshot {
    const program::AggregationDesc *desc = nullptr;
    int64_t normal = 1; // normalize()'s divisor
    std::vector<AggregationEntry> entries;
};

// The value printed for an entry (count, sum, avg, min, max, stddev),
// divided by normalize()'s factor.
int64_t aggregateValue(const program::AggregationDesc &desc, const std::vector<int64_t> &data,
                       int64_t normal);

// Reads one aggregation from its map.
AggregationSnapshot snapshot(const program::AggregationDesc &desc, int mapFd, int cpus);

// Sorts entries as DTrace does: by value, then by key (options aggsortkey,
// aggsortpos, aggsortkeypos and aggsortrev adjust it).
void sortEntries(AggregationSnapshot &snap, const program::Options &opts);

// Keys shown as functions or modules (func(), umod() ...): the entries of
// one function or module become one.
void mergeSymbolKeys(AggregationSnapshot &snap, const output::SymbolResolver *syms);

// clear(): every entry's value back to zero (the keys stay).
void clearAggregation(const AggregationSnapshot &snap, int mapFd, int cpus);
// trunc(@, n): only the n largest entries stay (n < 0: the -n smallest;
// n = 0: none).
void truncateAggregation(AggregationSnapshot &snap, int mapFd, int cpus, int64_t keep,
                         const program::Options &opts);

// quantize() bucket i's value (its lower bound; its upper for negatives).
int64_t quantizeBucketValue(size_t i);
// llquantize() bucket i: the value it stands for (its bound nearest zero;
// the overflow buckets their limits) and its label.
int64_t llquantizeValue(const program::LlquantizeLayout &l, size_t i);
std::string llquantizeLabel(const program::LlquantizeLayout &l, size_t i);

// The buckets of a histogram (its value's words but the last, which says
// whether it fired).
inline size_t histogramBuckets(const program::AggregationDesc &d) {
    return d.valueSize / 8 - 1;
}

// -x oformat=json: the aggregation as one JSON object.
std::string jsonAggregation(const AggregationSnapshot &snap, const output::SymbolResolver *syms);

// A quantize() or lquantize() entry's distribution, as %@ and the default
// printing show it.
std::string formatDistribution(const program::AggregationDesc &desc,
                               const std::vector<int64_t> &data, int64_t normal, bool zoom = false);

// The default printing of an aggregation written to out as it is
// formatted (at exit: a large aggregation is not built as one string).
void writeAggregation(std::FILE *out, const AggregationSnapshot &snap,
                      const output::SymbolResolver *syms, const output::FormatOptions &opts);

// The default printing of an aggregation (as at exit and by printa(@a)).
std::string formatAggregation(const AggregationSnapshot &snap,
                              const output::SymbolResolver *syms = nullptr,
                              const output::FormatOptions &opts = {});

} // namespace dtrace::runtime
