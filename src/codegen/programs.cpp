// Code generation's program half: clauses grouped into BPF programs as the
// providers shape them, each program's entry (the firing's context, the
// probe's identity, the clause calls with their accounting) and the ERROR
// dispatcher.
#include "codegen/function.h"
#include "codegen/program.h"

#include <algorithm>
#include <bpf/libbpf.h>
#include <cstring>
#include <set>
#include <tuple>

namespace dtrace::codegen {

using namespace bpf;

// ---------------------------------------------------------------- programs

// Clauses become programs: BEGIN's and END's (run by the consumer), and for
// every other probe the programs its provider shapes, shared by the probes
// whose shapes say so. ERROR's clauses are called from every program.
void Generator::buildPrograms() {
    using providers::ProbeRole;
    std::vector<const ir::Clause *> begin, end;
    std::vector<const providers::Probe *> traced; // in order of ID
    std::map<const providers::Probe *, std::vector<const ir::Clause *>> clausesOf;
    for (const auto &c : prog.clauses) {
        bool inBegin = false, inEnd = false, inError = false;
        for (const auto *p : c.probes) {
            switch (p->owner->role(*p)) {
            case ProbeRole::Begin:
                inBegin = true;
                beginProbeId = p->id;
                break;
            case ProbeRole::End:
                inEnd = true;
                endProbeId = p->id;
                break;
            case ProbeRole::Error:
                inError = true;
                errorProbeId = p->id;
                break;
            case ProbeRole::Traced:
                if (clausesOf[p].empty()) traced.push_back(p);
                clausesOf[p].push_back(&c);
                break;
            }
        }
        if (inBegin) begin.push_back(&c);
        if (inEnd) end.push_back(&c);
        if (inError) errorClauses.push_back(&c);
    }
    std::sort(traced.begin(), traced.end(),
              [](const auto *a, const auto *b) { return a->id < b->id; });

    // Group the probes' programs: by provider and share key, or (no key)
    // one per probe and hook; with the same clauses where the shape says.
    struct Group {
        ProgramContext ctx;
        std::vector<const ir::Clause *> clauses;
    };
    std::vector<Group> groups;
    std::map<std::tuple<const providers::Provider *, std::string, std::vector<int>>, size_t> byKey;
    std::vector<const providers::Probe *> cookieProbes;
    for (const providers::Probe *p : traced) {
        const auto &clauses = clausesOf[p];
        for (providers::ProgramShape &shape : p->owner->programShapes(*p)) {
            std::vector<int> clauseKey;
            if (shape.sameClausesOnly)
                for (const ir::Clause *c : clauses) clauseKey.push_back(c->index);
            std::string key = shape.shareKey.empty()
                                  ? "#" + std::to_string(p->id) + ":" + shape.hook
                                  : shape.shareKey;
            auto [it, fresh] = byKey.try_emplace({p->owner, key, clauseKey}, groups.size());
            if (fresh) {
                Group g;
                g.ctx.provider = p->owner;
                g.ctx.shape = std::move(shape);
                groups.push_back(std::move(g));
            }
            Group &g = groups[it->second];
            g.ctx.probes.push_back(p);
            if (!g.ctx.shape.runsClauses) continue;
            for (const ir::Clause *c : clauses)
                if (std::find(g.clauses.begin(), g.clauses.end(), c) == g.clauses.end())
                    g.clauses.push_back(c);
            if (g.ctx.shape.identity == providers::ProgramShape::Identity::Cookie)
                cookieProbes.push_back(p);
        }
    }
    planCookieNames(cookieProbes);

    if (!begin.empty() || !errorClauses.empty())
        addProgram(dtraceProgram(ProbeRole::Begin, "dt_begin"), begin);
    for (Group &group : groups) {
        std::sort(group.clauses.begin(), group.clauses.end(),
                  [](const auto *a, const auto *b) { return a->index < b->index; });
        if (group.ctx.shape.identity == providers::ProgramShape::Identity::Cookie)
            for (const auto *p : group.ctx.probes)
                group.ctx.cookies.push_back(static_cast<uint64_t>(cookieIndex_.at(p)) << 32 |
                                            p->id);
        if (group.ctx.shape.identity == providers::ProgramShape::Identity::SelectorTable)
            planProbeTable(group.ctx);
        addProgram(std::move(group.ctx), group.clauses);
    }
    addProgram(dtraceProgram(ProbeRole::End, "dt_end"), end);
    addDeadman();
    for (const auto &[key, offsets] : isEnabledSites_)
        out.isEnabledSites.push_back({key.first, key.second, {offsets.begin(), offsets.end()}});
}

// BEGIN's and END's programs: raw tracepoint programs the consumer runs
// once, in its own context.
ProgramContext Generator::dtraceProgram(providers::ProbeRole role, const char *name) {
    ProgramContext ctx;
    ctx.role = role;
    ctx.shape.programType = BPF_PROG_TYPE_RAW_TRACEPOINT;
    ctx.shape.programName = name;
    return ctx;
}

void Generator::addProgram(ProgramContext ctx, const std::vector<const ir::Clause *> &clauses) {
    bool args = std::any_of(clauses.begin(), clauses.end(),
                            [](const ir::Clause *c) { return usesProbeArguments(*c); });
    // The clauses, in as many programs as the functions they need take: a
    // part that will not go in one program is halved, and the program
    // before each part tail-calls it.
    std::vector<std::vector<const ir::Clause *>> parts{clauses};
    std::vector<ProgramSpec> chainPrograms;
    std::vector<std::vector<ClauseMask>> chainMasks; // each program's
    ChainPosition pos;
    for (size_t i = 0; i < parts.size();) {
        pos.slot = static_cast<uint32_t>(i);
        pos.next = i + 1 < parts.size();
        pos.firstMaskBit = 0; // the bits the programs before took
        for (const auto &m : chainMasks)
            if (!m.empty()) pos.firstMaskBit = m.back().bit + 1;
        ProgramBuilder pb(*this, ctx, pos);
        try {
            chainPrograms.push_back(pb.build(parts[i], args));
            chainMasks.push_back(pb.clauseMasks());
        } catch (const TooManyFunctions &too) {
            const ir::Clause *c = too.firstPast ? too.firstPast : parts[i].front();
            if (parts[i].size() == 1 || !chainable(ctx))
                fail("D_UNSUPPORTED", c->loc,
                     "too many clauses for one probe: " + ctx.shape.programName + " needs " +
                         std::to_string(too.functions) +
                         " BPF functions for its clauses, more than the 256 a BPF program may "
                         "have (clause " +
                         std::to_string(c->index) + ", " + c->description + ", is past the limit)");
            // Halve this part; the program before it must now tail-call.
            size_t half = parts[i].size() / 2;
            std::vector<const ir::Clause *> rest(parts[i].begin() + static_cast<long>(half),
                                                 parts[i].end());
            parts[i].resize(half);
            parts.insert(parts.begin() + static_cast<long>(i) + 1, std::move(rest));
            if (parts.size() > kMaxChain)
                fail("D_UNSUPPORTED", c->loc,
                     "too many clauses for one probe: " + ctx.shape.programName +
                         " would need "
                         "more than " +
                         std::to_string(kMaxChain) +
                         " programs for them, more than the kernel tail-calls in turn");
            if (pos.map < 0) pos.map = addChainMap();
            if (i > 0) {
                // The program before was the last: rebuilt to tail-call.
                chainPrograms.pop_back();
                chainMasks.pop_back();
                --i;
            }
            continue;
        }
        ++i;
    }
    std::vector<ClauseMask> masks;
    for (const auto &m : chainMasks) masks.insert(masks.end(), m.begin(), m.end());
    for (size_t i = 0; i < chainPrograms.size(); ++i) {
        ProgramSpec &spec = chainPrograms[i];
        if (i > 0) {
            spec.role = program::ProgramRole::Continuation;
            spec.attach = chainPrograms.front().attach;
            spec.chainMap = pos.map;
            spec.chainSlot = static_cast<uint32_t>(i);
        }
        out.programs.push_back(std::move(spec));
    }
    if (pos.map >= 0)
        out.maps[static_cast<size_t>(pos.map)].maxEntries =
            static_cast<uint32_t>(chainPrograms.size());
    if (ctx.shape.identity == providers::ProgramShape::Identity::SelectorTable)
        fillProbeTable(ctx, clauses, masks);
    // Is-enabled sites to patch, by process and file (each file opened once).
    if (ctx.provider)
        for (const auto *p : ctx.probes)
            for (auto &sites : ctx.provider->isEnabledSites(*p))
                isEnabledSites_[{sites.pid, sites.path}].insert(sites.offsets.begin(),
                                                                sites.offsets.end());
}

// Programs a chain may have: the kernel follows at most 33 tail calls.
bool Generator::chainable(const ProgramContext &ctx) {
    // A trampoline program's tail calls are bound to its function: not
    // chained.
    return ctx.shape.programType != BPF_PROG_TYPE_TRACING;
}

bpf::MapId Generator::addChainMap() {
    MapSpec m;
    m.role = MapRole::ProgramChain;
    m.name = "chain";
    m.type = BPF_MAP_TYPE_PROG_ARRAY;
    m.keySize = 4;
    m.valueSize = 4;
    m.maxEntries = 2; // set once the chain is complete
    return addMap(std::move(m));
}

// A shared program's table of probes by selector (an array map), and the
// names of its probes' functions by selector in the string table.
void Generator::planProbeTable(ProgramContext &ctx) {
    uint32_t most = 0;
    std::vector<std::pair<int, std::string>> names;
    for (const auto *p : ctx.probes) {
        uint32_t sel = ctx.provider->selector(*p);
        most = std::max(most, sel);
        names.emplace_back(static_cast<int>(sel), p->function);
    }
    ctx.selectors = most + 1;
    std::sort(names.begin(), names.end());
    auto known = namesTables_.find(names);
    if (known == namesTables_.end())
        known =
            namesTables_.emplace(names, strtab.addIndexed(names, kNameWidth, ctx.selectors)).first;
    ctx.namesOffset = known->second;
    MapSpec m;
    m.role = MapRole::ProbeTable;
    m.name = "probetab";
    m.type = BPF_MAP_TYPE_ARRAY;
    m.keySize = 4;
    m.valueSize = program::kClauseMasksOffset; // and the masks' words, once they are known
    m.maxEntries = ctx.selectors;
    ctx.probeTable = addMap(std::move(m));
}

// Its entries: each probe's ID, and the bits of the clauses that want it.
void Generator::fillProbeTable(const ProgramContext &ctx, const std::vector<const ir::Clause *> &,
                               const std::vector<ClauseMask> &masks) {
    size_t words = 0;
    for (const ClauseMask &m : masks) words = std::max<size_t>(words, m.bit / 64 + 1);
    MapSpec &map = out.maps[static_cast<size_t>(ctx.probeTable)];
    map.valueSize = program::kClauseMasksOffset + static_cast<uint32_t>(8 * words);
    std::map<uint32_t, std::vector<uint8_t>> values;
    auto valueOf = [&](const providers::Probe *p) -> std::vector<uint8_t> & {
        auto &v = values[ctx.provider->selector(*p)];
        v.resize(map.valueSize, 0);
        return v;
    };
    for (const auto *p : ctx.probes) {
        uint32_t id = p->id;
        std::memcpy(valueOf(p).data() + offsetof(program::SelectorProbe, probeId), &id, 4);
    }
    for (const ClauseMask &m : masks)
        for (const auto *p : m.probes) {
            uint8_t *word = valueOf(p).data() + program::kClauseMasksOffset + 8 * (m.bit / 64);
            uint64_t bits;
            std::memcpy(&bits, word, 8);
            bits |= 1ull << (m.bit % 64);
            std::memcpy(word, &bits, 8);
        }
    for (auto &[sel, v] : values) {
        const auto *k = reinterpret_cast<const uint8_t *>(&sel);
        map.entries.emplace_back(std::vector<uint8_t>(k, k + sizeof sel), std::move(v));
    }
}

// Cookie probes' names: a table of (provider, module, function, name)
// string offsets, an entry per probe; a probe's cookie holds its index.
void Generator::planCookieNames(const std::vector<const providers::Probe *> &probes) {
    if (probes.empty()) return;
    std::vector<uint8_t> table;
    for (const auto *probe : probes) {
        if (cookieIndex_.count(probe)) continue;
        uint32_t names[4] = {strtab.add(probe->provider), strtab.add(probe->module),
                             strtab.add(probe->function), strtab.add(probe->name)};
        for (uint32_t n : names) cookieNamesMax = std::max(cookieNamesMax, n);
        cookieIndex_[probe] = cookieNames++;
        const auto *bytes = reinterpret_cast<const uint8_t *>(names);
        table.insert(table.end(), bytes, bytes + sizeof names);
    }
    cookieNamesOffset = strtab.addBlob(table);
}

// The deadman: a CPU-clock event on one CPU that checks, a few times per
// deadman interval, when the consumer last went round its loop. If that is
// longer ago than -x deadman, every probe stops doing work at its next
// firing (they test the activity word first) and the consumer reports the
// abort when it runs again. Nothing is added to the probes' own cost.
void Generator::addDeadman() {
    uint64_t deadmanNs = prog.options.deadman;
    if (deadmanNs == 0) return;
    bpf::Function f("dt_deadman");
    Label done = f.newLabel();
    f.ldMapValue(R1, stateMap, 0);
    f.emit(load(Size::DW, R6, R1, kStateHeartbeatOffset));
    f.jumpImm(BPF_JEQ, R6, 0, done); // tracing has not started
    f.emit(load(Size::W, R2, R1, kStateActivityOffset));
    f.jumpImm(BPF_JNE, R2, kActive, done);
    f.callHelper(BPF_FUNC_ktime_get_ns);
    f.emit(alu64Reg(BPF_SUB, R0, R6));
    f.ldImm64(R1, deadmanNs);
    f.jumpReg(BPF_JLE, R0, R1, done);
    f.ldMapValue(R1, stateMap, 0);
    f.emit(storeImm(Size::W, R1, kStateActivityOffset, kAborted));
    f.bind(done);
    f.emit(movImm(R0, 0));
    f.emit(exitInsn());
    std::vector<bpf::Function> fns;
    fns.push_back(std::move(f));
    ProgramSpec spec;
    spec.name = "dt_deadman";
    spec.type = BPF_PROG_TYPE_PERF_EVENT;
    spec.role = program::ProgramRole::Deadman;
    spec.attach.kind = program::AttachTarget::Kind::Timer;
    spec.attach.periodNs = std::clamp<uint64_t>(deadmanNs / 10, 1000000, 1000000000);
    spec.attach.oneCpu = true;
    spec.attach.description = "the deadman";
    spec.code = bpf::link(fns);
    out.programs.push_back(std::move(spec));
}

// --------------------------------------------------------- ProgramBuilder

ProgramBuilder::ProgramBuilder(Generator &gen, ProgramContext c, ChainPosition pos)
    : g(gen), ctx(std::move(c)), chain(pos) {}

// Writes a record from the per-CPU context to this CPU's ring buffer, or
// counts a drop. Clobbers r0-r5 and the stack word at fp-8.
void emitRecordOutput(bpf::Function &f, Generator &g, uint32_t recordOffset, uint32_t size,
                      bool wakeup) {
    Label drop = f.newLabel(), done = f.newLabel();
    f.callHelper(BPF_FUNC_get_smp_processor_id);
    f.emit(
        store(Size::W, R9, static_cast<int16_t>(recordOffset + offsetof(RecordHeader, cpu)), R0));
    if (wakeup) {
        f.emit(movImm(R4, BPF_RB_FORCE_WAKEUP));
    } else if (g.prog.options.bufpolicy == program::BufferPolicy::Fill) {
        // A fill buffer is read when tracing ends, as DTrace's is.
        f.emit(movImm(R4, BPF_RB_NO_WAKEUP));
    } else {
        // No wake-up per record (one costs microseconds): the consumer
        // reads at switchrate, and is woken by the record that fills the
        // ring past its mark, so a burst is read while it lasts.
        Label quiet = f.newLabel(), set = f.newLabel();
        f.ldMap(R1, g.buffersMap);
        f.emit(movImm(R2, BPF_RB_AVAIL_DATA));
        f.callHelper(BPF_FUNC_ringbuf_query);
        f.ldMapValue(R1, g.stateMap, 0);
        f.emit(load(Size::DW, R1, R1, program::kStateWakeMarkOffset));
        f.jumpReg(BPF_JGE, R0, R1, quiet);
        // What this record takes in the ring: its header, and its length
        // rounded up to 8.
        f.emit(
            alu64Imm(BPF_ADD, R0, static_cast<int32_t>(BPF_RINGBUF_HDR_SZ + (size + 7) / 8 * 8)));
        f.jumpReg(BPF_JLT, R0, R1, quiet);
        f.emit(movImm(R4, BPF_RB_FORCE_WAKEUP));
        f.jump(set);
        f.bind(quiet);
        f.emit(movImm(R4, BPF_RB_NO_WAKEUP));
        f.bind(set);
    }
    f.ldMap(R1, g.buffersMap);
    f.emit(movReg(R2, R9));
    f.emit(alu64Imm(BPF_ADD, R2, static_cast<int32_t>(recordOffset)));
    f.emit(movImm(R3, static_cast<int32_t>(size)));
    f.callHelper(BPF_FUNC_ringbuf_output);
    f.jumpImm(BPF_JEQ, R0, 0, done);
    f.bind(drop);
    emitDropIncrement(f, g, kPrincipalDrops);
    if (g.prog.options.bufpolicy == program::BufferPolicy::Fill) {
        // bufpolicy=fill: a full buffer ends tracing, as exit(0) would (END
        // still runs, once the consumer has emptied the buffer).
        f.ldMapValue(R1, g.stateMap, 0);
        f.emit(load(Size::W, R2, R1, kStateActivityOffset));
        f.jumpImm(BPF_JNE, R2, kActive, done);
        f.emit(storeImm(Size::W, R1, kStateActivityOffset, kExiting));
    }
    f.bind(done);
}

// A program may have at most 256 functions: past kMaxMapLookups maps, the
// rest share one lookup that takes the map in r1 (not inlined by the
// verifier, a little slower).
constexpr size_t kMaxMapLookups = 64;

ProgramBuilder::MapLookup ProgramBuilder::lookupFunction(bpf::MapId map) {
    if (auto it = lookups_.find(map); it != lookups_.end()) return {it->second, false};
    if (lookups_.size() >= kMaxMapLookups) {
        if (anyLookup_ < 0)
            anyLookup_ = addFunction("dt_lookup", [&](Function &f) {
                f.callHelper(BPF_FUNC_map_lookup_elem);
                f.emit(exitInsn());
            });
        return {anyLookup_, true};
    }
    bpf::FunctionId id =
        addFunction("dt_lookup_" + g.out.maps.at(static_cast<size_t>(map)).name, [&](Function &f) {
            f.ldMap(R1, map);
            f.callHelper(BPF_FUNC_map_lookup_elem);
            f.emit(exitInsn());
        });
    lookups_[map] = id;
    return {id, false};
}

bpf::FunctionId ProgramBuilder::dropFunction(DropCounter which) {
    if (auto it = drops_.find(which); it != drops_.end()) return it->second;
    bpf::FunctionId id = addFunction("dt_drop_" + std::to_string(which), [&](Function &f) {
        emitDropIncrement(f, g, which);
        f.emit(movImm(R0, 0));
        f.emit(exitInsn());
    });
    drops_[which] = id;
    return id;
}

void emitDropIncrement(bpf::Function &f, Generator &g, DropCounter which) {
    Label skip = f.newLabel();
    f.emit(storeImm(Size::W, FP, -8, 0));
    f.ldMap(R1, g.dropsMap);
    f.emit(movReg(R2, FP));
    f.emit(alu64Imm(BPF_ADD, R2, -8));
    f.callHelper(BPF_FUNC_map_lookup_elem);
    f.jumpImm(BPF_JEQ, R0, 0, skip);
    f.emit(load(Size::DW, R1, R0, static_cast<int16_t>(8 * which)));
    f.emit(alu64Imm(BPF_ADD, R1, 1));
    f.emit(store(Size::DW, R0, static_cast<int16_t>(8 * which), R1));
    f.bind(skip);
}

// The program's entry: finds the per-CPU context, learns which probe fired
// and its arguments (with the provider's code), then calls each clause,
// the ERROR dispatcher after a clause that faulted.
void ProgramBuilder::emitEntry(bpf::Function &f, const std::vector<const ir::Clause *> &clauses,
                               const std::vector<bpf::FunctionId> &clauseFns,
                               bpf::FunctionId errorFn, bool usesArgs) {
    // Every early way out jumps to the exit at the end: with at most 256
    // functions in a program (linkFunctions), the entry stays within a
    // jump's reach.
    Label out = f.newLabel();
    // A probe table the provider can index without the per-CPU context
    // (a system call's number) is consulted first: a firing no probe
    // wants (every other system call) leaves after a few instructions,
    // with no helper call.
    const bool selectorFirst =
        ctx.role == providers::ProbeRole::Traced &&
        ctx.shape.identity == providers::ProgramShape::Identity::SelectorTable &&
        ctx.shape.selectorWithoutContext;
    if (chain.slot > 0) {
        emitContinuationEntry(f, out);
    } else {
        f.emit(movReg(R6, R1));
        if (selectorFirst) emitSelectorLookup(f, out);
        emitContextLookup(f, out);
        f.emit(load(Size::W, R0, FP, -8));
        f.emit(store(Size::DW, R9, dctx::kCpu, R0));
        // -x cpu: probes fire on that CPU only (BEGIN, END and ERROR run
        // where dtrace runs them).
        if (ctx.role == providers::ProbeRole::Traced && g.prog.options.cpu)
            f.jumpImm(BPF_JNE, R0, static_cast<int32_t>(*g.prog.options.cpu), out);
        if (ctx.role == providers::ProbeRole::Traced) {
            // Probes do nothing once exit() was called or tracing was stopped.
            f.ldMapValue(R1, g.stateMap, 0);
            f.emit(load(Size::W, R1, R1, 0));
            f.jumpImm(BPF_JNE, R1, 0, out);
        }
        if (selectorFirst)
            emitSelectorIdentity(f);
        else
            emitProbeIdentity(f, out);
        f.emit(storeImm(Size::DW, R9, dctx::kTimestamp, 0));
        f.emit(storeImm(Size::DW, R9, dctx::kVtimestamp, 0));
        f.emit(storeImm(Size::DW, R9, dctx::kErrno, 0));
        providers::FiringCode code{f, ctx.shape, ctx.probes, &g};
        if (usesArgs) {
            for (int i = 0; i < 10; ++i)
                f.emit(storeImm(Size::DW, R9, static_cast<int16_t>(dctx::kArgs + 8 * i), 0));
            if (ctx.provider) ctx.provider->emitArguments(code);
        }
        // alloca() hands out real addresses: remember where this context is
        // (after the arguments, whose staging area overlaps this word).
        f.emit(store(Size::DW, R9, dctx::kSelfAddress, R9));
        if (ctx.provider) ctx.provider->emitErrno(code);
        for (uint32_t off = 0; off < g.layout.localsSize; off += 8)
            f.emit(storeImm(Size::DW, R9, static_cast<int16_t>(g.layout.locals + off), 0));
    }

    // A shared program's clauses that want only some of its probes test
    // their bit in the probe's clause mask (r8: its probe table entry).
    const bool shared = ctx.shape.identity == providers::ProgramShape::Identity::SelectorTable;
    uint64_t maskBit = chain.firstMaskBit;
    for (size_t i = 0; i < clauses.size(); ++i) {
        const ir::Clause &c = *clauses[i];
        Label skip = f.newLabel();
        if (shared) {
            std::set<const providers::Probe *> mine;
            for (const auto *p : c.probes)
                if (std::find(ctx.probes.begin(), ctx.probes.end(), p) != ctx.probes.end())
                    mine.insert(p);
            if (mine.size() != ctx.probes.size()) {
                f.emit(
                    load(Size::DW, R1, R8,
                         static_cast<int16_t>(program::kClauseMasksOffset + 8 * (maskBit / 64))));
                f.ldImm64(R2, 1ull << (maskBit % 64));
                f.emit(alu64Reg(BPF_AND, R1, R2));
                f.jumpImm(BPF_JEQ, R1, 0, skip);
                masks_.push_back({maskBit, {mine.begin(), mine.end()}});
                ++maskBit;
            }
        }
        if (ctx.role != providers::ProbeRole::End) {
            // After exit(), later clauses of this firing do nothing.
            f.ldMapValue(R1, g.stateMap, 0);
            f.emit(load(Size::W, R1, R1, 0));
            f.jumpImm(BPF_JNE, R1, 0, out);
        }
        emitAccountedCall(f, c.index, clauseFns[i]);
        if (errorFn >= 0) {
            f.jumpImm(BPF_JEQ, R0, 0, skip);
            f.emit(movReg(R1, R9));
            if (g.layout.usesStacks) f.emit(movReg(R2, R6));
            f.call(errorFn);
        }
        f.bind(skip);
    }
    if (chain.next) {
        // The next program of the chain, with this firing's context.
        f.emit(movReg(R1, R6));
        f.ldMap(R2, chain.map);
        f.emit(movImm(R3, static_cast<int32_t>(chain.slot + 1)));
        f.callHelper(BPF_FUNC_tail_call);
    }
    f.bind(out);
    f.emit(movImm(R0, 0));
    f.emit(exitInsn());
}

// r9 = this CPU's per-CPU context (to `out` if there is none); the CPU's
// number stays at fp-8.
void ProgramBuilder::emitContextLookup(bpf::Function &f, Label out) {
    f.callHelper(BPF_FUNC_get_smp_processor_id);
    f.emit(store(Size::W, FP, -8, R0));
    f.ldMap(R1, g.dctxMap);
    f.emit(movReg(R2, FP));
    f.emit(alu64Imm(BPF_ADD, R2, -8));
    f.callHelper(BPF_FUNC_map_lookup_elem);
    f.jumpImm(BPF_JEQ, R0, 0, out);
    f.emit(movReg(R9, R0));
}

// A continuation's entry: the firing's context is in the per-CPU context
// already (the program before set it up); a shared program's clause masks
// need the probe's table entry again (r8).
void ProgramBuilder::emitContinuationEntry(bpf::Function &f, Label out) {
    f.emit(movReg(R6, R1));
    emitContextLookup(f, out);
    if (ctx.shape.identity != providers::ProgramShape::Identity::SelectorTable) return;
    f.emit(load(Size::W, R7, R9, dctx::kSelector));
    emitProbeTableEntry(f, out);
}

// r8 = the probe table's entry for the selector in r7 (to `out` if none).
void ProgramBuilder::emitProbeTableEntry(bpf::Function &f, Label out) {
    f.emit(store(Size::W, FP, -8, R7));
    f.ldMap(R1, ctx.probeTable);
    f.emit(movReg(R2, FP));
    f.emit(alu64Imm(BPF_ADD, R2, -8));
    f.callHelper(BPF_FUNC_map_lookup_elem);
    f.jumpImm(BPF_JEQ, R0, 0, out);
    f.emit(movReg(R8, R0));
}

// r7 = the selector (the provider's code), r8 = its probe table entry;
// to `out` when no probe of this program has that selector.
void ProgramBuilder::emitSelectorLookup(bpf::Function &f, Label out) {
    providers::FiringCode code{f, ctx.shape, ctx.probes, &g};
    ctx.provider->emitSelector(code);
    f.jumpImm(BPF_JGE, R7, static_cast<int32_t>(ctx.selectors), out);
    emitProbeTableEntry(f, out);
    f.emit(load(Size::W, R1, R8, offsetof(program::SelectorProbe, probeId)));
    f.jumpImm(BPF_JEQ, R1, 0, out);
}

// The firing's probe, from the probe table entry in r8 (selector in r7).
void ProgramBuilder::emitSelectorIdentity(bpf::Function &f) {
    f.emit(load(Size::W, R1, R8, offsetof(program::SelectorProbe, probeId)));
    f.emit(store(Size::W, R9, dctx::kProbeId, R1));
    f.emit(store(Size::W, R9, dctx::kSelector, R7));
    f.emit(movReg(R1, R7));
    f.emit(alu64Imm(BPF_LSH, R1, 5)); // kNameWidth
    f.emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(ctx.namesOffset)));
    f.emit(store(Size::W, R9, dctx::kFuncOffset, R1));
}

