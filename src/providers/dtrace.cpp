// The dtrace provider: BEGIN (before any other probe), END (after the
// last) and ERROR (when a clause faults). Code generation and the runtime
// give them their meaning (ProbeRole); they have no kernel hook.
#include "providers/catalog.h"
#include "providers/registry.h"

namespace dtrace::providers {

namespace {

class DtraceProvider final : public Provider {
  public:
    std::string_view name() const override { return "dtrace"; }

    void provideFixed(ProbeCatalog &catalog) override {
        for (const char *n : {"BEGIN", "END", "ERROR"}) {
            Probe p;
            p.owner = this;
            p.provider = "dtrace";
            p.name = n;
            catalog.add(std::move(p));
        }
    }
    void provide(const ProbeDescription &, ProbeCatalog &) override {}

    ProbeRole role(const Probe &p) const override {
        return p.name == "BEGIN" ? ProbeRole::Begin
               : p.name == "END" ? ProbeRole::End
                                 : ProbeRole::Error;
    }
    program::ProviderAttributes attributes() const override {
        using namespace program;
        return {kStableCommon, kPrivateUnknownAttrs, kPrivateUnknownAttrs, kStableCommon,
                kStableCommon};
    }

    // Code generation makes BEGIN's and END's programs and the ERROR
    // dispatcher itself.
    std::vector<ProgramShape> programShapes(const Probe &) const override { return {}; }
    program::AttachTarget attachTarget(const ProgramShape &, std::span<const Probe *const>,
                                       std::span<const uint64_t>) const override {
        return {};
    }
};

} // namespace

std::unique_ptr<Provider> makeDtraceProvider() {
    return std::make_unique<DtraceProvider>();
}

} // namespace dtrace::providers
