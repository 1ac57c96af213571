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
};

struct CommandLine {
    std::vector<ProgramSource> sources;
    std::vector<std::pair<std::string, std::optional<std::string>>>
        xoptions;                         // -x, and flags that set options
    std::vector<std::string> cppArgs;     // -D, -U, -I
    std::vector<std::string> macroArgs;   // $1 ...
    std::vector<std::string> libraryDirs; // -L: D library directories
    std::optional<std::string> command;   // -c
    std::optional<int> pid;               // -p
    std::optional<std::string> outputFile;
    bool compileOnly = false; // -e
    bool list = false;        // -l
    bool disassemble = false; // -S
    bool verbose = false;     // -v
    bool version = false;     // -V
    bool longVersion = false; // --version: this program's own version too
    bool help = false;        // --help: the usage, on stdout
    bool zeroMatchOk = false; // -Z
    bool cpp = false;         // -C
    bool header = false;      // -h: the USDT provider header
    bool linkObject = false;  // -G: the USDT object to link
};

// Parses argv; throws UsageError.
CommandLine parseCommandLine(int argc, char **argv);
std::string usage();

} // namespace dtrace::cli
