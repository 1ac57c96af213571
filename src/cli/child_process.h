// The -c command: forked at start-up and held at a pipe until tracing is
// enabled. With DTrace-style is-enabled sites to patch in it, it is
// released under ptrace: stopped at its exec, and again at its entry point
// if the sites are in libraries the dynamic linker maps, patched while
// stopped, then let go untraced.
#pragma once

#include "kernel/is_enabled.h"

#include <sys/types.h>

#include <string>
#include <vector>

namespace dtrace::cli {

// The -c command's process, owned: a child still running when this is
// destroyed (dtrace ending for whatever reason) is killed and reaped.
class ChildProcess {
  public:
    // Forks the command (split on white space, no shell), held until
    // released. Throws Error when it cannot.
    explicit ChildProcess(const std::string &command);
    ChildProcess(const ChildProcess &) = delete;
    ChildProcess &operator=(const ChildProcess &) = delete;
    ~ChildProcess();

    pid_t pid() const { return pid_; }
    // Lets the command run, patching the sites given at its stops first.
    void release(const std::vector<kernel::IsEnabledSites> &afterExec,
                 kernel::IsEnabledPatches &patches);
    // Whether it has exited (it is then reaped).
    bool exited();

  private:
    bool waitForTrap();
    bool runToEntry();
    pid_t pid_ = -1;
    kernel::Fd release_; // the pipe it waits at before its exec
    bool reaped_ = false;
};

} // namespace dtrace::cli
