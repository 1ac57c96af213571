// dtrace -G for DTrace-style probe sites: objects compiled with the -h
// header and DTRACE_DOF_PROBES call __dtrace_PROVIDER___PROBE(args) and
// test __dtraceenabled_PROVIDER___PROBE(). As DTrace's -G does, each such
// object is rewritten in place: a probe call becomes a 5-byte nop (the
// arguments stay in their registers for the uprobe to read), an
// is-enabled call becomes "xor %eax,%eax; mov $0,%al" (dtrace patches it
// to yield 1 while the probe is traced), and the object gains a .SUNW_dof section
// that says where the sites are, its function addresses relocated by the
// linker.
#pragma once

#include "cli/provider_files.h"

#include <optional>
#include <string>
#include <vector>

namespace dtrace::cli {

// Rewrites the DTrace-style sites of the providers' probes in each
// object; throws Error if one cannot be (the objects are then left as
// they were).
void linkDofProbeSites(const std::vector<ProviderSpec> &providers,
                       const std::vector<std::string> &objects);

// The function names a DTrace-style site calls.
std::string dofProbeFunction(const std::string &provider, const std::string &probe);
std::string dofIsEnabledFunction(const std::string &provider, const std::string &probe);

} // namespace dtrace::cli
