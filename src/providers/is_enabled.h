// The is-enabled sites of DTrace-style USDT probes. `dtrace -G` left each
// as "xor %eax,%eax; nop; nop; ..." where the program asked whether the
// probe is traced; while it is, dtrace turns the two nops after the xor
// into "inc %eax" in the process's text (through /proc/PID/mem) and puts
// them back when tracing stops. (A uprobe program cannot set a register,
// and the kernel counts no semaphore for these sites.)
#pragma once

#include "codegen/compiled.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dtrace::providers {

// The is-enabled sites of the probes a program enables, in one file of
// one process.
struct IsEnabledSites {
    int pid = 0;
    std::string path;
    std::vector<uint64_t> offsets; // in the file
};

std::vector<IsEnabledSites> isEnabledSites(const codegen::CompiledProgram &prog);

// Patched sites, restored (in processes still alive) when destroyed.
class IsEnabledPatches {
  public:
    IsEnabledPatches() = default;
    IsEnabledPatches(const IsEnabledPatches &) = delete;
    IsEnabledPatches &operator=(const IsEnabledPatches &) = delete;
    ~IsEnabledPatches() { restore(); }

    // Patches the sites in the process, which must have mapped the file.
    std::optional<std::string> apply(const IsEnabledSites &sites);
    void restore();

  private:
    struct Patch {
        int pid;
        uint64_t address; // of the two bytes
        std::string path; // the file mapped there
    };
    std::vector<Patch> patches_;
};

} // namespace dtrace::providers
