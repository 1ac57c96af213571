// dtrace -h and -G: the provider definitions of the -s scripts, as the
// header of their probe macros, or the object that defines their
// semaphores (and DTrace-style sites rewritten in the objects given).
#pragma once

#include "cli/command_line.h"
#include "program/options.h"
#include "providers/catalog.h"

namespace dtrace::cli {

// The exit status. Throws Error.
int buildProviderFiles(const CommandLine &cl, const program::Options &options,
                       providers::ProbeCatalog &catalog);

} // namespace dtrace::cli
