#include "runtime/aggregations.h"

#include <bpf/bpf.h>

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace dtrace::runtime {

int64_t AggregationEntry::sortValue() const {
    if (data.empty()) return 0;
    return data[0];
}

namespace {

std::vector<int64_t> merge(ir::AggFunc f, const uint8_t *values, size_t valueSize, int cpus) {
    auto word = [&](int cpu, size_t i) {
        int64_t v;
        std::memcpy(&v, values + static_cast<size_t>(cpu) * ((valueSize + 7) & ~size_t{7}) + 8 * i,
                    8);
        return v;
    };
    std::vector<int64_t> out;
    switch (f) {
    case ir::AggFunc::Count:
    case ir::AggFunc::Sum: {
        int64_t s = 0;
        for (int c = 0; c < cpus; ++c) s += word(c, 0);
        out = {s};
        break;
    }
    case ir::AggFunc::Avg: {
        int64_t n = 0, s = 0;
        for (int c = 0; c < cpus; ++c) {
            n += word(c, 0);
            s += word(c, 1);
        }
        out = {n ? s / n : 0, n, s};
        break;
    }
    case ir::AggFunc::Min:
    case ir::AggFunc::Max: {
        bool have = false;
        int64_t best = 0;
        for (int c = 0; c < cpus; ++c) {
            if (!word(c, 1)) continue;
            int64_t v = word(c, 0);
            if (!have || (f == ir::AggFunc::Min ? v < best : v > best)) best = v;
            have = true;
        }
        out = {best, have ? 1 : 0};
        break;
    }
    default: out = {0}; break;
    }
    return out;
}

std::string fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char *f, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, f);
    int n = std::vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    return n < 0 ? std::string()
                 : std::string(buf, std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1));
}

int compareKeys(const AggregationEntry &a, const AggregationEntry &b) {
    for (size_t i = 0; i < a.keys.size() && i < b.keys.size(); ++i) {
        const auto &x = a.keys[i], &y = b.keys[i];
        if (x.desc.kind == codegen::ValueDesc::Kind::String) {
            int c = x.text.compare(y.text);
            if (c) return c < 0 ? -1 : 1;
        } else if (x.bits != y.bits) {
            bool sgn = x.desc.isSigned && !x.desc.isPointer;
            if (sgn) return static_cast<int64_t>(x.bits) < static_cast<int64_t>(y.bits) ? -1 : 1;
            return x.bits < y.bits ? -1 : 1;
        }
    }
    return 0;
}

} // namespace

AggregationSnapshot snapshot(const codegen::AggregationDesc &desc, int fd, int cpus) {
    AggregationSnapshot snap;
    snap.desc = &desc;
    size_t stride = (desc.valueSize + 7) & ~size_t{7};
    std::vector<uint8_t> values(stride * static_cast<size_t>(cpus));
    auto add = [&](const std::vector<uint8_t> &key) {
        if (bpf_map_lookup_elem(fd, key.data(), values.data()) != 0) return;
        AggregationEntry e;
        e.rawKey = key;
        for (size_t i = 0; i < desc.keys.size(); ++i) {
            const auto &kd = desc.keys[i];
            std::span<const uint8_t> part(key.data() + desc.keyOffsets[i], kd.size);
            e.keys.push_back(output::decodeValue(kd, part));
        }
        e.data = merge(desc.func, values.data(), desc.valueSize, cpus);
        if ((desc.func == ir::AggFunc::Min || desc.func == ir::AggFunc::Max) && e.data.size() > 1 &&
            e.data[1] == 0)
            return;
        if (!desc.keyed && desc.func == ir::AggFunc::Count && e.data[0] == 0) return;
        if (!desc.keyed && desc.func == ir::AggFunc::Avg && e.data[1] == 0) return;
        snap.entries.push_back(std::move(e));
    };
    if (!desc.keyed) {
        std::vector<uint8_t> key(4, 0);
        add(key);
        if (desc.func == ir::AggFunc::Sum && !snap.entries.empty()) {
            // An untouched sum() reads as zero; DTrace shows it only once set.
        }
        return snap;
    }
    std::vector<uint8_t> key(desc.keySize), next(desc.keySize);
    void *prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, next.data()) == 0) {
        add(next);
        key = next;
        prev = key.data();
    }
    return snap;
}

void sortEntries(AggregationSnapshot &snap, const sema::Options &opts) {
    bool byKey = opts.flag("aggsortkey");
    bool rev = opts.flag("aggsortrev");
    std::stable_sort(snap.entries.begin(), snap.entries.end(),
                     [&](const AggregationEntry &a, const AggregationEntry &b) {
                         int c = 0;
                         if (!byKey) {
                             int64_t x = a.sortValue(), y = b.sortValue();
                             c = x < y ? -1 : x > y ? 1 : 0;
                         }
                         if (c == 0) c = compareKeys(a, b);
                         if (c == 0 && byKey) {
                             int64_t x = a.sortValue(), y = b.sortValue();
                             c = x < y ? -1 : x > y ? 1 : 0;
                         }
                         return rev ? c > 0 : c < 0;
                     });
}

std::string formatAggregation(const AggregationSnapshot &snap) {
    std::string out;
    for (const auto &e : snap.entries) {
        for (const auto &k : e.keys) {
            if (k.desc.kind == codegen::ValueDesc::Kind::String) {
                out += fmt("  %-50s", k.text.c_str());
                continue;
            }
            // DTrace's key columns; char and short keys print unsigned.
            uint32_t size = k.desc.typeSize;
            int width = size == 1 ? 3 : size == 2 ? 5 : size == 4 ? 8 : 16;
            bool sgn = k.desc.isSigned && !k.desc.isPointer && size >= 4;
            uint64_t bits = size < 8 && !sgn ? k.bits & ((1ull << (8 * size)) - 1) : k.bits;
            out += sgn ? fmt(" %*" PRId64, width, static_cast<int64_t>(bits))
                       : fmt(" %*" PRIu64, width, bits);
        }
        int64_t v = e.data.empty() ? 0 : e.data[0];
        out += fmt(" %16" PRId64 "\n", v);
    }
    return out;
}

} // namespace dtrace::runtime
