#include "runtime/aggregations.h"

#include "output/json.h"

#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <unordered_map>

namespace dtrace::runtime {

int64_t quantizeBucketValue(size_t i) {
    const auto zero = static_cast<size_t>(program::kQuantizeZeroBucket);
    if (i < zero) return -(int64_t{1} << (zero - 1 - i));
    if (i == zero) return 0;
    return int64_t{1} << (i - zero - 1);
}

int64_t llquantizeValue(const program::LlquantizeLayout &l, size_t i) {
    size_t p = l.lower.size();
    if (i == 0) return -l.overflow;
    if (i <= p) return -l.lower[p - i];
    if (i == p + 1) return 0;
    if (i <= 2 * p + 1) return l.lower[i - p - 2];
    return l.overflow;
}

std::string llquantizeLabel(const program::LlquantizeLayout &l, size_t i) {
    size_t p = l.lower.size();
    if (i == 0) return "<= " + std::to_string(-l.overflow);
    if (i == p + 1) return l.zeroLimit == 1 ? "0" : "abs() < " + std::to_string(l.zeroLimit);
    if (i == 2 * p + 2) return ">= " + std::to_string(l.overflow);
    return std::to_string(llquantizeValue(l, i));
}

namespace {

// The count at value 0 of a histogram, DTrace's tie-break between equal
// sums (for lquantize, the bucket that holds 0).
int64_t zeroBucketCount(const program::AggregationDesc *desc, const std::vector<int64_t> &data) {
    if (!desc || data.size() < 3) return 0;
    if (desc->func == program::AggFunc::Quantize) return data[program::kQuantizeZeroBucket];
    if (desc->func == program::AggFunc::Llquantize) {
        size_t z = desc->llquantize.zeroBucket();
        return z < data.size() ? data[z] : 0;
    }
    if (desc->func != program::AggFunc::Lquantize || desc->params.size() < 3) return 0;
    int64_t base = desc->params[0], step = desc->params[2];
    if (0 < base) return data[0];
    size_t i = 1 + static_cast<size_t>((0 - base) / step);
    return i < data.size() ? data[i] : data.back();
}

// The integer square root of a 128-bit value, bit by bit.
uint64_t squareRoot(unsigned __int128 x) {
    unsigned __int128 root = 0, bit = static_cast<unsigned __int128>(1) << 126;
    while (bit > x) bit >>= 2;
    while (bit) {
        if (x >= root + bit) {
            x -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    return static_cast<uint64_t>(root);
}
} // namespace

int64_t aggregateValue(const program::AggregationDesc &desc, const std::vector<int64_t> &data,
                       int64_t normal) {
    if (data.empty()) return 0;
    if (normal == 0) normal = 1;
    switch (desc.func) {
    case program::AggFunc::Avg:
        // average of the normalized sum, as DTrace computes it
        return data.size() > 2 && data[1] ? data[2] / normal / data[1] : data[0] / normal;
    case program::AggFunc::Stddev: {
        // sqrt(average(x^2) - average(x)^2), in DTrace's integer arithmetic
        if (data.size() < 4 || data[0] == 0) return 0;
        unsigned __int128 squares =
            (static_cast<unsigned __int128>(static_cast<uint64_t>(data[3])) << 64) |
            static_cast<uint64_t>(data[2]);
        unsigned __int128 averageOfSquares =
            squares / static_cast<uint64_t>(normal) / static_cast<uint64_t>(data[0]);
        int64_t average = data[1] / normal / data[0];
        if (average < 0) average = -average;
        unsigned __int128 squareOfAverage =
            static_cast<unsigned __int128>(average) * static_cast<uint64_t>(average);
        if (averageOfSquares < squareOfAverage) return 0;
        return static_cast<int64_t>(squareRoot(averageOfSquares - squareOfAverage));
    }
    default: return data[0] / normal;
    }
}

// DTrace orders histograms by the sum of value x count over the buckets.
long double AggregationEntry::sortValue(const program::AggregationDesc *desc) const {
    if (data.empty()) return 0;
    if (desc && desc->func == program::AggFunc::Quantize) {
        long double total = 0;
        for (size_t i = 0; i < data.size(); ++i)
            total += static_cast<long double>(quantizeBucketValue(i)) * data[i];
        return total;
    }
    if (desc && desc->func == program::AggFunc::Llquantize) {
        const program::LlquantizeLayout &l = desc->llquantize;
        long double total = 0;
        for (size_t i = 0; i < data.size(); ++i)
            total += static_cast<long double>(llquantizeValue(l, i)) * data[i];
        return total;
    }
    if (desc && desc->func == program::AggFunc::Lquantize && desc->params.size() >= 3) {
        int64_t base = desc->params[0], step = desc->params[2];
        size_t levels = data.size() - 2;
        long double total = static_cast<long double>(data[0]) * static_cast<long double>(base - 1);
        for (size_t i = 0; i < levels; ++i, base += step)
            total += static_cast<long double>(data[i + 1]) * static_cast<long double>(base);
        return total +
               static_cast<long double>(data[levels + 1]) * static_cast<long double>(base + 1);
    }
    return desc ? static_cast<long double>(aggregateValue(*desc, data, 1))
                : static_cast<long double>(data[0]);
}

namespace {

std::vector<int64_t> merge(program::AggFunc f, const uint8_t *values, size_t valueSize, int cpus) {
    auto word = [&](int cpu, size_t i) {
        int64_t v;
        std::memcpy(&v, values + static_cast<size_t>(cpu) * ((valueSize + 7) & ~size_t{7}) + 8 * i,
                    8);
        return v;
    };
    std::vector<int64_t> out;
    switch (f) {
    case program::AggFunc::Count:
    case program::AggFunc::Sum: {
        int64_t s = 0;
        for (int c = 0; c < cpus; ++c) s += word(c, 0);
        out = {s};
        break;
    }
    case program::AggFunc::Avg: {
        int64_t n = 0, s = 0;
        for (int c = 0; c < cpus; ++c) {
            n += word(c, 0);
            s += word(c, 1);
        }
        out = {n ? s / n : 0, n, s};
        break;
    }
    case program::AggFunc::Min:
    case program::AggFunc::Max: {
        bool have = false;
        int64_t best = 0;
        for (int c = 0; c < cpus; ++c) {
            if (!word(c, 1)) continue;
            int64_t v = word(c, 0);
            if (!have || (f == program::AggFunc::Min ? v < best : v > best)) best = v;
            have = true;
        }
        out = {best, have ? 1 : 0};
        break;
    }
    case program::AggFunc::Stddev: {
        // count, sum, sum of squares (low, high words)
        unsigned __int128 squares = 0;
        int64_t n = 0, s = 0;
        for (int c = 0; c < cpus; ++c) {
            n += word(c, 0);
            s += word(c, 1);
            squares += (static_cast<unsigned __int128>(static_cast<uint64_t>(word(c, 3))) << 64) |
                       static_cast<uint64_t>(word(c, 2));
        }
        out = {n, s, static_cast<int64_t>(static_cast<uint64_t>(squares)),
               static_cast<int64_t>(static_cast<uint64_t>(squares >> 64))};
        break;
    }
    case program::AggFunc::Quantize:
    case program::AggFunc::Lquantize:
    case program::AggFunc::Llquantize: {
        // The buckets, then whether any CPU's fired.
        size_t buckets = valueSize / 8 - 1;
        out.assign(buckets + 1, 0);
        for (int c = 0; c < cpus; ++c) {
            for (size_t i = 0; i < buckets; ++i)
                out[i] = static_cast<int64_t>(static_cast<uint64_t>(out[i]) +
                                              static_cast<uint64_t>(word(c, i)));
            if (word(c, buckets)) out[buckets] = 1;
        }
        break;
    }
    default: out = {0}; break;
    }
    return out;
}

// DTrace's key order: from key `first` (aggsortkeypos) on, wrapping
// around; integers by their bits, unsigned, at their own width; strings
// and stacks byte by byte.
int compareKeys(const AggregationEntry &a, const AggregationEntry &b, size_t first) {
    size_t n = std::min(a.keys.size(), b.keys.size());
    for (size_t j = 0; j < n; ++j) {
        size_t i = (first + j) % n;
        const auto &x = a.keys[i], &y = b.keys[i];
        int c = 0;
        switch (x.desc.kind) {
        case program::ValueDesc::Kind::String: c = x.text.compare(y.text); break;
        case program::ValueDesc::Kind::Bytes:
        case program::ValueDesc::Kind::Stack: c = x.bytes.compare(y.bytes); break;
        case program::ValueDesc::Kind::Integer: {
            uint32_t size = x.desc.typeSize;
            uint64_t mask = size > 0 && size < 8 ? (1ull << (8 * size)) - 1 : ~0ull;
            uint64_t xv = x.bits & mask, yv = y.bits & mask;
            c = xv < yv ? -1 : xv > yv ? 1 : 0;
            break;
        }
        }
        if (c) return c < 0 ? -1 : 1;
    }
    return 0;
}

} // namespace

namespace {

// Every (key, value) of a hash map, in batches of lookups where the kernel
// has them (two system calls a key otherwise).
void readHashMap(int fd, uint32_t keySize, uint32_t valueSize,
                 const std::function<void(const uint8_t *, const uint8_t *)> &each) {
    constexpr uint32_t kBatch = 4096;
    std::vector<uint8_t> keys(static_cast<size_t>(keySize) * kBatch),
        values(static_cast<size_t>(valueSize) * kBatch);
    std::vector<uint8_t> in(keySize), out(keySize);
    for (bool first = true;; first = false) {
        uint32_t count = kBatch;
        LIBBPF_OPTS(bpf_map_batch_opts, opts);
        int rc = bpf_map_lookup_batch(fd, first ? nullptr : in.data(), out.data(), keys.data(),
                                      values.data(), &count, &opts);
        int err = rc < 0 ? errno : 0;
        if (rc < 0 && err != ENOENT && first && count == 0) break; // no batch lookups here
        for (uint32_t i = 0; i < count; ++i)
            each(keys.data() + static_cast<size_t>(i) * keySize,
                 values.data() + static_cast<size_t>(i) * valueSize);
        if (rc < 0) return; // ENOENT: that was the last batch
        in = out;
    }
    std::vector<uint8_t> key(keySize), next(keySize), value(valueSize);
    void *prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, next.data()) == 0) {
        if (bpf_map_lookup_elem(fd, next.data(), value.data()) == 0)
            each(next.data(), value.data());
        key = next;
        prev = key.data();
    }
}

} // namespace

AggregationSnapshot snapshot(const program::AggregationDesc &desc, int fd, int cpus) {
    AggregationSnapshot snap;
    snap.desc = &desc;
    size_t stride = (desc.valueSize + 7) & ~size_t{7};
    auto add = [&](std::vector<uint8_t> key, const uint8_t *values, std::vector<uint32_t> on) {
        AggregationEntry e;
        for (size_t i = 0; i < desc.keys.size(); ++i) {
            const auto &kd = desc.keys[i];
            std::span<const uint8_t> part(key.data() + desc.keyOffsets[i], kd.size);
            e.keys.push_back(output::decodeValue(kd, part));
        }
        e.rawKey = std::move(key);
        e.cpus = std::move(on);
        e.data = merge(desc.func, values, desc.valueSize, cpus);
        if ((desc.func == program::AggFunc::Min || desc.func == program::AggFunc::Max) &&
            e.data.size() > 1 && e.data[1] == 0)
            return;
        if (!desc.keyed && desc.func == program::AggFunc::Count && e.data[0] == 0) return;
        if (!desc.keyed && desc.func == program::AggFunc::Avg && e.data[1] == 0) return;
        // An unkeyed stddev or histogram that never fired is not shown.
        if (program::isHistogram(desc.func)) {
            bool fired = !e.data.empty() && e.data.back() != 0;
            if (!e.data.empty()) e.data.pop_back();
            if (!desc.keyed && !fired) return;
        }
        if (!desc.keyed && desc.func == program::AggFunc::Stddev && e.data[0] == 0) return;
        snap.entries.push_back(std::move(e));
    };
    if (!desc.keyed) {
        std::vector<uint8_t> key(4, 0), values(stride * static_cast<size_t>(cpus));
        std::memcpy(key.data(), &desc.slot, sizeof desc.slot);
        if (bpf_map_lookup_elem(fd, key.data(), values.data()) == 0)
            add(std::move(key), values.data(), {});
        return snap;
    }
    // Each map entry is one CPU's share of a key. The entries are read into
    // one flat table (key, CPU, value), ordered by key, and each run of a
    // key's CPUs merged: a million keys cost a few tens of megabytes here,
    // not a node and a string each.
    const uint32_t dkey = desc.keySize - program::kAggTagSize;
    const size_t row = dkey + sizeof(uint32_t) + desc.valueSize;
    std::vector<uint8_t> table;
    size_t rows = 0;
    readHashMap(fd, desc.keySize, desc.valueSize, [&](const uint8_t *key, const uint8_t *value) {
        program::AggregationTag tag;
        std::memcpy(&tag, key + dkey, sizeof tag);
        if (tag.slot != desc.slot || tag.cpu >= static_cast<uint32_t>(cpus)) return;
        table.resize(table.size() + row);
        uint8_t *r = table.data() + rows++ * row;
        std::memcpy(r, key, dkey);
        std::memcpy(r + dkey, &tag.cpu, sizeof tag.cpu);
        std::memcpy(r + dkey + sizeof tag.cpu, value, desc.valueSize);
    });
    auto rowAt = [&](size_t i) { return table.data() + i * row; };
    std::vector<uint32_t> order(rows);
    // group[i]: whether order[i] begins a key's run.
    std::vector<bool> group(rows, true);
    if (dkey <= 16) {
        // Short keys sort as two words held beside their row's index (any
        // order puts a key's CPUs together; no pointer chased per compare).
        struct ShortKey {
            uint64_t w[2];
            uint32_t index;
        };
        std::vector<ShortKey> shortKeys(rows);
        for (size_t i = 0; i < rows; ++i) {
            shortKeys[i] = {{0, 0}, static_cast<uint32_t>(i)};
            std::memcpy(shortKeys[i].w, rowAt(i), dkey);
        }
        std::sort(shortKeys.begin(), shortKeys.end(), [](const ShortKey &a, const ShortKey &b) {
            return a.w[0] != b.w[0] ? a.w[0] < b.w[0] : a.w[1] < b.w[1];
        });
        for (size_t i = 0; i < rows; ++i) {
            order[i] = shortKeys[i].index;
            group[i] = i == 0 || shortKeys[i].w[0] != shortKeys[i - 1].w[0] ||
                       shortKeys[i].w[1] != shortKeys[i - 1].w[1];
        }
    } else {
        for (size_t i = 0; i < rows; ++i) order[i] = static_cast<uint32_t>(i);
        std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
            return std::memcmp(rowAt(a), rowAt(b), dkey) < 0;
        });
        for (size_t i = 1; i < rows; ++i)
            group[i] = std::memcmp(rowAt(order[i]), rowAt(order[i - 1]), dkey) != 0;
    }
    snap.entries.reserve(rows);
    std::vector<uint8_t> values(stride * static_cast<size_t>(cpus));
    for (size_t i = 0; i < rows;) {
        const uint8_t *first = rowAt(order[i]);
        std::fill(values.begin(), values.end(), 0);
        std::vector<uint32_t> on;
        size_t j = i;
        for (; j < rows && (j == i || !group[j]); ++j) {
            const uint8_t *r = rowAt(order[j]);
            uint32_t cpu;
            std::memcpy(&cpu, r + dkey, sizeof cpu);
            std::memcpy(values.data() + stride * cpu, r + dkey + sizeof cpu, desc.valueSize);
            on.push_back(cpu);
        }
        add(std::vector<uint8_t>(first, first + dkey), values.data(), std::move(on));
        i = j;
    }
    return snap;
}

