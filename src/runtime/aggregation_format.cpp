// The default printing of aggregations: keys, values and histograms as
// DTrace draws them (aggpack, agghist and aggzoom included), and their
// JSON form.
#include "runtime/aggregations.h"

#include "output/json.h"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace dtrace::runtime {

namespace {

// DTrace's column width for a number in packed headers: its digits (and
// sign), at least 4, counted as libdtrace counts them.
int packedDigits(int64_t v) {
    int n = 1;
    long long cmp = 10;
    if (v < 0) {
        v = v == INT64_MIN ? INT64_MAX : -v;
        ++n;
    }
    while (v > cmp && cmp > 0) {
        ++n;
        cmp *= 10;
    }
    return std::max(n, 4);
}

// aggzoom: the largest bar is 95% of the column, as in DTrace.
constexpr long double kZoomMax = 0.95L;

void addToTotal(long double &total, int64_t v, bool zoom) {
    long double m = v < 0 ? -static_cast<long double>(v) : static_cast<long double>(v);
    if (!zoom)
        total += m;
    else
        total = std::max(total, m / kZoomMax);
}

// One bar of a histogram, as DTrace draws it: 40 columns of '@', split at
// a '|' when the histogram has both negative and positive counts.
std::string histogramBar(int64_t value, long double total, bool positives, bool negatives,
                         int64_t normal) {
    const std::string ats(40, '@'), spaces(40, ' ');
    auto depthFor = [&](unsigned len) {
        if (total == 0) return 0u;
        long double f = (value < 0 ? -static_cast<long double>(value) : value) * len / total;
        return std::min(len, static_cast<unsigned>(f + 0.5L));
    };
    std::string count = output::printfString("%-9" PRId64, value / (normal ? normal : 1));
    if (!negatives) {
        unsigned d = positives ? depthFor(40) : 0;
        return "|" + ats.substr(0, d) + spaces.substr(0, 40 - d) + " " + count + "\n";
    }
    if (!positives) {
        unsigned d = depthFor(40);
        return spaces.substr(0, 40 - d) + ats.substr(0, d) + "| " + count + "\n";
    }
    unsigned d = depthFor(20);
    if (value <= 0)
        return spaces.substr(0, 20 - d) + ats.substr(0, d) + "|" + spaces.substr(0, 20) + " " +
               count + "\n";
    return spaces.substr(0, 20) + "|" + ats.substr(0, d) + spaces.substr(0, 20 - d) + " " + count +
           "\n";
}

// quantize() and lquantize(): the buckets from one before the first used
// to one after the last (or around zero when none is), with their labels.
std::string formatHistogram(const program::AggregationDesc &desc, const std::vector<int64_t> &data,
                            int64_t normal, bool zoom) {
    size_t n = data.size();
    if (n < 3) return "";
    size_t first = 0, last = n - 1;
    while (first < n && data[first] == 0) ++first;
    if (first == n) {
        if (desc.func == program::AggFunc::Quantize) {
            first = program::kQuantizeZeroBucket - 1;
            last = program::kQuantizeZeroBucket + 1;
        } else if (desc.func == program::AggFunc::Llquantize) {
            size_t z = desc.llquantize.zeroBucket();
            first = z;
            last = std::min(z + 2, n - 1);
        } else {
            first = 0;
            last = 2;
        }
    } else {
        if (first > 0) --first;
        while (last > 0 && data[last] == 0) --last;
        if (last < n - 1) ++last;
    }
    bool positives = false, negatives = false;
    long double total = 0;
    for (size_t i = first; i <= last; ++i) {
        positives |= data[i] > 0;
        negatives |= data[i] < 0;
        addToTotal(total, data[i], zoom);
    }
    std::string out = output::printfString("\n%16s %41s %-9s\n", "value",
                                           "------------- Distribution -------------", "count");
    for (size_t i = first; i <= last; ++i) {
        if (desc.func == program::AggFunc::Quantize) {
            out += output::printfString("%16" PRId64 " ", quantizeBucketValue(i));
        } else if (desc.func == program::AggFunc::Llquantize) {
            out += output::printfString("%16s ", llquantizeLabel(desc.llquantize, i).c_str());
        } else {
            int64_t base = desc.params[0], step = desc.params[2];
            if (i == 0)
                out +=
                    output::printfString("%16s ", output::printfString("< %" PRId64, base).c_str());
            else if (i == n - 1)
                out += output::printfString(
                    "%16s ",
                    output::printfString(">= %" PRId64, base + static_cast<int64_t>(n - 2) * step)
                        .c_str());
            else
                out += output::printfString("%16" PRId64 " ",
                                            base + static_cast<int64_t>(i - 1) * step);
        }
        out += histogramBar(data[i], total, positives, negatives, normal);
    }
    return out;
}

} // namespace

