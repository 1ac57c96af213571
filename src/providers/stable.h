// DTrace's stable providers on Linux: proc (and later sched and io), made
// of kernel hooks (raw tracepoints, system call entries and returns) with
// DTrace's arguments as D expressions over the hooks' own arguments.
#pragma once

#include "providers/probe.h"

#include <string_view>
#include <vector>

namespace dtrace::providers {

// The providers defined here.
const std::vector<std::string_view> &stableProviders();

// The probes of one of them, without IDs.
std::vector<Probe> stableProviderProbes(std::string_view provider);

} // namespace dtrace::providers