void mergeSymbolKeys(AggregationSnapshot &snap, const output::SymbolResolver *syms) {
    const program::AggregationDesc &d = *snap.desc;
    bool symbolic = std::any_of(d.keys.begin(), d.keys.end(),
                                [](const program::ValueDesc &k) { return k.symbolForm != 0; });
    if (!symbolic) return;
    auto shown = [&](const AggregationEntry &e) {
        std::string key;
        for (const auto &k : e.keys)
            key +=
                (k.desc.symbolForm ? output::formatSymbol(k, syms) : output::jsonValue(k, syms)) +
                '\0';
        return key;
    };
    std::map<std::string, size_t> first;
    std::vector<AggregationEntry> merged;
    for (auto &e : snap.entries) {
        auto [it, added] = first.emplace(shown(e), merged.size());
        if (added) {
            merged.push_back(std::move(e));
            continue;
        }
        // The same function (or module): one entry, its values combined.
        std::vector<int64_t> &into = merged[it->second].data;
        const std::vector<int64_t> &from = e.data;
        switch (d.func) {
        case program::AggFunc::Min:
        case program::AggFunc::Max:
            if (from.size() > 1 && from[1] &&
                (!into[1] ||
                 (d.func == program::AggFunc::Min ? from[0] < into[0] : from[0] > into[0])))
                into = from;
            break;
        case program::AggFunc::Avg:
            into[1] += from[1];
            into[2] += from[2];
            into[0] = into[1] ? into[2] / into[1] : 0;
            break;
        case program::AggFunc::Stddev: {
            unsigned __int128 a =
                (static_cast<unsigned __int128>(static_cast<uint64_t>(into[3])) << 64) |
                static_cast<uint64_t>(into[2]);
            unsigned __int128 b =
                (static_cast<unsigned __int128>(static_cast<uint64_t>(from[3])) << 64) |
                static_cast<uint64_t>(from[2]);
            a += b;
            into[0] += from[0];
            into[1] += from[1];
            into[2] = static_cast<int64_t>(static_cast<uint64_t>(a));
            into[3] = static_cast<int64_t>(static_cast<uint64_t>(a >> 64));
            break;
        }
        default:
            for (size_t i = 0; i < into.size() && i < from.size(); ++i) into[i] += from[i];
        }
    }
    snap.entries = std::move(merged);
}

