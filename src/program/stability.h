// DTrace's stability attributes: how far a D program may rely on the
// names, the meaning and the portability of what it uses. Each is a
// triple (name stability, data stability, dependency class), written
// "Stable/Private/Common"; the attribute of an expression is the lowest of
// its parts', the minimum option (-x amin) rejects programs below it, and
// -v reports a program's minimum.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dtrace::program {

// Lowest first, as DTrace orders them.
enum class Stability : uint8_t {
    Internal,
    Private,
    Obsolete,
    External,
    Unstable,
    Evolving,
    Stable,
    Standard
};
enum class DependencyClass : uint8_t { Unknown, Cpu, Platform, Group, Isa, Common };

struct Attributes {
    Stability name = Stability::Stable;
    Stability data = Stability::Stable;
    DependencyClass dependency = DependencyClass::Common;
    bool operator==(const Attributes &) const = default;
    // Below a minimum: any part lower than the minimum's.
    bool below(const Attributes &minimum) const {
        return name < minimum.name || data < minimum.data || dependency < minimum.dependency;
    }
};

// The part-wise minimum.
Attributes lowest(const Attributes &a, const Attributes &b);

const char *stabilityName(Stability s);
const char *dependencyClassName(DependencyClass c);
// "Stable/Private/Common".
std::string attributesText(const Attributes &a);
// DTrace's reading of a triple: parts left out are the highest
// (Standard/Standard/Common); case does not matter; nothing when a part is
// not a name of its position or there are more than three.
std::optional<Attributes> parseAttributes(std::string_view text);

inline constexpr Attributes kStableCommon{Stability::Stable, Stability::Stable,
                                          DependencyClass::Common};
inline constexpr Attributes kHighest{Stability::Standard, Stability::Standard,
                                     DependencyClass::Common};
inline constexpr Attributes kEvolvingCommonAttrs{Stability::Evolving, Stability::Evolving,
                                                 DependencyClass::Common};
inline constexpr Attributes kEvolvingIsaAttrs{Stability::Evolving, Stability::Evolving,
                                              DependencyClass::Isa};
inline constexpr Attributes kUnstableCommonAttrs{Stability::Unstable, Stability::Unstable,
                                                 DependencyClass::Common};
inline constexpr Attributes kUnstableUnknownAttrs{Stability::Unstable, Stability::Unstable,
                                                  DependencyClass::Unknown};
inline constexpr Attributes kPrivateUnknownAttrs{Stability::Private, Stability::Private,
                                                 DependencyClass::Unknown};
inline constexpr Attributes kPrivateIsaAttrs{Stability::Private, Stability::Private,
                                             DependencyClass::Isa};
inline constexpr Attributes kStablePrivateCommon{Stability::Stable, Stability::Private,
                                                 DependencyClass::Common};

// A provider's attributes, one for each part of a probe's name and one for
// its arguments.
struct ProviderAttributes {
    Attributes provider, module, function, name, arguments;
};
// What a description gets when its provider is a glob, and what providers
// declared in D start with.
inline constexpr ProviderAttributes kUnstableProvider{kUnstableCommonAttrs, kUnstableCommonAttrs,
                                                      kUnstableCommonAttrs, kUnstableCommonAttrs,
                                                      kUnstableCommonAttrs};

} // namespace dtrace::program
