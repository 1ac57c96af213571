#include "providers/catalog.h"

#include <charconv>

#include "providers/registry.h"
#include "providers/unavailable.h"

#include <stdexcept>

namespace dtrace::providers {

ProbeCatalog::ProbeCatalog() : ProbeCatalog(makeProviders()) {}

ProbeCatalog::ProbeCatalog(std::vector<std::unique_ptr<Provider>> providers)
    : providers_(std::move(providers)) {
    // The probes every session has (dtrace:::BEGIN ...) are made first, so
    // their IDs are the same in every session.
    for (const auto &provider : providers_) provider->provideFixed(*this);
}

ProbeCatalog::~ProbeCatalog() = default;

const Probe *ProbeCatalog::add(Probe p) {
    if (!p.owner) throw std::logic_error("probe " + p.fullName() + " has no provider");
    p.id = static_cast<uint32_t>(probes_.size() + 1);
    probes_.push_back(std::make_unique<Probe>(std::move(p)));
    return probes_.back().get();
}

bool ProbeCatalog::isProbeId(std::string_view text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

const Probe *ProbeCatalog::byListedId(std::string_view digits, std::string &why) {
    uint64_t id = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    if (ec != std::errc() || end != digits.data() + digits.size() || id > UINT32_MAX) {
        why = "identifier " + std::string(digits) + " exceeds maximum probe id";
        return nullptr;
    }
    list({});
    const Probe *p = byId(static_cast<uint32_t>(id));
    if (!p) why = "No such probe";
    return p;
}

const Probe *ProbeCatalog::byId(uint32_t id) const {
    if (id == 0 || id > probes_.size()) return nullptr;
    return probes_[id - 1].get();
}

std::vector<const Probe *> ProbeCatalog::find(const ProbeDescription &d) {
    for (const auto &provider : providers_) provider->provide(d, *this);
    std::vector<const Probe *> out;
    for (const auto &p : probes_)
        if (p->owner->matches(d, *p)) out.push_back(p.get());
    return out;
}

std::vector<const Probe *> ProbeCatalog::match(const ProbeDescription &d) {
    matchError_.clear();
    auto out = find(d);
    for (const Probe *p : out) resolved(*p);
    return out;
}

std::vector<const Probe *> ProbeCatalog::list(const ProbeDescription &d) {
    return find(d);
}

std::string ProbeCatalog::whyNoProbes(const ProbeDescription &d) const {
    for (const auto &provider : providers_) {
        std::string why = provider->unavailableReason(d);
        if (!why.empty()) return why;
    }
    return missingProviderReason(d.provider);
}

Probe &ProbeCatalog::mine(const Probe &p) {
    if (p.id == 0 || p.id > probes_.size() || probes_[p.id - 1].get() != &p)
        throw std::logic_error("probe " + p.fullName() + " is not the catalog's");
    return *probes_[p.id - 1];
}

const Probe &ProbeCatalog::resolved(const Probe &p) {
    Probe &m = mine(p);
    if (!m.resolved) m.owner->resolve(m);
    m.resolved = true;
    return m;
}

const std::vector<std::string> &ProbeCatalog::argumentTypes(const Probe &p) {
    Probe &m = mine(p);
    resolved(m);
    if (!m.argumentsResolved) m.owner->resolveArguments(m);
    m.argumentsResolved = true;
    return m.argTypes;
}

} // namespace dtrace::providers