namespace {

// The map key of a key's entry on one CPU.
std::vector<uint8_t> cpuKey(const program::AggregationDesc &d, const AggregationEntry &e,
                            uint32_t cpu) {
    std::vector<uint8_t> key = e.rawKey;
    program::AggregationTag tag{cpu, d.slot};
    key.resize(e.rawKey.size() + sizeof tag);
    std::memcpy(key.data() + e.rawKey.size(), &tag, sizeof tag);
    return key;
}

} // namespace

void clearAggregation(const AggregationSnapshot &snap, int fd, int cpus) {
    size_t stride = (snap.desc->valueSize + 7) & ~size_t{7};
    std::vector<uint8_t> zeros(stride * static_cast<size_t>(cpus), 0);
    for (const auto &e : snap.entries) {
        if (!snap.desc->keyed) {
            bpf_map_update_elem(fd, e.rawKey.data(), zeros.data(), BPF_EXIST);
            continue;
        }
        for (uint32_t cpu : e.cpus)
            bpf_map_update_elem(fd, cpuKey(*snap.desc, e, cpu).data(), zeros.data(), BPF_EXIST);
    }
}

void truncateAggregation(AggregationSnapshot &snap, int fd, int cpus, int64_t keep,
                         const program::Options &opts) {
    if (!snap.desc->keyed) {
        if (keep == 0) clearAggregation(snap, fd, cpus);
        return;
    }
    // By value (whatever aggsortkey and aggsortrev say), smallest first:
    // keep the last `keep` (the largest), or for a negative count the
    // first -keep.
    program::Options byValue = opts;
    byValue.aggsortkey = false;
    byValue.aggsortrev = false;
    sortEntries(snap, byValue);
    size_t n = snap.entries.size();
    size_t k = static_cast<size_t>(keep < 0 ? -keep : keep);
    std::vector<AggregationEntry> kept;
    for (size_t i = 0; i < n; ++i) {
        if (keep > 0 ? i + k >= n : keep < 0 ? i < k : false) {
            kept.push_back(std::move(snap.entries[i]));
            continue;
        }
        for (uint32_t cpu : snap.entries[i].cpus)
            bpf_map_delete_elem(fd, cpuKey(*snap.desc, snap.entries[i], cpu).data());
    }
    snap.entries = std::move(kept); // what is left, as printa() shows it
}

