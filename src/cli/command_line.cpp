#include "cli/command_line.h"

#include "util/error.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

namespace dtrace::cli {

std::string usage() {
    return "Usage: dtrace [-32|-64] [-aACeFGhHlqSvVwZ] [-b bufsz] [-c cmd] [-D name[=def]]\n"
           "\t[-I path] [-L path] [-o output] [-p pid] [-s script] [-U name]\n"
           "\t[-x opt[=val]] [-X a|c|s|t]\n"
           "\t[-P provider [[ predicate ] action ]]\n"
           "\t[-m [ provider: ] module [[ predicate ] action ]]\n"
           "\t[-f [[ provider: ] module: ] func [[ predicate ] action ]]\n"
           "\t[-n [[[ provider: ] module: ] func: ] name [[ predicate ] action ]]\n"
           "\t[-i probe-id [[ predicate ] action ]] [ args ... ]\n\n"
           "\tpredicate -> '/' D-expression '/'\n"
           "\t   action -> '{' D-statements '}'\n\n"
           "\t-64 compile for the 64-bit data model (the only one: -32 is refused)\n"
           "\t-a  claim anonymous tracing state (not supported: refused)\n"
           "\t-A  write directives for anonymous tracing (not supported: refused)\n"
           "\t-b  set trace buffer size\n"
           "\t-c  run specified command and exit upon its completion\n"
           "\t-C  run cpp(1) preprocessor on script files\n"
           "\t-D  define symbol when invoking preprocessor\n"
           "\t-e  exit after compiling request but prior to enabling probes\n"
           "\t-f  enable or list probes matching the specified function name\n"
           "\t-F  coalesce trace output by function\n"
           "\t-G  write an ELF object holding the USDT probes of a provider\n"
           "\t-h  write a C header declaring the USDT probes of a provider\n"
           "\t-H  print the files cpp(1) includes, on stderr\n"
           "\t-i  enable or list probes matching the specified probe ID\n"
           "\t-I  add include directory to preprocessor search path\n"
           "\t-l  list probes matching specified criteria\n"
           "\t-L  add directory to the D library search path\n"
           "\t-m  enable or list probes matching the specified module name\n"
           "\t-n  enable or list probes matching the specified probe name\n"
           "\t-o  set output file\n"
           "\t-p  grab specified process-ID and cache its symbol tables\n"
           "\t-P  enable or list probes matching the specified provider name\n"
           "\t-q  set quiet mode (only output explicitly traced data)\n"
           "\t-s  enable or list probes according to the specified D script\n"
           "\t-S  print D compiler intermediate code\n"
           "\t-U  undefine symbol when invoking preprocessor\n"
           "\t-v  set verbose mode (report stability attributes, arguments)\n"
           "\t-V  report DTrace API version\n"
           "\t-w  permit destructive actions\n"
           "\t-x  enable or modify compiler and tracing options\n"
           "\t-X  set the C dialect of the preprocessor (ANSI, strict, K&R, transition)\n"
           "\t-Z  permit probe descriptions that match zero probes\n"
           "\n\t--help     this text\n"
           "\t--version  this program's version\n";
}

namespace {

bool takesArgument(char c) {
    return std::string_view("bcDfiILmnopPsUxX").find(c) != std::string_view::npos;
}

std::optional<std::string> readFile(const std::string &path, std::string &text) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return "failed to open " + path + ": " + std::strerror(errno);
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
    return std::nullopt;
}

// A -n argument is a program if it has a predicate or actions, else a
// bare description that gets DTrace's default action.
ProgramSource description(const std::string &arg, bool fromFlag) {
    ProgramSource s;
    s.kind = ProgramSource::Kind::Description;
    s.name = arg;
    bool program = arg.find('{') != std::string::npos || arg.find('/') != std::string::npos;
    s.text = program ? arg : arg + " {}";
    s.fromFlag = fromFlag;
    return s;
}

} // namespace

