// The Prometheus text exposition format (version 0.0.4): metric families
// of counters, gauges and histograms as /metrics serves them. Pure
// formatting; runtime/metrics.cpp says what each aggregation becomes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dtrace::output::prometheus {

inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType { Counter, Gauge, Histogram };

// One bucket of a histogram: the largest value it holds (nullopt: no
// bound, the overflow) and how many values fell in it (not cumulative).
struct Bucket {
    std::optional<int64_t> le;
    int64_t count = 0;
};

struct Series {
    std::vector<std::string> labelValues; // one for each of the family's label names
    double value = 0;                     // counters and gauges
    std::vector<Bucket> buckets;          // histograms, by ascending le (overflow last)
    double sum = 0;                       // histograms: _sum
};

struct Family {
    std::string name; // already a valid metric name
    std::string help;
    MetricType type = MetricType::Gauge;
    std::vector<std::string> labelNames;
    std::vector<Series> series;
};

// name sanitised to [a-zA-Z_:][a-zA-Z0-9_:]*: other bytes become '_', a
// leading digit gets a '_' before it.
std::string metricName(std::string_view name);
// A label value between its quotes: backslash, double quote and newline
// escaped.
std::string escapeLabelValue(std::string_view value);
// HELP text: backslash and newline escaped.
std::string escapeHelp(std::string_view help);
// A sample value: integers exactly, others as %.17g, NaN and infinities
// as Prometheus spells them.
std::string formatValue(double v);

// The families, one after the other. Histograms' buckets are made
// cumulative, with le="+Inf", _sum and _count after them.
std::string format(std::span<const Family> families);

} // namespace dtrace::output::prometheus
