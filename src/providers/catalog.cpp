#include "providers/catalog.h"

#include "providers/registry.h"

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
    p.id = static_cast<uint32_t>(probes_.size() + 1);
    probes_.push_back(std::make_unique<Probe>(std::move(p)));
    return probes_.back().get();
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

const Probe &ProbeCatalog::resolved(const Probe &p) {
    Probe &mine = *probes_.at(p.id - 1);
    if (!mine.resolved) mine.owner->resolve(mine);
    return mine;
}

} // namespace dtrace::providers