// dctx::kProbeId (and kFuncOffset, for probefunc) of the firing: known
// statically, looked up in the program's probe table by the selector the
// provider's code leaves in r7 (r8: the entry), or taken from the uprobe's
// cookie.
void ProgramBuilder::emitProbeIdentity(bpf::Function &f, Label out) {
    using Identity = providers::ProgramShape::Identity;
    providers::FiringCode code{f, ctx.shape, ctx.probes, &g};
    switch (ctx.shape.identity) {
    case Identity::SelectorTable:
        emitSelectorLookup(f, out);
        emitSelectorIdentity(f);
        return;
    case Identity::Cookie:
        // The cookie: the probe ID, and its names' index above it.
        f.emit(movReg(R1, R6));
        f.callHelper(BPF_FUNC_get_attach_cookie);
        f.emit(store(Size::W, R9, dctx::kProbeId, R0));
        f.emit(alu64Imm(BPF_RSH, R0, 32));
        f.emit(store(Size::W, R9, dctx::kFuncOffset, R0));
        return;
    case Identity::Static: {
        if (ctx.provider) ctx.provider->emitFilter(code);
        const providers::Probe *p = probe();
        uint32_t id = p                                         ? p->id
                      : ctx.role == providers::ProbeRole::Begin ? g.beginProbeId
                                                                : g.endProbeId;
        f.emit(storeImm(Size::W, R9, dctx::kProbeId, static_cast<int32_t>(id)));
        return;
    }
    }
}
// Calls a clause (r0: its fault flag), counting the firing and, for one
// firing in kSampleEvery (every one under -x probestats), timing it: the
// overload governor and probestats read these counters from each CPU's
// context. Without accounting, a plain call.
void ProgramBuilder::emitAccountedCall(bpf::Function &f, int clauseIndex, bpf::FunctionId fn) {
    const Layout &l = g.layout;
    // Clause functions take the context (and, for stack(), the program's
    // context, which the entry keeps in r6).
    auto call = [&] {
        f.emit(movReg(R1, R9));
        if (l.usesStacks) f.emit(movReg(R2, R6));
        f.call(fn);
    };
    if (l.statsClauses == 0 || static_cast<uint32_t>(clauseIndex) >= l.statsClauses) {
        call();
        return;
    }
    // A word of this clause's ClauseStats: at r9 + offset, or (far) r5 +
    // offset after statsBase() points r5 at them.
    const uint32_t clauseStats =
        l.stats + 8 + static_cast<uint32_t>(clauseIndex) * sizeof(ClauseStats);
    const bool far = clauseStats + sizeof(ClauseStats) > Layout::kImmediateLimit;
    const Reg statsReg = far ? R5 : R9;
    auto statsBase = [&] {
        if (!far) return;
        f.emit(movReg(R5, R9));
        f.emit(alu64Imm(BPF_ADD, R5, static_cast<int32_t>(clauseStats)));
    };
    auto word = [&](size_t field) {
        return static_cast<int16_t>((far ? 0 : clauseStats) + field * 8);
    };
    constexpr size_t kFirings = 0, kTimed = 1, kTotal = 2, kMin = 3, kMax = 4;
    Label untimed = f.newLabel(), done = f.newLabel();
    statsBase();
    f.emit(load(Size::DW, R1, statsReg, word(kFirings)));
    f.emit(alu64Imm(BPF_ADD, R1, 1));
    f.emit(store(Size::DW, statsReg, word(kFirings), R1));
    if (!g.prog.options.probestats) {
        // The sample counter (near, or first of the far stats).
        Reg counterReg = l.stats + 8 > Layout::kImmediateLimit ? R5 : R9;
        auto counter = static_cast<int16_t>(counterReg == R9 ? l.stats : 0);
        if (counterReg == R5) {
            f.emit(movReg(R5, R9));
            f.emit(alu64Imm(BPF_ADD, R5, static_cast<int32_t>(l.stats)));
        }
        f.emit(load(Size::DW, R1, counterReg, counter));
        f.emit(alu64Imm(BPF_ADD, R1, 1));
        f.emit(store(Size::DW, counterReg, counter, R1));
        f.emit(alu64Imm(BPF_AND, R1, kSampleEvery - 1));
        f.jumpImm(BPF_JNE, R1, 0, untimed);
    }
    f.callHelper(BPF_FUNC_ktime_get_ns);
    f.emit(store(Size::DW, FP, -16, R0));
    call();
    f.emit(store(Size::DW, FP, -24, R0));
    f.callHelper(BPF_FUNC_ktime_get_ns);
    f.emit(load(Size::DW, R1, FP, -16));
    f.emit(alu64Reg(BPF_SUB, R0, R1)); // this firing's ns
    statsBase();                       // (the helper calls clobbered r5)
    f.emit(load(Size::DW, R1, statsReg, word(kTimed)));
    f.emit(alu64Imm(BPF_ADD, R1, 1));
    f.emit(store(Size::DW, statsReg, word(kTimed), R1));
    f.emit(load(Size::DW, R1, statsReg, word(kTotal)));
    f.emit(alu64Reg(BPF_ADD, R1, R0));
    f.emit(store(Size::DW, statsReg, word(kTotal), R1));
    Label notMin = f.newLabel(), setMin = f.newLabel(), notMax = f.newLabel();
    f.emit(load(Size::DW, R1, statsReg, word(kMin)));
    f.jumpImm(BPF_JEQ, R1, 0, setMin);
    f.jumpReg(BPF_JGE, R0, R1, notMin);
    f.bind(setMin);
    f.emit(store(Size::DW, statsReg, word(kMin), R0));
    f.bind(notMin);
    f.emit(load(Size::DW, R1, statsReg, word(kMax)));
    f.jumpReg(BPF_JLE, R0, R1, notMax);
    f.emit(store(Size::DW, statsReg, word(kMax), R0));
    f.bind(notMax);
    f.emit(load(Size::DW, R0, FP, -24));
    if (g.prog.options.probestats) return; // every firing was timed
    f.jump(done);
    f.bind(untimed);
    call();
    f.bind(done);
}