namespace {

std::optional<std::string> collectArguments(int argc, char **argv, CommandLine &out) {
    int i = 1;
    for (; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--") {
            ++i;
            break;
        }
        if (a == "--help" || a == "--version") {
            (a == "--help" ? out.help : out.longVersion) = true;
            continue;
        }
        if (a.size() < 2 || a[0] != '-') break;
        // The data model: only the kernel's own, 64-bit, exists here.
        if (a == "-64") continue;
        if (a == "-32")
            return std::string("-32: the 32-bit data model is not supported: dtrace compiles "
                               "for the 64-bit kernel and writes 64-bit ELF objects (-G)");
        for (size_t j = 1; j < a.size(); ++j) {
            char c = a[j];
            std::string arg;
            if (takesArgument(c)) {
                if (j + 1 < a.size()) {
                    arg = std::string(a.substr(j + 1));
                } else if (i + 1 < argc) {
                    arg = argv[++i];
                } else {
                    return std::string("option requires an argument -- '") + c + "'";
                }
                j = a.size();
            }
            switch (c) {
            case 'b': out.xoptions.emplace_back("bufsize", arg); break;
            case 'c': out.commands.push_back(arg); break;
            case 'C': out.cpp = true; break;
            case 'D': out.cppArgs.push_back("-D" + arg); break;
            case 'U': out.cppArgs.push_back("-U" + arg); break;
            case 'I': out.cppArgs.push_back("-I" + arg); break;
            case 'L': out.libraryDirs.push_back(arg); break;
            case 'e': out.compileOnly = true; break;
            case 'F': out.xoptions.emplace_back("flowindent", std::nullopt); break;
            case 'l': out.list = true; break;
            case 'o': out.outputFile = arg; break;
            case 'p': {
                char *end = nullptr;
                long v = std::strtol(arg.c_str(), &end, 10);
                if (!end || *end || v <= 0) return "invalid process ID: " + arg;
                out.pids.push_back(static_cast<int>(v));
                break;
            }
            case 'q': out.xoptions.emplace_back("quiet", std::nullopt); break;
            case 's': {
                ProgramSource s;
                s.kind = ProgramSource::Kind::Script;
                s.name = arg;
                if (auto err = readFile(arg, s.text)) return err;
                out.sources.push_back(std::move(s));
                break;
            }
            case 'S': out.disassemble = true; break;
            case 'v': out.verbose = true; break;
            case 'V': out.version = true; break;
            case 'w': out.xoptions.emplace_back("destructive", std::nullopt); break;
            case 'x': {
                size_t eq = arg.find('=');
                if (eq == std::string::npos)
                    out.xoptions.emplace_back(arg, std::nullopt);
                else
                    out.xoptions.emplace_back(arg.substr(0, eq), arg.substr(eq + 1));
                break;
            }
            case 'X':
                // The C dialect cpp follows (-x stdc).
                out.xoptions.emplace_back("stdc", arg);
                break;
            case 'Z': out.zeroMatchOk = true; break;
            case 'n': out.sources.push_back(description(arg, false)); break;
            case 'P': out.sources.push_back(description(arg + ":::", true)); break;
            case 'm': out.sources.push_back(description(arg + "::", true)); break;
            case 'f': out.sources.push_back(description(arg + ":", true)); break;
            case 'i':
                out.sources.push_back(description(arg, true));
                out.sources.back().byId = true;
                break;
            case 'a':
            case 'A':
                out.anonymous = true;
                out.anonymousFlag = c;
                break;
            case 'G': out.linkObject = true; break;
            case 'h': out.header = true; break;
            case 'H': out.includedFiles = true; break;
            default: return std::string("invalid option -- '") + c + "'";
            }
        }
    }
    for (; i < argc; ++i) out.macroArgs.emplace_back(argv[i]);
    return std::nullopt;
}

} // namespace

bool mayNameProbeIds(const CommandLine &cl) {
    for (const ProgramSource &src : cl.sources) {
        if (src.byId) return true;
        // Digits alone, outside any brackets, strings and comments, after
        // the start, a '}', ',' or ';' (where a clause or a probe list
        // entry begins) and before a '{', '/', ',' or space: a look that
        // may see more than there is (it costs a full listing, 0.2 s).
        const std::string &t = src.text;
        char before = '}';
        int depth = 0;
        for (size_t i = 0; i < t.size(); ++i) {
            char c = t[i];
            if (c == '"' || c == '\'') {
                for (++i; i < t.size() && t[i] != c; ++i)
                    if (t[i] == '\\') ++i;
            } else if (c == '/' && i + 1 < t.size() && t[i + 1] == '*') {
                size_t e = t.find("*/", i + 2);
                i = e == std::string::npos ? t.size() : e + 1;
                continue;
            } else if (c == '/' && i + 1 < t.size() && t[i + 1] == '/') {
                i = t.find('\n', i);
                if (i == std::string::npos) break;
                continue;
            } else if (c == '(' || c == '[' || c == '{') {
                ++depth;
            } else if (c == ')' || c == ']' || c == '}') {
                --depth;
            } else if (std::isspace(static_cast<unsigned char>(c))) {
                continue;
            } else if (std::isdigit(static_cast<unsigned char>(c)) && depth == 0 &&
                       (before == '}' || before == ',' || before == ';')) {
                size_t j = i;
                while (j < t.size() && std::isdigit(static_cast<unsigned char>(t[j]))) ++j;
                if (j == t.size() || std::isspace(static_cast<unsigned char>(t[j])) ||
                    t[j] == '{' || t[j] == '/' || t[j] == ',')
                    return true;
                i = j - 1;
                c = t[i];
            }
            before = c;
        }
    }
    return false;
}

CommandLine parseCommandLine(int argc, char **argv) {
    CommandLine cl;
    if (auto err = collectArguments(argc, argv, cl)) throw UsageError(*err);
    return cl;
}

} // namespace dtrace::cli
