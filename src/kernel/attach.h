// Attaches loaded programs to their kernel hooks, whatever provider they
// serve: raw tracepoints, CPU-clock perf events, tracefs events' perf
// events, uprobes (one uprobe_multi link a file where the kernel has them),
// BPF trampolines and kprobes; and test runs for BEGIN and END in dtrace's own
// context.
#pragma once

#include "kernel/loader.h"
#include "program/plan.h"

#include <optional>
#include <string>
#include <vector>

namespace dtrace::kernel {

// Attaches every program that has a kernel hook. The links it returns own
// the attachments: destroying them detaches. Throws Error.
void attachAll(const program::CompiledProgram &prog, const Session &session,
               std::vector<Fd> &links);

// Detaches every link. Without uprobe_multi a pid glob is one perf event a
// probe, and each perf event's release waits for an RCU grace period: closed
// from many threads at once, the waits overlap. Leaves links empty.
void detachAll(std::vector<Fd> &links);

// Whether the kernel makes kprobes through perf events (the kprobe PMU).
bool kprobePmuAvailable();

// Runs a BEGIN or END program once on this CPU, in this process's context.
// Throws Error.
void runOnce(int progFd);

} // namespace dtrace::kernel
