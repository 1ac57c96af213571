#include "kernel/loader.h"

#include "bpf/insn.h"
#include "kernel/cpus.h"
#include "kernel/verifier_log.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <sstream>
#include <sys/syscall.h>
#include <unistd.h>

namespace dtrace::kernel {

namespace {

// The kernel ring's least size per CPU under bufpolicy=ring (the kept ring
// is the consumer's, bufsize a CPU).
constexpr uint64_t kRingPolicyTransport = 1 << 20;

// The kernel memory a map holds, as the kernel counts it (fdinfo's
// memlock: every map, aggregations and the ring buffer included; what
// bpftool reports), else an estimate from its sizes.
uint64_t mapMemory(int fd, const program::MapSpec &m, const program::MapSpec &spec, int cpus) {
    std::string path = "/proc/self/fdinfo/" + std::to_string(fd);
    if (FILE *f = std::fopen(path.c_str(), "r")) {
        char line[256];
        unsigned long long bytes = 0;
        bool found = false;
        while (!found && std::fgets(line, sizeof line, f))
            found = std::sscanf(line, "memlock: %llu", &bytes) == 1;
        std::fclose(f);
        if (found && bytes > 0) return bytes;
    }
    if (m.type == BPF_MAP_TYPE_RINGBUF) return spec.maxEntries;
    uint64_t entries = m.maxEntries ? m.maxEntries : static_cast<uint64_t>(cpus);
    uint64_t per = m.type == BPF_MAP_TYPE_PERCPU_ARRAY || m.type == BPF_MAP_TYPE_PERCPU_HASH
                       ? static_cast<uint64_t>(cpus)
                       : 1;
    return entries * (m.keySize + m.valueSize * per);
}

std::string errnoText(int err) {
    return std::strerror(err);
}

Fd createMap(const program::MapSpec &m, int cpus, int innerFd, std::string &err) {
    LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = m.flags);
    if (innerFd >= 0) opts.inner_map_fd = static_cast<__u32>(innerFd);
    uint32_t entries = m.maxEntries ? m.maxEntries : static_cast<uint32_t>(cpus);
    int fd = bpf_map_create(static_cast<enum bpf_map_type>(m.type), m.name.c_str(), m.keySize,
                            m.valueSize, entries, &opts);
    if (fd < 0 && errno == EPERM && geteuid() != 0)
        throw LoadError("failed to initialize dtrace: DTrace requires additional privileges: "
                        "run it as root, or with the capabilities CAP_BPF and CAP_PERFMON "
                        "(CAP_SYS_ADMIN on kernels before 5.8)",
                        "");
    if (fd < 0) err = "failed to create map " + m.name + ": " + errnoText(errno);
    return Fd(fd);
}

// A hash map not preallocated takes its elements from per-CPU caches that
// start with one element when an element is larger than 256 bytes (a
// string key), refilled only after an interrupt: a firing that adds two
// such keys would find none for the second. A small program run once on
// each CPU takes an element from each such map and gives it back, and the
// caches are refilled before tracing starts.
void warmElementCaches(const program::CompiledProgram &prog, const Session &s) {
    std::vector<size_t> maps;
    uint32_t keyMost = 0, valueMost = 0;
    for (size_t i = 0; i < prog.maps.size(); ++i) {
        const program::MapSpec &m = prog.maps[i];
        if (m.type != BPF_MAP_TYPE_HASH || !(m.flags & BPF_F_NO_PREALLOC) ||
            m.keySize + m.valueSize <= 200)
            continue;
        maps.push_back(i);
        keyMost = std::max(keyMost, m.keySize);
        valueMost = std::max(valueMost, m.valueSize);
    }
    if (maps.empty()) return;
    // The key: all ones, which no firing makes (an aggregation's tag names
    // no CPU and no slot so); then a value.
    std::vector<uint8_t> buffer(keyMost + valueMost, 0);
    std::fill(buffer.begin(), buffer.begin() + keyMost, 0xff);
    LIBBPF_OPTS(bpf_map_create_opts, bopts);
    Fd bufferMap(bpf_map_create(BPF_MAP_TYPE_ARRAY, "dt_warm", 4,
                                static_cast<uint32_t>(buffer.size()), 1, &bopts));
    uint32_t zero = 0;
    if (!bufferMap.valid() ||
        bpf_map_update_elem(bufferMap.get(), &zero, buffer.data(), BPF_ANY) != 0)
        return;
    using namespace bpf;
    std::vector<Insn> code;
    auto ldMap = [&](Reg r, int fd, bool value, uint32_t offset) {
        code.push_back(ldImm64Lo(r, value ? BPF_PSEUDO_MAP_VALUE : BPF_PSEUDO_MAP_FD, fd));
        code.push_back(ldImm64Hi(static_cast<int32_t>(offset)));
    };
    for (size_t i : maps) {
        int fd = s.maps[i].get();
        ldMap(R1, fd, false, 0);
        ldMap(R2, bufferMap.get(), true, 0);
        ldMap(R3, bufferMap.get(), true, keyMost);
        code.push_back(movImm(R4, BPF_NOEXIST));
        code.push_back(callHelper(BPF_FUNC_map_update_elem));
        ldMap(R1, fd, false, 0);
        ldMap(R2, bufferMap.get(), true, 0);
        code.push_back(callHelper(BPF_FUNC_map_delete_elem));
    }
    code.push_back(movImm(R0, 0));
    code.push_back(exitInsn());
    LIBBPF_OPTS(bpf_prog_load_opts, opts);
    Fd program(bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "dt_warm", "GPL", code.data(),
                             code.size(), &opts));
    if (!program.valid()) return;
    for (int cpu = 0; cpu < s.cpus; ++cpu) {
        LIBBPF_OPTS(bpf_test_run_opts, run, .flags = BPF_F_TEST_RUN_ON_CPU,
                    .cpu = static_cast<__u32>(cpu));
        bpf_prog_test_run_opts(program.get(), &run); // an offline CPU: nothing to warm
    }
}

