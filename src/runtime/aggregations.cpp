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
    // Each map entry is one CPU's share of a key: gather the CPUs of each
    // key side by side, as a per-CPU map would give them, then merge.
    const uint32_t dkey = desc.keySize - program::kAggTagSize;
    struct Gathered {
        std::vector<uint8_t> values;
        std::vector<uint32_t> cpus;
    };
    std::unordered_map<std::string, size_t> index;
    std::vector<std::pair<std::string, Gathered>> gathered;
    readHashMap(fd, desc.keySize, desc.valueSize, [&](const uint8_t *key, const uint8_t *value) {
        program::AggregationTag tag;
        std::memcpy(&tag, key + dkey, sizeof tag);
        if (tag.slot != desc.slot || tag.cpu >= static_cast<uint32_t>(cpus)) return;
        const uint32_t cpu = tag.cpu;
        std::string k(reinterpret_cast<const char *>(key), dkey);
        auto [it, added] = index.emplace(k, gathered.size());
        if (added)
            gathered.emplace_back(
                std::move(k),
                Gathered{std::vector<uint8_t>(stride * static_cast<size_t>(cpus)), {}});
        Gathered &g = gathered[it->second].second;
        std::memcpy(g.values.data() + stride * cpu, value, desc.valueSize);
        g.cpus.push_back(cpu);
    });
    snap.entries.reserve(gathered.size());
    for (auto &[k, g] : gathered)
        add(std::vector<uint8_t>(k.begin(), k.end()), g.values.data(), std::move(g.cpus));
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
    std::stable_sort(snap.entries.begin(), snap.entries.end(),
                     [&](const AggregationEntry &a, const AggregationEntry &b) {
                         int c = 0;
                         if (!byKey) {
                             long double x = a.sortValue(snap.desc), y = b.sortValue(snap.desc);
                             c = x < y ? -1 : x > y ? 1 : 0;
                             if (c == 0) {
                                 int64_t za = zeroBucketCount(snap.desc, a.data),
                                         zb = zeroBucketCount(snap.desc, b.data);
                                 c = za < zb ? -1 : za > zb ? 1 : 0;
                             }
                         }
                         if (c == 0) c = compareKeys(a, b, keyPosition);
                         if (c == 0 && byKey) {
                             long double x = a.sortValue(snap.desc), y = b.sortValue(snap.desc);
                             c = x < y ? -1 : x > y ? 1 : 0;
                         }
                         return rev ? c > 0 : c < 0;
                     });
}

} // namespace dtrace::runtime
