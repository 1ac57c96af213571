#include "providers/dof.h"

#include <cstring>

namespace dtrace::providers::dof {

namespace {

// One DOF blob, bounds-checked: a malformed one yields fewer probes, never
// a read outside it.
class Blob {
  public:
    explicit Blob(std::span<const uint8_t> bytes) : bytes_(bytes) {}

    bool header(Header &h) const { return read(0, h); }

    std::optional<Section> section(const Header &h, uint32_t index) const {
        if (index == kNoSection || index >= h.sectionCount) return std::nullopt;
        Section s;
        if (!read(h.sectionOffset + uint64_t(index) * h.sectionSize, s)) return std::nullopt;
        if (s.offset > bytes_.size() || s.size > bytes_.size() - s.offset) return std::nullopt;
        return s;
    }

    template <typename T> bool entry(const Section &s, uint64_t i, T &out) const {
        uint64_t size = s.entrySize ? s.entrySize : sizeof(T);
        if (size < sizeof(T) || (i + 1) * size > s.size) return false;
        return read(s.offset + i * size, out);
    }

    std::string string(const Section &strtab, uint32_t at) const {
        if (at >= strtab.size) return "";
        const char *p = reinterpret_cast<const char *>(bytes_.data() + strtab.offset + at);
        return std::string(p, strnlen(p, strtab.size - at));
    }

  private:
    template <typename T> bool read(uint64_t at, T &out) const {
        if (at > bytes_.size() || sizeof(T) > bytes_.size() - at) return false;
        std::memcpy(&out, bytes_.data() + at, sizeof(T));
        return true;
    }
    std::span<const uint8_t> bytes_;
};

bool validHeader(const Header &h, size_t available) {
    return std::memcmp(h.ident, kMagic, sizeof kMagic) == 0 && h.ident[4] == kModelLp64 &&
           h.ident[5] == kEncodeLsb && h.headerSize >= sizeof(Header) &&
           h.sectionSize >= sizeof(Section) && h.loadSize >= sizeof(Header) &&
           h.loadSize <= available;
}

void readProvider(
    const Blob &blob, const Header &h, const Section &ps,
    const std::function<std::optional<uint64_t>(const std::string &)> &functionAddress,
    std::vector<ProbeSites> &out) {
    Provider prov;
    if (!blob.entry(ps, 0, prov)) return;
    auto strtab = blob.section(h, prov.strtab);
    auto probes = blob.section(h, prov.probes);
    auto offsets = blob.section(h, prov.offsets);
    auto enabled = blob.section(h, prov.isEnabledOffsets);
    if (!strtab || !probes || strtab->type != kStrtab || probes->type != kProbes) return;
    if (offsets && offsets->type != kProbeOffsets) offsets.reset();
    if (enabled && enabled->type != kIsEnabledOffsets) enabled.reset();
    std::string provider = blob.string(*strtab, prov.name);
    uint64_t entrySize = probes->entrySize ? probes->entrySize : sizeof(Probe);
    for (uint64_t i = 0; i < probes->size / entrySize; ++i) {
        Probe p;
        if (!blob.entry(*probes, i, p)) break;
        ProbeSites site;
        site.provider = provider;
        site.function = blob.string(*strtab, p.function);
        site.name = blob.string(*strtab, p.name);
        uint64_t base = p.address;
        if (base == 0) base = functionAddress(site.function).value_or(0);
        if (base == 0) continue;
        auto addSites = [&](const std::optional<Section> &s, uint32_t first, uint32_t count,
                            std::vector<uint64_t> &to) {
            if (!s) return;
            for (uint32_t k = 0; k < count; ++k) {
                uint32_t offset;
                if (blob.entry(*s, uint64_t(first) + k, offset)) to.push_back(base + offset);
            }
        };
        addSites(offsets, p.offsetIndex, p.offsetCount, site.sites);
        addSites(enabled, p.isEnabledIndex, p.isEnabledCount, site.isEnabledSites);
        // The native types: nativeCount strings, one after the other.
        uint32_t at = p.nativeTypes;
        for (uint8_t k = 0; k < p.nativeCount; ++k) {
            std::string type = blob.string(*strtab, at);
            at += static_cast<uint32_t>(type.size()) + 1;
            site.argTypes.push_back(type.empty() ? "uint64_t" : type);
        }
        out.push_back(std::move(site));
    }
}

} // namespace

std::vector<ProbeSites>
readProbes(std::span<const uint8_t> contents,
           const std::function<std::optional<uint64_t>(const std::string &)> &functionAddress) {
    std::vector<ProbeSites> out;
    // Blobs follow one another, each aligned to 8 bytes (a linker joins the
    // .SUNW_dof sections of several objects).
    size_t at = 0;
    while (at + sizeof(Header) <= contents.size()) {
        Blob whole(contents.subspan(at));
        Header h;
        if (!whole.header(h) || !validHeader(h, contents.size() - at)) {
            at += 8;
            continue;
        }
        Blob blob(contents.subspan(at, h.loadSize));
        for (uint32_t i = 0; i < h.sectionCount; ++i) {
            auto s = blob.section(h, i);
            if (s && s->type == kProvider) readProvider(blob, h, *s, functionAddress, out);
        }
        at += (h.loadSize + 7) & ~uint64_t(7);
    }
    return out;
}

} // namespace dtrace::providers::dof