// BTF describing a program's functions: the kernel needs func_info for
// callbacks (bpf_loop) and reports verifier errors by function name.
// allStatic: every function static, verified at each call with the types
// its caller passes. Older verifiers (Linux 6.1) check a global function
// alone with its pointer arguments as plain memory, which their map
// helpers refuse as keys and values.
class ProgramBtf {
  public:
    ProgramBtf(const bpf::LinkedProgram &code, uint32_t stringSize, uint32_t contextSize,
               bool allStatic) {
        btf_ = btf__new_empty();
        if (!btf_) return;
        int intId = btf__add_int(btf_, "int", 4, BTF_INT_SIGNED);
        int longId = btf__add_int(btf_, "long", 8, BTF_INT_SIGNED);
        int ptrId = btf__add_ptr(btf_, 0);
        int mainProto = btf__add_func_proto(btf_, intId);
        btf__add_func_param(btf_, "ctx", ptrId);
        int subProto = btf__add_func_proto(btf_, longId);
        for (const char *a : {"a", "b", "c", "d", "e"}) btf__add_func_param(btf_, a, longId);
        // Memory a global function may use through a pointer argument.
        auto bufferType = [&](const char *name, uint32_t size) {
            int charId = btf__add_int(btf_, "char", 1, BTF_INT_CHAR);
            int arrayId = btf__add_array(btf_, intId, charId, size);
            int structId = btf__add_struct(btf_, name, size);
            btf__add_field(btf_, "bytes", arrayId, 0, 0);
            return btf__add_ptr(btf_, structId);
        };
        int stringPtr = bufferType("dt_string", stringSize);
        int contextPtr = bufferType("dt_context", contextSize);
        for (size_t i = 0; i < code.functions.size(); ++i) {
            const bpf::FunctionInfo &fn = code.functions[i];
            int proto = i == 0 ? mainProto : subProto;
            bool global = fn.global && !allStatic;
            if (global) {
                proto = btf__add_func_proto(btf_, longId);
                for (size_t a = 0; a < fn.params.size(); ++a) {
                    std::string pname = "p" + std::to_string(a);
                    int t = fn.params[a] == bpf::ParamKind::String    ? stringPtr
                            : fn.params[a] == bpf::ParamKind::Context ? contextPtr
                                                                      : longId;
                    btf__add_func_param(btf_, pname.c_str(), t);
                }
            }
            int id = btf__add_func(btf_, fn.name.c_str(),
                                   i == 0 || global ? BTF_FUNC_GLOBAL : BTF_FUNC_STATIC, proto);
            if (id < 0) return;
            info_.push_back({static_cast<__u32>(fn.start), static_cast<__u32>(id)});
        }
        if (btf__load_into_kernel(btf_) != 0) info_.clear();
    }
    ~ProgramBtf() {
        if (btf_) btf__free(btf_);
    }
    ProgramBtf(const ProgramBtf &) = delete;
    ProgramBtf &operator=(const ProgramBtf &) = delete;
    bool hasGlobalFunctions(const bpf::LinkedProgram &code) const {
        for (size_t i = 1; i < code.functions.size(); ++i)
            if (code.functions[i].global) return true;
        return false;
    }
    void apply(bpf_prog_load_opts &opts) const {
        if (info_.empty()) return;
        opts.prog_btf_fd = btf__fd(btf_);
        opts.func_info = info_.data();
        opts.func_info_cnt = static_cast<__u32>(info_.size());
        opts.func_info_rec_size = sizeof(struct bpf_func_info);
    }

