// DTrace's stability attributes: reading a triple as -x amin and #pragma D
// attributes do, ordering and the part-wise minimum.
#include "program/stability.h"

#include <gtest/gtest.h>

using namespace dtrace::program;

TEST(Stability, ReadsTriplesAsDTraceDoes) {
    EXPECT_EQ(parseAttributes("Stable/Private/Common"), kStablePrivateCommon);
    // Case does not matter; parts left out are the highest.
    EXPECT_EQ(parseAttributes("evolving/EVOLVING/isa"), kEvolvingIsaAttrs);
    EXPECT_EQ(parseAttributes(""), kHighest);
    EXPECT_EQ(parseAttributes("Stable"),
              (Attributes{Stability::Stable, Stability::Standard, DependencyClass::Common}));
    EXPECT_EQ(parseAttributes("Stable/"),
              (Attributes{Stability::Stable, Stability::Standard, DependencyClass::Common}));
    EXPECT_EQ(parseAttributes("Stable/Stable/Common/"), kStableCommon);
    // Refused: an unknown word, an empty middle part, a class where a
    // stability goes (and the reverse), a fourth part, white space.
    EXPECT_FALSE(parseAttributes("Steady/Stable/Common"));
    EXPECT_FALSE(parseAttributes("Stable//Common"));
    EXPECT_FALSE(parseAttributes("Common/Stable/Common"));
    EXPECT_FALSE(parseAttributes("Stable/Stable/Stable"));
    EXPECT_FALSE(parseAttributes("Stable/Stable/Common/Common"));
    EXPECT_FALSE(parseAttributes(" Stable"));
}

TEST(Stability, LowestIsPartWiseAndBelowIsAnyPart) {
    Attributes a{Stability::Stable, Stability::Private, DependencyClass::Common};
    Attributes b{Stability::Evolving, Stability::Evolving, DependencyClass::Isa};
    EXPECT_EQ(lowest(a, b),
              (Attributes{Stability::Evolving, Stability::Private, DependencyClass::Isa}));
    EXPECT_TRUE(a.below(kEvolvingCommonAttrs)); // its data part is lower
    EXPECT_FALSE(kStableCommon.below(kEvolvingCommonAttrs));
    EXPECT_EQ(attributesText(a), "Stable/Private/Common");
    EXPECT_EQ(attributesText(kPrivateUnknownAttrs), "Private/Private/Unknown");
    EXPECT_EQ(std::string(dependencyClassName(DependencyClass::Cpu)), "CPU");
}
