// The rawtp provider: every raw tracepoint the kernel's BTF declares, as
// rawtp:SUBSYSTEM::NAME (the subsystem of the tracefs event of that name;
// vmlinux for those tracefs does not show), its arguments the
// tracepoint's own, typed from its prototype.
#include "providers/catalog.h"
#include "providers/hook_provider.h"
#include "providers/kernel_functions.h"
#include "providers/registry.h"
#include "providers/tracepoints.h"

#include <map>

namespace dtrace::providers {

namespace {

class RawtpProvider final : public HookProvider {
  public:
    std::string_view name() const override { return "rawtp"; }

    void provide(const ProbeDescription &d, ProbeCatalog &catalog) override {
        if (made_ || !fieldMatches(d.provider, "rawtp") || !fieldMatches(d.function, "")) return;
        // Reading BTF costs milliseconds: not for a name no raw tracepoint
        // has (BEGIN, tick-1s), nor for "entry" without the provider named.
        if (!couldName(d.name, kTracepointNameChars) ||
            (d.provider.empty() && (d.name == "entry" || d.name == "return")))
            return;
        made_ = true;
        for (Probe &p : probes()) catalog.add(std::move(p));
    }
    void resolve(Probe &p) const override {
        HookProvider::resolve(p);
        p.argTypes = rawTracepointArgTypes(p.hook.name);
        p.argumentsResolved = true;
    }
    program::ProviderAttributes attributes() const override {
        return kTracepointProviderAttributes;
    }

  protected:
    std::vector<Probe> probes() const override {
        std::map<std::string, std::string, std::less<>> subsystems;
        for (auto &[subsystem, event] : availableTracepoints())
            subsystems.emplace(event, subsystem);
        std::vector<Probe> out;
        for (std::string_view tp : rawTracepointNames()) {
            auto s = subsystems.find(tp);
            Probe p = mapped(tp, rawTracepoint(""), "", {});
            p.module = s == subsystems.end() ? "vmlinux" : s->second;
            p.hook.name = std::string(tp);
            out.push_back(std::move(p));
        }
        return out;
    }

  private:
    bool made_ = false;
};

} // namespace

std::unique_ptr<Provider> makeRawtpProvider() {
    return std::make_unique<RawtpProvider>();
}

} // namespace dtrace::providers
