// dtrace's command line, parsed.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dtrace::cli {

struct ProgramSource {
    enum class Kind { Script, Description };
    Kind kind = Kind::Script;
    std::string name;      // script path or the description as given
    std::string text;      // D source
    bool fromFlag = false; // -P/-m/-f/-i: a bare description
    bool byId = false;     // -i: a probe ID (or a description)
};

struct CommandLine {
    std::vector<ProgramSource> sources;
    std::vector<std::pair<std::string, std::optional<std::string>>>
        xoptions;                         // -x, and flags that set options
    std::vector<std::string> cppArgs;     // -D, -U, -I
    std::string cppPath = "cpp";          // -x cpppath
    std::vector<std::string> macroArgs;   // $1 ...
    std::vector<std::string> libraryDirs; // -L: D library directories
    std::vector<std::string> commands;    // -c, each run; the first is $target
    std::vector<int> pids;                // -p, each grabbed; $target if no -c
    std::optional<std::string> outputFile;
    bool compileOnly = false; // -e
    bool list = false;        // -l
    bool disassemble = false; // -S
    bool verbose = false;     // -v
    bool version = false;     // -V
    bool longVersion = false; // --version: this program's own version too
    bool help = false;        // --help: the usage, on stdout
    bool includedFiles = false; // -H: cpp prints the files it includes
    bool zeroMatchOk = false; // -Z
    bool cpp = false;         // -C
    bool header = false;      // -h: the USDT provider header
    bool linkObject = false;  // -G: the USDT object to link
    bool anonymous = false;   // -a or -A: anonymous tracing (refused)
    char anonymousFlag = 0;
};

// Whether a program may name a probe by its ID (-i, or a number where a
// clause's probe description goes): IDs are then given to every probe,
// in `dtrace -l`'s order, before anything is matched.
bool mayNameProbeIds(const CommandLine &cl);

// Parses argv; throws UsageError.
CommandLine parseCommandLine(int argc, char **argv);
std::string usage();

} // namespace dtrace::cli
