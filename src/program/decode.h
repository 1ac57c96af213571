// The decode tables: how the consumer reads and prints what a clause
// records (its values, their types and formats), the aggregations, and the
// probes that can fire. Built by code generation; read by the runtime and
// the output formatters. Types here are small descriptors of their own,
// not the compiler's D types.
#pragma once

#include "program/abi.h"
#include "program/format.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dtrace::program {

// How the consumer reads one value out of a record.
struct ValueDesc {
    enum class Kind { Integer, String, Bytes, Stack };
    Kind kind = Kind::Integer;
    bool userStack = false; // Kind::Stack: a ustack (the process ID, then the frames)
    uint8_t symbolForm = 0; // Kind::Stack: func/sym (1), mod (2) or uaddr (3) of its one frame
    uint32_t size = 8;      // bytes in the record (strings: strsize + 1)
    uint32_t typeSize = 8;  // the D type's size (for integer printing width)
    bool isSigned = true;
    bool isPointer = false;
    std::string typeName;
};

// A D type as print() shows an object of it: a table of these, members and
// elements referring to others by index.
struct TypeDesc {
    enum class Kind { Integer, Float, Pointer, Enum, Struct, Union, Array, String, Other };
    Kind kind = Kind::Other;
    std::string name; // as print() writes it: "struct foo", "int", "uint64_t"
    uint64_t size = 0;
    bool isSigned = false;
    struct Member {
        std::string name;
        uint64_t offsetBits = 0;
        unsigned bitSize = 0; // bit-fields
        uint32_t type = 0;
        uint64_t size = 0; // bytes the member's own type takes
    };
    std::vector<Member> members; // Struct, Union
    uint32_t element = 0;        // Array
    uint64_t count = 0;          // Array
    struct Enumerator {
        std::string name;
        int64_t value = 0;
    };
    std::vector<Enumerator> enumerators; // Enum
};

enum class AggregationActionKind { Normalize, Denormalize, Clear, Trunc };
enum class AggFunc { Count, Sum, Avg, Min, Max, Stddev, Quantize, Lquantize, Llquantize };

enum class ItemKind {
    Trace,
    Printf,
    Exit,
    System,
    Printa,
    AggregationAction,
    SetOption,
    Print,
    Freopen,
    Ftruncate,
    Tracemem
};

struct RecordItem {
    ItemKind kind = ItemKind::Trace;
    uint32_t offset = 0; // of the first value
    int presentBit = -1; // >= 0: bit of the record's presence mask (actions under if)
    std::vector<ValueDesc> values;
    std::vector<uint32_t> valueOffsets;
    ParsedFormat format;
    bool hasFormat = false;
    std::vector<int> aggregations; // printa, aggregation actions
    AggregationActionKind aggAction = AggregationActionKind::Clear;
    int printType = -1;                     // print(): what the pointer points to (types index)
    std::string optionName;                 // setopt
    std::optional<std::string> optionValue; // setopt
};

struct ClauseDesc {
    int index = 0; // dt_clause_N
    std::string description;
    uint32_t recordSize = 0;
    bool hasPresence = false;
    std::vector<RecordItem> items;
    bool isErrorClause = false;
    bool isEndClause = false;
};

// The bytes DTrace's own record of a clause would take in a principal
// buffer: a 4-byte EPID, then each recorded value at its D type's size and
// alignment (the values of actions under if/else only when present).
// bufpolicy=ring sizes its rings in these units, so that a bufsize holds as
// many records as it does in DTrace.
inline uint64_t dtraceRecordBytes(const ClauseDesc &cd, uint64_t presence = ~0ull) {
    uint64_t at = 4;
    auto put = [&](uint64_t size, uint64_t align) {
        align = std::clamp<uint64_t>(align, 1, 8);
        at = (at + align - 1) / align * align + size;
    };
    for (const auto &item : cd.items) {
        if (item.presentBit >= 0 && !(presence & (1ull << item.presentBit))) continue;
        if (item.kind == ItemKind::Exit || item.kind == ItemKind::Printa) {
            put(4, 4);
            continue;
        }
        for (const auto &v : item.values) {
            if (v.kind == ValueDesc::Kind::String)
                put(v.typeSize, 1);
            else
                put(v.typeSize, std::has_single_bit(v.typeSize) ? v.typeSize : 8);
        }
    }
    return at;
}

inline bool isHistogram(AggFunc f) {
    return f == AggFunc::Quantize || f == AggFunc::Lquantize || f == AggFunc::Llquantize;
}
// lquantize(base, limit, step): the levels between base and limit (the
// buckets are: below base, the levels, limit and above).
inline int64_t lquantizeLevels(const std::vector<int64_t> &params) {
    return params.size() < 3 || params[2] <= 0 ? 1 : (params[1] - params[0]) / params[2];
}

// llquantize(factor, low, high, steps): in each order of magnitude m from
// low to high, [factor^m, factor^(m+1)) is cut into buckets (steps of them,
// fewer where they would be narrower than 1); below factor^low is one zero
// bucket, from factor^(high+1) on an overflow bucket; negative values
// mirror positive ones. The buckets, in order: negative overflow, the
// negative buckets from the most negative, zero, the positive buckets,
// positive overflow.
struct LlquantizeLayout {
    std::vector<int64_t> lower; // positive buckets' lower bounds, ascending
    int64_t zeroLimit = 1;      // factor^low: |v| below it is in the zero bucket
    int64_t overflow = 0;       // factor^(high+1) (INT64_MAX when larger)
    size_t buckets() const { return 2 * lower.size() + 3; }
    size_t zeroBucket() const { return lower.size() + 1; }
};
LlquantizeLayout llquantizeLayout(const std::vector<int64_t> &params);

struct AggregationDesc {
    std::string name;
    int id = 0;
    AggFunc func = AggFunc::Count;
    std::vector<ValueDesc> keys;
    std::vector<uint32_t> keyOffsets;
    uint32_t keySize = 0; // of the map's key (keyed: the D key, then the tag)
    uint32_t valueSize = 0;
    int map = -1;      // shared by the aggregations of its shape
    uint32_t slot = 0; // keyed: the slot in its keys' tags; unkeyed: its index
    bool keyed = false;
    std::vector<int64_t> params;
    LlquantizeLayout llquantize; // llquantize(): its buckets, worked out once
};

// A probe that can fire, as the consumer names it.
struct ProbeInfo {
    uint32_t id = 0;
    std::string provider, module, function, name;
    // flowindent: an entry indents what follows, a return goes back out.
    enum class Flow { None, Entry, Return };
    Flow flow = Flow::None;
    std::string fullName() const { return provider + ":" + module + ":" + function + ":" + name; }
};

} // namespace dtrace::program