  private:
    struct btf *btf_ = nullptr;
    std::vector<struct bpf_func_info> info_;
};

} // namespace

void load(const program::CompiledProgram &prog, Session &s, bool verbose) {
    s.cpus = libbpf_num_possible_cpus();
    if (s.cpus <= 0) s.cpus = 1;
    std::string err;
    for (size_t i = 0; i < prog.maps.size(); ++i) {
        const program::MapSpec &m = prog.maps[i];
        program::MapSpec spec = m;
        Fd fd;
        if (m.ringBufferPerCpu) {
            // A power of two, at least a page, bufsize for every CPU. What
            // the kernel will not give is halved (bufresize=auto, reported)
            // or refused (bufresize=manual).
            uint64_t perCpu = std::max<uint64_t>(1, prog.options.bufsize);
            // bufpolicy=ring: the consumer keeps each CPU's newest bufsize
            // bytes; the kernel's ring is only the way there, and must not
            // fill (it would drop the newest records) while the consumer
            // reads a burst.
            uint64_t transport = perCpu;
            if (prog.options.bufpolicy == program::BufferPolicy::Ring)
                transport = std::max<uint64_t>(perCpu, kRingPolicyTransport);
            uint64_t want = transport * static_cast<uint64_t>(s.cpus);
            uint64_t size = 4096;
            while (size < want && size < (1ull << 40)) size <<= 1;
            bool manual = prog.options.bufresize == program::BufferResize::Manual;
            for (;;) {
                if (size <= (1ull << 31)) {
                    spec.maxEntries = static_cast<uint32_t>(size);
                    fd = createMap(spec, s.cpus, -1, err);
                    if (fd.valid()) break;
                }
                if (manual || size <= 4096)
                    throw LoadError(
                        "could not enable tracing: cannot allocate a principal buffer of " +
                            std::to_string(perCpu) + " bytes per CPU: " +
                            (err.empty() ? std::string("too large") : err) + " (lower bufsize)",
                        "");
                size >>= 1;
                if (size / static_cast<uint64_t>(s.cpus) < perCpu)
                    s.bufsizeLowered = std::max<uint64_t>(1, size / static_cast<uint64_t>(s.cpus));
            }
        } else {
            fd = createMap(spec, s.cpus, -1, err);
        }
        if (!fd.valid()) {
            if (errno == E2BIG || errno == ENOMEM)
                throw LoadError("could not enable tracing: " + err +
                                    " (lower dynvarsize, aggsize or strsize)",
                                "");
            throw LoadError("could not enable tracing: " + err, "");
        }
        s.memoryBytes += mapMemory(fd.get(), m, spec, s.cpus);
        if (!m.initialValue.empty()) {
            uint32_t key = 0;
            if (bpf_map_update_elem(fd.get(), &key, m.initialValue.data(), BPF_ANY) != 0)
                throw LoadError("could not enable tracing: cannot initialise " + m.name, "");
        }
        for (const auto &[key, value] : m.entries)
            if (bpf_map_update_elem(fd.get(), key.data(), value.data(), BPF_ANY) != 0)
                throw LoadError("could not enable tracing: cannot initialise " + m.name, "");
        if (m.role == program::MapRole::CpuInfo) {
            const auto cpus = cpuTopology();
            for (uint32_t cpu = 0; cpu < cpus.size(); ++cpu)
                bpf_map_update_elem(fd.get(), &cpu, &cpus[cpu], BPF_ANY);
        }
        if (m.freeze) bpf_map_freeze(fd.get());
        s.maps.push_back(std::move(fd));
    }
    warmElementCaches(prog, s);

    // Set once a program loads only with its functions static (see
    // ProgramBtf): the later ones are loaded so from the start.
    static bool allStatic = false;
    for (const auto &p : prog.programs) {
        std::vector<struct bpf_insn> insns = p.code.insns;
        for (const auto &r : p.code.mapRelocs) insns[r.insn].imm = s.maps.at(r.map).get();
        ProgramBtf btf(p.code, prog.stringSize, prog.contextSize, allStatic);
        LIBBPF_OPTS(bpf_prog_load_opts, opts);
        btf.apply(opts);
        // _DTRACE_VERIFIER_STATS=1 prints what the verifier spent on each
        // program (for bench/ and for finding costly code patterns).
        std::string stats;
        if (std::getenv("_DTRACE_VERIFIER_STATS")) {
            stats.assign(1 << 16, '\0');
            opts.log_level = 4; // BPF_LOG_STATS
            opts.log_size = static_cast<__u32>(stats.size());
            opts.log_buf = stats.data();
        }
        // A trampoline program is verified against its function; uprobes
        // go in one uprobe_multi link a file where the kernel has them.
        using Kind = program::AttachTarget::Kind;
        uint32_t attachType = 0;
        if (p.attach.kind == Kind::Trampoline) {
            attachType = p.attach.attachType;
            opts.attach_btf_id = p.attach.btfId;
        } else if (p.attach.kind == Kind::Uprobes && uprobeMultiSupported()) {
            attachType = kUprobeMulti;
        } else if (p.attach.kind == Kind::KprobeMulti) {
            attachType = BPF_TRACE_KPROBE_MULTI;
        }
        opts.expected_attach_type = static_cast<enum bpf_attach_type>(attachType);
        int fd = bpf_prog_load(static_cast<enum bpf_prog_type>(p.type), p.name.c_str(), "GPL",
                               insns.data(), insns.size(), &opts);
        if (!stats.empty() && fd >= 0)
            std::fprintf(stderr, "dtrace: verifier: %s (%zu insns): %s", p.name.c_str(),
                         insns.size(), stats.c_str());
        if (!stats.empty() && fd < 0)
            std::fprintf(stderr, "dtrace: verifier: %s: load failed (%s)\n", p.name.c_str(),
                         std::strerror(errno));
        if (fd < 0) {
            int loadErr = errno;
            // Load again with the verifier's log to say what went wrong.
            std::string log(4 << 20, '\0');
            LIBBPF_OPTS(bpf_prog_load_opts, lopts, .log_level = 1,
                        .log_size = static_cast<__u32>(log.size()), .log_buf = log.data());
            btf.apply(lopts);
            lopts.expected_attach_type = opts.expected_attach_type;
            lopts.attach_btf_id = opts.attach_btf_id;
            int fd2 = bpf_prog_load(static_cast<enum bpf_prog_type>(p.type), p.name.c_str(), "GPL",
                                    insns.data(), insns.size(), &lopts);
            if (fd2 < 0 && !allStatic && btf.hasGlobalFunctions(p.code)) {
                ProgramBtf staticBtf(p.code, prog.stringSize, prog.contextSize, true);
                LIBBPF_OPTS(bpf_prog_load_opts, sopts);
                staticBtf.apply(sopts);
                sopts.expected_attach_type = opts.expected_attach_type;
                sopts.attach_btf_id = opts.attach_btf_id;
                fd2 = bpf_prog_load(static_cast<enum bpf_prog_type>(p.type), p.name.c_str(), "GPL",
                                    insns.data(), insns.size(), &sopts);
                if (fd2 >= 0) allStatic = true;
            }
            if (fd2 >= 0) {
                fd = fd2;
            } else {
                log.resize(std::strlen(log.c_str()));
                std::string where;
                VerifierFailure vf = parseVerifierLog(log);
                if (vf.insn && *vf.insn < p.code.tags.size()) {
                    const bpf::SourceTag &t = p.code.tags[*vf.insn];
                    if (t.clause >= 0)
                        where = " in dt_clause_" + std::to_string(t.clause) + " at line " +
                                std::to_string(t.line);
                }
                std::string reason = vf.reason;
                if (reason.empty()) reason = errnoText(loadErr);
                // Writing user memory is refused under kernel lockdown.
                if (reason.find("bpf_probe_write_user") != std::string::npos)
                    reason += " (copyout and copyoutstr need a kernel that is not locked down; see "
                              "/sys/kernel/security/lockdown)";
                // A program for one kernel function names it (the kernel
                // may refuse a trampoline on it before any instruction).
                if (where.empty() && p.attach.kind == program::AttachTarget::Kind::Trampoline &&
                    !p.attach.description.empty())
                    where = " for " + p.attach.description;
                std::string msg = "could not enable tracing: BPF verifier rejected program " +
                                  p.name + where + ": " + reason;
                if (!verbose) msg += " (use -v for the verifier log)";
                throw LoadError(msg, log);
            }
        }
        s.programs.emplace_back(fd);
        s.attachTypes.push_back(attachType);
    }
    // A chain's programs in its map, for the program before each to
    // tail-call.
    for (size_t i = 0; i < prog.programs.size(); ++i) {
        const program::ProgramSpec &p = prog.programs[i];
        if (p.role != program::ProgramRole::Continuation) continue;
        int progFd = s.programs[i].get();
        if (bpf_map_update_elem(s.maps.at(static_cast<size_t>(p.chainMap)).get(), &p.chainSlot,
                                &progFd, BPF_ANY) != 0)
            throw LoadError("could not enable tracing: cannot chain program " + p.name + ": " +
                            errnoText(errno));
    }
}

