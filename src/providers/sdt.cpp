// The sdt provider: every kernel tracepoint, as sdt:SUBSYSTEM::EVENT, its
// arguments the fields of the event's record (tracefs's format file). A
// program per probe, attached to the event's perf event.
#include "providers/catalog.h"
#include "providers/registry.h"
#include "providers/tracepoints.h"

#include <set>

namespace dtrace::providers {

namespace {

using namespace bpf;
namespace dctx = program::dctx;

class SdtProvider final : public Provider {
  public:
    std::string_view name() const override { return "sdt"; }

    // Reading every tracepoint costs milliseconds, so only when the
    // description could match one: a literal subsystem is read alone, and
    // a literal name that no tracepoint could have (BEGIN, tick-1s) reads
    // none.
    void provide(const ProbeDescription &d, ProbeCatalog &catalog) override {
        if (allLoaded_ || !fieldMatches(d.provider, "sdt") || !fieldMatches(d.function, "")) return;
        if (!couldName(d.name, kTracepointNameChars)) return;
        if (!d.module.empty() && !hasGlob(d.module)) {
            if (!subsystems_.insert(d.module).second) return;
            for (const std::string &e : subsystemTracepoints(d.module)) add(d.module, e, catalog);
            return;
        }
        allLoaded_ = true;
        for (const auto &[subsystem, event] : availableTracepoints()) {
            if (subsystems_.count(subsystem)) continue;
            add(subsystem, event, catalog);
        }
    }
    void resolve(Probe &p) const override {
        p.resolved = true;
        size_t slash = p.tracepoint.find('/');
        p.format =
            readTracepointFormat(p.tracepoint.substr(0, slash), p.tracepoint.substr(slash + 1));
        if (p.format && !p.format->id) p.format.reset(); // no such event
        if (p.format)
            for (const auto &field : p.format->fields) p.argTypes.push_back(field.argType);
    }
    program::ProviderAttributes attributes() const override {
        return kTracepointProviderAttributes;
    }

    std::vector<ProgramShape> programShapes(const Probe &p) const override {
        ProgramShape s;
        s.programType = BPF_PROG_TYPE_TRACEPOINT;
        s.programName = "dt_tp";
        s.hook = p.tracepoint;
        return {s};
    }
    void emitArguments(FiringCode &code) const override {
        const Probe &p = *code.probes.front();
        if (!p.format) return;
        const TracepointFormat &fmt = *p.format;
        Function &f = code.f;
        // The fields of the event's record (r6), in order: integers by
        // value, arrays and dynamic arrays by address.
        for (size_t i = 0; i < fmt.fields.size() && i < 10; ++i) {
            const TracepointField &fld = fmt.fields[i];
            const auto at = static_cast<int16_t>(fld.offset);
            if (fld.array) {
                f.emit(movReg(R1, R6));
                f.emit(alu64Imm(BPF_ADD, R1, at));
            } else if (fld.dataLoc || fld.relLoc) {
                // The low 16 bits: the data's offset (from the record, or
                // for __rel_loc from the end of the field).
                f.emit(load(Size::W, R1, R6, at));
                f.emit(alu64Imm(BPF_AND, R1, 0xffff));
                if (fld.relLoc) f.emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(fld.offset + 4)));
                f.emit(alu64Reg(BPF_ADD, R1, R6));
            } else if (fld.size == 1 || fld.size == 2 || fld.size == 4 || fld.size == 8) {
                Size sz = fld.size == 1   ? Size::B
                          : fld.size == 2 ? Size::H
                          : fld.size == 4 ? Size::W
                                          : Size::DW;
                f.emit(load(sz, R1, R6, at));
                if (fld.isSigned && fld.size < 8) {
                    auto shift = static_cast<int32_t>(64 - 8 * fld.size);
                    f.emit(alu64Imm(BPF_LSH, R1, shift));
                    f.emit(alu64Imm(BPF_ARSH, R1, shift));
                }
            } else {
                continue; // a field of another size: its argument stays 0
            }
            f.emit(store(Size::DW, R9, static_cast<int16_t>(dctx::kArgs + 8 * i), R1));
        }
    }
    program::AttachTarget attachTarget(const ProgramShape &, std::span<const Probe *const> probes,
                                       std::span<const uint64_t>) const override {
        const Probe &p = *probes.front();
        program::AttachTarget t;
        t.kind = program::AttachTarget::Kind::Tracepoint;
        t.name = p.tracepoint;
        t.tracepointId = p.format ? p.format->id : 0;
        t.description = p.fullName();
        return t;
    }

  private:
    void add(const std::string &subsystem, const std::string &event, ProbeCatalog &catalog) {
        Probe p;
        p.owner = this;
        p.provider = "sdt";
        p.module = subsystem;
        p.name = event;
        p.tracepoint = subsystem + "/" + event;
        catalog.add(std::move(p));
    }
    bool allLoaded_ = false;
    std::set<std::string> subsystems_; // read one by one
};

} // namespace

std::unique_ptr<Provider> makeSdtProvider() {
    return std::make_unique<SdtProvider>();
}

} // namespace dtrace::providers
