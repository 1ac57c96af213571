// The -c command: forked at start-up and held at a pipe until tracing is
// enabled. With DTrace-style is-enabled sites to patch in it, it is
// released under ptrace: stopped at its exec, and again at its entry point
// if the sites are in libraries the dynamic linker maps, patched while
// stopped, then let go untraced. When its user stacks are to be named, it
// stays traced until it exits, and stops there while its mappings are
// read (as DTrace holds the processes it grabs): a command that ends
// before dtrace has looked at it still has its frames named.
#pragma once

#include "kernel/is_enabled.h"

#include <sys/types.h>

#include <functional>
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
    // Lets the command run, patching the sites given at its stops first;
    // holdAtExit keeps it traced, to stop as it exits.
    void release(const std::vector<kernel::IsEnabledSites> &afterExec,
                 kernel::IsEnabledPatches &patches, bool holdAtExit);
    // Whether it has exited (it is then reaped). A command held at its
    // exit calls atExit there (its mappings still readable), then goes on.
    bool exited(const std::function<void()> &atExit = {});
    // How it ended, once exited() said so: DTrace's notice ("has exited",
    // "exited with status N", "terminated by SIG").
    std::string exitNotice() const;

  private:
    bool waitForTrap();
    bool runToEntry();
    pid_t pid_ = -1;
    kernel::Fd release_; // the pipe it waits at before its exec
    bool reaped_ = false;
    int status_ = 0;      // its wait status, once reaped
    bool traced_ = false; // still under ptrace (held at its exit)
};

} // namespace dtrace::cli