namespace {

// The smallest program ("return 0") of a type and attach type: what the
// feature probes load (errno set when the kernel refuses it).
Fd loadFeatureProgram(uint32_t type, uint32_t attachType, uint32_t attachBtfId = 0) {
    const struct bpf_insn insns[] = {
        {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0}, // r0 = 0
        {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
    };
    LIBBPF_OPTS(bpf_prog_load_opts, opts,
                .expected_attach_type = static_cast<enum bpf_attach_type>(attachType),
                .attach_btf_id = attachBtfId);
    return Fd(
        bpf_prog_load(static_cast<enum bpf_prog_type>(type), "dt_feature", "GPL", insns, 2, &opts));
}

} // namespace

int probeProgramLoad(uint32_t type, uint32_t attachType, uint32_t attachBtfId) {
    Fd prog = loadFeatureProgram(type, attachType, attachBtfId);
    return prog.valid() ? 0 : errno;
}

// Kernels before 6.6 load a kprobe program whatever its expected attach
// type says, so the load alone proves nothing: a link on "/" (no regular
// file) is refused with EBADF only by a kernel that has uprobe_multi.
bool uprobeMultiSupported() {
    static const bool supported = [] {
        Fd prog = loadFeatureProgram(BPF_PROG_TYPE_KPROBE, kUprobeMulti);
        if (prog.get() < 0) return false;
        std::vector<uint64_t> offsets{0}, cookies{0};
        int link = createUprobeMultiLink(prog.get(), "/", offsets, {}, cookies, false, 0);
        int err = errno;
        if (link >= 0) {
            ::close(link);
            return false;
        }
        return err == EBADF;
    }();
    return supported;
}

int createUprobeMultiLink(int progFd, const std::string &path, const std::vector<uint64_t> &offsets,
                          const std::vector<uint64_t> &refCtrOffsets,
                          const std::vector<uint64_t> &cookies, bool isReturn, int pid) {
    // bpf_attr's link_create, as Linux 6.6 lays it out for uprobe_multi.
    struct {
        uint32_t progFd, targetFd, attachType, flags;
        uint64_t path, offsets, refCtrOffsets, cookies;
        uint32_t count, multiFlags, pid, pad;
    } attr{};
    attr.progFd = static_cast<uint32_t>(progFd);
    attr.attachType = kUprobeMulti;
    attr.path = reinterpret_cast<uint64_t>(path.c_str());
    attr.offsets = reinterpret_cast<uint64_t>(offsets.data());
    attr.refCtrOffsets =
        refCtrOffsets.empty() ? 0 : reinterpret_cast<uint64_t>(refCtrOffsets.data());
    attr.cookies = reinterpret_cast<uint64_t>(cookies.data());
    attr.count = static_cast<uint32_t>(offsets.size());
    attr.multiFlags = isReturn ? kUprobeMultiReturn : 0;
    attr.pid = static_cast<uint32_t>(pid);
    return static_cast<int>(::syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof attr));
}