std::string jsonAggregation(const AggregationSnapshot &snap, const output::SymbolResolver *syms) {
    static const char *const kFunctions[] = {"count",  "sum",      "avg",       "min",       "max",
                                             "stddev", "quantize", "lquantize", "llquantize"};
    const program::AggregationDesc &d = *snap.desc;
    std::string out = output::jsonHead("aggregation") + ",\"name\":" + output::jsonString(d.name) +
                      ",\"function\":\"" + kFunctions[static_cast<int>(d.func)] +
                      "\",\"entries\":[";
    bool firstEntry = true;
    for (const auto &e : snap.entries) {
        if (!firstEntry) out += ",";
        firstEntry = false;
        out += "{\"keys\":[";
        for (size_t i = 0; i < e.keys.size(); ++i)
            out += (i ? "," : "") + output::jsonValue(e.keys[i], syms);
        out += "],";
        if (program::isHistogram(d.func)) {
            // The buckets that hold something: their lower bound (null
            // below an lquantize's base) and count.
            out += "\"buckets\":[";
            bool firstBucket = true;
            size_t n = e.data.size();
            for (size_t i = 0; i < n; ++i) {
                if (e.data[i] == 0) continue;
                std::string min;
                if (d.func == program::AggFunc::Quantize)
                    min = std::to_string(quantizeBucketValue(i));
                else if (d.func == program::AggFunc::Llquantize)
                    min = i == 0 ? "null" : std::to_string(llquantizeValue(d.llquantize, i));
                else if (i == 0)
                    min = "null";
                else
                    min = std::to_string(d.params[0] + static_cast<int64_t>(i - 1) * d.params[2]);
                out += std::string(firstBucket ? "" : ",") + "{\"min\":" + min +
                       ",\"count\":" + std::to_string(e.data[i] / (snap.normal ? snap.normal : 1)) +
                       "}";
                firstBucket = false;
            }
            out += "]}";
        } else {
            out += "\"value\":" + std::to_string(aggregateValue(d, e.data, snap.normal)) + "}";
        }
    }
    return out + "]}";
}

std::string formatDistribution(const program::AggregationDesc &desc,
                               const std::vector<int64_t> &data, int64_t normal, bool zoom) {
    return formatHistogram(desc, data, normal, zoom);
}

namespace {

// One bucket of a packed histogram: a space when empty, v/V for negative
// counts, else a block element (or _xX in ASCII) by its share of the total.
std::string packedCell(int64_t v, long double total, bool utf8) {
    if (v == 0 || total == 0) return " ";
    long double m = v < 0 ? -static_cast<long double>(v) : static_cast<long double>(v);
    if (v < 0) {
        static const char neg[] = "vvvvVV";
        return std::string(1, neg[static_cast<unsigned>(m * 5 / total + 0.5L)]);
    }
    unsigned level = static_cast<unsigned>(m * 7 / total + 0.5L);
    if (!utf8) {
        static const char ascii[] = "__xxxxXX";
        return std::string(1, ascii[std::min(level, 7u)]);
    }
    unsigned cp = 0x2581 + std::min(level, 7u); // U+2581..U+2588
    return {static_cast<char>(0xe0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3f)),
            static_cast<char>(0x80 | (cp & 0x3f))};
}

