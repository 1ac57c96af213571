// DTrace's options (-x name=value, #pragma D option, setopt(), and the
// flags that stand for them) as typed fields: sizes in bytes, intervals in
// nanoseconds, counts, flags and choices. Names and value syntax are
// DTrace's; an unknown name or a bad value is an error where it is set.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace dtrace::program {

enum class BufferPolicy : uint8_t { Switch, Fill, Ring };
enum class BufferResize : uint8_t { Auto, Manual };
enum class OutputFormat : uint8_t { Text, Json };

struct Options {
    Options(); // DTrace for Linux's defaults

    // Sets an option. value is empty for a bare name ("quiet"). Returns an
    // error message in DTrace's words when the name or value is invalid.
    // fromProgram: set by #pragma or setopt() (some options are refused
    // there).
    std::optional<std::string> set(std::string_view name, std::optional<std::string_view> value,
                                   bool fromProgram);
    // Set by the user (-x, #pragma, setopt), not left at its default.
    bool chosen(std::string_view name) const { return chosen_.count(name) != 0; }

    // Sizes, in bytes.
    uint64_t aggsize = 0, bufsize = 0, dynvarsize = 0, lockmem = 0,
             printsize = 0, scratchsize = 0, specsize = 0, strsize = 0;
    // Counts.
    uint64_t aggsortkeypos = 0, aggsortpos = 0, disasm = 0, jstackframes = 0, maxframes = 0,
             nspec = 0, stackframes = 0, stackindent = 0, ustackframes = 0;
    std::optional<uint64_t> cpu; // -x cpu: the one CPU to trace
    uint64_t overload = 0;       // percent of a CPU in probes before the governor aborts
    // Intervals, in nanoseconds (a rate is given as its interval).
    uint64_t aggrate = 0, cleanrate = 0, deadman = 0, statusrate = 0, switchrate = 0;
    // Flags.
    bool agghist = false, aggpack = false, aggsortkey = false, aggsortrev = false, aggzoom = false,
         argref = false, cpp = false, debug = false, defaultargs = false, destructive = false,
         droptags = false, empty = false, errtags = false, flowindent = false, nolibs = false,
         nooverload = false, preallocate = false, probestats = false, quiet = false,
         quietresize = false, rawbytes = false, temporal = false, verbose = false, zdefs = false;
    // Choices.
    BufferPolicy bufpolicy = BufferPolicy::Switch;
    BufferResize bufresize = BufferResize::Auto;
    OutputFormat oformat = OutputFormat::Text;
    // Text.
    std::string amin, cpppath, define, encoding, evaltime, incdir, libdir, metrics, stdc, syslibdir,
        undef, version;

  private:
    std::set<std::string, std::less<>> chosen_;
};

} // namespace dtrace::program
