// What dtrace needs from an ELF file and a process's address space: the
// function symbols (.symtab, else .dynsym), the loadable segments (to turn
// a symbol's address into a file offset, which is what a uprobe names), the
// libraries it needs and its interpreter, and its notes and DOF (USDT
// probes); and the executable mappings of a process from /proc/PID/maps.
#pragma once

#include "kernel/processes.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dtrace::providers {

struct ElfFunction {
    std::string name; // as in the symbol table (not demangled)
    uint64_t address = 0, size = 0;
};

struct ElfSegment {
    uint64_t offset = 0, vaddr = 0, filesz = 0;
};

// A note of type `type` and owner `owner` (SystemTap's "stapsdt" notes
// describe USDT probes), with the section address it was linked at.
struct ElfNote {
    std::string owner;
    uint32_t type = 0;
    std::vector<uint8_t> desc;
};

struct ElfImage {
    bool shared = false;                // ET_DYN: loaded at a bias
    std::vector<ElfFunction> functions; // sorted by address
    // GNU indirect functions (strlen in glibc): the symbol is the resolver
    // that picks an implementation at load time, which calls never reach.
    std::vector<std::string> indirectFunctions;
    std::vector<ElfSegment> loads;    // PT_LOAD
    std::vector<std::string> needed;  // DT_NEEDED
    std::vector<std::string> runpath; // DT_RUNPATH / DT_RPATH directories
    std::string interpreter;          // PT_INTERP
    std::vector<ElfNote> notes;       // SHT_NOTE sections
    uint64_t probesBase = 0;          // .stapsdt.base's address (0: none)
    std::vector<uint8_t> dof;         // .SUNW_dof's contents (DTrace-style USDT)
    // Data symbols (STT_OBJECT), read only for a file with USDT notes,
    // whose arguments may name them ("8@counter(%rip)").
    std::map<std::string, uint64_t, std::less<>> dataSymbols;
    // The file offset of a linked virtual address (nullopt: in no segment).
    std::optional<uint64_t> fileOffset(uint64_t vaddr) const;
};

// Reads an ELF file; nullopt when it is not one (or cannot be read).
std::optional<ElfImage> readElfImage(const std::string &path);

// An ELF file's USDT sections alone (its stapsdt notes and its DOF),
// read without its symbols: enough to tell which providers it has.
struct UsdtSections {
    std::vector<ElfNote> notes;
    std::vector<uint8_t> dof;
};
UsdtSections readUsdtSections(const std::string &path);

using kernel::executableMappings;
using kernel::ProcessMapping;

} // namespace dtrace::providers
