// USDT: the statically defined probes an application or library carries,
// described by SystemTap-style notes (owner "stapsdt", type 3) in its ELF
// file, as `dtrace -h` and `dtrace -G` build them and as <sys/sdt.h> does,
// or DTrace-style by the DOF in its .SUNW_dof section (dof.h).
// A probe is PROVIDERpid:module:function:name, a uprobe on its site.
#pragma once

#include "providers/elf_image.h"
#include "providers/probe.h"
#include "providers/user_probes.h"

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace dtrace::providers {

// One argument of a note's argument string ("-4@%edi"); Unsupported for
// forms we cannot read in BPF (symbols relative to %rip, index registers).
UsdtArgument parseUsdtArgument(std::string_view spec);
std::vector<UsdtArgument> parseUsdtArguments(std::string_view specs);

// A rip-relative operand, "SYMBOL(%rip)" or "SYMBOL+N(%rip)": the
// symbol and N.
struct RipRelative {
    std::string symbol;
    int64_t addend = 0;
};
std::optional<RipRelative> parseRipRelative(std::string_view spec);

// A probe's name as D spells it: "__" in the note becomes "-".
std::string usdtProbeName(std::string_view noteName);

// A SystemTap-style note (owner "stapsdt", type 3): the site's and the
// semaphore's link-time addresses, .stapsdt.base's, and the strings.
struct StapsdtNote {
    uint64_t pc = 0, base = 0, semaphore = 0;
    std::string provider, name, arguments;
};
std::optional<StapsdtNote> parseStapsdtNote(const ElfNote &note);

// The providers an object's USDT sections name (without a pid).
std::set<std::string> usdtProviderNames(const UsdtSections &sections);

// The USDT probes of process pid whose provider (without the pid) matches
// providerPattern and that d could match, in the objects given.
std::vector<Probe> usdtProbes(int pid, std::string_view providerPattern, const ProbeDescription &d,
                              const std::vector<ProcessObject> &objects);

} // namespace dtrace::providers
