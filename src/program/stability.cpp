#include "program/stability.h"

#include <algorithm>
#include <array>
#include <strings.h>

namespace dtrace::program {

namespace {

constexpr std::array<const char *, 8> kStabilityNames{
    "Internal", "Private", "Obsolete", "External", "Unstable", "Evolving", "Stable", "Standard"};
constexpr std::array<const char *, 6> kClassNames{"Unknown", "CPU", "Platform",
                                                  "Group",   "ISA", "Common"};

template <size_t N>
std::optional<size_t> lookup(const std::array<const char *, N> &names, std::string_view word) {
    for (size_t i = 0; i < N; ++i)
        if (word.size() == std::string_view(names[i]).size() &&
            strncasecmp(word.data(), names[i], word.size()) == 0)
            return i;
    return std::nullopt;
}

} // namespace

Attributes lowest(const Attributes &a, const Attributes &b) {
    return {std::min(a.name, b.name), std::min(a.data, b.data),
            std::min(a.dependency, b.dependency)};
}

const char *stabilityName(Stability s) {
    return kStabilityNames[static_cast<size_t>(s)];
}
const char *dependencyClassName(DependencyClass c) {
    return kClassNames[static_cast<size_t>(c)];
}

std::string attributesText(const Attributes &a) {
    return std::string(stabilityName(a.name)) + "/" + stabilityName(a.data) + "/" +
           dependencyClassName(a.dependency);
}

std::optional<Attributes> parseAttributes(std::string_view text) {
    Attributes a = kHighest;
    for (int part = 0; !text.empty(); ++part) {
        if (part == 3) return std::nullopt;
        size_t slash = text.find('/');
        std::string_view word = text.substr(0, slash);
        text = slash == std::string_view::npos ? std::string_view() : text.substr(slash + 1);
        if (part < 2) {
            auto s = lookup(kStabilityNames, word);
            if (!s) return std::nullopt;
            (part == 0 ? a.name : a.data) = static_cast<Stability>(*s);
        } else {
            auto c = lookup(kClassNames, word);
            if (!c) return std::nullopt;
            a.dependency = static_cast<DependencyClass>(*c);
        }
    }
    return a;
}

} // namespace dtrace::program