// The buckets every row of a packed histogram shows: for quantize() from
// one below the lowest used in any entry to one above the highest; for
// lquantize() all of them.
std::pair<size_t, size_t> packedRange(const AggregationSnapshot &snap) {
    size_t n = histogramBuckets(*snap.desc);
    if (snap.desc->func == program::AggFunc::Lquantize) return {0, n - 1};
    const size_t zero = program::kQuantizeZeroBucket;
    size_t lo = n, hi = 0;
    for (const auto &e : snap.entries)
        for (size_t i = 0; i < e.data.size() && i < n; ++i)
            if (e.data[i]) {
                lo = std::min(lo, i);
                hi = std::max(hi, i);
            }
    if (lo == n) lo = hi = zero;
    if (lo != 0 && lo != zero) --lo;
    if (hi < n - 1) ++hi;
    return {lo, hi};
}

// aggpack and agghist put a header above the rows, as wide as the keys at
// their packed widths (16 columns for strings and 64-bit values).
int packedKeysWidth(const AggregationEntry &e) {
    int width = 0;
    for (const auto &k : e.keys) {
        uint32_t size = k.desc.kind == program::ValueDesc::Kind::Integer ? k.desc.typeSize : 0;
        width += (size == 1 ? 3 : size == 2 ? 5 : size == 4 ? 8 : 16) + 1;
    }
    return width;
}

std::string formatKeys(const AggregationEntry &e, const output::SymbolResolver *syms,
                       const output::FormatOptions &opts, bool packed) {
    std::string out;
    for (const auto &k : e.keys) {
        if (k.desc.kind == program::ValueDesc::Kind::Stack && k.desc.symbolForm) {
            out += output::printfString("  %-50s", output::formatSymbol(k, syms).c_str());
            continue;
        }
        if (k.desc.kind == program::ValueDesc::Kind::Stack) {
            out += output::formatStack(output::toFormatValue(k), syms, opts);
            continue;
        }
        if (k.desc.kind == program::ValueDesc::Kind::String) {
            out += packed ? output::printfString(" %16s", k.text.c_str())
                          : output::printfString("  %-50s", k.text.c_str());
            continue;
        }
        // DTrace's key columns; char and short keys print unsigned.
        uint32_t size = k.desc.typeSize;
        int width = size == 1 ? 3 : size == 2 ? 5 : size == 4 ? 8 : 16;
        bool sgn = k.desc.isSigned && !k.desc.isPointer && size >= 4;
        uint64_t bits = size < 8 && !sgn ? k.bits & ((1ull << (8 * size)) - 1) : k.bits;
        out += sgn ? output::printfString(" %*" PRId64, width, static_cast<int64_t>(bits))
                   : output::printfString(" %*" PRIu64, width, bits);
    }
    return out;
}

// -x aggpack: each key's quantize() or lquantize() on one line, the
// buckets as cells under one header of the aggregation's range.
std::string formatPacked(const AggregationSnapshot &snap, const output::SymbolResolver *syms,
                         const output::FormatOptions &opts) {
    const program::AggregationDesc &d = *snap.desc;
    const bool linear = d.func == program::AggFunc::Lquantize;
    auto [lo, hi] = packedRange(snap);
    int64_t minValue = linear ? 0 : quantizeBucketValue(lo);
    int64_t maxValue = linear ? 0 : quantizeBucketValue(hi);
    int minWidth = linear ? 7 : packedDigits(minValue);
    int maxWidth = linear ? 8 : packedDigits(maxValue);
    int keysWidth = packedKeysWidth(snap.entries.front());
    std::string out =
        output::printfString("\n%*s %*s .", keysWidth, keysWidth > 0 ? "key" : "", minWidth, "min");
    out += std::string(hi - lo + 1, '-');
    out += output::printfString(". %-*s | count\n", maxWidth, "max");
    for (const auto &e : snap.entries) {
        out += formatKeys(e, syms, opts, true);
        if (linear)
            out += output::printfString("%8s :",
                                        output::printfString("< %" PRId64, d.params[0]).c_str());
        else
            out += output::printfString(" %*" PRId64 " :", packedDigits(minValue), minValue);
        long double total = 0;
        int64_t count = 0;
        for (size_t i = lo; i <= hi && i < e.data.size(); ++i) {
            addToTotal(total, e.data[i], opts.aggZoom);
            count += e.data[i];
        }
        for (size_t i = lo; i <= hi; ++i)
            out += packedCell(i < e.data.size() ? e.data[i] : 0, total, opts.utf8);
        if (linear) {
            int64_t limit = d.params[0] + program::lquantizeLevels(d.params) * d.params[2];
            out += output::printfString(": %-8s | %" PRId64 "\n",
                                        output::printfString(">= %" PRId64, limit).c_str(), count);
        } else {
            out += output::printfString(": %-*" PRId64 " | %" PRId64 "\n", packedDigits(maxValue),
                                        maxValue, count);
        }
    }
    return out;
}

