// The rawfbt provider: kprobes on every function ftrace can trace, named as
// tracefs lists them (available_filter_functions), compiler-made copies
// such as foo.isra.0 included, in vmlinux or the module that holds them:
// rawfbt:MODULE:FUNCTION:entry|return. Its arguments are untyped (arg0..);
// on return arg0 is -1 (a kretprobe does not know the returning
// instruction) and arg1 the value.
#include "providers/catalog.h"
#include "providers/kprobes.h"
#include "providers/registry.h"
#include <set>

namespace dtrace::providers {

namespace {

class RawFbtProvider final : public Provider {
  public:
    std::string_view name() const override { return "rawfbt"; }

    void provide(const ProbeDescription &d, ProbeCatalog &catalog) override {
        if (allMade_ || !fieldMatches(d.provider, "rawfbt")) return;
        if (!d.name.empty() && !fieldMatches(d.name, "entry") && !fieldMatches(d.name, "return"))
            return;
        if (kprobesUnavailable()) return;
        for (const TraceableFunction &f : traceableFunctions())
            if (fieldMatches(d.module, f.module) && fieldMatches(d.function, f.name))
                add(f, catalog);
        if ((d.function.empty() || d.function == "*") && (d.module.empty() || d.module == "*"))
            allMade_ = true;
    }
    std::string unavailableReason(const ProbeDescription &d) const override {
        if (d.provider.empty() || !fieldMatches(d.provider, "rawfbt")) return {};
        if (auto why = kprobesUnavailable()) return "rawfbt probes cannot fire: " + *why;
        return {};
    }
    void resolve(Probe &p) const override {
        p.resolved = true;
        p.contextArgs = isEntry(p) ? 6 : 0;
    }
    program::ProviderAttributes attributes() const override { return kFunctionProviderAttributes; }
    program::ProbeInfo::Flow flow(const Probe &p) const override {
        return isEntry(p) ? program::ProbeInfo::Flow::Entry : program::ProbeInfo::Flow::Return;
    }
    // The kernel's own functions in one kprobe_multi link where it has
    // them (6.1 looks its symbols up in vmlinux only); a kprobe each else.
    std::vector<ProgramShape> programShapes(const Probe &p) const override {
        const char *program = isEntry(p) ? "dt_rawfbt_entry" : "dt_rawfbt_return";
        if (inMultiLink(p)) return {kprobeMultiShape(!isEntry(p), program)};
        return {kprobeShape(!isEntry(p), program)};
    }
    void emitArguments(FiringCode &code) const override {
        const Probe &p = *code.probes.front();
        if (isEntry(p))
            emitKprobeEntryArguments(code.f, p.contextArgs);
        else
            emitKprobeReturnArguments(code.f, true);
    }
    program::AttachTarget attachTarget(const ProgramShape &, std::span<const Probe *const> probes,
                                       std::span<const uint64_t> cookies) const override {
        const Probe &p = *probes.front();
        if (inMultiLink(p)) return kprobeMultiTarget(probes, cookies, !isEntry(p));
        return kprobeTarget(p, !isEntry(p));
    }

  private:
    static bool isEntry(const Probe &p) { return p.name == "entry"; }
    static bool inMultiLink(const Probe &p) {
        return p.module == "vmlinux" && kprobeMultiAvailable();
    }

    void add(const TraceableFunction &f, ProbeCatalog &catalog) {
        if (!made_.insert({f.module, f.name}).second) return;
        for (const char *probeName : {"entry", "return"}) {
            Probe p;
            p.owner = this;
            p.provider = "rawfbt";
            p.module = f.module;
            p.function = f.name;
            p.name = probeName;
            catalog.add(std::move(p));
        }
    }
    std::set<std::pair<std::string, std::string>> made_;
    bool allMade_ = false;
};

} // namespace

std::unique_ptr<Provider> makeRawFbtProvider() {
    return std::make_unique<RawFbtProvider>();
}

} // namespace dtrace::providers