// dt_error(dctx): reports a fault, then runs the ERROR clauses with
// DTrace's arguments, restoring the faulting probe's state afterwards.
bpf::FunctionId ProgramBuilder::emitErrorDispatcher() {
    functions.emplace_back("dt_error");
    auto id = static_cast<bpf::FunctionId>(functions.size() - 1);
    std::vector<bpf::FunctionId> errFns;
    for (const ir::Clause *c : g.errorClauses) {
        functions.emplace_back("dt_clause_" + std::to_string(c->index));
        auto fid = static_cast<bpf::FunctionId>(functions.size() - 1);
        bpf::Function fn(functions[fid].name());
        FunctionCompiler fc(*this, fn, c, true);
        fc.compileClause();
        functions[fid] = std::move(fn);
        errFns.push_back(fid);
    }
    bpf::Function f("dt_error");
    f.emit(movReg(R9, R1));
    if (g.layout.usesStacks) f.emit(movReg(R6, R2));
    for (int i = 0; i < 6; ++i) {
        f.emit(load(Size::DW, R1, R9, static_cast<int16_t>(dctx::kArgs + 8 * i)));
        f.emit(store(Size::DW, R9, static_cast<int16_t>(dctx::kSaved + 8 * i), R1));
    }
    f.emit(load(Size::W, R1, R9, dctx::kProbeId));
    f.emit(store(Size::DW, R9, dctx::kSaved + 48, R1));
    // The error record, in the record area (the faulting clause's record
    // is abandoned).
    uint32_t rec = g.layout.record;
    f.emit(storeImm(Size::W, R9, static_cast<int16_t>(rec), static_cast<int32_t>(kErrorRecord)));
    f.emit(store(Size::W, R9, static_cast<int16_t>(rec + 4), R1));
    f.emit(load(Size::W, R2, R9, dctx::kFaultClause));
    f.emit(store(Size::W, R9, static_cast<int16_t>(rec + offsetof(ErrorRecord, clause)), R2));
    f.emit(load(Size::W, R2, R9, dctx::kFaultType));
    f.emit(store(Size::W, R9, static_cast<int16_t>(rec + offsetof(ErrorRecord, fault)), R2));
    f.emit(load(Size::DW, R2, R9, dctx::kFaultValue));
    f.emit(store(Size::DW, R9, static_cast<int16_t>(rec + offsetof(ErrorRecord, value)), R2));
    f.emit(load(Size::DW, R2, R9, dctx::kFaultPc));
    f.emit(store(Size::DW, R9, static_cast<int16_t>(rec + offsetof(ErrorRecord, pc)), R2));
    emitRecordOutput(f, g, rec, sizeof(ErrorRecord), false);
    if (!errFns.empty()) {
        f.emit(storeImm(Size::DW, R9, dctx::kArgs, 0));
        f.emit(load(Size::DW, R1, R9, dctx::kSaved + 48));
        f.emit(store(Size::DW, R9, dctx::kArgs + 8, R1));
        f.emit(load(Size::W, R1, R9, dctx::kFaultClause));
        f.emit(store(Size::DW, R9, dctx::kArgs + 16, R1));
        f.emit(load(Size::DW, R1, R9, dctx::kFaultPc));
        f.emit(store(Size::DW, R9, dctx::kArgs + 24, R1));
        f.emit(load(Size::W, R1, R9, dctx::kFaultType));
        f.emit(store(Size::DW, R9, dctx::kArgs + 32, R1));
        f.emit(load(Size::DW, R1, R9, dctx::kFaultValue));
        f.emit(store(Size::DW, R9, dctx::kArgs + 40, R1));
        f.emit(storeImm(Size::W, R9, dctx::kProbeId, static_cast<int32_t>(g.errorProbeId)));
        Label restore = f.newLabel();
        for (bpf::FunctionId fid : errFns) {
            f.ldMapValue(R1, g.stateMap, 0);
            f.emit(load(Size::W, R1, R1, 0));
            f.jumpImm(BPF_JNE, R1, 0, restore);
            f.emit(movReg(R1, R9));
            if (g.layout.usesStacks) f.emit(movReg(R2, R6));
            f.call(fid);
        }
        f.bind(restore);
        for (int i = 0; i < 6; ++i) {
            f.emit(load(Size::DW, R1, R9, static_cast<int16_t>(dctx::kSaved + 8 * i)));
            f.emit(store(Size::DW, R9, static_cast<int16_t>(dctx::kArgs + 8 * i), R1));
        }
        f.emit(load(Size::DW, R1, R9, dctx::kSaved + 48));
        f.emit(store(Size::W, R9, dctx::kProbeId, R1));
    }
    f.emit(movImm(R0, 0));
    f.emit(exitInsn());
    functions[id] = std::move(f);
    return id;
}

