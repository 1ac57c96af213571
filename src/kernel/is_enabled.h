// The is-enabled sites of DTrace-style USDT probes. `dtrace -G` left each
// as "xor %eax,%eax; mov $0,%al" where the program asks whether the probe
// is traced; while it is, dtrace sets that immediate to 1 in the process's
// text (through /proc/PID/mem: one byte, so a thread running there sees
// the old instruction or the new one) and puts it back when tracing stops.
// Sites other tools left as "xor %eax,%eax; nop; nop" get "inc %eax" in
// place of the nops, only while the process is stopped. (A uprobe program cannot set a register,
// and the kernel counts no semaphore for these sites.)
#pragma once

#include "kernel/loader.h"
#include "program/plan.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dtrace::kernel {

using program::IsEnabledSites;

// Process pid's memory (/proc/PID/mem), read-write: its text too.
kernel::Fd openProcessMemory(int pid);

// A file by device and inode, which hold in a process's mount namespace
// as in ours (a path need not).
struct FileId {
    uint64_t device = 0, inode = 0;
    bool operator==(const FileId &) const = default;
};

// Patched sites, restored (in processes still alive) when destroyed.
class IsEnabledPatches {
  public:
    IsEnabledPatches() = default;
    IsEnabledPatches(const IsEnabledPatches &) = delete;
    IsEnabledPatches &operator=(const IsEnabledPatches &) = delete;
    ~IsEnabledPatches() {
        try {
            restore();
        } catch (...) { // (out of memory while unwinding: nothing more to do)
        }
    }

    // Patches the sites in the process; those in a file it has not mapped
    // yet (a library it will load) wait for retryPending(). What cannot be
    // patched is reported as a warning: its probe still fires, the
    // program's test of it stays false.
    // stopped: every thread of the process is stopped (the -c exec stop).
    void apply(const IsEnabledSites &sites, bool stopped = false);
    void retryPending(bool stopped = false);
    bool hasPending() const { return !pending_.empty(); }
    void restore();

  private:
    struct Patch {
        int pid;
        uint64_t site; // its address in the process
        std::vector<uint8_t> original, patched;
        FileId file; // mapped there
    };
    // Applies what it can; returns the sites whose file is not mapped.
    IsEnabledSites patch(const IsEnabledSites &sites, bool stopped);
    std::vector<Patch> patches_;
    std::vector<IsEnabledSites> pending_;
};

} // namespace dtrace::kernel
