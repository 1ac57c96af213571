// DOF, the DTrace Object Format, as far as USDT needs it: DTrace-style
// applications (Solaris, Oracle's DTrace for Linux, and ours with
// -DDTRACE_DOF_PROBES) carry their providers in a .SUNW_dof section, one
// or more DOF blobs, each a header, a section table and the sections:
// for every provider a string table, its probes, their argument
// mappings and the offsets of their sites (calls `dtrace -G` turned into
// nops) and is-enabled sites (calls turned into "xor %eax,%eax").
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace dtrace::providers::dof {

constexpr uint8_t kMagic[4] = {0x7f, 'D', 'O', 'F'};
constexpr uint8_t kModelLp64 = 2, kEncodeLsb = 1, kVersion2 = 2;
constexpr uint32_t kNoSection = 0xffffffffu;
constexpr uint32_t kSectionLoad = 1; // dof_sec flags: part of the loaded image

enum SectionType : uint32_t {
    kStrtab = 8,
    kProvider = 15,
    kProbes = 16,
    kProbeArgs = 17,
    kProbeOffsets = 18,
    kIsEnabledOffsets = 26,
};

struct Header {
    uint8_t ident[16];
    uint32_t flags, headerSize, sectionSize, sectionCount;
    uint64_t sectionOffset, loadSize, fileSize, pad;
};
static_assert(sizeof(Header) == 64);

struct Section {
    uint32_t type, align, flags, entrySize;
    uint64_t offset, size;
};
static_assert(sizeof(Section) == 32);

// Section indices, string table offsets and attributes (stability of
// names, of data, dependency class: a byte each, high to low).
struct Provider {
    uint32_t strtab, probes, args, offsets, name;
    uint32_t providerAttr, moduleAttr, functionAttr, nameAttr, argsAttr;
    uint32_t isEnabledOffsets;
};
static_assert(sizeof(Provider) == 44);

// addr: the function's address; the sites are offsets from it.
struct Probe {
    uint64_t address;
    uint32_t function, name, nativeTypes, translatedTypes, argIndex, offsetIndex;
    uint8_t nativeCount, translatedCount;
    uint16_t offsetCount;
    uint32_t isEnabledIndex;
    uint16_t isEnabledCount, pad1;
    uint32_t pad2;
};
static_assert(sizeof(Probe) == 48);

constexpr uint32_t attribute(uint8_t names, uint8_t data, uint8_t dependency) {
    return uint32_t(names) << 24 | uint32_t(data) << 16 | uint32_t(dependency) << 8;
}

// One probe of a provider, with the addresses of its sites.
struct ProbeSites {
    std::string provider, function, name;
    std::vector<uint64_t> sites, isEnabledSites;
    std::vector<std::string> argTypes; // native, C spelling
};

// The probes of every DOF blob in a .SUNW_dof section's contents. A
// probe whose function address is 0 (a linker that left it to a dynamic
// relocation) is placed by functionAddress(name), when that knows it.
std::vector<ProbeSites>
readProbes(std::span<const uint8_t> contents,
           const std::function<std::optional<uint64_t>(const std::string &)> &functionAddress);

} // namespace dtrace::providers::dof