void sortEntries(AggregationSnapshot &snap, const program::Options &opts) {
    bool byKey = opts.aggsortkey;
    size_t keyPosition = opts.aggsortkeypos;
    bool rev = opts.aggsortrev;
    // Each entry's sort value and tie-break once, not at every comparison;
    // the entries are moved once, into their order, at the end.
    struct SortKey {
        long double value;
        int64_t zero;
    };
    const size_t n = snap.entries.size();
    std::vector<SortKey> keys(n);
    for (size_t i = 0; i < n; ++i)
        keys[i] = {snap.entries[i].sortValue(snap.desc),
                   byKey ? 0 : zeroBucketCount(snap.desc, snap.entries[i].data)};
    // Integer keys (the usual case) compare as their masked words, laid out
    // side by side in DTrace's key order; others by compareKeys.
    const size_t width = snap.desc ? snap.desc->keys.size() : 0;
    bool integerKeys = width > 0 && n > 0;
    if (snap.desc)
        for (const auto &k : snap.desc->keys)
            integerKeys = integerKeys && k.kind == program::ValueDesc::Kind::Integer;
    std::vector<uint64_t> words;
    if (integerKeys) {
        words.resize(n * width);
        for (size_t i = 0; i < n; ++i) {
            const AggregationEntry &e = snap.entries[i];
            if (e.keys.size() != width) {
                integerKeys = false;
                break;
            }
            for (size_t j = 0; j < width; ++j) {
                const output::DecodedValue &v = e.keys[(keyPosition + j) % width];
                uint32_t size = v.desc.typeSize;
                uint64_t mask = size > 0 && size < 8 ? (1ull << (8 * size)) - 1 : ~0ull;
                words[i * width + j] = v.bits & mask;
            }
        }
    }
    auto compareKeyOrder = [&](uint32_t ia, uint32_t ib) {
        if (!integerKeys) return compareKeys(snap.entries[ia], snap.entries[ib], keyPosition);
        const uint64_t *x = words.data() + ia * width, *y = words.data() + ib * width;
        for (size_t j = 0; j < width; ++j)
            if (x[j] != y[j]) return x[j] < y[j] ? -1 : 1;
        return 0;
    };
    // DTrace's order: by value (then the zero bucket), then by key; with
    // aggsortkey by key, then value; aggsortrev reverses it. keyOrder is
    // asked only when the values tie. 0: the two are equal.
    auto order3 = [&](const SortKey &x, const SortKey &y, auto keyOrder) {
        auto byValue = [&] { return x.value < y.value ? -1 : x.value > y.value ? 1 : 0; };
        int c = 0;
        if (!byKey) {
            c = byValue();
            if (c == 0) c = x.zero < y.zero ? -1 : x.zero > y.zero ? 1 : 0;
        }
        if (c == 0) c = keyOrder();
        if (c == 0 && byKey) c = byValue();
        return rev ? -c : c;
    };
    std::vector<uint32_t> order(n);
    if (integerKeys && width == 1) {
        // One integer key: everything a comparison needs in one row.
        struct Row {
            SortKey key;
            uint64_t word;
            uint32_t index;
        };
        std::vector<Row> rowsToSort(n);
        for (size_t i = 0; i < n; ++i)
            rowsToSort[i] = {keys[i], words[i], static_cast<uint32_t>(i)};
        keys = {}; // the rows hold all of it now
        words = {};
        // Stable by the index as the last tie-break, without the extra
        // buffer std::stable_sort takes.
        std::sort(rowsToSort.begin(), rowsToSort.end(), [&](const Row &a, const Row &b) {
            int c = order3(a.key, b.key, [&] {
                return a.word < b.word ? -1 : a.word > b.word ? 1 : 0;
            });
            return c != 0 ? c < 0 : a.index < b.index;
        });
        for (size_t i = 0; i < n; ++i) order[i] = rowsToSort[i].index;
    } else {
        for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
        std::stable_sort(order.begin(), order.end(), [&](uint32_t ia, uint32_t ib) {
            return order3(keys[ia], keys[ib], [&] { return compareKeyOrder(ia, ib); }) < 0;
        });
    }
    keys = {};
    words = {};
    // Into their order in place, a cycle at a time (not a second vector of
    // a million entries).
    for (size_t start = 0; start < n; ++start) {
        if (order[start] == start || order[start] == UINT32_MAX) continue;
        AggregationEntry held = std::move(snap.entries[start]);
        size_t at = start;
        while (order[at] != start) {
            size_t from = order[at];
            snap.entries[at] = std::move(snap.entries[from]);
            order[at] = UINT32_MAX;
            at = from;
        }
        snap.entries[at] = std::move(held);
        order[at] = UINT32_MAX;
    }
}

} // namespace dtrace::runtime
