// Provider definitions (`provider p { probe q(int) : (char *); };`), checked
// as DTrace checks them when it reads the declaration: names, probes
// declared twice, a provider declared again with other probes, and output
// arguments that need a translator nobody defined.
#include "frontend/diagnostics.h"
#include "providers/usdt_notes.h"
#include "sema/sema.h"

#include <cctype>

namespace dtrace::sema {

namespace {

// DTrace's limits on a provider's and a probe's name (the kernel's
// DTRACE_PROVNAMELEN and DTRACE_NAMELEN, less the terminating NUL).
constexpr size_t kMaxProviderName = 63;
constexpr size_t kMaxProbeName = 63;
constexpr size_t kMaxProbeParams = 255;

// Whether a value of type `from` may be passed where `to` is declared
// without a translator (DTrace's argument compatibility).
bool argumentCompatible(const TypeRef &from, const TypeRef &to) {
    if (sameType(from, to)) return true;
    if (isInteger(from) && isInteger(to)) return true;
    if (isString(from) || isString(to)) {
        auto charPointer = [](const TypeRef &t) {
            if (isString(t)) return true;
            if (!isPointer(t)) return false;
            TypeRef target = stripTypedefs(stripTypedefs(t)->target);
            return target && target->isChar();
        };
        return charPointer(from) && charPointer(to);
    }
    if (isPointer(from) && isPointer(to)) {
        TypeRef a = stripTypedefs(stripTypedefs(from)->target);
        TypeRef b = stripTypedefs(stripTypedefs(to)->target);
        return isVoid(a) || isVoid(b) || sameType(a, b);
    }
    return false;
}

std::string plural(size_t n) {
    return std::to_string(n) + (n == 1 ? " arg" : " args");
}

} // namespace

void Sema::checkProviderDefinition(const frontend::ProviderDef &def) {
    const std::string &p = def.name;
    if (p.find('`') != std::string::npos)
        fail("D_PROV_BADNAME", def.loc, "provider name may not contain scoping operator: " + p);
    if (p.size() > kMaxProviderName)
        fail("D_PROV_BADNAME", def.loc,
             "provider name may not exceed " + std::to_string(kMaxProviderName) +
                 " characters: " + p);
    if (!p.empty() && std::isdigit(static_cast<unsigned char>(p.back())))
        fail("D_PROV_BADNAME", def.loc, "provider name may not end with a digit: " + p);

    std::vector<DeclaredProbe> probes;
    for (const frontend::ProviderProbe &probe : def.probes) {
        std::string name = "::" + providers::usdtProbeName(probe.name);
        if (probe.name.find('`') != std::string::npos)
            fail("D_PROV_BADNAME", probe.loc,
                 "probe name may not contain scoping operator: " + name);
        if (name.size() - 2 > kMaxProbeName)
            fail("D_PROV_BADNAME", probe.loc,
                 "probe name may not exceed " + std::to_string(kMaxProbeName) +
                     " characters: " + name);
        for (const DeclaredProbe &seen : probes)
            if (seen.name == name)
                fail("D_PROV_PRDUP", probe.loc, "probe redeclared: " + p + ":" + name);
        if (probe.params.size() > kMaxProbeParams)
            fail("D_PROV_PRARGLEN", probe.loc,
                 "probe " + name + " input prototype exceeds " + std::to_string(kMaxProbeParams) +
                     " parameters: " + std::to_string(probe.params.size()) + " params used");
        if (probe.xlatedParams.size() > kMaxProbeParams)
            fail("D_PROV_PRARGLEN", probe.loc,
                 "probe " + name + " output prototype exceeds " + std::to_string(kMaxProbeParams) +
                     " parameters: " + std::to_string(probe.xlatedParams.size()) + " params used");

        DeclaredProbe declared{name, {}, {}, !probe.xlatedParams.empty(), probe.loc};
        for (const auto &param : probe.params)
            declared.input.push_back(
                applyDeclarator(resolveDeclSpec(param->spec, probe.loc), param->decl, nullptr));
        for (const auto &param : probe.xlatedParams)
            declared.output.push_back(
                applyDeclarator(resolveDeclSpec(param->spec, probe.loc), param->decl, nullptr));
        // An output argument names the input argument it comes from, or
        // else takes the one in its place.
        for (size_t i = 0; i < probe.xlatedParams.size(); ++i) {
            size_t from = i;
            for (size_t j = 0; j < probe.params.size(); ++j)
                if (!probe.xlatedParams[i]->decl.name.empty() &&
                    probe.params[j]->decl.name == probe.xlatedParams[i]->decl.name)
                    from = j;
            if (from >= declared.input.size()) continue;
            const TypeRef &native = declared.input[from], &output = declared.output[i];
            if (argumentCompatible(native, output) || translatorExists(native, output)) continue;
            fail("D_PROV_PRXLATOR", probe.loc,
                 "translator for " + p + ":" + name + " output argument #" + std::to_string(i + 1) +
                     " from " + typeName(native) + " to " + typeName(output) + " is not defined");
        }
        probes.push_back(std::move(declared));
    }

    auto earlier = declaredProviders_.find(p);
    if (earlier == declaredProviders_.end()) {
        declaredProviders_.emplace(p, std::move(probes));
        return;
    }
    // A provider declared again must declare the same probes alike.
    for (const DeclaredProbe &now : probes) {
        const DeclaredProbe *before = nullptr;
        for (const DeclaredProbe &b : earlier->second)
            if (b.name == now.name) before = &b;
        if (!before)
            fail("D_PROV_INCOMPAT", now.loc,
                 "provider interface mismatch: " + p + "\n\t current: probe " + p + ":" + now.name +
                     " defined\n\tprevious: probe " + p + ":" + now.name + " not defined");
        auto compare = [&](const std::vector<TypeRef> &cur, const std::vector<TypeRef> &prev,
                           const char *which) {
            if (cur.size() != prev.size())
                fail("D_PROV_INCOMPAT", now.loc,
                     "probe " + p + ":" + now.name + " " + which +
                         " prototype mismatch:\n\t current: " + plural(cur.size()) +
                         "\n\tprevious: " + plural(prev.size()));
            for (size_t i = 0; i < cur.size(); ++i)
                if (!sameType(cur[i], prev[i]))
                    fail("D_PROV_INCOMPAT", now.loc,
                         "probe " + p + ":" + now.name + " " + which + " prototype argument #" +
                             std::to_string(i + 1) + " mismatch:\n\t current: " + typeName(cur[i]) +
                             "\n\tprevious: " + typeName(prev[i]));
        };
        compare(now.hasOutput ? now.output : now.input,
                before->hasOutput ? before->output : before->input, "output");
        compare(now.input, before->input, "input");
    }
}

} // namespace dtrace::sema
