// The program-wide half of code generation: storage for variables and
// aggregations, the per-CPU context layout, the string table, the maps,
// and the grouping of clauses into one BPF program per attach point.
#include "codegen/codegen.h"

#include "bpf/disasm.h"
#include "codegen/function.h"
#include "codegen/program.h"

#include <algorithm>
#include <bpf/libbpf.h>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>

namespace dtrace::codegen {

using namespace bpf;
using sema::TypeRef;

namespace {

uint32_t round8(uint64_t n) {
    return static_cast<uint32_t>((n + 7) & ~7ull);
}

// Bytes a value of this type takes in D storage: scalars are kept as
// normalised 64-bit words, strings as strsize+1 bytes.
uint32_t storageSize(const TypeRef &t, uint32_t strslot) {
    if (sema::isString(t)) return strslot;
    if (sema::isScalar(t)) return 8;
    return std::max<uint32_t>(8, round8(sema::typeSize(t)));
}

// Bytes a key component takes in a tuple key.
uint32_t keyComponentSize(const TypeRef &t, uint32_t strslot) {
    return storageSize(t, strslot);
}

void walkNodes(const ir::Node &n, const std::function<void(const ir::Node &)> &fn) {
    fn(n);
    for (const auto &k : n.kids) walkNodes(*k, fn);
}

void walkStmts(const std::vector<ir::StmtPtr> &body,
               const std::function<void(const ir::Node &)> &fn) {
    for (const auto &s : body) {
        if (s->expr) walkNodes(*s->expr, fn);
        for (const auto &a : s->args) walkNodes(*a, fn);
        for (const auto &k : s->keys) walkNodes(*k, fn);
        walkStmts(s->thenBody, fn);
        walkStmts(s->elseBody, fn);
    }
}

void walkClause(const ir::Clause &c, const std::function<void(const ir::Node &)> &fn) {
    if (c.predicate) walkNodes(*c.predicate, fn);
    walkStmts(c.body, fn);
}

// The per-CPU value of an aggregation. Histograms end with a word set
// when they fire, so that one that fired with nothing to count is told
// apart from one that never fired.
uint32_t aggValueSize(const ir::Aggregation &a) {
    switch (a.func) {
    case ir::AggFunc::Count:
    case ir::AggFunc::Sum: return 8;
    case ir::AggFunc::Avg:
    case ir::AggFunc::Min:
    case ir::AggFunc::Max: return 16;
    case ir::AggFunc::Stddev: return 32;
    case ir::AggFunc::Quantize: return (kQuantizeBuckets + 1) * 8;
    case ir::AggFunc::Lquantize: return static_cast<uint32_t>(lquantizeLevels(a.params) + 3) * 8;
    case ir::AggFunc::Llquantize:
        return static_cast<uint32_t>(ir::llquantizeLayout(a.params).buckets() + 1) * 8;
    }
    return 16;
}

} // namespace

bool usesProbeArguments(const ir::Clause &c) {
    bool uses = false;
    walkClause(c, [&](const ir::Node &n) {
        if (n.kind == ir::NodeKind::BuiltinVar && n.builtin == ir::Builtin::Arg) uses = true;
        if (n.kind == ir::NodeKind::BuiltinVar && n.builtin == ir::Builtin::Errno) uses = true;
    });
    return uses;
}

// ----------------------------------------------------------- StringTable

uint32_t StringTable::add(const std::string &s) {
    std::string v = s.substr(0, slot_ - 1);
    auto it = offsets_.find(v);
    if (it != offsets_.end()) return it->second;
    uint32_t off = static_cast<uint32_t>(data_.size());
    data_.resize(data_.size() + slot_, 0);
    std::memcpy(data_.data() + off, v.data(), v.size());
    offsets_[v] = off;
    return off;
}

uint32_t StringTable::addIndexed(const std::vector<std::pair<int, std::string>> &names,
                                 uint32_t width, uint32_t count) {
    uint32_t off = static_cast<uint32_t>(data_.size());
    // Room for a full string read from the last entry.
    data_.resize(data_.size() + width * count + slot_, 0);
    for (const auto &[nr, name] : names) {
        if (nr < 0 || static_cast<uint32_t>(nr) >= count) continue;
        std::memcpy(data_.data() + off + nr * width, name.data(),
                    std::min<size_t>(name.size(), width - 1));
    }
    return off;
}

uint32_t StringTable::addBlob(const std::vector<uint8_t> &blob) {
    uint32_t off = static_cast<uint32_t>(data_.size());
    data_.insert(data_.end(), blob.begin(), blob.end());
    data_.resize(off + round8(static_cast<uint32_t>(blob.size())), 0);
    return off;
}

std::vector<uint8_t> StringTable::bytes() const {
    std::vector<uint8_t> b = data_;
    if (b.empty()) b.resize(slot_, 0);
    return b;
}

// -------------------------------------------------------------- Generator

Generator::Generator(const ir::Program &p, uint32_t recordReserve) : prog(p), strtab(0) {
    layout.recordReserve = recordReserve;
    strsize = static_cast<uint32_t>(prog.options.strsize);
    // A string, its NUL, and (the slot's last byte) a global or clause-local
    // string variable's mark that it holds NULL.
    layout.strslot = std::max<uint32_t>(16, round8(strsize + 2));
    strtab = StringTable(layout.strslot);
    out.options = prog.options;
    out.matchedProbes = prog.matchedProbes;
}

bpf::MapId Generator::addMap(MapSpec spec) {
    out.maps.push_back(std::move(spec));
    return static_cast<bpf::MapId>(out.maps.size() - 1);
}

bpf::MapId Generator::providerMap(const MapSpec &spec) {
    auto [it, fresh] = providerMaps_.try_emplace(spec.name, -1);
    if (fresh) {
        MapSpec m = spec;
        m.role = MapRole::ProviderState;
        it->second = addMap(std::move(m));
    }
    return it->second;
}

bool Generator::clauseDescribed(int index) const {
    return index >= 0 && static_cast<size_t>(index) < described_.size() && described_[index];
}

ClauseDesc &Generator::clauseDesc(const ir::Clause &c) {
    if (out.clauses.size() <= static_cast<size_t>(c.index)) {
        out.clauses.resize(c.index + 1);
        described_.resize(c.index + 1, false);
    }
    ClauseDesc &d = out.clauses[c.index];
    d.index = c.index;
    d.description = c.description;
    d.isEndClause = std::any_of(c.probes.begin(), c.probes.end(), [](const providers::Probe *p) {
        return p->owner->role(*p) == providers::ProbeRole::End;
    });
    return d;
}

// Dynamic variables live in preallocated hash maps, so that a probe never
// allocates memory: creating one with 2^18 elements takes about 10 ms.
constexpr uint64_t kMaxDynamicEntries = 1u << 18;

void Generator::planVariables() {
    uint32_t globalsSize = 0, localsSize = 0;
    // dynvarsize bounds all dynamic variables together: each map (every
    // associative array, and the one for thread-locals) gets an equal
    // share, counted in values as Oracle's DTrace for Linux counts them.
    uint64_t dynamicMaps = 0;
    bool anyThreadLocal = false;
    for (const auto &vp : prog.variables) {
        if (vp->isAssoc())
            ++dynamicMaps;
        else if (vp->scope == ir::Scope::ThreadLocal)
            anyThreadLocal = true;
    }
    if (anyThreadLocal) ++dynamicMaps;
    uint64_t dynvarsize = prog.options.dynvarsize / std::max<uint64_t>(1, dynamicMaps);
    uint64_t tlsTypeMax = 1;
    for (const auto &vp : prog.variables) {
        const ir::Variable &v = *vp;
        VarStorage st;
        st.size = storageSize(v.type, layout.strslot);
        if (v.isAssoc()) {
            uint32_t off = 0;
            for (const auto &k : v.keys) {
                st.keyOffsets.push_back(off);
                off += keyComponentSize(k, layout.strslot);
            }
            st.keySize = std::max<uint32_t>(8, off);
            MapSpec m;
            m.role = MapRole::AssociativeArray;
            m.name = "a_" + v.name.substr(0, 10);
            m.type = BPF_MAP_TYPE_HASH;
            m.keySize = st.keySize;
            m.valueSize = st.size;
            // An element is charged the bytes it is stored in (8 for a scalar).
            uint64_t ts = std::max<uint64_t>(1, st.size);
            m.maxEntries =
                static_cast<uint32_t>(std::clamp<uint64_t>(dynvarsize / ts, 1, kMaxDynamicEntries));
            st.map = addMap(std::move(m));
            layout.keysSize = std::max(layout.keysSize, st.keySize);
            layout.zeroSize = std::max(layout.zeroSize, st.size);
        } else if (v.scope == ir::Scope::Global) {
            st.offset = globalsSize;
            globalsSize += st.size;
        } else if (v.scope == ir::Scope::ClauseLocal) {
            st.offset = localsSize;
            localsSize += st.size;
        } else {
            tlsValueSize = std::max(tlsValueSize, st.size);
            tlsTypeMax = std::max<uint64_t>(tlsTypeMax, sema::typeSize(v.type));
            layout.zeroSize = std::max(layout.zeroSize, st.size);
        }
        vars[&v] = st;
    }
    bool anyTls = std::any_of(prog.variables.begin(), prog.variables.end(), [](const auto &v) {
        return v->scope == ir::Scope::ThreadLocal && !v->isAssoc();
    });
    if (anyTls) {
        MapSpec m;
        m.role = MapRole::ThreadLocals;
        m.name = "tvars";
        m.type = BPF_MAP_TYPE_HASH;
        m.keySize = 16;
        m.valueSize = tlsValueSize;
        m.maxEntries = static_cast<uint32_t>(
            std::clamp<uint64_t>(dynvarsize / tlsTypeMax, 1, kMaxDynamicEntries));
        tlsMap = addMap(std::move(m));
    }
    MapSpec g;
    g.role = MapRole::Globals;
    g.name = "globals";
    g.type = BPF_MAP_TYPE_ARRAY;
    g.keySize = 4;
    g.valueSize = std::max<uint32_t>(8, globalsSize);
    g.maxEntries = 1;
    globalsMap = addMap(std::move(g));
    layout.localsSize = localsSize;
}

void Generator::planAggregations() {
    uint64_t aggsize = prog.options.aggsize;
    // Aggregations of one shape (keyed or not, key and value sizes) share a
    // map: a program may use only 64 maps, and a D program may have
    // hundreds of aggregations. A keyed aggregation's entries are told
    // apart by the tag that ends their keys (the CPU and the aggregation's
    // slot); an unkeyed one is its slot of a per-CPU array.
    //
    // Keyed aggregations live in hash maps whose keys end in the CPU that
    // made them: per-CPU storage without the kernel's per-CPU allocator,
    // which costs ~10 us a new key when not preallocated and ~0.5 us an
    // entry at start-up when preallocated. Entries come from the map's own
    // caches as keys appear (~0.3 us).
    struct Shape {
        bool keyed;
        uint32_t keySize, valueSize;
        auto operator<=>(const Shape &) const = default;
    };
    struct Group {
        uint32_t members = 0;
        uint64_t entries = 0;
        std::vector<const ir::Aggregation *> aggregations;
    };
    std::map<Shape, Group> groups;
    std::vector<Shape> shapes;
    for (const auto &ap : prog.aggregations) {
        const ir::Aggregation &a = *ap;
        AggStorage st;
        st.keyed = !a.keys.empty();
        uint32_t off = 0;
        AggregationDesc d;
        for (const auto &k : a.keys) {
            st.keyOffsets.push_back(off);
            d.keys.push_back(describeType(k, layout.strslot, strsize));
            off += keyComponentSize(k, layout.strslot);
        }
        st.keySize = st.keyed ? (std::max<uint32_t>(8, off) + 7) / 8 * 8 + kAggTagSize : 4;
        st.valueSize = aggValueSize(a);
        Shape shape{st.keyed, st.keySize, st.valueSize};
        Group &group = groups[shape];
        st.slot = group.members++;
        group.entries += std::clamp<uint64_t>(aggsize / (st.keySize + st.valueSize), 1, 1u << 20);
        group.aggregations.push_back(&a);
        if (st.keyed) layout.keysSize = std::max(layout.keysSize, st.keySize);
        // Histograms start from a zero value in a map of their own (they
        // may be too large for the per-CPU context).
        if (isHistogram(a.func))
            histogramZeroSize = std::max(histogramZeroSize, st.valueSize);
        else
            layout.zeroSize = std::max(layout.zeroSize, st.valueSize);

        d.name = a.name;
        d.id = a.id;
        d.func = a.func;
        d.keyOffsets = st.keyOffsets;
        d.keySize = st.keySize;
        d.valueSize = st.valueSize;
        d.slot = st.slot;
        d.keyed = st.keyed;
        d.params = a.params;
        if (a.func == AggFunc::Llquantize) d.llquantize = program::llquantizeLayout(a.params);
        aggs[&a] = st;
        shapes.push_back(shape);
        out.aggregations.push_back(std::move(d));
    }
    std::map<Shape, bpf::MapId> mapOf;
    for (const auto &[shape, group] : groups) {
        MapSpec m;
        m.role = MapRole::Aggregations;
        m.name = "agg_" + std::to_string(mapOf.size());
        m.type = shape.keyed ? BPF_MAP_TYPE_HASH : BPF_MAP_TYPE_PERCPU_ARRAY;
        m.keySize = shape.keySize;
        m.valueSize = shape.valueSize;
        m.maxEntries = shape.keyed
                           ? static_cast<uint32_t>(std::min<uint64_t>(group.entries, 1u << 20))
                           : group.members;
        if (shape.keyed) m.flags = BPF_F_NO_PREALLOC;
        mapOf[shape] = addMap(std::move(m));
        for (const ir::Aggregation *a : group.aggregations) aggs[a].map = mapOf[shape];
    }
    for (size_t i = 0; i < out.aggregations.size(); ++i) out.aggregations[i].map = mapOf[shapes[i]];
    if (histogramZeroSize) {
        MapSpec z;
        z.role = MapRole::HistogramZero;
        z.name = "histzero";
        z.type = BPF_MAP_TYPE_ARRAY;
        z.keySize = 4;
        z.valueSize = histogramZeroSize;
        z.freeze = true;
        histogramZeroMap = addMap(std::move(z));
    }
}

// The CPUs' cpuinfo_t (curcpu, chip, lgrp): a map of an entry per possible
// CPU, which the loader fills from the system's topology.
bpf::MapId Generator::cpuInfoMap() {
    if (cpuInfoMap_ >= 0) return cpuInfoMap_;
    MapSpec m;
    m.role = MapRole::CpuInfo;
    m.name = "cpuinfo";
    m.type = BPF_MAP_TYPE_ARRAY;
    m.keySize = 4;
    m.valueSize = sizeof(program::CpuInfo);
    m.maxEntries = 0; // one per possible CPU
    cpuInfoMap_ = addMap(std::move(m));
    return cpuInfoMap_;
}

void Generator::planKernelOffsets() {
    auto &types = *prog.types;
    // Only look at kernel types when the program needs them: loading BTF
    // costs milliseconds.
    bool needTask = false, needPaths = false;
    for (const auto &c : prog.clauses) {
        walkClause(c, [&](const ir::Node &n) {
            if (n.kind == ir::NodeKind::Call && n.subr == ir::Subr::Progenyof) needTask = true;
            if (n.kind == ir::NodeKind::Call &&
                (n.subr == ir::Subr::DPath || n.subr == ir::Subr::DMountpoint))
                needPaths = true;
            // A failed user-space read tells a kernel thread (no mm) apart.
            if ((n.kind == ir::NodeKind::Call &&
                 (n.subr == ir::Subr::Copyin || n.subr == ir::Subr::Copyinstr ||
                  n.subr == ir::Subr::Copyinto)) ||
                (n.kind == ir::NodeKind::Deref && n.userAddress))
                needTask = true;
            if (n.kind != ir::NodeKind::BuiltinVar) return;
            if (n.builtin == ir::Builtin::Ppid || n.builtin == ir::Builtin::Vtimestamp ||
                n.builtin == ir::Builtin::Execargs)
                needTask = true;
        });
    }
    if (needTask && types.kernelTypesAvailable()) {
        auto task = types.tagged(sema::TypeKind::Struct, "task_struct");
        if (task) {
            if (auto m = sema::findMember(task, "real_parent"))
                kernel.taskRealParent = m->offsetBits / 8;
            if (auto m = sema::findMember(task, "tgid")) kernel.taskTgid = m->offsetBits / 8;
            if (auto m = sema::findMember(task, "mm")) kernel.taskMm = m->offsetBits / 8;
            auto mm = types.tagged(sema::TypeKind::Struct, "mm_struct");
            auto start = mm ? sema::findMember(types.complete(mm), "arg_start") : std::nullopt;
            auto end = mm ? sema::findMember(types.complete(mm), "arg_end") : std::nullopt;
            if (start && end && end->offsetBits == start->offsetBits + 64)
                kernel.mmArgStart = start->offsetBits / 8;
            if (auto se = sema::findMember(task, "se"))
                if (auto r = sema::findMember(types.complete(se->type), "sum_exec_runtime"))
                    kernel.taskExecRuntime = se->offsetBits / 8 + r->offsetBits / 8;
        }
    }
    if (needPaths && types.kernelTypesAvailable()) {
        auto offsetOf = [&](const char *tag, const char *member) -> int64_t {
            auto t = types.tagged(sema::TypeKind::Struct, tag);
            if (!t) return -1;
            auto m = sema::findMember(types.complete(t), member);
            return m ? static_cast<int64_t>(m->offsetBits / 8) : -1;
        };
        kernel.pathMnt = offsetOf("path", "mnt");
        kernel.pathDentry = offsetOf("path", "dentry");
        kernel.dentryParent = offsetOf("dentry", "d_parent");
        int64_t dname = offsetOf("dentry", "d_name"), qlen = offsetOf("qstr", "len"),
                qname = offsetOf("qstr", "name");
        if (dname >= 0 && qlen >= 0 && qname >= 0) {
            kernel.dentryNameLen = dname + qlen;
            kernel.dentryNameName = dname + qname;
        }
        kernel.vfsmountRoot = offsetOf("vfsmount", "mnt_root");
        kernel.mountParent = offsetOf("mount", "mnt_parent");
        kernel.mountMountpoint = offsetOf("mount", "mnt_mountpoint");
        kernel.mountMnt = offsetOf("mount", "mnt");
        kernel.taskFs = offsetOf("task_struct", "fs");
        kernel.fsRoot = offsetOf("fs_struct", "root");
    }
}

void Generator::planLayout() {
    // What the program uses that the layout sizes: d_path, stacks, symbols,
    // and the string temporaries of the statement that uses most.
    bool usesDPath = false;
    uint32_t kernelStack = 0, userStack = 0;
    bool usesSymbols = false, userSymbols = false;
    uint64_t translations = 0;
    bool usesFrames = false; // caller, ucaller, stackdepth, ustackdepth
    for (const auto &c : prog.clauses) {
        uint64_t clauseTranslations = 0;
        walkClause(c, [&](const ir::Node &n) {
            if (n.kind == ir::NodeKind::BuiltinVar &&
                (n.builtin == ir::Builtin::Caller || n.builtin == ir::Builtin::Ucaller ||
                 n.builtin == ir::Builtin::Stackdepth || n.builtin == ir::Builtin::Ustackdepth))
                usesFrames = true;
            if (n.kind != ir::NodeKind::Call) return;
            if (n.subr == ir::Subr::Alloca && n.translated && n.kids[0]->isConstant())
                clauseTranslations += round8(static_cast<uint32_t>(n.kids[0]->value));
            if (n.subr == ir::Subr::DPath || n.subr == ir::Subr::DMountpoint) usesDPath = true;
            if (n.subr == ir::Subr::Stack && !n.kids.empty()) {
                usesSymbols = true;
                if (sema::stripTypedefs(n.type)->stack == sema::Type::Stack::User)
                    userSymbols = true;
            } else if (n.subr == ir::Subr::Stack) {
                bool user = sema::stripTypedefs(n.type)->stack == sema::Type::Stack::User;
                uint32_t &most = user ? userStack : kernelStack;
                most = std::max(most, static_cast<uint32_t>(sema::typeSize(n.type)));
            }
        });
        translations = std::max(translations, clauseTranslations);
    }
    // String temporaries live for one statement (codegen reuses them from
    // the next), so the context needs the most any one statement uses.
    uint32_t maxStrings = 0;
    auto countStrings = [](const ir::Node &root) {
        uint32_t n = 0;
        walkNodes(root, [&](const ir::Node &node) {
            if (sema::isString(node.type)) ++n;
        });
        return n;
    };
    std::function<void(const std::vector<ir::StmtPtr> &)> visit =
        [&](const std::vector<ir::StmtPtr> &body) {
            for (const auto &st : body) {
                uint32_t n = 0;
                if (st->expr) n += countStrings(*st->expr);
                for (const auto &a : st->args) n += countStrings(*a);
                for (const auto &k : st->keys) n += countStrings(*k);
                maxStrings = std::max(maxStrings, n);
                visit(st->thenBody);
                visit(st->elseBody);
            }
        };
    for (const auto &c : prog.clauses) {
        if (c.predicate) maxStrings = std::max(maxStrings, countStrings(*c.predicate));
        visit(c.body);
    }

    // The immediate region.
    layout.locals = dctx::kFixedEnd;
    layout.localsSize = round8(layout.localsSize);
    layout.keys = layout.locals + layout.localsSize;
    layout.keysSize = round8(std::max<uint32_t>(8, layout.keysSize));
    layout.numbuf = layout.keys + layout.keysSize;
    layout.strtokState = layout.numbuf + 96; // 72 bytes of digits or address, then three words
    uint32_t at = layout.strtokState + 48;
    if (usesDPath) {
        layout.pathbuf = at;
        at += 2 * layout.strslot + 8;
    }
    // stack() and ustack() collect their frames here (one of each per
    // statement).
    layout.kernelStack = at;
    layout.userStack = layout.kernelStack + kernelStack;
    layout.symbol = layout.userStack + userStack; // func() and the like: 16 bytes
    at = layout.symbol + (usesSymbols ? 16 : 0);
    layout.usesStacks = kernelStack || userStack || usesFrames;
    out.usesUserStacks = userStack != 0 || userSymbols;
    bool accounting = !prog.options.nooverload || prog.options.probestats;
    layout.statsClauses = accounting ? static_cast<uint32_t>(prog.clauses.size()) : 0;
    uint32_t statsBytes = accounting ? 8 + layout.statsClauses * sizeof(ClauseStats) : 0;
    layout.recordSize = 64;
    bool statsNear = at + statsBytes + layout.recordReserve <= Layout::kImmediateLimit;
    if (statsNear) {
        layout.stats = at;
        at += statsBytes;
    }
    layout.record = at;
    at = layout.record + std::max(layout.recordSize, layout.recordReserve);

    // The pointer region.
    layout.zero = round8(at);
    // Whole translated structs (xlate<psinfo_t>) are built in scratch
    // memory of their own, past what scratchsize gives alloca().
    layout.allocaLimit = round8(prog.options.scratchsize);
    layout.scratchSize =
        layout.allocaLimit + static_cast<uint32_t>(std::min<uint64_t>(translations, 16384));
    // The zero area also zeroes alloca'd memory; its second half is the
    // sink that takes stores to dynamic variables that could not be
    // allocated.
    layout.zeroSize =
        round8(std::max({layout.zeroSize, layout.strslot, tlsValueSize, layout.scratchSize}));
    layout.strtok = layout.zero + 2 * layout.zeroSize;
    layout.scratch = layout.strtok + layout.strslot;
    // A string's worth of slack after the scratch keeps the verifier's
    // view of a string stored at its top inside the context.
    layout.strtmp = layout.scratch + layout.scratchSize + layout.strslot;
    layout.strtmpSlots = maxStrings;
    // A string written at an offset into the last temporary (strjoin's
    // second part) may, as far as the verifier can tell, run a string's
    // length past it: slack of a string after them.
    layout.end = layout.strtmp + (layout.strtmpSlots + 1) * layout.strslot;
    // caller, stackdepth and the like read a whole stack's frames here.
    if (usesFrames) {
        layout.frames = layout.end;
        layout.end += Layout::kMaxFrames * 8;
    }
    // Hundreds of clauses: their accounting after it all.
    if (!statsNear) {
        layout.stats = round8(layout.end);
        layout.end = layout.stats + statsBytes;
    }
}
// The probes that can fire, as the consumer names them.
void Generator::describeProbes() {
    std::set<const providers::Probe *> seen;
    for (const auto &c : prog.clauses)
        for (const providers::Probe *p : c.probes) {
            if (!seen.insert(p).second) continue;
            program::ProbeInfo info{p->id, p->provider, p->module, p->function, p->name};
            info.flow = p->owner->flow(*p);
            out.probes.push_back(std::move(info));
        }
    std::sort(out.probes.begin(), out.probes.end(),
              [](const auto &a, const auto &b) { return a.id < b.id; });
}

// print()'s view of a type: its name as written, its kind and layout from
// what it resolves to; members and elements described in turn.
int Generator::typeDescriptor(const sema::TypeRef &t) {
    using Kind = program::TypeDesc::Kind;
    if (auto it = typeDescriptors_.find(t.get()); it != typeDescriptors_.end()) return it->second;
    sema::TypeRef s = sema::stripTypedefs(t);
    auto index = static_cast<int>(out.types.size());
    typeDescriptors_[t.get()] = index;
    out.types.emplace_back();
    program::TypeDesc d;
    d.size = sema::typeSize(t);
    d.name = sema::typeName(t);
    if (!s) {
        out.types[static_cast<size_t>(index)] = std::move(d);
        return index;
    }
    d.isSigned = s->isSigned;
    switch (s->kind) {
    case sema::TypeKind::Struct:
    case sema::TypeKind::Union:
        d.kind = s->kind == sema::TypeKind::Struct ? Kind::Struct : Kind::Union;
        if (s->name.empty()) d.name = s->kind == sema::TypeKind::Struct ? "struct" : "union";
        for (const auto &m : s->members)
            d.members.push_back({m.name, m.offsetBits, m.bitSize,
                                 static_cast<uint32_t>(typeDescriptor(m.type)),
                                 sema::typeSize(m.type)});
        break;
    case sema::TypeKind::Array:
        d.kind = Kind::Array;
        d.element = static_cast<uint32_t>(typeDescriptor(s->target));
        d.count = s->count;
        break;
    case sema::TypeKind::String: d.kind = Kind::String; break;
    case sema::TypeKind::Pointer: d.kind = Kind::Pointer; break;
    case sema::TypeKind::Enum:
        d.kind = Kind::Enum;
        for (const auto &e : s->enumerators) d.enumerators.push_back({e.name, e.value});
        break;
    case sema::TypeKind::Float: d.kind = Kind::Float; break;
    default: d.kind = Kind::Integer; break;
    }
    out.types[static_cast<size_t>(index)] = std::move(d);
    return index;
}

void Generator::checkLayout() const {
    if (layout.total() <= Layout::kImmediateLimit) return;
    fail("D_UNSUPPORTED", prog.clauses.empty() ? SourceLoc{} : prog.clauses.front().loc,
         "program needs " + std::to_string(layout.total()) +
             " bytes of per-CPU working memory, more than " +
             std::to_string(Layout::kImmediateLimit) +
             ": lower strsize or scratchsize, or use fewer strings in one statement");
}

CompiledProgram Generator::run() {
    // Maps every program uses.
    MapSpec d;
    d.role = MapRole::Context;
    d.name = "dctx";
    d.type = BPF_MAP_TYPE_ARRAY;
    d.keySize = 4;
    d.maxEntries = 0; // the loader makes one entry per possible CPU
    dctxMap = addMap(std::move(d));
    MapSpec s;
    s.role = MapRole::State;
    s.name = "state";
    s.type = BPF_MAP_TYPE_ARRAY;
    s.keySize = 4;
    s.valueSize = sizeof(StateValue);
    s.flags = BPF_F_MMAPABLE;
    stateMap = addMap(std::move(s));
    MapSpec dr;
    dr.role = MapRole::Drops;
    dr.name = "drops";
    dr.type = BPF_MAP_TYPE_PERCPU_ARRAY;
    dr.keySize = 4;
    dr.valueSize = 8 * kDropCounters;
    dropsMap = addMap(std::move(dr));
    // One BPF ring buffer of bufsize bytes per CPU. Not one ring per CPU:
    // filling an array of ring buffers costs an RCU grace period per CPU
    // (about 17 ms each here), which would be most of our start-up.
    MapSpec b;
    b.role = MapRole::Buffers;
    b.name = "buffers";
    b.type = BPF_MAP_TYPE_RINGBUF;
    b.maxEntries = 0; // sized by the loader from bufsize
    b.ringBufferPerCpu = true;
    buffersMap = addMap(std::move(b));
    MapSpec st;
    st.role = MapRole::Strings;
    st.name = "strtab";
    st.type = BPF_MAP_TYPE_ARRAY;
    st.keySize = 4;
    // Not BPF_F_RDONLY_PROG: the verifier lets global (string) functions
    // take only writable memory. It is frozen against user space.
    st.freeze = true;
    strtabMap = addMap(std::move(st));

    planVariables();
    planAggregations();
    planKernelOffsets();
    planLayout();
    // Instructions address the context with 16-bit signed offsets (and
    // string code grows with strsize): refuse before generating any, and
    // again once the records' sizes are known.
    checkLayout();
    planSpeculations();
    buildPrograms();
    checkLayout();

    out.maps[dctxMap].valueSize = round8(layout.contextSize());
    out.contextSize = out.maps[dctxMap].valueSize;
    if (layout.statsClauses) {
        out.statsOffset = layout.stats;
        out.statsClauses = layout.statsClauses;
        out.timesEveryFiring = prog.options.probestats;
    }
    out.stringSize = layout.strslot;
    auto bytes = strtab.bytes();
    out.maps[strtabMap].valueSize = static_cast<uint32_t>(bytes.size());
    out.maps[strtabMap].initialValue = std::move(bytes);
    for (const auto &c : prog.clauses)
        if (!clauseDescribed(c.index)) clauseDesc(c);
    describeProbes();
    return std::move(out);
}

std::string disassemble(const program::CompiledProgram &prog) {
    std::vector<std::string> mapNames;
    for (const MapSpec &m : prog.maps) mapNames.push_back(m.name);
    std::string out;
    for (const ProgramSpec &p : prog.programs)
        out += "\nDisassembly of program " + p.name + ":\n" + bpf::disassemble(p.code, mapNames);
    return out;
}

// The record area sits in the immediate region before the pointer region,
// so its size is reserved before code is generated: when the records turn
// out larger than reserved, the code is generated again with room for them.
CompiledProgram generate(const ir::Program &prog) {
    uint32_t reserve = Generator::kRecordReserve;
    for (;;) {
        Generator g(prog, reserve);
        CompiledProgram out = g.run();
        if (g.layout.recordSize <= reserve) return out;
        reserve = g.layout.recordSize;
    }
}

} // namespace dtrace::codegen
