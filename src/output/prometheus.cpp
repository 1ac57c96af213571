#include "output/prometheus.h"

#include <cctype>
#include <cmath>
#include <cstdio>

namespace dtrace::output::prometheus {

namespace {

bool nameChar(char c, bool first) {
    auto u = static_cast<unsigned char>(c);
    return std::isalpha(u) || c == '_' || c == ':' || (!first && std::isdigit(u));
}

const char *typeName(MetricType t) {
    switch (t) {
    case MetricType::Counter: return "counter";
    case MetricType::Gauge: return "gauge";
    case MetricType::Histogram: return "histogram";
    }
    return "untyped";
}

// {a="x",b="y"} with extra (le) last; "" when there is no label at all.
std::string labels(const std::vector<std::string> &names, const std::vector<std::string> &values,
                   std::string_view extraName = {}, std::string_view extraValue = {}) {
    std::string out;
    for (size_t i = 0; i < names.size(); ++i) {
        out += out.empty() ? "{" : ",";
        out += names[i] + "=\"" + escapeLabelValue(i < values.size() ? values[i] : "") + "\"";
    }
    if (!extraName.empty()) {
        out += out.empty() ? "{" : ",";
        out += std::string(extraName) + "=\"" + std::string(extraValue) + "\"";
    }
    return out.empty() ? out : out + "}";
}

} // namespace

std::string metricName(std::string_view name) {
    std::string out;
    for (char c : name) out += nameChar(c, false) ? c : '_';
    if (out.empty() || !nameChar(out[0], true)) out.insert(out.begin(), '_');
    return out;
}

std::string escapeLabelValue(std::string_view value) {
    std::string out;
    for (char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string escapeHelp(std::string_view help) {
    std::string out;
    for (char c : help) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string formatValue(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    char buf[40];
    // Integers up to 2^63 print whole (%.17g would write 1e+18).
    if (v == std::trunc(v) && std::fabs(v) < 9.2e18)
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
    else
        std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

std::string format(std::span<const Family> families) {
    std::string out;
    for (const Family &f : families) {
        out += "# HELP " + f.name + " " + escapeHelp(f.help) + "\n";
        out += "# TYPE " + f.name + " " + typeName(f.type) + "\n";
        for (const Series &s : f.series) {
            if (f.type != MetricType::Histogram) {
                out += f.name + labels(f.labelNames, s.labelValues) + " " + formatValue(s.value) +
                       "\n";
                continue;
            }
            // Each bucket counts every value up to its bound: the ones
            // below it too.
            int64_t cumulative = 0;
            for (const Bucket &b : s.buckets) {
                cumulative += b.count;
                if (!b.le) continue; // counted in +Inf alone
                out += f.name + "_bucket" +
                       labels(f.labelNames, s.labelValues, "le", std::to_string(*b.le)) + " " +
                       std::to_string(cumulative) + "\n";
            }
            out += f.name + "_bucket" + labels(f.labelNames, s.labelValues, "le", "+Inf") + " " +
                   std::to_string(cumulative) + "\n";
            out += f.name + "_sum" + labels(f.labelNames, s.labelValues) + " " +
                   formatValue(s.sum) + "\n";
            out += f.name + "_count" + labels(f.labelNames, s.labelValues) + " " +
                   std::to_string(cumulative) + "\n";
        }
    }
    return out;
}

} // namespace dtrace::output::prometheus
