// Attaches loaded programs to their kernel hooks: raw tracepoints for
// system calls, CPU-clock perf events for profile and tick, and test runs
// for BEGIN and END in dtrace's own context.
#pragma once

#include "bpf/loader.h"
#include "codegen/compiled.h"

#include <optional>
#include <string>
#include <vector>

namespace dtrace::providers {

// Attaches every program that has a kernel hook. The links it returns own
// the attachments: destroying them detaches.
std::optional<std::string> attachAll(const codegen::CompiledProgram &prog,
                                     const bpf::Session &session, std::vector<bpf::Fd> &links);

// Runs a BEGIN or END program once on this CPU, in this process's context.
std::optional<std::string> runOnce(int progFd);

} // namespace dtrace::providers
