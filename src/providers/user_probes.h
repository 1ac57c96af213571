// The pid provider: a process's functions as pidPID:MODULE:FUNCTION:NAME,
// NAME being entry, return or an offset (hex) into the function, each a
// uprobe on the ELF file that holds it. Modules are the objects the
// process has mapped; a process dtrace started (-c) and that has not yet
// exec'd has the objects its command will load: the executable, its
// interpreter and the libraries it needs.
#pragma once

#include "providers/probe.h"

#include <string>
#include <vector>

namespace dtrace::providers {

struct ProcessObject {
    std::string path;            // as dtrace opens it (and the uprobe names it)
    bool mainExecutable = false; // "a.out"
};

// The objects of process pid; pendingExec, when not empty, is the program
// the process is about to exec.
std::vector<ProcessObject> processObjects(int pid, const std::string &pendingExec);

// A library the process has not loaded yet (dlopen() will), when module
// names one that is not among objects: uprobes go on the file, and the
// kernel plants them when the process maps it.
void addLibraryLoadedLater(int pid, const std::string &module, std::vector<ProcessObject> &objects);

// Whether a module pattern names an object: its file name ("libc.so.6"),
// that name up to ".so" ("libc.so") or before it ("libc"), or "a.out" for
// the main executable.
bool moduleMatches(std::string_view pattern, const ProcessObject &object);

// The probes of process pid that d could match, in the objects given.
std::vector<Probe> userFunctionProbes(int pid, const ProbeDescription &d,
                                      const std::vector<ProcessObject> &objects);

// Why d names no probe of its process's functions when it names one
// function of one module (DTrace's D_PROC_NAME, D_PROC_FUNC, D_PROC_OFF
// and their messages); empty tag when it is not that.
struct UserProbeError {
    std::string tag, message;
};
UserProbeError userProbeError(const ProbeDescription &d, const std::vector<ProcessObject> &objects);

// The executable a command name runs (searched along PATH); empty if none.
std::string resolveCommand(const std::string &name);

} // namespace dtrace::providers
