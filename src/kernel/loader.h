// Creates maps and loads programs through libbpf's low-level API. Every
// kernel object is owned by an Fd: closing it (on exit, on a signal, or
// when the kernel reaps a killed process) releases it.
#pragma once

#include "program/plan.h"
#include "util/error.h"
#include "util/fd.h"

#include <optional>
#include <string>
#include <vector>

namespace dtrace::kernel {

using dtrace::Fd;

// A program the kernel would not load (the verifier's log kept for -v),
// or a map it would not create.
class LoadError : public Error {
  public:
    LoadError(std::string message, std::string verifierLog = {})
        : Error(std::move(message)), verifierLog_(std::move(verifierLog)) {}
    const std::string &verifierLog() const { return verifierLog_; }

  private:
    std::string verifierLog_;
};

// The kernel objects of one tracing session.
class Session {
  public:
    std::vector<Fd> maps;     // by MapId
    std::vector<Fd> programs; // by program index
    // The attach type each program was loaded for (pid and USDT programs:
    // kUprobeMulti when the kernel attaches many uprobes in one link).
    std::vector<uint32_t> attachTypes;
    int cpus = 1;
    size_t memoryBytes = 0; // what the maps hold, for -v
    // bufresize=auto: the per-CPU principal buffer size finally used, when
    // the requested one could not be had (0: as requested).
    uint64_t bufsizeLowered = 0;
};

// Creates the maps (filling the string table and the system call table)
// and loads every program. On failure, everything created so far is
// released and the error names the D clause the verifier rejected.
void load(const program::CompiledProgram &prog, Session &session, bool verbose);

// BPF_TRACE_UPROBE_MULTI (Linux 6.6), which our libbpf's headers predate:
// many uprobes of one file in one link, registered and (what matters)
// unregistered together, at one RCU grace period for all rather than one
// each (~80 ms a uprobe here).
constexpr uint32_t kUprobeMulti = 48;
constexpr uint32_t kUprobeMultiReturn = 1; // BPF_F_UPROBE_MULTI_RETURN
// Whether this kernel loads programs for it (a feature probe, run once).
bool uprobeMultiSupported();

// A feature probe: loads the smallest program ("return 0") of a type and
// attach type. 0 when the kernel takes it, else the errno it refused with.
int probeProgramLoad(uint32_t type, uint32_t attachType, uint32_t attachBtfId = 0);
// Creates a uprobe_multi link; the fd, or -1 with errno set.
int createUprobeMultiLink(int progFd, const std::string &path, const std::vector<uint64_t> &offsets,
                          const std::vector<uint64_t> &refCtrOffsets,
                          const std::vector<uint64_t> &cookies, bool isReturn, int pid);

// Whether this kernel attaches many kprobes in one link (kprobe_multi,
// Linux 5.18, on fprobe): a feature probe, run once.
bool kprobeMultiSupported();
// Creates a kprobe_multi link on the functions, each with its cookie; the
// fd, or -1 with errno set.
int createKprobeMultiLink(int progFd, const std::vector<std::string> &functions,
                          const std::vector<uint64_t> &cookies, bool isReturn);

// The feature probe for BPF trampolines (fbt): whether this kernel loads an
// fentry program on function btfId. Nothing when it does; otherwise why
// not, in a line. Run once per process.
std::optional<std::string> trampolinesUnavailable(unsigned btfId);

} // namespace dtrace::kernel
