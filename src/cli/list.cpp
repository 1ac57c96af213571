#include "cli/list.h"

#include "output/json.h"
#include "util/error.h"

#include <cstdio>

namespace dtrace::cli {

namespace {

// A listed probe's description attributes, as DTrace reports them: the
// lowest of its provider's parts that the probe's name has (an empty
// module or function counts for nothing, as a glob would not).
program::Attributes listedAttributes(const providers::Probe &p) {
    const program::ProviderAttributes pa = p.owner->attributes();
    program::Attributes a = pa.provider;
    if (!p.module.empty()) a = program::lowest(a, pa.module);
    if (!p.function.empty()) a = program::lowest(a, pa.function);
    if (!p.name.empty()) a = program::lowest(a, pa.name);
    return a;
}

std::string jsonAttributes(const program::Attributes &a) {
    return std::string("{\"names\":\"") + program::stabilityName(a.name) + "\",\"data\":\"" +
           program::stabilityName(a.data) + "\",\"class\":\"" +
           program::dependencyClassName(a.dependency) + "\"}";
}

// -x oformat=json: a probe as one line; -v adds what the table's -v adds.
void printJsonProbe(const providers::Probe &p, providers::ProbeCatalog &catalog, bool verbose) {
    using output::jsonString;
    std::string line =
        output::jsonHead("probe") + ",\"id\":" + std::to_string(p.id) +
        ",\"provider\":" + jsonString(p.provider) + ",\"module\":" + jsonString(p.module) +
        ",\"function\":" + jsonString(p.function) + ",\"name\":" + jsonString(p.name);
    if (verbose) {
        line += ",\"attributes\":{\"probe\":" + jsonAttributes(listedAttributes(p)) +
                ",\"arguments\":" + jsonAttributes(p.owner->attributes().arguments) +
                "},\"argument_types\":[";
        const auto &types = catalog.argumentTypes(p);
        for (size_t i = 0; i < types.size(); ++i) line += (i ? "," : "") + jsonString(types[i]);
        line += "]";
    }
    std::puts((line + "}").c_str());
}

} // namespace

// The `dtrace -l` table.
int listProbes(const CommandLine &cl, providers::ProbeCatalog &catalog, std::optional<int> target,
               bool json) {
    // Probe IDs as a full listing numbers them: every probe first.
    if (mayNameProbeIds(cl)) catalog.list({});
    std::vector<const providers::Probe *> probes;
    if (cl.sources.empty()) {
        probes = catalog.list({});
    } else {
        for (const auto &s : cl.sources) {
            if (s.kind == ProgramSource::Kind::Script) continue;
            std::string desc = s.name;
            if (!s.fromFlag) {
                size_t cut = desc.find_first_of("/{ \t");
                desc = desc.substr(0, cut);
            }
            if (target)
                for (size_t at; (at = desc.find("$target")) != std::string::npos;)
                    desc.replace(at, 7, std::to_string(*target));
            // A number: the probe with that ID, as this listing numbers them.
            if (providers::ProbeCatalog::isProbeId(desc)) {
                std::string why;
                const providers::Probe *p = catalog.byListedId(desc, why);
                if (!p) throw Error("invalid probe specifier " + desc + ": " + why);
                probes.push_back(p);
                continue;
            }
            providers::ProbeDescription d;
            if (!providers::parseProbeDescription(desc, d))
                throw Error("invalid probe specifier " + desc +
                            ": Overspecified probe description");
            auto m = catalog.list(d);
            if (m.empty() && !cl.zeroMatchOk) {
                std::string why = catalog.whyNoProbes(d);
                throw Error("invalid probe specifier " + s.name + ": probe description " +
                            d.text() + " does not match any probes" +
                            (why.empty() ? "" : ": " + why));
            }
            probes.insert(probes.end(), m.begin(), m.end());
        }
    }
    if (json) {
        for (const auto *p : probes) printJsonProbe(*p, catalog, cl.verbose);
        return 0;
    }
    std::printf("%5s %10s %17s %33s %s\n", "ID", "PROVIDER", "MODULE", "FUNCTION", "NAME");
    for (const auto *p : probes) {
        std::printf("%5u %10s %17s %33s %s\n", p->id, p->provider.c_str(), p->module.c_str(),
                    p->function.c_str(), p->name.c_str());
        if (!cl.verbose) continue;
        // -v: the probe's stability and its arguments' types.
        const program::ProviderAttributes pa = p->owner->attributes();
        for (auto [title, a] : {std::pair{"Probe Description Attributes", listedAttributes(*p)},
                                std::pair{"Argument Attributes", pa.arguments}})
            std::printf("\n\t%s\n\t\tIdentifier Names: %s\n\t\tData Semantics:   %s\n"
                        "\t\tDependency Class: %s\n",
                        title, program::stabilityName(a.name), program::stabilityName(a.data),
                        program::dependencyClassName(a.dependency));
        std::printf("\n\tArgument Types\n");
        const auto &types = catalog.argumentTypes(*p);
        for (size_t i = 0; i < types.size(); ++i)
            std::printf("\t\targs[%zu]: %s\n", i, types[i].c_str());
        if (types.empty()) std::printf("\t\tNone\n");
        std::printf("\n");
    }
    return 0;
}

} // namespace dtrace::cli
