// The profile provider: profile-N fires on every CPU N times a second (or
// every N units: ns, us, ms, s, m, h, d; hz), tick-N on one CPU; each a
// CPU-clock perf event with its program. A probe exists as soon as a
// description names it; the standard ones always do.
#include "providers/catalog.h"
#include "providers/firing.h"
#include "providers/registry.h"

#include <array>
#include <cctype>
#include <optional>

namespace dtrace::providers {

namespace {

// "profile-97", "tick-10ms": the interval in ns, or nothing if the rate is
// not one DTrace accepts (below 200us, zero, malformed).
std::optional<uint64_t> parseRate(std::string_view spec) {
    size_t i = 0;
    uint64_t n = 0;
    while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i]))) {
        uint64_t d = spec[i] - '0';
        if (n > (UINT64_MAX - d) / 10) return std::nullopt;
        n = n * 10 + d;
        ++i;
    }
    if (i == 0 || n == 0) return std::nullopt;
    std::string_view unit = spec.substr(i);
    struct Unit {
        const char *name;
        uint64_t ns; // 0 means hz
    };
    static constexpr std::array<Unit, 15> units = {{{"", 0},
                                                    {"hz", 0},
                                                    {"ns", 1},
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
                                                    {"d", 86400000000000ull}}};
    uint64_t period = 0;
    bool found = false;
    for (const Unit &u : units) {
        if (unit != u.name) continue;
        found = true;
        if (u.ns == 0) {
            period = 1000000000ull / n;
        } else {
            if (n > UINT64_MAX / u.ns) return std::nullopt;
            period = n * u.ns;
        }
    }
    if (!found && unit == "day") {
        found = true;
        period = n * 86400000000000ull;
    }
    if (!found) return std::nullopt;
    if (period < 200000) return std::nullopt; // DTrace's floor: 200us
    return period;
}

constexpr std::array kStandardProfileProbes = {
    "profile-97",   "profile-199",  "profile-499", "profile-997", "profile-1999",
    "profile-4001", "profile-4999", "tick-1",      "tick-10",     "tick-100",
    "tick-500",     "tick-1000",    "tick-5000"};

class ProfileProvider final : public Provider {
  public:
    std::string_view name() const override { return "profile"; }

    void provideFixed(ProbeCatalog &catalog) override {
        for (const char *n : kStandardProfileProbes) probe(n, catalog);
    }
    void provide(const ProbeDescription &d, ProbeCatalog &catalog) override {
        if (fieldMatches(d.provider, "profile") && d.module.empty() && d.function.empty() &&
            !hasGlob(d.name))
            probe(d.name, catalog);
    }
    void resolve(Probe &p) const override {
        p.resolved = true;
        if (p.name.starts_with("profile-")) p.argTypes = {"uint64_t", "uint64_t"};
    }
    program::ProviderAttributes attributes() const override {
        using namespace program;
        return {kEvolvingCommonAttrs, kUnstableUnknownAttrs, kPrivateUnknownAttrs,
                kEvolvingCommonAttrs, kEvolvingCommonAttrs};
    }

    std::vector<ProgramShape> programShapes(const Probe &p) const override {
        return {timerShape(isTick(p))};
    }
    void emitArguments(FiringCode &code) const override { emitTimerArguments(code.f); }
    program::AttachTarget attachTarget(const ProgramShape &, std::span<const Probe *const> probes,
                                       std::span<const uint64_t>) const override {
        return timerTarget(*probes.front(), isTick(*probes.front()));
    }

  private:
    static bool isTick(const Probe &p) { return p.name.starts_with("tick-"); }

    void probe(std::string_view name, ProbeCatalog &catalog) {
        if (!made_.insert(std::string(name)).second) return;
        bool tick = name.substr(0, 5) == "tick-";
        bool profile = name.substr(0, 8) == "profile-";
        if (!tick && !profile) return;
        auto period = parseRate(name.substr(tick ? 5 : 8));
        if (!period) return;
        Probe p;
        p.owner = this;
        p.provider = "profile";
        p.name = std::string(name);
        p.periodNs = *period;
        catalog.add(std::move(p));
    }
    std::set<std::string, std::less<>> made_;
};

} // namespace

std::unique_ptr<Provider> makeProfileProvider() {
    return std::make_unique<ProfileProvider>();
}

} // namespace dtrace::providers
