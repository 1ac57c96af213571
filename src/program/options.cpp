#include "program/options.h"
#include "program/stability.h"
#include "util/listen_address.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <variant>

namespace dtrace::program {

namespace {

enum class Kind { Flag, Size, Count, Rate, Text, Percent, Choice };

// The field an option sets.
using Field = std::variant<bool Options::*, uint64_t Options::*, std::optional<uint64_t> Options::*,
                           std::string Options::*, BufferPolicy Options::*, BufferResize Options::*,
                           OutputFormat Options::*>;

struct OptionInfo {
    const char *name;
    Kind kind;
    const char *defaultValue; // null: unset
    bool programAllowed;
    Field field;
};

// DTrace's options, with Oracle's DTrace for Linux defaults, plus our own
// safety options (deadman, overload, probestats).
const std::array kOptions = {
    OptionInfo{"agghist", Kind::Flag, nullptr, true, &Options::agghist},
    OptionInfo{"aggpack", Kind::Flag, nullptr, true, &Options::aggpack},
    OptionInfo{"aggrate", Kind::Rate, "1hz", true, &Options::aggrate},
    OptionInfo{"aggsize", Kind::Size, "4m", true, &Options::aggsize},
    OptionInfo{"aggsortkey", Kind::Flag, nullptr, true, &Options::aggsortkey},
    OptionInfo{"aggsortkeypos", Kind::Count, "0", true, &Options::aggsortkeypos},
    OptionInfo{"aggsortpos", Kind::Count, "0", true, &Options::aggsortpos},
    OptionInfo{"aggsortrev", Kind::Flag, nullptr, true, &Options::aggsortrev},
    OptionInfo{"aggzoom", Kind::Flag, nullptr, true, &Options::aggzoom},
    OptionInfo{"amin", Kind::Text, nullptr, true, &Options::amin},
    OptionInfo{"argref", Kind::Flag, nullptr, true, &Options::argref},
    OptionInfo{"bufpolicy", Kind::Choice, "switch", true, &Options::bufpolicy},
    OptionInfo{"bufresize", Kind::Choice, "auto", true, &Options::bufresize},
    OptionInfo{"bufsize", Kind::Size, "4m", true, &Options::bufsize},
    OptionInfo{"cleanrate", Kind::Rate, "101hz", true, &Options::cleanrate},
    OptionInfo{"cpp", Kind::Flag, nullptr, true, &Options::cpp},
    OptionInfo{"cpppath", Kind::Text, "cpp", false, &Options::cpppath},
    OptionInfo{"cpu", Kind::Count, nullptr, true, &Options::cpu},
    OptionInfo{"deadman", Kind::Rate, "10s", true, &Options::deadman},
    OptionInfo{"debug", Kind::Flag, nullptr, true, &Options::debug},
    OptionInfo{"defaultargs", Kind::Flag, nullptr, true, &Options::defaultargs},
    OptionInfo{"define", Kind::Text, nullptr, false, &Options::define},
    OptionInfo{"destructive", Kind::Flag, nullptr, true, &Options::destructive},
    OptionInfo{"disasm", Kind::Count, nullptr, true, &Options::disasm},
    OptionInfo{"droptags", Kind::Flag, nullptr, true, &Options::droptags},
    OptionInfo{"dynvarsize", Kind::Size, "1m", true, &Options::dynvarsize},
    OptionInfo{"empty", Kind::Flag, nullptr, true, &Options::empty},
    OptionInfo{"encoding", Kind::Text, nullptr, true, &Options::encoding},
    OptionInfo{"errtags", Kind::Flag, nullptr, true, &Options::errtags},
    OptionInfo{"evaltime", Kind::Text, nullptr, false, &Options::evaltime},
    OptionInfo{"flowindent", Kind::Flag, nullptr, true, &Options::flowindent},
    OptionInfo{"incdir", Kind::Text, nullptr, false, &Options::incdir},
    OptionInfo{"jstackframes", Kind::Count, "50", true, &Options::jstackframes},
    OptionInfo{"libdir", Kind::Text, nullptr, false, &Options::libdir},
    OptionInfo{"lockmem", Kind::Size, nullptr, true, &Options::lockmem},
    OptionInfo{"maxframes", Kind::Count, "127", true, &Options::maxframes},
    OptionInfo{"metrics", Kind::Text, nullptr, false, &Options::metrics},
    OptionInfo{"nolibs", Kind::Flag, nullptr, true, &Options::nolibs},
    OptionInfo{"nooverload", Kind::Flag, nullptr, true, &Options::nooverload},
    OptionInfo{"nspec", Kind::Count, "1", true, &Options::nspec},
    OptionInfo{"oformat", Kind::Choice, "text", true, &Options::oformat},
    OptionInfo{"overload", Kind::Percent, "50", true, &Options::overload},
    OptionInfo{"preallocate", Kind::Flag, nullptr, true, &Options::preallocate},
    OptionInfo{"probestats", Kind::Flag, nullptr, true, &Options::probestats},
    OptionInfo{"printsize", Kind::Size, "4096", true, &Options::printsize},
    OptionInfo{"quiet", Kind::Flag, nullptr, true, &Options::quiet},
    OptionInfo{"quietresize", Kind::Flag, nullptr, true, &Options::quietresize},
    OptionInfo{"rawbytes", Kind::Flag, nullptr, true, &Options::rawbytes},
    OptionInfo{"scratchsize", Kind::Size, "256", true, &Options::scratchsize},
    OptionInfo{"specsize", Kind::Size, "32k", true, &Options::specsize},
    OptionInfo{"stackframes", Kind::Count, "20", true, &Options::stackframes},
    OptionInfo{"stackindent", Kind::Count, "14", true, &Options::stackindent},
    OptionInfo{"statusrate", Kind::Rate, "1hz", true, &Options::statusrate},
    OptionInfo{"stdc", Kind::Text, nullptr, false, &Options::stdc},
    OptionInfo{"strsize", Kind::Size, "256", true, &Options::strsize},
    OptionInfo{"switchrate", Kind::Rate, "1hz", true, &Options::switchrate},
    OptionInfo{"syslibdir", Kind::Text, nullptr, false, &Options::syslibdir},
    OptionInfo{"temporal", Kind::Flag, nullptr, true, &Options::temporal},
    OptionInfo{"undef", Kind::Text, nullptr, false, &Options::undef},
    OptionInfo{"ustackframes", Kind::Count, "100", true, &Options::ustackframes},
    OptionInfo{"verbose", Kind::Flag, nullptr, true, &Options::verbose},
    OptionInfo{"version", Kind::Text, nullptr, false, &Options::version},
    OptionInfo{"zdefs", Kind::Flag, nullptr, true, &Options::zdefs},
};

// DTrace's options that have no meaning here, each with the reason it
// is refused.
struct RefusedOption {
    const char *name;
    const char *reason;
    bool programAllowed = true; // as in DTrace: some may not be set by a program at all
};
constexpr std::array kRefused = {
    RefusedOption{"aggpercpu", "aggregations are not kept per CPU; key one by cpu instead"},
    RefusedOption{"core", "dtrace does not dump core on errors here"},
    RefusedOption{"cpphdrs", "cpp is given no DTrace headers to include"},
    RefusedOption{"ctypes", "there is no CTF: types come from the kernel's BTF", false},
    RefusedOption{"dtypes", "there is no CTF: types come from the kernel's BTF", false},
    RefusedOption{"grabanon", "anonymous tracing is not supported on Linux"},
    RefusedOption{"iregs", "programs are compiled to BPF, which has no DIF registers to size"},
    RefusedOption{"jstackstrsize", "Linux has no ustack helpers for jstack() to ask"},
    RefusedOption{"knodefs", "kernel symbols are always looked up where they are used"},
    RefusedOption{"ldpath", "dtrace -G writes its object itself and runs no linker", false},
    RefusedOption{"lazyload", "USDT probes are found in the processes' ELF notes, not loaded as DOF"},
    RefusedOption{"linkmode", "dtrace -G writes its object itself and runs no linker", false},
    RefusedOption{"linktype", "dtrace -G writes only ELF objects", false},
    RefusedOption{"modpath", "kernel types and symbols come from BTF and kallsyms, not module files", false},
    RefusedOption{"noresolve", "symbols are always resolved"},
    RefusedOption{"pgmax", "processes are not grabbed through libproc here"},
    RefusedOption{"strip", "dtrace -G writes only what the object needs"},
    RefusedOption{"tree", "the compiler has no parse-tree printer"},
};

const OptionInfo *lookup(std::string_view name) {
    for (const OptionInfo &o : kOptions)
        if (name == o.name) return &o;
    return nullptr;
}

std::optional<uint64_t> parseUnsigned(std::string_view s, size_t &i) {
    if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
    uint64_t v = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
        uint64_t d = s[i] - '0';
        if (v > (UINT64_MAX - d) / 10) return std::nullopt;
        v = v * 10 + d;
        ++i;
    }
    return v;
}

std::optional<uint64_t> parseSize(std::string_view s) {
    size_t i = 0;
    auto v = parseUnsigned(s, i);
    if (!v) return std::nullopt;
    uint64_t mul = 1;
    if (i < s.size()) {
        if (i + 1 != s.size()) return std::nullopt;
        switch (std::tolower(s[i])) {
        case 'k': mul = 1ull << 10; break;
        case 'm': mul = 1ull << 20; break;
        case 'g': mul = 1ull << 30; break;
        case 't': mul = 1ull << 40; break;
        default: return std::nullopt;
        }
    }
    if (*v > UINT64_MAX / mul) return std::nullopt;
    return *v * mul;
}

// A rate or interval: "10hz", "100ms", "1s"; a bare number is a frequency.
std::optional<uint64_t> parseRate(std::string_view s) {
    size_t i = 0;
    auto v = parseUnsigned(s, i);
    if (!v) return std::nullopt;
    std::string_view unit = s.substr(i);
    if (unit.empty() || unit == "hz") {
        if (*v == 0) return std::nullopt;
        return 1000000000ull / *v;
    }
    struct U {
        const char *n;
        uint64_t ns;
    };
    static constexpr std::array<U, 14> units = {{{"ns", 1},
                                                 {"nsec", 1},
                                                 {"us", 1000},
                                                 {"usec", 1000},
                                                 {"ms", 1000000},
                                                 {"msec", 1000000},
                                                 {"s", 1000000000ull},
                                                 {"sec", 1000000000ull},
                                                 {"m", 60000000000ull},
                                                 {"min", 60000000000ull},
                                                 {"h", 3600000000000ull},
                                                 {"hour", 3600000000000ull},
                                                 {"d", 86400000000000ull},
                                                 {"day", 86400000000000ull}}};
    for (const U &u : units) {
        if (unit != u.n) continue;
        if (*v > UINT64_MAX / u.ns) return std::nullopt;
        return *v * u.ns;
    }
    return std::nullopt;
}

// The names of a choice's values, in the enum's order.
constexpr std::array<std::string_view, 3> kBufferPolicies = {"switch", "fill", "ring"};
constexpr std::array<std::string_view, 2> kBufferResizes = {"auto", "manual"};
constexpr std::array<std::string_view, 2> kOutputFormats = {"text", "json"};

template <typename E, size_t N>
bool setChoice(E &to, const std::array<std::string_view, N> &names, std::string_view value) {
    for (size_t i = 0; i < N; ++i)
        if (names[i] == value) {
            to = static_cast<E>(i);
            return true;
        }
    return false;
}

constexpr const char *kInvalidValue = "Invalid value for specified option";

// A flag takes no value, or a boolean one in any case: "false", "no",
// "off", "unset" ... unset it, as setopt("aggsortkey", "false") does; a
// number is on unless it is 0.
std::optional<bool> flagValue(std::optional<std::string_view> value) {
    if (!value || value->empty()) return true;
    std::string v;
    for (char c : *value) v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    static constexpr std::array<std::string_view, 7> kOff = {"0",     "false",   "no",      "off",
                                                             "unset", "disable", "disabled"};
    static constexpr std::array<std::string_view, 7> kOn = {"1",   "true",   "yes",    "on",
                                                            "set", "enable", "enabled"};
    if (std::find(kOff.begin(), kOff.end(), v) != kOff.end()) return false;
    if (std::find(kOn.begin(), kOn.end(), v) != kOn.end()) return true;
    // A number, as DTrace reads a runtime option's value: not 0 is on
    // (setopt("aggsortrev", "4")).
    if (v.find_first_not_of("0123456789") == std::string::npos)
        return v.find_first_not_of('0') != std::string::npos;
    return std::nullopt;
}

// The number an option's text means, by its kind.
std::optional<uint64_t> numberValue(const OptionInfo &o, std::string_view value) {
    switch (o.kind) {
    case Kind::Size: {
        auto v = parseSize(value);
        // A string holds at least one character and its NUL.
        if (!v || (std::string_view(o.name) == "strsize" && *v < 2) ||
            (std::string_view(o.name) == "bufsize" && *v == 0))
            return std::nullopt;
        return v;
    }
    case Kind::Count:
    case Kind::Percent: {
        size_t i = 0;
        auto v = parseUnsigned(value, i);
        if (!v || i != value.size()) return std::nullopt;
        if (o.kind == Kind::Percent && (*v == 0 || *v > 100)) return std::nullopt;
        return v;
    }
    case Kind::Rate: {
        auto v = parseRate(value);
        if (!v || *v == 0) return std::nullopt;
        return v;
    }
    default: return std::nullopt;
    }
}

std::optional<std::string> assign(Options &opts, const OptionInfo &o,
                                  std::optional<std::string_view> value) {
    struct Setter {
        Options &opts;
        const OptionInfo &o;
        std::optional<std::string_view> value;
        bool operator()(bool Options::*f) const {
            auto v = flagValue(value);
            if (v) opts.*f = *v;
            return v.has_value();
        }
        bool operator()(uint64_t Options::*f) const {
            auto v = value ? numberValue(o, *value) : std::nullopt;
            if (v) opts.*f = *v;
            return v.has_value();
        }
        bool operator()(std::optional<uint64_t> Options::*f) const {
            auto v = value ? numberValue(o, *value) : std::nullopt;
            if (v) opts.*f = *v;
            return v.has_value();
        }
        bool operator()(std::string Options::*f) const {
            opts.*f = value ? std::string(*value) : std::string();
            return true;
        }
        bool operator()(BufferPolicy Options::*f) const {
            return value && setChoice(opts.*f, kBufferPolicies, *value);
        }
        bool operator()(BufferResize Options::*f) const {
            return value && setChoice(opts.*f, kBufferResizes, *value);
        }
        bool operator()(OutputFormat Options::*f) const {
            return value && setChoice(opts.*f, kOutputFormats, *value);
        }
    };
    // The -c command is held before its exec while probes are enabled:
    // that is when its pid probes are made.
    if (std::string_view(o.name) == "evaltime" && value && *value != "exec")
        return "Option not supported here: only evaltime=exec (the command is held at its exec)";
    if (std::string_view(o.name) == "version") {
        if (!value) return kInvalidValue;
        static constexpr std::array<std::string_view, 15> known = {
            "1.0", "1.1", "1.2",   "1.2.1", "1.2.2", "1.3",   "1.4", "1.4.1",
            "1.5", "1.6", "1.6.1", "1.6.2", "1.6.3", "1.6.4", "2.0"};
        if (std::find(known.begin(), known.end(), *value) == known.end())
            return "Requested version is not supported by compiler";
    }
    if (!std::visit(Setter{opts, o, value}, o.field)) return kInvalidValue;
    return std::nullopt;
}

} // namespace

Options::Options() {
    for (const OptionInfo &o : kOptions)
        if (o.defaultValue) assign(*this, o, std::string_view(o.defaultValue));
}

std::optional<std::string> Options::set(std::string_view name,
                                        std::optional<std::string_view> value, bool fromProgram) {
    for (const RefusedOption &r : kRefused) {
        if (name != r.name) continue;
        if (fromProgram && !r.programAllowed) return "Option cannot be used from within a D program";
        return std::string("Option not supported here: ") + r.reason;
    }
    const OptionInfo *o = lookup(name);
    if (!o) return "Invalid option name";
    if (fromProgram && !o->programAllowed) return "Option cannot be used from within a D program";
    // The minimum stability attributes: a triple as DTrace reads one.
    if (name == "amin" && (!value || !parseAttributes(*value)))
        return "Invalid value for specified option";
    // -x metrics=ADDR:PORT: where /metrics is served.
    if (name == "metrics") {
        std::string why;
        if (!value || !parseListenAddress(*value, &why))
            return value ? why : "expected ADDR:PORT (such as 127.0.0.1:9464)";
    }
    auto error = assign(*this, *o, value);
    if (!error) chosen_.emplace(name);
    return error;
}

} // namespace dtrace::program
