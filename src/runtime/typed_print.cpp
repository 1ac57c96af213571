#include "runtime/typed_print.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace dtrace::runtime {

namespace {

using program::TypeDesc;
using Kind = program::TypeDesc::Kind;

class Dumper {
  public:
    Dumper(const std::vector<TypeDesc> &types, std::span<const uint8_t> data, uint64_t objectSize,
           int indent)
        : types_(types), data_(data), cut_(data.size() < objectSize), topIndent_(indent) {}

    // The value of t at byte `offset` (bit-fields: bitOffset and bitSize
    // within it), without indentation before or newline after.
    void value(uint32_t type, uint64_t offset, unsigned bitOffset, unsigned bitSize, int indent) {
        if (type >= types_.size()) return;
        const TypeDesc &s = types_[type];
        const std::string &name = s.name;
        switch (s.kind) {
        case Kind::Struct:
        case Kind::Union: {
            out_ += "(" + name + ") {\n";
            for (const auto &m : s.members) {
                if (ranOut_) break;
                uint64_t at = offset + m.offsetBits / 8;
                uint64_t size = m.bitSize ? (m.offsetBits % 8 + m.bitSize + 7) / 8 : m.size;
                if (at >= data_.size()) {
                    ranOut();
                    break;
                }
                if (isZero(at, size, m.offsetBits % 8, m.bitSize)) continue;
                out_ += spaces(indent + 1) + "." + m.name + " = ";
                value(m.type, at, static_cast<unsigned>(m.offsetBits % 8), m.bitSize, indent + 1);
                out_ += ",\n";
                if (cut_ && at + size >= data_.size()) ranOut();
            }
            out_ += spaces(indent) + "}";
            return;
        }
        case Kind::Array: {
            out_ += "(" + name + ") [\n";
            uint64_t elem = s.element < types_.size() ? types_[s.element].size : 0;
            for (uint64_t i = 0; i < s.count && elem; ++i) {
                uint64_t at = offset + i * elem;
                if (at >= data_.size()) break;
                if (isZero(at, elem, 0, 0)) continue;
                out_ += spaces(indent + 1);
                value(s.element, at, 0, 0, indent + 1);
                out_ += ",\n";
            }
            out_ += spaces(indent) + "]";
            return;
        }
        case Kind::String: {
            std::string text;
            for (uint64_t i = offset; i < data_.size() && i < offset + s.size && data_[i]; ++i)
                text += static_cast<char>(data_[i]);
            out_ += "(" + name + ")\"" + text + "\"";
            return;
        }
        default: break;
        }
        uint64_t bits = scalar(offset, s.size, bitOffset, bitSize);
        unsigned width =
            bitSize ? bitSize : static_cast<unsigned>(8 * std::min<uint64_t>(8, s.size));
        if (s.isSigned && width > 0 && width < 64 && (bits >> (width - 1)) & 1)
            bits |= ~0ull << width; // sign-extend
        out_ += "(" + name + ")";
        char buf[64];
        if (s.kind == Kind::Pointer) {
            std::snprintf(buf, sizeof buf, "0x%" PRIx64, bits);
        } else if (s.kind == Kind::Enum) {
            for (const auto &e : s.enumerators)
                if (static_cast<uint64_t>(e.value) == bits) {
                    out_ += e.name;
                    return;
                }
            std::snprintf(buf, sizeof buf, "%" PRId64, static_cast<int64_t>(bits));
        } else if (s.kind == Kind::Float) {
            double d = 0;
            if (s.size == 4) {
                float f;
                auto w = static_cast<uint32_t>(bits);
                std::memcpy(&f, &w, 4);
                d = f;
            } else {
                std::memcpy(&d, &bits, 8);
            }
            std::snprintf(buf, sizeof buf, "%g", d);
        } else if (name == "char" && bits >= 0x20 && bits < 0x7f) {
            std::snprintf(buf, sizeof buf, "'%c'", static_cast<char>(bits));
        } else if (s.isSigned) {
            std::snprintf(buf, sizeof buf, "%" PRId64, static_cast<int64_t>(bits));
        } else {
            std::snprintf(buf, sizeof buf, "%" PRIu64, bits);
        }
        out_ += buf;
    }

    std::string take() { return std::move(out_); }

  private:
    static std::string spaces(int n) { return std::string(static_cast<size_t>(n), ' '); }

    // The first time the recorded bytes end inside the object: "...".
    void ranOut() {
        if (ranOut_) return;
        ranOut_ = true;
        out_ += spaces(topIndent_ + 1) + "...\n";
    }

    bool isZero(uint64_t offset, uint64_t size, unsigned bitOffset, unsigned bitSize) const {
        if (bitSize) return scalar(offset, size, bitOffset, bitSize) == 0;
        for (uint64_t i = offset; i < offset + size && i < data_.size(); ++i)
            if (data_[i]) return false;
        return true;
    }

    // A little-endian integer (sign-extended by the caller's type), or a
    // bit-field's bits.
    uint64_t scalar(uint64_t offset, uint64_t size, unsigned bitOffset, unsigned bitSize) const {
        uint64_t v = 0;
        size = std::min<uint64_t>(size, 8);
        for (uint64_t i = 0; i < size && offset + i < data_.size(); ++i)
            v |= static_cast<uint64_t>(data_[offset + i]) << (8 * i);
        if (bitSize) {
            v >>= bitOffset;
            if (bitSize < 64) v &= (1ull << bitSize) - 1;
        }
        return v;
    }

    const std::vector<TypeDesc> &types_;
    std::span<const uint8_t> data_;
    bool cut_;
    int topIndent_;
    bool ranOut_ = false;
    std::string out_;
};

} // namespace

std::string formatTyped(const std::vector<program::TypeDesc> &types, uint32_t type,
                        std::span<const uint8_t> data, int indent) {
    Dumper d(types, data, type < types.size() ? types[type].size : 0, indent);
    std::string out(static_cast<size_t>(indent), ' ');
    d.value(type, 0, 0, 0, indent);
    return out + d.take();
}

} // namespace dtrace::runtime
