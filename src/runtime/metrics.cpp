#include "runtime/metrics.h"

#include <cinttypes>
#include <cstdio>
#include <set>

namespace dtrace::runtime {

namespace prom = output::prometheus;

namespace {

// A key as a label value: strings as they are, integers in decimal
// (pointers in hex), symbols as printa() names them, stacks' frames
// joined by ';', other bytes in hex.
std::string labelValue(const output::DecodedValue &v, const output::SymbolResolver *syms) {
    switch (v.desc.kind) {
    case program::ValueDesc::Kind::String: return v.text;
    case program::ValueDesc::Kind::Integer: return output::integerText(v);
    case program::ValueDesc::Kind::Stack: {
        if (v.desc.symbolForm) return output::formatSymbol(v, syms);
        std::string out;
        for (const std::string &frame : output::stackFrameNames(output::toFormatValue(v), syms))
            out += (out.empty() ? "" : ";") + frame;
        return out;
    }
    case program::ValueDesc::Kind::Bytes: return output::hexText(v);
    }
    return "";
}

// The buckets of a histogram entry with the largest value each holds
// (values are integers: one below where the next bucket starts); the
// last bucket (quantize's up to 2^63, the others' overflow) has none.
std::vector<prom::Bucket> buckets(const program::AggregationDesc &d,
                                  const std::vector<int64_t> &data, int64_t normal) {
    size_t n = std::min(data.size(), histogramBuckets(d));
    std::vector<prom::Bucket> out(n);
    for (size_t i = 0; i < n; ++i) out[i].count = data[i] / (normal ? normal : 1);
    if (n == 0) return out;
    switch (d.func) {
    case program::AggFunc::Quantize: {
        const size_t zero = program::kQuantizeZeroBucket;
        for (size_t i = 0; i + 1 < n; ++i) {
            int64_t v = quantizeBucketValue(i);
            // Below zero a bucket's value is its upper bound; above,
            // its lower, and it holds up to twice that, less one.
            out[i].le = i <= zero ? v : v - 1 + v;
        }
        break;
    }
    case program::AggFunc::Lquantize: {
        int64_t base = d.params.size() > 0 ? d.params[0] : 0;
        int64_t step = d.params.size() > 2 && d.params[2] > 0 ? d.params[2] : 1;
        for (size_t i = 0; i + 1 < n; ++i) out[i].le = base + static_cast<int64_t>(i) * step - 1;
        break;
    }
    case program::AggFunc::Llquantize: {
        const program::LlquantizeLayout &l = d.llquantize;
        size_t p = l.lower.size();
        for (size_t i = 0; i + 1 < n; ++i) {
            if (i <= p)
                out[i].le = llquantizeValue(l, i); // negatives: the bound nearest zero
            else if (i == p + 1)
                out[i].le = l.zeroLimit - 1;
            else
                out[i].le = (i - p - 1 < p ? l.lower[i - p - 1] : l.overflow) - 1;
        }
        break;
    }
    default: break;
    }
    return out;
}

// Only the buckets from the lowest any entry uses to the highest: the
// cumulative counts stay right, and a quantize() is not 127 series.
void trimBuckets(std::vector<prom::Series> &series) {
    size_t lo = SIZE_MAX, hi = 0;
    for (const auto &s : series)
        for (size_t i = 0; i < s.buckets.size(); ++i)
            if (s.buckets[i].count) lo = std::min(lo, i), hi = std::max(hi, i);
    for (auto &s : series) {
        if (lo == SIZE_MAX) {
            s.buckets.clear();
            continue;
        }
        std::vector<prom::Bucket> kept(s.buckets.begin() + static_cast<ptrdiff_t>(lo),
                                       s.buckets.begin() + static_cast<ptrdiff_t>(hi) + 1);
        s.buckets = std::move(kept);
    }
}

const char *functionName(program::AggFunc f) {
    static const char *const kNames[] = {"count",  "sum",      "avg",       "min",       "max",
                                         "stddev", "quantize", "lquantize", "llquantize"};
    return kNames[static_cast<int>(f)];
}

} // namespace

prom::Family aggregationFamily(const AggregationSnapshot &snap,
                               const output::SymbolResolver *syms) {
    const program::AggregationDesc &d = *snap.desc;
    std::string_view bare = d.name;
    if (bare.starts_with('@')) bare.remove_prefix(1);
    prom::Family f;
    f.name = prom::metricName("dtrace_" + std::string(bare.empty() ? "agg" : bare));
    f.help = "DTrace aggregation " + d.name + " (" + functionName(d.func) + "())";
    // count() only grows, but for clear(), which Prometheus takes as a
    // counter's reset; sum() may be of negative values: a gauge.
    f.type = d.func == program::AggFunc::Count ? prom::MetricType::Counter
             : program::isHistogram(d.func)    ? prom::MetricType::Histogram
                                               : prom::MetricType::Gauge;
    if (f.type == prom::MetricType::Counter) f.name += "_total";
    for (size_t i = 0; i < d.keys.size(); ++i) f.labelNames.push_back("key" + std::to_string(i));
    for (const AggregationEntry &e : snap.entries) {
        prom::Series s;
        for (const auto &k : e.keys) s.labelValues.push_back(labelValue(k, syms));
        if (f.type == prom::MetricType::Histogram) {
            s.buckets = buckets(d, e.data, snap.normal);
            // DTrace keeps no histogram's exact sum: each bucket's value
            // times its count, as DTrace sorts histograms by.
            s.sum = static_cast<double>(e.sortValue(&d) / (snap.normal ? snap.normal : 1));
        } else {
            s.value = static_cast<double>(aggregateValue(d, e.data, snap.normal));
        }
        f.series.push_back(std::move(s));
    }
    if (f.type == prom::MetricType::Histogram) trimBuckets(f.series);
    return f;
}

std::string metricsText(std::span<const AggregationSnapshot> snaps, const SelfMetrics &self,
                        const output::SymbolResolver *syms) {
    std::vector<prom::Family> families;
    auto counter = [&](std::string name, std::string help, double value) {
        prom::Family f;
        f.name = std::move(name);
        f.help = std::move(help);
        f.type = prom::MetricType::Counter;
        f.series.push_back({{}, value, {}, 0});
        families.push_back(std::move(f));
    };
    counter("dtrace_records_total", "Records dtrace read from its buffers",
            static_cast<double>(self.records));
    counter("dtrace_errors_total", "Faults in D clauses (ERROR probe firings)",
            static_cast<double>(self.errors));
    prom::Family drops;
    drops.name = "dtrace_drops_total";
    drops.help = "Data dtrace lost, by kind (see the drop messages)";
    drops.type = prom::MetricType::Counter;
    drops.labelNames = {"kind"};
    for (const auto &[kind, n] : self.drops)
        drops.series.push_back({{kind}, static_cast<double>(n), {}, 0});
    families.push_back(std::move(drops));

    std::set<std::string> taken;
    for (const auto &f : families) taken.insert(f.name);
    for (const AggregationSnapshot &snap : snaps) {
        prom::Family f = aggregationFamily(snap, syms);
        if (!taken.insert(f.name).second) {
            f.name += "_" + std::to_string(snap.desc->id);
            taken.insert(f.name);
        }
        families.push_back(std::move(f));
    }
    return prom::format(families);
}

} // namespace dtrace::runtime
