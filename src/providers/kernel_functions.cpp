#include "providers/kernel_functions.h"

#include "kernel/kernel_btf.h"
#include "kernel/loader.h"
#include "providers/tracepoints.h"

#include <bpf/btf.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <unordered_set>

namespace dtrace::providers {

namespace {

// What ftrace can trace, when tracefs lets us read it (lockdown does not):
// "name", or "name [module]" for a module's function.
std::optional<std::unordered_set<std::string>> traceableFunctions() {
    const std::string &root = tracefsRoot();
    if (root.empty()) return std::nullopt;
    std::ifstream in(root + "/available_filter_functions");
    std::string line;
    if (!in || !std::getline(in, line)) return std::nullopt;
    std::unordered_set<std::string> names;
    do {
        if (line.find('[') != std::string::npos) continue; // modules have no BTF here
        names.insert(line.substr(0, line.find(' ')));
    } while (std::getline(in, line));
    return names;
}

const struct btf_type *typeById(unsigned id) {
    return btf__type_by_id(const_cast<struct btf *>(kernel::vmlinuxBtf()), id);
}

std::string_view nameOf(const struct btf_type *t) {
    const char *n =
        btf__name_by_offset(const_cast<struct btf *>(kernel::vmlinuxBtf()), t->name_off);
    return n ? n : "";
}

} // namespace

const std::vector<KernelFunction> &kernelFunctions() {
    static const std::vector<KernelFunction> functions = [] {
        std::vector<KernelFunction> out;
        const struct btf *btf = kernel::vmlinuxBtf();
        if (!btf) return out;
        auto traceable = traceableFunctions();
        std::unordered_set<std::string_view> seen;
        unsigned n = btf__type_cnt(btf);
        for (unsigned id = 1; id < n; ++id) {
            const struct btf_type *t = typeById(id);
            if (btf_kind(t) != BTF_KIND_FUNC) continue;
            std::string_view name = nameOf(t);
            if (name.empty() || !seen.insert(name).second) continue;
            if (traceable && !traceable->count(std::string(name))) continue;
            out.push_back({name, id});
        }
        std::sort(out.begin(), out.end(),
                  [](const KernelFunction &a, const KernelFunction &b) { return a.name < b.name; });
        return out;
    }();
    return functions;
}

std::optional<KernelFunction> kernelFunction(std::string_view name) {
    const auto &all = kernelFunctions();
    auto it =
        std::lower_bound(all.begin(), all.end(), name,
                         [](const KernelFunction &f, std::string_view n) { return f.name < n; });
    if (it == all.end() || it->name != name) return std::nullopt;
    return *it;
}

FunctionSignature functionSignature(unsigned btfId) {
    FunctionSignature sig;
    const struct btf *btf = kernel::vmlinuxBtf();
    const struct btf_type *fn = btf ? typeById(btfId) : nullptr;
    if (!fn || btf_kind(fn) != BTF_KIND_FUNC) return sig;
    const struct btf_type *proto = typeById(fn->type);
    if (!proto || btf_kind(proto) != BTF_KIND_FUNC_PROTO) return sig;
    sig.returnType = kernel::btfTypeName(btf, proto->type);
    if (int plain = proto->type ? btf__resolve_type(btf, proto->type) : 0;
        plain > 0 && btf_is_composite(typeById(static_cast<unsigned>(plain))))
        sig.structByValue = true;
    const struct btf_param *p = btf_params(proto);
    for (unsigned i = 0; i < btf_vlen(proto); ++i) {
        if (p[i].type == 0) { // "...": the variable part has no types
            sig.variadic = true;
            break;
        }
        sig.parameters.push_back(kernel::btfTypeName(btf, p[i].type));
        int plain = btf__resolve_type(btf, p[i].type);
        if (plain > 0 && btf_is_composite(typeById(static_cast<unsigned>(plain))))
            sig.structByValue = true;
    }
    return sig;
}

namespace {

// The raw tracepoints' btf_trace_NAME typedefs by NAME, found in one pass
// over BTF (finding one by name is a pass of its own).
const std::map<std::string_view, unsigned> &rawTracepointTypedefs() {
    static const std::map<std::string_view, unsigned> index = [] {
        std::map<std::string_view, unsigned> out;
        const struct btf *btf = kernel::vmlinuxBtf();
        if (!btf) return out;
        constexpr std::string_view prefix = "btf_trace_";
        unsigned n = btf__type_cnt(btf);
        for (unsigned id = 1; id < n; ++id) {
            const struct btf_type *t = typeById(id);
            if (btf_kind(t) != BTF_KIND_TYPEDEF) continue;
            std::string_view name = nameOf(t);
            if (name.substr(0, prefix.size()) == prefix)
                out.emplace(name.substr(prefix.size()), id);
        }
        return out;
    }();
    return index;
}

} // namespace

bool rawTracepointExists(std::string_view name) {
    return rawTracepointTypedefs().count(name) != 0;
}

std::vector<std::string_view> rawTracepointNames() {
    std::vector<std::string_view> out;
    for (const auto &[name, id] : rawTracepointTypedefs()) out.push_back(name);
    return out;
}

std::vector<std::string> rawTracepointArgTypes(std::string_view name) {
    std::vector<std::string> out;
    const struct btf *btf = kernel::vmlinuxBtf();
    auto found = rawTracepointTypedefs().find(name);
    if (!btf || found == rawTracepointTypedefs().end()) return out;
    unsigned id = found->second;
    // A pointer to void (*)(void *ctx, the arguments).
    const struct btf_type *t = typeById(typeById(id)->type);
    if (!t || btf_kind(t) != BTF_KIND_PTR) return out;
    const struct btf_type *proto = typeById(t->type);
    if (!proto || btf_kind(proto) != BTF_KIND_FUNC_PROTO) return out;
    const struct btf_param *p = btf_params(proto);
    for (unsigned i = 1; i < btf_vlen(proto); ++i)
        out.push_back(kernel::btfTypeName(btf, p[i].type));
    return out;
}

} // namespace dtrace::providers
