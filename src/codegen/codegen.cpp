// The program-wide half of code generation: storage for variables and
// aggregations, the per-CPU context layout, the string table, the maps,
// and the grouping of clauses into one BPF program per attach point.
#include "codegen/codegen.h"

#include "bpf/disasm.h"
#include "codegen/function.h"
#include "codegen/program.h"
#include "providers/kernel_functions.h"
#include "providers/syscalls.h"

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

Generator::Generator(const ir::Program &p) : prog(p), strtab(0) {
    strsize = static_cast<uint32_t>(prog.options.strsize);
    layout.strslot = std::max<uint32_t>(16, round8(strsize + 1));
    strtab = StringTable(layout.strslot);
    out.options = prog.options;
    out.matchedProbes = prog.matchedProbes;
}

bpf::MapId Generator::addMap(MapSpec spec) {
    out.maps.push_back(std::move(spec));
    return static_cast<bpf::MapId>(out.maps.size() - 1);
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
        return p->attach == providers::AttachKind::End;
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

const CpuTable &Generator::cpuTable() {
    if (cpuTable_) return *cpuTable_;
    // The topology sysfs reports: the package (chip) and NUMA node (lgrp)
    // of each possible CPU; Linux has no processor sets (pset -1).
    int n = std::max(libbpf_num_possible_cpus(), 1);
    std::vector<uint8_t> blob(static_cast<size_t>(n) * CpuTable::kEntrySize, 0);
    for (int cpu = 0; cpu < n; ++cpu) {
        std::string dir = "/sys/devices/system/cpu/cpu" + std::to_string(cpu);
        int32_t chip = 0, lgrp = 0, pset = -1;
        if (std::FILE *fp = std::fopen((dir + "/topology/physical_package_id").c_str(), "r")) {
            if (std::fscanf(fp, "%d", &chip) != 1) chip = 0;
            std::fclose(fp);
        }
        std::error_code ec;
        for (const auto &e : std::filesystem::directory_iterator(dir, ec)) {
            std::string name = e.path().filename().string();
            if (name.size() > 4 && name.compare(0, 4, "node") == 0 &&
                std::isdigit(static_cast<unsigned char>(name[4])))
                lgrp = std::atoi(name.c_str() + 4);
        }
        int32_t fields[4] = {cpu, pset, chip, lgrp};
        std::memcpy(blob.data() + static_cast<size_t>(cpu) * CpuTable::kEntrySize, fields,
                    sizeof fields);
    }
    CpuTable t;
    t.offset = strtab.addBlob(blob);
    t.count = static_cast<uint32_t>(n);
    cpuTable_ = t;
    return *cpuTable_;
}

void Generator::planKernelOffsets() {
    auto &types = *prog.types;
    // Only look at kernel types when the program needs them: loading BTF
    // costs milliseconds.
    bool needTask = false, needRegs = false, needPaths = false;
    for (const auto &c : prog.clauses) {
        walkClause(c, [&](const ir::Node &n) {
            if (n.kind == ir::NodeKind::Call && n.subr == ir::Subr::Progenyof) needTask = true;
            if (n.kind == ir::NodeKind::Call && n.subr == ir::Subr::DPath) needPaths = true;
            // A failed user-space read tells a kernel thread (no mm) apart.
            if ((n.kind == ir::NodeKind::Call &&
                 (n.subr == ir::Subr::Copyin || n.subr == ir::Subr::Copyinstr ||
                  n.subr == ir::Subr::Copyinto)) ||
                (n.kind == ir::NodeKind::Deref && n.userAddress))
                needTask = true;
            if (n.kind != ir::NodeKind::BuiltinVar) return;
            if (n.builtin == ir::Builtin::Ppid || n.builtin == ir::Builtin::Vtimestamp)
                needTask = true;
        });
        for (const auto *p : c.probes)
            if (p->attach == providers::AttachKind::SyscallEntry ||
                p->attach == providers::AttachKind::SyscallReturn ||
                p->attach == providers::AttachKind::Profile ||
                p->attach == providers::AttachKind::Tick ||
                p->attach == providers::AttachKind::Uprobe ||
                (p->attach == providers::AttachKind::Mapped &&
                 p->hook.kind != providers::HookKind::RawTracepoint))
                needRegs = true;
    }
    if (needTask && types.kernelTypesAvailable()) {
        auto task = types.tagged(sema::TypeKind::Struct, "task_struct");
        if (task) {
            if (auto m = sema::findMember(task, "real_parent"))
                kernel.taskRealParent = m->offsetBits / 8;
            if (auto m = sema::findMember(task, "tgid")) kernel.taskTgid = m->offsetBits / 8;
            if (auto m = sema::findMember(task, "mm")) kernel.taskMm = m->offsetBits / 8;
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
    }
    if (needRegs) {
#if defined(__x86_64__)
        // struct pt_regs on x86-64 (the UAPI layout, stable).
        kernel.argRegs = {112, 104, 96, 56, 72, 64};
        kernel.regsIp = 128;
        kernel.regsCs = 136;
        kernel.regsOrigAx = 120;
        kernel.callArgRegs = {112, 104, 96, 88, 72, 64};
        kernel.regsReturn = 80;
#elif defined(__aarch64__)
        kernel.argRegs = {0, 8, 16, 24, 32, 40};
        kernel.callArgRegs = kernel.argRegs;
        kernel.regsReturn = 0;
        kernel.regsIp = 256;
        kernel.regsCs = -1;
        kernel.regsOrigAx = 272; // syscallno
#endif
    }
}

void Generator::planLayout() {
    layout.locals = dctx::kFixedEnd;
    layout.localsSize = round8(layout.localsSize);
    layout.keys = layout.locals + layout.localsSize;
    layout.keysSize = round8(std::max<uint32_t>(8, layout.keysSize));
    layout.zero = layout.keys + layout.keysSize;
    layout.scratchSize = round8(prog.options.scratchsize);
    // The zero area also zeroes alloca'd memory.
    layout.zeroSize =
        round8(std::max({layout.zeroSize, layout.strslot, tlsValueSize, layout.scratchSize}));
    // The sink takes stores to dynamic variables that could not be allocated.
    layout.strtok = layout.zero + 2 * layout.zeroSize;
    layout.numbuf = layout.strtok + layout.strslot + 48;
    layout.scratch = layout.numbuf + 96; // 72 bytes of digits or address, then three words
    bool usesDPath = false;
    uint32_t kernelStack = 0, userStack = 0;
    bool usesSymbols = false, userSymbols = false;
    for (const auto &c : prog.clauses)
        walkClause(c, [&](const ir::Node &n) {
            if (n.kind != ir::NodeKind::Call) return;
            if (n.subr == ir::Subr::DPath) usesDPath = true;
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
    if (usesDPath) {
        layout.pathbuf = layout.scratch;
        layout.scratch += 2 * layout.strslot + 8;
    }
    // stack() and ustack() collect their frames here (one of each per
    // statement).
    layout.kernelStack = layout.scratch;
    layout.userStack = layout.kernelStack + kernelStack;
    layout.symbol = layout.userStack + userStack; // func() and the like: 16 bytes
    layout.scratch = layout.symbol + (usesSymbols ? 16 : 0);
    layout.usesStacks = kernelStack || userStack;
    out.usesUserStacks = userStack != 0 || userSymbols;
    // A string's worth of slack after the scratch keeps the verifier's
    // view of a string stored at its top inside the context.
    layout.strtmp = layout.scratch + layout.scratchSize + layout.strslot;
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
    layout.strtmpSlots = maxStrings;
    layout.stats = layout.strtmp + layout.strtmpSlots * layout.strslot;
    bool accounting = !prog.options.nooverload || prog.options.probestats;
    layout.statsClauses = accounting ? static_cast<uint32_t>(prog.clauses.size()) : 0;
    layout.recordSize = 64;
    uint32_t statsBytes = accounting ? 8 + layout.statsClauses * sizeof(ClauseStats) : 0;
    if (layout.stats + statsBytes + layout.recordSize <= Layout::kImmediateLimit) {
        layout.record = layout.stats + statsBytes;
    } else {
        // Hundreds of clauses: their accounting goes past what an
        // instruction's offset reaches, addressed through a pointer.
        layout.record = layout.stats;
        layout.stats = Layout::kFarStats;
    }
}

void Generator::buildPrograms() {
    using providers::AttachKind;
    std::vector<const ir::Clause *> begin, end;
    std::map<const providers::Probe *, std::vector<const ir::Clause *>> timers, tracepoints, mapped,
        functions;
    std::vector<const ir::Clause *> sysEntry, sysReturn;
    std::set<const providers::Probe *> entryProbes, returnProbes;
    std::map<const providers::Probe *, std::vector<const ir::Clause *>> uprobes;
    for (const auto &c : prog.clauses) {
        bool inBegin = false, inEnd = false, inError = false, inEntry = false, inReturn = false;
        for (const auto *p : c.probes) {
            switch (p->attach) {
            case AttachKind::Begin: inBegin = true; break;
            case AttachKind::End: inEnd = true; break;
            case AttachKind::Error:
                inError = true;
                errorProbeId = p->id;
                break;
            case AttachKind::Profile:
            case AttachKind::Tick: timers[p].push_back(&c); break;
            case AttachKind::SyscallEntry:
                inEntry = true;
                entryProbes.insert(p);
                break;
            case AttachKind::SyscallReturn:
                inReturn = true;
                returnProbes.insert(p);
                break;
            case AttachKind::Tracepoint: tracepoints[p].push_back(&c); break;
            case AttachKind::Mapped: mapped[p].push_back(&c); break;
            case AttachKind::Uprobe: uprobes[p].push_back(&c); break;
            case AttachKind::Function: functions[p].push_back(&c); break;
            }
        }
        if (inBegin) begin.push_back(&c);
        if (inEnd) end.push_back(&c);
        if (inError) errorClauses.push_back(&c);
        if (inEntry) sysEntry.push_back(&c);
        if (inReturn) sysReturn.push_back(&c);
    }

    if (!entryProbes.empty() || !returnProbes.empty()) {
        // System call number -> probe ids and clause masks.
        int maxNr = 0;
        std::vector<std::pair<int, std::string>> names;
        for (const auto &s : providers::syscallTable()) {
            maxNr = std::max(maxNr, s.nr);
            names.emplace_back(s.nr, s.name);
        }
        syscallCount = static_cast<uint32_t>(maxNr + 1);
        syscallNamesOffset = strtab.addIndexed(names, kSyscallNameWidth, syscallCount);
        MapSpec m;
        m.role = MapRole::SyscallProbes;
        m.name = "sysprobes";
        m.type = BPF_MAP_TYPE_ARRAY;
        m.keySize = 4;
        m.valueSize = 24;
        m.maxEntries = syscallCount;
        sysprobesMap = addMap(std::move(m));
    }

    std::vector<std::pair<ProgramContext, std::vector<SyscallClauseMask>>> syscallPrograms;
    AddProgram addProgram = [&](const std::string &name, ProgramContext ctx, uint32_t type,
                                const std::vector<const ir::Clause *> &clauses,
                                const std::string &tp) {
        bool args = std::any_of(clauses.begin(), clauses.end(),
                                [](const ir::Clause *c) { return usesProbeArguments(*c); });
        ctx.rawTracepoint = tp;
        ProgramBuilder pb(*this, ctx);
        out.programs.push_back(pb.build(name, type, clauses, args));
        if (ctx.attach == AttachKind::SyscallEntry || ctx.attach == AttachKind::SyscallReturn)
            syscallPrograms.emplace_back(ctx, pb.syscallMasks());
    };

    if (!begin.empty() || !errorClauses.empty())
        addProgram("dt_begin", {AttachKind::Begin, {}}, BPF_PROG_TYPE_RAW_TRACEPOINT, begin, "");
    for (auto &[probe, clauses] : timers) {
        ProgramContext ctx{probe->attach, {probe}};
        addProgram(probe->attach == AttachKind::Tick ? "dt_tick" : "dt_profile", ctx,
                   BPF_PROG_TYPE_PERF_EVENT, clauses, "");
    }
    if (!sysEntry.empty()) {
        ProgramContext ctx{
            AttachKind::SyscallEntry, {entryProbes.begin(), entryProbes.end()}, true};
        addProgram("dt_sys_enter", ctx, BPF_PROG_TYPE_RAW_TRACEPOINT, sysEntry, "sys_enter");
    }
    if (!sysReturn.empty()) {
        ProgramContext ctx{
            AttachKind::SyscallReturn, {returnProbes.begin(), returnProbes.end()}, true};
        addProgram("dt_sys_exit", ctx, BPF_PROG_TYPE_RAW_TRACEPOINT, sysReturn, "sys_exit");
    }
    // sdt: a program per tracepoint (each has its own record layout).
    for (auto &[probe, clauses] : tracepoints)
        addProgram("dt_tp", {AttachKind::Tracepoint, {probe}}, BPF_PROG_TYPE_TRACEPOINT, clauses,
                   probe->tracepoint);
    // proc, sched, io, rawtp: a program per probe on its hook.
    for (auto &[probe, clauses] : mapped) {
        const providers::Hook &h = probe->hook;
        std::string tp = h.kind == providers::HookKind::SyscallEntry    ? "sys_enter"
                         : h.kind == providers::HookKind::SyscallReturn ? "sys_exit"
                                                                        : h.name;
        std::vector<std::string> hooks{tp};
        hooks.insert(hooks.end(), h.alsoNames.begin(), h.alsoNames.end());
        for (const std::string &hook : hooks)
            addProgram("dt_" + probe->provider, {AttachKind::Mapped, {probe}},
                       BPF_PROG_TYPE_RAW_TRACEPOINT, clauses, hook);
    }
    buildUprobePrograms(uprobes, addProgram);
    // fbt: a program per probe, each on its own function's trampoline.
    for (auto &[probe, clauses] : functions) {
        bool isReturn = probe->name == "return";
        addProgram(isReturn ? "dt_fbt_return" : "dt_fbt_entry", {AttachKind::Function, {probe}},
                   BPF_PROG_TYPE_TRACING, clauses, "");
    }
    addProgram("dt_end", {AttachKind::End, {}}, BPF_PROG_TYPE_RAW_TRACEPOINT, end, "");
    fillSyscallTable(syscallPrograms);
    addDeadman();
}

// The syscall table's entries: for each system call a program enables,
// its probes' IDs and the clause masks of the programs.
void Generator::fillSyscallTable(
    const std::vector<std::pair<ProgramContext, std::vector<SyscallClauseMask>>> &programs) {
    if (sysprobesMap < 0) return;
    std::map<uint32_t, program::SyscallProbes> values;
    for (const auto &[ctx, masks] : programs) {
        bool entry = ctx.attach == providers::AttachKind::SyscallEntry;
        for (const auto *probe : ctx.probes) {
            program::SyscallProbes &v = values[static_cast<uint32_t>(probe->syscallNr)];
            (entry ? v.entryId : v.returnId) = probe->id;
        }
        for (const auto &m : masks)
            for (const auto *probe : m.probes) {
                program::SyscallProbes &v = values[static_cast<uint32_t>(probe->syscallNr)];
                (entry ? v.entryMask : v.returnMask) |= 1ull << m.bit;
            }
    }
    MapSpec &map = out.maps[static_cast<size_t>(sysprobesMap)];
    for (const auto &[nr, v] : values) {
        if (nr >= map.maxEntries) continue;
        const auto *k = reinterpret_cast<const uint8_t *>(&nr);
        const auto *b = reinterpret_cast<const uint8_t *>(&v);
        map.entries.emplace_back(std::vector<uint8_t>(k, k + sizeof nr),
                                 std::vector<uint8_t>(b, b + sizeof v));
    }
}

// pid (and USDT) probes: one program for the probes of each set of clauses
// (entries apart from returns), told which probe fired by the uprobe's
// cookie: the probe ID, and the index of its names in a table of
// (provider, module, function, name) string offsets.
void Generator::buildUprobePrograms(
    const std::map<const providers::Probe *, std::vector<const ir::Clause *>> &uprobes,
    const AddProgram &addProgram) {
    if (uprobes.empty()) return;
    std::vector<uint8_t> table;
    std::map<const providers::Probe *, uint32_t> index;
    for (const auto &[probe, clauses] : uprobes) {
        uint32_t names[4] = {strtab.add(probe->provider), strtab.add(probe->module),
                             strtab.add(probe->function), strtab.add(probe->name)};
        for (uint32_t n : names) uprobeStringsMax = std::max(uprobeStringsMax, n);
        index[probe] = uprobeCount++;
        const auto *bytes = reinterpret_cast<const uint8_t *>(names);
        table.insert(table.end(), bytes, bytes + sizeof names);
    }
    uprobeTableOffset = strtab.addBlob(table);
    // USDT sites hold their arguments in different places: a program for
    // each way of finding them.
    using GroupKey = std::tuple<bool, std::vector<const ir::Clause *>, bool,
                                std::vector<providers::UsdtArgument>>;
    std::map<GroupKey, std::vector<const providers::Probe *>> groups;
    for (const auto &[probe, clauses] : uprobes) {
        const providers::UserProbe &u = *probe->user;
        groups[{u.isReturn, clauses, u.usdt, u.arguments}].push_back(probe);
    }
    for (const auto &[key, probes] : groups) {
        ProgramContext ctx{providers::AttachKind::Uprobe, probes, true};
        for (const auto *p : probes)
            ctx.cookies.push_back(static_cast<uint64_t>(index[p]) << 32 | p->id);
        const char *name = std::get<0>(key)   ? "dt_uretprobe"
                           : std::get<2>(key) ? "dt_usdt"
                                              : "dt_uprobe";
        addProgram(name, std::move(ctx), BPF_PROG_TYPE_KPROBE, std::get<1>(key), "");
    }
    // DTrace-style USDT: the is-enabled sites to patch, by file and process.
    std::map<std::pair<int, std::string>, std::set<uint64_t>> sites;
    for (const auto &[probe, clauses] : uprobes)
        if (!probe->user->isEnabledSites.empty())
            sites[{probe->user->pid, probe->user->path}].insert(probe->user->isEnabledSites.begin(),
                                                                probe->user->isEnabledSites.end());
    for (const auto &[key, offsets] : sites)
        out.isEnabledSites.push_back({key.first, key.second, {offsets.begin(), offsets.end()}});
}

// A USDT site's arguments, each where its note says: a register, a
// constant, or user memory at a register plus a displacement; then cut to
// its size and sign- or zero-extended.
void ProgramBuilder::emitUsdtArgs(bpf::Function &f,
                                  const std::vector<providers::UsdtArgument> &args) {
    using Kind = providers::UsdtArgument::Kind;
    for (size_t i = 0; i < args.size() && i < 10; ++i) {
        const providers::UsdtArgument &a = args[i];
        const auto slot = static_cast<int16_t>(dctx::kArgs + 8 * i);
        switch (a.kind) {
        case Kind::Unsupported: f.emit(storeImm(Size::DW, R9, slot, 0)); continue;
        case Kind::Constant:
            f.ldImm64(R1, static_cast<uint64_t>(a.value));
            f.emit(store(Size::DW, R9, slot, R1));
            continue;
        case Kind::Register:
            f.emit(load(Size::DW, R1, R6, static_cast<int16_t>(a.regsOffset)));
            break;
        case Kind::Memory: {
            f.emit(storeImm(Size::DW, R9, slot, 0));
            f.emit(load(Size::DW, R3, R6, static_cast<int16_t>(a.regsOffset)));
            if (a.value != 0) {
                f.ldImm64(R1, static_cast<uint64_t>(a.value));
                f.emit(alu64Reg(BPF_ADD, R3, R1));
            }
            f.emit(movReg(R1, R9));
            f.emit(alu64Imm(BPF_ADD, R1, slot));
            f.emit(movImm(R2, std::abs(a.size)));
            f.callHelper(BPF_FUNC_probe_read_user);
            f.emit(load(Size::DW, R1, R9, slot));
            break;
        }
        }
        int bits = 8 * std::abs(a.size);
        if (bits < 64) {
            f.emit(alu64Imm(BPF_LSH, R1, 64 - bits));
            f.emit(alu64Imm(a.size < 0 ? BPF_ARSH : BPF_RSH, R1, 64 - bits));
        }
        f.emit(store(Size::DW, R9, slot, R1));
    }
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

// The probes that can fire, as the consumer names them.
void Generator::describeProbes() {
    std::set<const providers::Probe *> seen;
    for (const auto &c : prog.clauses)
        for (const providers::Probe *p : c.probes) {
            if (!seen.insert(p).second) continue;
            program::ProbeInfo info{p->id, p->provider, p->module, p->function, p->name};
            if (p->attach == providers::AttachKind::SyscallEntry)
                info.flow = program::ProbeInfo::Flow::Entry;
            else if (p->attach == providers::AttachKind::SyscallReturn)
                info.flow = program::ProbeInfo::Flow::Return;
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

// --------------------------------------------------------- ProgramBuilder

ProgramBuilder::ProgramBuilder(Generator &gen, ProgramContext c) : g(gen), ctx(std::move(c)) {}

// Writes a record from the per-CPU context to this CPU's ring buffer, or
// counts a drop. Clobbers r0-r5 and the stack word at fp-8.
void emitRecordOutput(bpf::Function &f, Generator &g, uint32_t recordOffset, uint32_t size,
                      bool wakeup) {
    Label drop = f.newLabel(), done = f.newLabel();
    f.callHelper(BPF_FUNC_get_smp_processor_id);
    f.emit(
        store(Size::W, R9, static_cast<int16_t>(recordOffset + offsetof(RecordHeader, cpu)), R0));
    f.ldMap(R1, g.buffersMap);
    f.emit(movReg(R2, R9));
    f.emit(alu64Imm(BPF_ADD, R2, static_cast<int32_t>(recordOffset)));
    f.emit(movImm(R3, static_cast<int32_t>(size)));
    f.emit(movImm(R4, wakeup ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP));
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

// The probe's arguments into dctx->args, as DTrace numbers them.
void ProgramBuilder::emitSyscallEntryArgs(bpf::Function &f) {
    const KernelOffsets &k = g.kernel;
    if (k.argRegs.empty()) return;
    // One read of the span of pt_regs that holds the arguments.
    int64_t lo = *std::min_element(k.argRegs.begin(), k.argRegs.end());
    int64_t hi = *std::max_element(k.argRegs.begin(), k.argRegs.end()) + 8;
    f.emit(load(Size::DW, R3, R6, 0)); // regs
    f.emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(lo)));
    f.emit(movReg(R1, R9));
    f.emit(alu64Imm(BPF_ADD, R1, dctx::kScratch));
    f.emit(movImm(R2, static_cast<int32_t>(hi - lo)));
    f.callHelper(BPF_FUNC_probe_read_kernel);
    for (size_t i = 0; i < k.argRegs.size(); ++i) {
        f.emit(load(Size::DW, R1, R9, static_cast<int16_t>(dctx::kScratch + (k.argRegs[i] - lo))));
        f.emit(store(Size::DW, R9, static_cast<int16_t>(dctx::kArgs + 8 * i), R1));
    }
}

void ProgramBuilder::emitSyscallReturnArgs(bpf::Function &f) {
    f.emit(load(Size::DW, R1, R6, 8));
    f.emit(store(Size::DW, R9, dctx::kArgs, R1));
    f.emit(store(Size::DW, R9, dctx::kArgs + 8, R1));
}

// Arguments the kernel passes as an array of u64s (r6): a raw tracepoint's,
// a traced function's. Only the first n: the kernel refuses a program that
// reads past them.
void ProgramBuilder::emitContextArgs(bpf::Function &f, size_t n) {
    for (size_t i = 0; i < n && i < 10; ++i) {
        f.emit(load(Size::DW, R1, R6, static_cast<int16_t>(8 * i)));
        f.emit(store(Size::DW, R9, static_cast<int16_t>(dctx::kArgs + 8 * i), R1));
    }
}

void ProgramBuilder::emitArgs(bpf::Function &f) {
    using providers::AttachKind;
    const KernelOffsets &k = g.kernel;
    for (int i = 0; i < 10; ++i)
        f.emit(storeImm(Size::DW, R9, static_cast<int16_t>(dctx::kArgs + 8 * i), 0));
    switch (ctx.attach) {
    case AttachKind::SyscallEntry: emitSyscallEntryArgs(f); break;
    case AttachKind::SyscallReturn: emitSyscallReturnArgs(f); break;
    case AttachKind::Mapped:
        switch (probe()->hook.kind) {
        case providers::HookKind::SyscallEntry: emitSyscallEntryArgs(f); break;
        case providers::HookKind::SyscallReturn: emitSyscallReturnArgs(f); break;
        case providers::HookKind::RawTracepoint: {
            // The raw tracepoint's own arguments, as many as it has (the
            // kernel refuses a program that reads past them).
            emitContextArgs(f, providers::rawTracepointArgTypes(ctx.rawTracepoint).size());
            break;
        }
        }
        break;
    case AttachKind::Uprobe:
        // A function's arguments in their registers; on return arg1 is the
        // return value (and arg0, the returning instruction's offset, is
        // not known to a uretprobe: 0).
        if (ctx.probes.front()->user->usdt) {
            emitUsdtArgs(f, ctx.probes.front()->user->arguments);
        } else if (ctx.probes.front()->user->isReturn) {
            if (k.regsReturn < 0) break;
            f.emit(load(Size::DW, R1, R6, static_cast<int16_t>(k.regsReturn)));
            f.emit(store(Size::DW, R9, dctx::kArgs + 8, R1));
        } else {
            for (size_t i = 0; i < k.callArgRegs.size(); ++i) {
                f.emit(load(Size::DW, R1, R6, static_cast<int16_t>(k.callArgRegs[i])));
                f.emit(store(Size::DW, R9, static_cast<int16_t>(dctx::kArgs + 8 * i), R1));
            }
        }
        break;
    case AttachKind::Function: {
        // The trampoline's context: the function's arguments as u64s, then
        // (fexit) its return value. Reading past them is refused.
        const providers::Probe *p = probe();
        providers::FunctionSignature sig = providers::functionSignature(p->btfId);
        if (p->name == "entry") {
            emitContextArgs(f, sig.parameters.size());
        } else {
            f.emit(storeImm(Size::DW, R9, dctx::kArgs, -1));
            if (sig.returnType != "void") {
                f.emit(load(Size::DW, R1, R6, static_cast<int16_t>(8 * sig.parameters.size())));
                f.emit(store(Size::DW, R9, dctx::kArgs + 8, R1));
            }
        }
        break;
    }
    case AttachKind::Tracepoint: {
        // The fields of the event's record (r6), in order: integers by
        // value, arrays and dynamic arrays by address.
        const providers::TracepointFormat *fmt = providers::tracepointFormat(*probe());
        if (!fmt) break;
        for (size_t i = 0; i < fmt->fields.size() && i < 10; ++i) {
            const providers::TracepointField &fld = fmt->fields[i];
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
        break;
    }
    case AttachKind::Profile:
    case AttachKind::Tick: {
        if (k.regsIp < 0) break;
        // arg0: the kernel PC, or 0 in user mode; arg1: the user PC.
        Label user = f.newLabel(), done = f.newLabel();
        f.emit(load(Size::DW, R1, R6, static_cast<int16_t>(k.regsIp)));
        if (k.regsCs >= 0) {
            f.emit(load(Size::DW, R2, R6, static_cast<int16_t>(k.regsCs)));
            f.emit(alu64Imm(BPF_AND, R2, 3));
            f.jumpImm(BPF_JNE, R2, 0, user);
        }
        f.emit(store(Size::DW, R9, dctx::kArgs, R1));
        f.jump(done);
        f.bind(user);
        f.emit(store(Size::DW, R9, dctx::kArgs + 8, R1));
        f.bind(done);
        break;
    }
    default: break;
    }
}

// A mapped probe on system calls runs for the calls it lists only (the
// number in r7 and in the context).
void ProgramBuilder::emitSyscallHookFilter(bpf::Function &f, const providers::Hook &hook) {
    if (hook.kind == providers::HookKind::SyscallEntry) {
        f.emit(load(Size::DW, R7, R6, 8));
    } else {
        f.emit(load(Size::DW, R3, R6, 0));
        f.emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(g.kernel.regsOrigAx)));
        f.emit(movReg(R1, R9));
        f.emit(alu64Imm(BPF_ADD, R1, dctx::kScratch));
        f.emit(movImm(R2, 8));
        f.callHelper(BPF_FUNC_probe_read_kernel);
        f.emit(load(Size::DW, R7, R9, dctx::kScratch));
    }
    Label match = f.newLabel();
    for (int nr : hook.syscalls) f.jumpImm(BPF_JEQ, R7, nr, match);
    f.emit(movImm(R0, 0));
    f.emit(exitInsn());
    f.bind(match);
    f.emit(store(Size::W, R9, dctx::kSyscallNr, R7));
}

void ProgramBuilder::emitEntry(bpf::Function &f, const std::vector<const ir::Clause *> &clauses,
                               const std::vector<bpf::FunctionId> &clauseFns,
                               bpf::FunctionId errorFn, bool usesArgs) {
    using providers::AttachKind;
    f.emit(movReg(R6, R1));
    f.callHelper(BPF_FUNC_get_smp_processor_id);
    f.emit(store(Size::W, FP, -8, R0));
    f.ldMap(R1, g.dctxMap);
    f.emit(movReg(R2, FP));
    f.emit(alu64Imm(BPF_ADD, R2, -8));
    f.callHelper(BPF_FUNC_map_lookup_elem);
    f.exitIfImm(BPF_JEQ, R0, 0);
    f.emit(movReg(R9, R0));
    f.emit(load(Size::W, R0, FP, -8));
    f.emit(store(Size::DW, R9, dctx::kCpu, R0));
    if (ctx.attach != AttachKind::End && ctx.attach != AttachKind::Begin) {
        // Probes do nothing once exit() was called or tracing was stopped.
        f.ldMapValue(R1, g.stateMap, 0);
        f.emit(load(Size::W, R1, R1, 0));
        f.exitIfImm(BPF_JNE, R1, 0);
    }
    bool syscall =
        ctx.attach == AttachKind::SyscallEntry || ctx.attach == AttachKind::SyscallReturn;
    if (syscall) {
        // r7 = system call number, r8 = its sysprobes entry.
        if (ctx.attach == AttachKind::SyscallEntry) {
            f.emit(load(Size::DW, R7, R6, 8));
        } else {
            f.emit(load(Size::DW, R3, R6, 0));
            f.emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(g.kernel.regsOrigAx)));
            f.emit(movReg(R1, R9));
            f.emit(alu64Imm(BPF_ADD, R1, dctx::kScratch));
            f.emit(movImm(R2, 8));
            f.callHelper(BPF_FUNC_probe_read_kernel);
            f.emit(load(Size::DW, R7, R9, dctx::kScratch));
        }
        f.exitIfImm(BPF_JGE, R7, static_cast<int32_t>(g.syscallCount));
        f.emit(store(Size::W, FP, -8, R7));
        f.ldMap(R1, g.sysprobesMap);
        f.emit(movReg(R2, FP));
        f.emit(alu64Imm(BPF_ADD, R2, -8));
        f.callHelper(BPF_FUNC_map_lookup_elem);
        f.exitIfImm(BPF_JEQ, R0, 0);
        f.emit(movReg(R8, R0));
        bool entry = ctx.attach == AttachKind::SyscallEntry;
        f.emit(load(Size::W, R1, R8, entry ? 0 : 4));
        f.exitIfImm(BPF_JEQ, R1, 0);
        f.emit(store(Size::W, R9, dctx::kProbeId, R1));
        f.emit(store(Size::W, R9, dctx::kSyscallNr, R7));
        f.emit(movReg(R1, R7));
        f.emit(alu64Imm(BPF_LSH, R1, 5)); // kSyscallNameWidth
        f.emit(alu64Imm(BPF_ADD, R1, static_cast<int32_t>(g.syscallNamesOffset)));
        f.emit(store(Size::W, R9, dctx::kFuncOffset, R1));
    } else if (ctx.attach == AttachKind::Uprobe) {
        // The cookie: the probe ID, and its names' index above it.
        f.emit(movReg(R1, R6));
        f.callHelper(BPF_FUNC_get_attach_cookie);
        f.emit(store(Size::W, R9, dctx::kProbeId, R0));
        f.emit(alu64Imm(BPF_RSH, R0, 32));
        f.emit(store(Size::W, R9, dctx::kFuncOffset, R0));
    } else {
        const providers::Probe *p = probe();
        if (ctx.attach == AttachKind::Mapped && p->hook.kind != providers::HookKind::RawTracepoint)
            emitSyscallHookFilter(f, p->hook);
        uint32_t id = p ? p->id : (ctx.attach == AttachKind::Begin ? 1 : 2);
        f.emit(storeImm(Size::W, R9, dctx::kProbeId, static_cast<int32_t>(id)));
    }
    f.emit(storeImm(Size::DW, R9, dctx::kTimestamp, 0));
    f.emit(storeImm(Size::DW, R9, dctx::kVtimestamp, 0));
    f.emit(storeImm(Size::DW, R9, dctx::kErrno, 0));
    if (usesArgs) emitArgs(f);
    // alloca() hands out real addresses: remember where this context is
    // (after the arguments, whose staging area overlaps this word).
    f.emit(store(Size::DW, R9, dctx::kSelfAddress, R9));
    if (ctx.attach == AttachKind::SyscallReturn ||
        (ctx.attach == AttachKind::Mapped &&
         probe()->hook.kind == providers::HookKind::SyscallReturn)) {
        // errno: a return value in [-4095, -1] is an error number.
        Label noErr = f.newLabel();
        f.emit(load(Size::DW, R1, R6, 8));
        f.jumpImm(BPF_JSGE, R1, 0, noErr);
        f.jumpImm(BPF_JSLT, R1, -4095, noErr);
        f.emit(neg(R1));
        f.emit(store(Size::DW, R9, dctx::kErrno, R1));
        f.bind(noErr);
    }
    for (uint32_t off = 0; off < g.layout.localsSize; off += 8)
        f.emit(storeImm(Size::DW, R9, static_cast<int16_t>(g.layout.locals + off), 0));

    // Clause filters for system calls: which numbers each clause wants.
    uint64_t maskBit = 0;
    for (size_t i = 0; i < clauses.size(); ++i) {
        const ir::Clause &c = *clauses[i];
        Label skip = f.newLabel();
        if (syscall) {
            std::set<const providers::Probe *> mine;
            for (const auto *p : c.probes)
                if (p->attach == ctx.attach) mine.insert(p);
            if (mine.size() != ctx.probes.size()) {
                if (maskBit >= 64)
                    fail("D_UNSUPPORTED", c.loc, "too many system call clauses in one program");
                f.emit(load(Size::DW, R1, R8, ctx.attach == AttachKind::SyscallEntry ? 8 : 16));
                f.ldImm64(R2, 1ull << maskBit);
                f.emit(alu64Reg(BPF_AND, R1, R2));
                f.jumpImm(BPF_JEQ, R1, 0, skip);
                sysMasks_.push_back({maskBit, {mine.begin(), mine.end()}});
                ++maskBit;
            }
        }
        if (ctx.attach != AttachKind::End) {
            // After exit(), later clauses of this firing do nothing. (An
            // exit here, not a jump to the end: with hundreds of clauses
            // the end is further than a jump reaches.)
            f.ldMapValue(R1, g.stateMap, 0);
            f.emit(load(Size::W, R1, R1, 0));
            f.exitIfImm(BPF_JNE, R1, 0);
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
    f.emit(movImm(R0, 0));
    f.emit(exitInsn());
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

ProgramSpec ProgramBuilder::build(const std::string &name, uint32_t progType,
                                  const std::vector<const ir::Clause *> &clauses, bool usesArgs) {
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
    spec.type = progType;
    spec.role = ctx.attach == providers::AttachKind::Begin ? program::ProgramRole::Begin
                : ctx.attach == providers::AttachKind::End ? program::ProgramRole::End
                                                           : program::ProgramRole::Probes;
    spec.attach = attachTarget();
    spec.code = linkFunctions(functions);
    return spec;
}

// Where the kernel runs this program, from its probes.
program::AttachTarget ProgramBuilder::attachTarget() const {
    using Kind = program::AttachTarget::Kind;
    using providers::AttachKind;
    program::AttachTarget t;
    const providers::Probe *p = probe();
    if (p) t.description = p->fullName();
    switch (ctx.attach) {
    case AttachKind::Begin:
    case AttachKind::End:
    case AttachKind::Error: break;
    case AttachKind::Profile:
    case AttachKind::Tick:
        t.kind = Kind::Timer;
        t.periodNs = p->periodNs;
        t.oneCpu = ctx.attach == AttachKind::Tick; // tick-N fires on one CPU only
        t.description = p->name;
        break;
    case AttachKind::SyscallEntry:
    case AttachKind::SyscallReturn:
    case AttachKind::Mapped:
        t.kind = Kind::RawTracepoint;
        t.name = ctx.rawTracepoint;
        break;
    case AttachKind::Tracepoint: {
        t.kind = Kind::Tracepoint;
        t.name = p->tracepoint;
        const providers::TracepointFormat *fmt = providers::tracepointFormat(*p);
        t.tracepointId = fmt ? fmt->id : 0;
        break;
    }
    case AttachKind::Uprobe:
        t.kind = Kind::Uprobes;
        for (size_t i = 0; i < ctx.probes.size(); ++i) {
            const providers::UserProbe &u = *ctx.probes[i]->user;
            if (u.isEnabledOnly) continue; // only patched, never probed
            t.uprobes.push_back({ctx.probes[i]->fullName(), u.pid, u.path, u.offset, u.isReturn,
                                 u.semaphoreOffset,
                                 i < ctx.cookies.size() ? ctx.cookies[i] : ctx.probes[i]->id});
        }
        break;
    case AttachKind::Function:
        t.kind = Kind::Trampoline;
        t.btfId = p->btfId;
        t.attachType = p->name == "return" ? BPF_TRACE_FEXIT : BPF_TRACE_FENTRY;
        break;
    }
    return t;
}

// Links a program's functions; a limit of BPF's becomes an error about the
// clause whose code meets it.
bpf::LinkedProgram ProgramBuilder::linkFunctions(const std::vector<bpf::Function> &fns) const {
    // The kernel refuses a program of more functions than this
    // (MAX_SUBPROGS): name the first clause past it.
    constexpr size_t kMaxFunctions = 256;
    if (fns.size() > kMaxFunctions) {
        const ir::Clause *first = nullptr;
        for (size_t i = kMaxFunctions; i < fns.size() && !first; ++i)
            for (const auto &c : g.prog.clauses)
                if (fns[i].name() == "dt_clause_" + std::to_string(c.index)) first = &c;
        if (!first && !g.prog.clauses.empty()) first = &g.prog.clauses.front();
        fail("D_UNSUPPORTED", first ? first->loc : SourceLoc{},
             "too many clauses for one probe: " + fns.front().name() + " needs " +
                 std::to_string(fns.size()) + " BPF functions for its clauses, more than the " +
                 std::to_string(kMaxFunctions) + " a BPF program may have" +
                 (first ? " (clause " + std::to_string(first->index) + ", " + first->description +
                              ", is past the limit)"
                        : ""));
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

std::string disassemble(const program::CompiledProgram &prog) {
    std::vector<std::string> mapNames;
    for (const MapSpec &m : prog.maps) mapNames.push_back(m.name);
    std::string out;
    for (const ProgramSpec &p : prog.programs)
        out += "\nDisassembly of program " + p.name + ":\n" + bpf::disassemble(p.code, mapNames);
    return out;
}

CompiledProgram generate(const ir::Program &prog) {
    Generator g(prog);
    return g.run();
}

} // namespace dtrace::codegen