// A kernel with kprobe_multi looks the functions up when the link is
// made: a function that does not exist is ENOENT (ESRCH on some), where a
// kernel without it refuses the attach type (EINVAL) or has no fprobe
// (EOPNOTSUPP).
bool kprobeMultiSupported() {
    static const bool supported = [] {
        Fd prog = loadFeatureProgram(BPF_PROG_TYPE_KPROBE, BPF_TRACE_KPROBE_MULTI);
        if (prog.get() < 0) return false;
        int link = createKprobeMultiLink(prog.get(), {"dtrace_feature_probe_no_such_function"},
                                         {0}, false);
        int err = errno;
        if (link >= 0) {
            ::close(link);
            return true;
        }
        return err == ENOENT || err == ESRCH;
    }();
    return supported;
}

int createKprobeMultiLink(int progFd, const std::vector<std::string> &functions,
                          const std::vector<uint64_t> &cookies, bool isReturn) {
    std::vector<const char *> syms;
    syms.reserve(functions.size());
    for (const std::string &f : functions) syms.push_back(f.c_str());
    LIBBPF_OPTS(bpf_link_create_opts, opts);
    opts.kprobe_multi.syms = syms.data();
    opts.kprobe_multi.cnt = static_cast<__u32>(syms.size());
    opts.kprobe_multi.cookies = reinterpret_cast<const __u64 *>(cookies.data());
    opts.kprobe_multi.flags = isReturn ? BPF_F_KPROBE_MULTI_RETURN : 0;
    int fd = bpf_link_create(progFd, 0, BPF_TRACE_KPROBE_MULTI, &opts);
    return fd < 0 ? -1 : fd;
}

std::optional<std::string> trampolinesUnavailable(unsigned btfId) {
    static std::optional<std::optional<std::string>> cached;
    if (cached) return *cached;
    int err = probeProgramLoad(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, btfId);
    if (err == 0) {
        cached.emplace(std::nullopt);
        return std::nullopt;
    }
    std::string why = "fbt probes cannot fire on this kernel: it does not load BPF trampolines "
                      "(fentry/fexit programs): ";
    if (err == EPERM)
        why += "Operation not permitted (kernel lockdown, or a security module, forbids "
               "function tracing)";
    else if (err == ENOTSUP || err == 524 /* ENOTSUPP */ || err == EINVAL)
        why += "not supported (a kernel built without "
               "CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS, or an architecture without them)";
    else
        why += std::strerror(err);
    cached.emplace(why);
    return why;
}

} // namespace dtrace::kernel
