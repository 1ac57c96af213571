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

struct Child {
    pid_t pid = -1;
    int release = -1;
    bool reaped = false; // it exited while dtrace waited for it to stop
};

// Forks the command (split on white space, no shell), held until released.
Child forkCommand(const std::string &command);

// Lets the command run, patching the sites given at its stops first.
void releaseChild(Child &child, const std::vector<kernel::IsEnabledSites> &afterExec,
                  kernel::IsEnabledPatches &patches);

} // namespace dtrace::cli
