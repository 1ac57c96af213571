// dtrace -l: the probes the descriptions (or, with none, all providers)
// match, as a table; -v adds each probe's stability and argument types.
#pragma once

#include "cli/command_line.h"
#include "providers/catalog.h"

#include <optional>

namespace dtrace::cli {

// Prints the table (json: one JSON line a probe); the exit status.
// target: the -c/-p process ($target). Throws Error.
int listProbes(const CommandLine &cl, providers::ProbeCatalog &catalog, std::optional<int> target,
               bool json = false);

} // namespace dtrace::cli
