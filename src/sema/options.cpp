#include "sema/options.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace dtrace::sema {

namespace {

enum class Kind { Flag, Size, Count, Rate, Text, Percent };

struct OptionInfo {
    const char *name;
    Kind kind;
    const char *defaultValue; // null: unset
    bool programAllowed = true;
};

// DTrace's options, with Oracle's DTrace for Linux defaults, plus our own
// safety options (deadman, overload, probestats).
constexpr std::array kOptions = {
    OptionInfo{"agghist", Kind::Flag, nullptr},
    OptionInfo{"aggpack", Kind::Flag, nullptr},
    OptionInfo{"aggpercpu", Kind::Flag, nullptr},
    OptionInfo{"aggrate", Kind::Rate, "1hz"},
    OptionInfo{"aggsize", Kind::Size, "4m"},
    OptionInfo{"aggsortkey", Kind::Flag, nullptr},
    OptionInfo{"aggsortkeypos", Kind::Count, "0"},
    OptionInfo{"aggsortpos", Kind::Count, "0"},
    OptionInfo{"aggsortrev", Kind::Flag, nullptr},
    OptionInfo{"aggzoom", Kind::Flag, nullptr},
    OptionInfo{"amin", Kind::Text, nullptr},
    OptionInfo{"argref", Kind::Flag, nullptr},
    OptionInfo{"bufpolicy", Kind::Text, "switch"},
    OptionInfo{"bufresize", Kind::Text, "auto"},
    OptionInfo{"bufsize", Kind::Size, "4m"},
    OptionInfo{"cleanrate", Kind::Rate, "101hz"},
    OptionInfo{"core", Kind::Text, nullptr},
    OptionInfo{"cpp", Kind::Flag, nullptr},
    OptionInfo{"cpphdrs", Kind::Flag, nullptr},
    OptionInfo{"cpppath", Kind::Text, "cpp", false},
    OptionInfo{"cpu", Kind::Count, nullptr},
    OptionInfo{"ctypes", Kind::Text, nullptr, false},
    OptionInfo{"deadman", Kind::Rate, "10s"},
    OptionInfo{"debug", Kind::Flag, nullptr},
    OptionInfo{"defaultargs", Kind::Flag, nullptr},
    OptionInfo{"define", Kind::Text, nullptr, false},
    OptionInfo{"destructive", Kind::Flag, nullptr},
    OptionInfo{"disasm", Kind::Count, nullptr},
    OptionInfo{"droptags", Kind::Flag, nullptr},
    OptionInfo{"dtypes", Kind::Text, nullptr, false},
    OptionInfo{"dynvarsize", Kind::Size, "1m"},
    OptionInfo{"empty", Kind::Flag, nullptr},
    OptionInfo{"encoding", Kind::Text, nullptr},
    OptionInfo{"errtags", Kind::Flag, nullptr},
    OptionInfo{"evaltime", Kind::Text, nullptr, false},
    OptionInfo{"flowindent", Kind::Flag, nullptr},
    OptionInfo{"grabanon", Kind::Flag, nullptr},
    OptionInfo{"incdir", Kind::Text, nullptr, false},
    OptionInfo{"iregs", Kind::Count, nullptr},
    OptionInfo{"jstackframes", Kind::Count, "50"},
    OptionInfo{"jstackstrsize", Kind::Size, "512"},
    OptionInfo{"knodefs", Kind::Flag, nullptr},
    OptionInfo{"ldpath", Kind::Text, nullptr, false},
    OptionInfo{"lazyload", Kind::Flag, nullptr},
    OptionInfo{"linkmode", Kind::Text, nullptr, false},
    OptionInfo{"linktype", Kind::Text, nullptr, false},
    OptionInfo{"lockmem", Kind::Size, nullptr},
    OptionInfo{"maxframes", Kind::Count, "127"},
    OptionInfo{"modpath", Kind::Text, nullptr, false},
    OptionInfo{"nolibs", Kind::Flag, nullptr},
    OptionInfo{"nooverload", Kind::Flag, nullptr},
    OptionInfo{"noresolve", Kind::Flag, nullptr},
    OptionInfo{"nspec", Kind::Count, "1"},
    OptionInfo{"oformat", Kind::Text, "text"},
    OptionInfo{"overload", Kind::Percent, "50"},
    OptionInfo{"pgmax", Kind::Count, nullptr},
    OptionInfo{"preallocate", Kind::Flag, nullptr},
    OptionInfo{"probestats", Kind::Flag, nullptr},
    OptionInfo{"printsize", Kind::Size, "4096"},
    OptionInfo{"quiet", Kind::Flag, nullptr},
    OptionInfo{"quietresize", Kind::Flag, nullptr},
    OptionInfo{"rawbytes", Kind::Flag, nullptr},
    OptionInfo{"scratchsize", Kind::Size, "256"},
    OptionInfo{"specsize", Kind::Size, "32k"},
    OptionInfo{"stackframes", Kind::Count, "20"},
    OptionInfo{"stackindent", Kind::Count, "14"},
    OptionInfo{"statusrate", Kind::Rate, "1hz"},
    OptionInfo{"stdc", Kind::Text, nullptr, false},
    OptionInfo{"strip", Kind::Flag, nullptr},
    OptionInfo{"strsize", Kind::Size, "256"},
    OptionInfo{"switchrate", Kind::Rate, "1hz"},
    OptionInfo{"syslibdir", Kind::Text, nullptr, false},
    OptionInfo{"temporal", Kind::Flag, nullptr},
    OptionInfo{"tree", Kind::Count, nullptr},
    OptionInfo{"undef", Kind::Text, nullptr, false},
    OptionInfo{"ustackframes", Kind::Count, "100"},
    OptionInfo{"verbose", Kind::Flag, nullptr},
    OptionInfo{"version", Kind::Text, nullptr, false},
    OptionInfo{"zdefs", Kind::Flag, nullptr},
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

} // namespace

Options::Options() {
    for (const OptionInfo &o : kOptions)
        if (o.defaultValue) assign(o.name, std::string_view(o.defaultValue), false);
    values_.erase("_unused");
}

std::optional<std::string> Options::set(std::string_view name,
                                        std::optional<std::string_view> value, bool fromProgram) {
    auto error = assign(name, value, fromProgram);
    if (!error) chosen_.emplace(name);
    return error;
}

std::optional<std::string>
Options::assign(std::string_view name, std::optional<std::string_view> value, bool fromProgram) {
    const OptionInfo *o = lookup(name);
    if (!o) return "Invalid option name";
    if (fromProgram && !o->programAllowed) return "Option cannot be used from within a D program";
    std::string key(name);
    switch (o->kind) {
    case Kind::Flag:
        // A flag takes no value, or a boolean one in any case: "false",
        // "no", "off", "unset" ... unset it, as setopt("aggsortkey",
        // "false") does.
        if (value && !value->empty()) {
            std::string v;
            for (char c : *value)
                v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            static const char *const kOff[] = {"0",     "false",   "no",      "off",
                                               "unset", "disable", "disabled"};
            static const char *const kOn[] = {"1", "true", "yes", "on", "set", "enable", "enabled"};
            auto in = [&](const auto &list) {
                return std::find(std::begin(list), std::end(list), v) != std::end(list);
            };
            if (in(kOff)) {
                values_.erase(key);
                numbers_.erase(key);
                return std::nullopt;
            }
            if (!in(kOn)) return "Invalid value for specified option";
        }
        values_[key] = "set";
        numbers_[key] = 1;
        return std::nullopt;
    case Kind::Size: {
        if (!value) return "Invalid value for specified option";
        auto v = parseSize(*value);
        if (!v) return "Invalid value for specified option";
        // A string holds at least one character and its NUL.
        if (name == "strsize" && *v < 2) return "Invalid value for specified option";
        if (name == "bufsize" && *v == 0) return "Invalid value for specified option";
        values_[key] = std::string(*value);
        numbers_[key] = *v;
        return std::nullopt;
    }
    case Kind::Count:
    case Kind::Percent: {
        if (!value) return "Invalid value for specified option";
        size_t i = 0;
        auto v = parseUnsigned(*value, i);
        if (!v || i != value->size()) return "Invalid value for specified option";
        if (o->kind == Kind::Percent && (*v == 0 || *v > 100))
            return "Invalid value for specified option";
        values_[key] = std::string(*value);
        numbers_[key] = *v;
        return std::nullopt;
    }
    case Kind::Rate: {
        if (!value) return "Invalid value for specified option";
        auto v = parseRate(*value);
        if (!v || *v == 0) return "Invalid value for specified option";
        values_[key] = std::string(*value);
        numbers_[key] = *v;
        return std::nullopt;
    }
    case Kind::Text:
        if (name == "bufpolicy" && value && *value != "switch" && *value != "fill" &&
            *value != "ring")
            return "Invalid value for specified option";
        if (name == "bufresize" && value && *value != "auto" && *value != "manual")
            return "Invalid value for specified option";
        if (name == "oformat" && value && *value != "text" && *value != "json")
            return "Invalid value for specified option";
        if (name == "version") {
            if (!value) return "Invalid value for specified option";
            static constexpr std::array known = {"1.0",   "1.1",   "1.2",   "1.2.1", "1.2.2",
                                                 "1.3",   "1.4",   "1.4.1", "1.5",   "1.6",
                                                 "1.6.1", "1.6.2", "1.6.3", "1.6.4", "2.0"};
            bool ok = false;
            for (const char *k : known) ok = ok || *value == k;
            if (!ok) return "Requested version is not supported by compiler";
        }
        values_[key] = value ? std::string(*value) : std::string();
        return std::nullopt;
    }
    return std::nullopt;
}

bool Options::isSet(std::string_view name) const {
    return values_.count(name) != 0;
}

bool Options::flag(std::string_view name) const {
    return values_.count(name) != 0;
}

uint64_t Options::number(std::string_view name) const {
    auto it = numbers_.find(name);
    return it == numbers_.end() ? 0 : it->second;
}

std::string Options::text(std::string_view name) const {
    auto it = values_.find(name);
    return it == values_.end() ? std::string() : it->second;
}

} // namespace dtrace::sema