// -x agghist: count() and sum() values as bars, each a share of the
// aggregation's total, under one header.
std::string formatValueHistogram(const AggregationSnapshot &snap,
                                 const output::SymbolResolver *syms,
                                 const output::FormatOptions &opts) {
    long double total = 0;
    bool positives = false, negatives = false;
    for (const auto &e : snap.entries) {
        int64_t v = e.data.empty() ? 0 : e.data[0];
        addToTotal(total, v, opts.aggZoom);
        positives |= v > 0;
        negatives |= v < 0;
    }
    int keysWidth = packedKeysWidth(snap.entries.front());
    std::string out = output::printfString("\n%*s %41s %-9s\n", keysWidth ? keysWidth : 16,
                                           keysWidth ? "key" : "value",
                                           "------------- Distribution -------------", "count");
    for (const auto &e : snap.entries)
        out +=
            formatKeys(e, syms, opts, true) + " " +
            histogramBar(e.data.empty() ? 0 : e.data[0], total, positives, negatives, snap.normal);
    return out;
}

// An entry of a count(), sum(), avg(), min(), max() or stddev() as the
// default printing shows it: its keys, then its value.
std::string valueLine(const AggregationSnapshot &snap, const AggregationEntry &e,
                      const output::SymbolResolver *syms, const output::FormatOptions &opts) {
    return formatKeys(e, syms, opts, false) +
           output::printfString(" %16" PRId64 "\n",
                                aggregateValue(*snap.desc, e.data, snap.normal));
}

} // namespace

void writeAggregation(std::FILE *out, const AggregationSnapshot &snap,
                      const output::SymbolResolver *syms, const output::FormatOptions &opts) {
    const program::AggFunc f = snap.desc ? snap.desc->func : program::AggFunc::Count;
    if (!snap.desc || opts.aggPack || opts.aggHist || program::isHistogram(f)) {
        std::fputs(formatAggregation(snap, syms, opts).c_str(), out);
        return;
    }
    // A line at a time: a million keys need not be one string first.
    for (const auto &e : snap.entries) std::fputs(valueLine(snap, e, syms, opts).c_str(), out);
}

std::string formatAggregation(const AggregationSnapshot &snap, const output::SymbolResolver *syms,
                              const output::FormatOptions &opts) {
    if (!snap.desc || snap.entries.empty()) return "";
    const program::AggFunc f = snap.desc->func;
    if (opts.aggPack && (f == program::AggFunc::Quantize || f == program::AggFunc::Lquantize))
        return formatPacked(snap, syms, opts);
    if (opts.aggHist && (f == program::AggFunc::Count || f == program::AggFunc::Sum))
        return formatValueHistogram(snap, syms, opts);
    std::string out;
    const bool histogram = program::isHistogram(f);
    for (const auto &e : snap.entries) {
        if (!histogram) {
            out += valueLine(snap, e, syms, opts);
            continue;
        }
        out += formatKeys(e, syms, opts, false);
        out += formatHistogram(*snap.desc, e.data, snap.normal, opts.aggZoom) + "\n";
    }
    return out;
}

} // namespace dtrace::runtime