ProgramSpec ProgramBuilder::build(const std::vector<const ir::Clause *> &clauses, bool usesArgs) {
    const std::string &name = ctx.shape.programName;
    functions.emplace_back(name); // the entry point, filled in last
    std::vector<bpf::FunctionId> clauseFns;
    for (const ir::Clause *c : clauses) {
        functions.emplace_back("dt_clause_" + std::to_string(c->index));
        auto fid = static_cast<bpf::FunctionId>(functions.size() - 1);
        bpf::Function fn(functions[fid].name());
        FunctionCompiler fc(*this, fn, c, false);
        fc.compileClause();
        functions[fid] = std::move(fn);
        clauseFns.push_back(fid);
    }
    bool errorsUsed = !clauses.empty();
    bpf::FunctionId errorFn = errorsUsed ? emitErrorDispatcher() : -1;
    bool errorArgs = std::any_of(g.errorClauses.begin(), g.errorClauses.end(),
                                 [](const ir::Clause *c) { return usesProbeArguments(*c); });
    bpf::Function entry(name);
    emitEntry(entry, clauses, clauseFns, errorFn, usesArgs || errorArgs);
    functions[0] = std::move(entry);

    ProgramSpec spec;
    spec.name = name;
    spec.type = ctx.shape.programType;
    spec.role = ctx.role == providers::ProbeRole::Begin ? program::ProgramRole::Begin
                : ctx.role == providers::ProbeRole::End ? program::ProgramRole::End
                                                        : program::ProgramRole::Probes;
    if (ctx.provider) spec.attach = ctx.provider->attachTarget(ctx.shape, ctx.probes, ctx.cookies);
    spec.code = linkFunctions(functions);
    return spec;
}
// Links a program's functions; a limit of BPF's becomes an error about the
// clause whose code meets it.
bpf::LinkedProgram ProgramBuilder::linkFunctions(const std::vector<bpf::Function> &fns) const {
    // The kernel refuses a program of more functions than this
    // (MAX_SUBPROGS): name the first clause past it.
    constexpr size_t kMaxFunctions = 256;
    if (fns.size() > kMaxFunctions) {
        TooManyFunctions too{nullptr, fns.size()};
        for (size_t i = kMaxFunctions; i < fns.size() && !too.firstPast; ++i)
            for (const auto &c : g.prog.clauses)
                if (fns[i].name() == "dt_clause_" + std::to_string(c.index)) too.firstPast = &c;
        throw too;
    }
    try {
        return bpf::link(fns);
    } catch (const bpf::LinkError &e) {
        for (const auto &c : g.prog.clauses)
            if (c.index == e.at().clause)
                fail("D_UNSUPPORTED", c.loc,
                     "clause " + std::to_string(c.index) + " (" + c.description +
                         ") is too large to compile: " + e.message());
        std::string what = e.function();
        if (!ctx.probes.empty())
            what += " for " + ctx.probes.front()->fullName() +
                    (ctx.probes.size() > 1 ? " and other probes" : "");
        fail("D_UNSUPPORTED", g.prog.clauses.empty() ? SourceLoc{} : g.prog.clauses.front().loc,
             "the program " + what + " is too large to compile: " + e.message());
    }
}

} // namespace dtrace::codegen
