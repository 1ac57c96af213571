#include "runtime/consumer.h"

#include "output/json.h"
#include "output/printf_format.h"
#include "output/records.h"
#include "runtime/aggregations.h"
#include "util/messages.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cctype>
#include <cinttypes>
#include <cstring>
#include <ctime>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace dtrace::runtime {

namespace {} // namespace

Consumer::Consumer(const program::CompiledProgram &prog, kernel::Session &session,
                   ConsumerConfig config)
    : prog_(prog), session_(session), config_(config), options_(prog.options),
      json_(prog.options.oformat == program::OutputFormat::Json) {
    for (const char *kind :
         {"principal", "aggregation", "dynamic", "dblerror", "spec", "specbusy", "specunavail"})
        self_.drops[kind] = 0;
}

void Consumer::jsonLine(const std::string &object) {
    std::fputs(object.c_str(), config_.out);
    std::fputc('\n', config_.out);
}

Consumer::~Consumer() {
    if (original_ && config_.out != original_) std::fclose(config_.out);
    if (state_) munmap(state_, sizeof(program::StateValue));
    if (specs_) munmap(specs_, prog_.nspec * sizeof(program::SpecState));
}

void Consumer::open() {
    const std::string why = "could not enable tracing: ";
    if (!ring_.open(
            session_.maps.at(static_cast<size_t>(prog_.mapOf(program::MapRole::Buffers))).get(),
            [this](const uint8_t *data, size_t size) { record(data, size); }))
        throw Error(why + "cannot open ring buffer: " + std::strerror(errno));
    int stateFd = session_.maps.at(static_cast<size_t>(prog_.mapOf(program::MapRole::State))).get();
    void *p =
        mmap(nullptr, sizeof(program::StateValue), PROT_READ | PROT_WRITE, MAP_SHARED, stateFd, 0);
    if (p == MAP_FAILED) throw Error(why + "cannot map the state map: " + std::strerror(errno));
    state_ = static_cast<program::StateValue *>(p);
    // A record that fills the ring past half wakes this consumer (before
    // the next switchrate tick), so a burst is read while it lasts.
    __atomic_store_n(&state_->wakeMark, ring_.size() / 2, __ATOMIC_RELAXED);
    if (int specsMap = prog_.mapOf(program::MapRole::Speculations);
        specsMap >= 0 && prog_.nspec > 0) {
        p = mmap(nullptr, prog_.nspec * sizeof(program::SpecState), PROT_READ | PROT_WRITE,
                 MAP_SHARED, session_.maps.at(static_cast<size_t>(specsMap)).get(), 0);
        if (p == MAP_FAILED)
            throw Error(why + "cannot map the speculations: " + std::strerror(errno));
        specs_ = static_cast<program::SpecState *>(p);
    }
    reported_.assign(static_cast<size_t>(session_.cpus) * program::kDropCounters, 0);
}

void Consumer::setWalltimeOffset() {
    struct timespec real {
    }, mono{};
    clock_gettime(CLOCK_REALTIME, &real);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    int64_t r = static_cast<int64_t>(real.tv_sec) * 1000000000 + real.tv_nsec;
    int64_t m = static_cast<int64_t>(mono.tv_sec) * 1000000000 + mono.tv_nsec;
    state_->walltimeOffset = static_cast<uint64_t>(r - m);
}

void Consumer::poll(int timeoutMs) {
    truncated_.clear();
    ring_.poll(timeoutMs);
    drain();
}

bool Consumer::wakeOnExit(pid_t pid) {
    if (!ring_.isOpen()) return false;
    exitFd_ = kernel::Fd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
    if (!exitFd_.valid()) return false;
    if (!wakeOnReadable(exitFd_.get())) {
        exitFd_.reset();
        return false;
    }
    return true;
}

bool Consumer::wakeOnReadable(int fd) {
    return ring_.isOpen() && ring_.watch(fd);
}

void Consumer::drain() {
    truncated_.clear();
    ring_.consume();
    fflush(config_.out);
}

bool Consumer::outputClosed() const {
    // A pipe's write end polls as an error once no reader is left, before
    // anything more is written to it.
    struct pollfd p {};
    p.fd = fileno(config_.out);
    return p.fd >= 0 && ::poll(&p, 1, 0) == 1 && (p.revents & POLLERR) != 0;
}

bool Consumer::exitRequested() const {
    return state_ && state_->activity != program::kActive;
}

void Consumer::heartbeat() {
    if (!state_) return;
    struct timespec mono {};
    clock_gettime(CLOCK_MONOTONIC, &mono);
    // bpf_ktime_get_ns() counts CLOCK_MONOTONIC too.
    __atomic_store_n(&state_->heartbeat,
                     static_cast<uint64_t>(mono.tv_sec) * 1000000000 + mono.tv_nsec,
                     __ATOMIC_RELAXED);
}

bool Consumer::aborted() const {
    return state_ && state_->activity == program::kAborted;
}

int Consumer::exitStatus() const {
    return state_ ? state_->exitStatus : 0;
}

void Consumer::stopProbes() {
    if (state_ && state_->activity == program::kActive) state_->activity = program::kStopped;
}

std::string Consumer::probeName(uint32_t id) const {
    const program::ProbeInfo *p = prog_.probe(id);
    if (!p) return "";
    return p->function + ":" + p->name;
}

output::FormatOptions Consumer::formatOptions() const {
    output::FormatOptions o;
    o.stackIndent = static_cast<int>(options_.stackindent);
    o.aggZoom = options_.aggzoom;
    o.aggPack = options_.aggpack;
    o.aggHist = options_.agghist;
    o.utf8 = output::wantsUtf8(options_.encoding, std::getenv("TERM"));
    return o;
}

// flowindent: an entry shows as "-> function" ("=> function" for a system
// call) and indents what follows on its CPU by two, a return as "<-" ("<=")
// one level out; other probes as "| function:name".
std::string Consumer::flowName(const program::RecordHeader &h) {
    const program::ProbeInfo *p = prog_.probe(h.probeId);
    if (!p) return "";
    Flow &flow = flow_[h.cpu];
    bool entry = p->flow == program::ProbeInfo::Flow::Entry;
    bool ret = p->flow == program::ProbeInfo::Flow::Return;
    // The records of one firing (several clauses) share its line's depth.
    bool sameFiring = flow.lastProbe == h.probeId && (entry || ret);
    int at = flow.depth;
    if (entry) {
        if (sameFiring)
            at = flow.depth - 2;
        else
            flow.depth += 2;
    } else if (ret && !sameFiring && flow.depth >= 2) {
        at = flow.depth -= 2;
    }
    flow.lastProbe = h.probeId;
    std::string s(static_cast<size_t>(std::max(0, at)), ' ');
    bool syscall = p->provider == "syscall";
    s += entry ? (syscall ? "=> " : "-> ") + p->function
         : ret ? (syscall ? "<= " : "<- ") + p->function
               : "| " + p->function + ":" + p->name;
    return s;
}

void Consumer::printHeaderOnce() {
    if (headerPrinted_ || config_.quiet) return;
    headerPrinted_ = true;
    if (options_.flowindent) {
        if (config_.testing)
            std::fprintf(config_.out, "%-41s\n", "FUNCTION");
        else
            std::fprintf(config_.out, "%3s %-41s\n", "CPU", "FUNCTION");
        return;
    }
    if (config_.testing)
        std::fprintf(config_.out, "%32s\n", "FUNCTION:NAME");
    else
        std::fprintf(config_.out, "%3s %6s %32s\n", "CPU", "ID", "FUNCTION:NAME");
}

// freopen(): output goes to the file named, appended to; "" goes back to
// where it went at the start.
void Consumer::reopenOutput(const std::string &path) {
    if (!original_) original_ = config_.out;
    fflush(config_.out);
    if (config_.out != original_) std::fclose(config_.out);
    config_.out = original_;
    if (path.empty()) return;
    if (FILE *f = std::fopen(path.c_str(), "a"))
        config_.out = f;
    else
        report(Severity::Error,
               "failed to freopen to " + path + ": " + std::string(std::strerror(errno)));
}

void Consumer::runSystem(const std::string &command) {
    fflush(config_.out);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        if (config_.out != stdout) dup2(fileno(config_.out), STDOUT_FILENO);
        execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char *>(nullptr));
        _exit(127);
    }
    if (pid > 0) {
        int status;
        waitpid(pid, &status, 0);
    }
}

void Consumer::errorRecord(const uint8_t *data, size_t size) {
    if (size < sizeof(program::ErrorRecord)) return;
    program::ErrorRecord e;
    std::memcpy(&e, data, sizeof e);
    ++self_.errors;
    const program::ProbeInfo *p = prog_.probe(e.header.probeId);
    std::string probe = p ? p->fullName() : "?";
    if (json_) {
        jsonLine(output::jsonHead("error") + ",\"clause\":" + std::to_string(e.clause) +
                 ",\"probe_id\":" + std::to_string(e.header.probeId) +
                 ",\"probe\":" + output::jsonString(probe) +
                 ",\"fault\":" + output::jsonString(program::faultText(e.fault, e.value)) +
                 ",\"fault_type\":" + std::to_string(e.fault) + ",\"pc\":" + std::to_string(e.pc) +
                 "}");
        return;
    }
    fflush(config_.out);
    std::fprintf(stderr,
                 "dtrace: error in dt_clause_%u for probe ID %u (%s): %s at BPF pc %" PRIu64 "\n",
                 e.clause, e.header.probeId, probe.c_str(),
                 program::faultText(e.fault, e.value).c_str(), e.pc);
}

void Consumer::record(const uint8_t *data, size_t size) {
    if (size < sizeof(program::RecordHeader)) return;
    program::RecordHeader h;
    std::memcpy(&h, data, sizeof h);
    if (h.epid == program::kErrorRecord) {
        errorRecord(data, size);
        return;
    }
    if (h.epid == program::kSpecControl) {
        finishSpeculation(data, size);
        return;
    }
    if (h.epid == 0 || h.epid > prog_.clauses.size()) return;
    ++self_.records;
    if (h.speculation)
        holdSpeculative(h, data, size);
    else
        deliver(data, size);
}

void Consumer::deliver(const uint8_t *data, size_t size) {
    if (config_.ring)
        keepInRing(data, size);
    else
        print(data, size);
}

void Consumer::holdSpeculative(const program::RecordHeader &h, const uint8_t *data, size_t size) {
    uint32_t id = h.speculation & 0xffff, generation = h.speculation >> 16;
    if (auto f = finished_.find(id); f != finished_.end() && f->second == generation) {
        // Speculated while its commit was on the way: DTrace calls the
        // speculation busy.
        ++lateSpeculations_;
        return;
    }
    Speculation &s = speculations_[id];
    if (s.generation != generation) {
        s.records.clear(); // an earlier generation whose end was lost
        s.generation = generation;
    }
    s.records.emplace_back(data, data + size);
}

void Consumer::finishSpeculation(const uint8_t *data, size_t size) {
    if (size < sizeof(program::SpecControlRecord)) return;
    program::SpecControlRecord c;
    std::memcpy(&c, data, sizeof c);
    uint32_t id = c.header.speculation & 0xffff, generation = c.header.speculation >> 16;
    if (auto s = speculations_.find(id); s != speculations_.end()) {
        if (s->second.generation == generation && c.op == program::kSpecCommit)
            for (const auto &r : s->second.records) deliver(r.data(), r.size());
        speculations_.erase(s);
    }
    finished_[id] = generation;
    // Free the ID for speculation() again.
    if (specs_ && id >= 1 && id <= prog_.nspec) {
        program::SpecState &st = specs_[id - 1];
        uint32_t kernelGeneration = __atomic_load_n(&st.generation, __ATOMIC_ACQUIRE);
        if ((kernelGeneration & 0xffff) == generation &&
            __atomic_load_n(&st.state, __ATOMIC_ACQUIRE) == program::kSpecFinishing)
            __atomic_store_n(&st.state, program::kSpecInactive, __ATOMIC_RELEASE);
    }
}

// Which of a clause's actions under if/else ran (all bits: no if/else).
uint64_t Consumer::presenceMask(const program::ClauseDesc &cd, const uint8_t *data, size_t size) {
    uint64_t presence = ~0ull;
    if (cd.hasPresence && size >= program::kPresenceOffset + 8)
        std::memcpy(&presence, data + program::kPresenceOffset, 8);
    return presence;
}

void Consumer::keepInRing(const uint8_t *data, size_t size) {
    program::RecordHeader h;
    std::memcpy(&h, data, sizeof h);
    const program::ClauseDesc &cd = prog_.clauses[h.epid - 1];
    uint64_t presence = presenceMask(cd, data, size);
    uint64_t charge = program::dtraceRecordBytes(cd, presence);
    Ring &ring = rings_[h.cpu];
    // Wrapping overwrites the oldest records first.
    while (!ring.records.empty() && ring.used + charge > config_.ringSize) {
        ring.used -= ring.records.front().charge;
        ring.records.pop_front();
    }
    if (charge > config_.ringSize) return; // refused at start-up; cannot happen
    ring.records.push_back({std::vector<uint8_t>(data, data + size), charge});
    ring.used += charge;
}

void Consumer::flushRings() {
    for (auto &[cpu, ring] : rings_) {
        for (const auto &r : ring.records) print(r.bytes.data(), r.bytes.size());
        ring.records.clear();
        ring.used = 0;
    }
    fflush(config_.out);
}

// -x oformat=json: the record as one object: its probe, its values, and
// the text it would print.
void Consumer::printJson(const uint8_t *data, size_t size) {
    program::RecordHeader h;
    std::memcpy(&h, data, sizeof h);
    const program::ClauseDesc &cd = prog_.clauses[h.epid - 1];
    uint64_t presence = presenceMask(cd, data, size);
    std::string values;
    for (const auto &item : cd.items) {
        if (item.presentBit >= 0 && !(presence & (1ull << item.presentBit))) continue;
        if (item.kind != program::ItemKind::Trace && item.kind != program::ItemKind::Printf)
            continue;
        for (size_t i = 0; i < item.values.size(); ++i) {
            uint32_t off = item.valueOffsets[i];
            const auto &d = item.values[i];
            size_t avail = off < size ? size - off : 0;
            auto v = output::decodeValue(d, {data + off, std::min<size_t>(avail, d.size)});
            values += (values.empty() ? "" : ",") + output::jsonValue(v, &symbols_);
        }
    }
    // The text, as -q would print it.
    char *text = nullptr;
    size_t length = 0;
    FILE *memory = open_memstream(&text, &length);
    if (!memory) return;
    printText(data, size, memory, true);
    std::fclose(memory);
    const program::ProbeInfo *p = prog_.probe(h.probeId);
    jsonLine(output::jsonHead("record") + ",\"cpu\":" + std::to_string(h.cpu) +
             ",\"probe_id\":" + std::to_string(h.probeId) +
             ",\"probe\":" + output::jsonString(p ? p->fullName() : "") + ",\"values\":[" + values +
             "],\"output\":" + output::jsonString(std::string_view(text, length)) + "}");
    std::free(text);
}

void Consumer::print(const uint8_t *data, size_t size) {
    if (!json_) {
        printText(data, size, config_.out, config_.quiet);
        return;
    }
    printJson(data, size);
    for (const auto &a : jsonOut_) jsonLine(a);
    jsonOut_.clear();
}

void Consumer::printText(const uint8_t *data, size_t size, FILE *out, bool quiet) {
    program::RecordHeader h;
    std::memcpy(&h, data, sizeof h);
    currentCpu_ = static_cast<int>(h.cpu);
    const program::ClauseDesc &cd = prog_.clauses[h.epid - 1];
    uint64_t presence = presenceMask(cd, data, size);
    if (!quiet) {
        printHeaderOnce();
        std::string name = options_.flowindent ? flowName(h) : probeName(h.probeId);
        if (options_.flowindent) {
            if (config_.testing)
                std::fprintf(out, "%-41s ", name.c_str());
            else
                std::fprintf(out, "%3d %-41s ", currentCpu_, name.c_str());
        } else if (config_.testing) {
            std::fprintf(out, "%32s ", name.c_str());
        } else {
            std::fprintf(out, "%3d %6u %32s ", currentCpu_, h.probeId, name.c_str());
        }
    }
    auto decode = [&](const program::RecordItem &item, size_t i) {
        uint32_t off = item.valueOffsets[i];
        const auto &d = item.values[i];
        size_t avail = off < size ? size - off : 0;
        return output::decodeValue(d, {data + off, std::min<size_t>(avail, d.size)});
    };
    for (const auto &item : cd.items) {
        if (item.presentBit >= 0 && !(presence & (1ull << item.presentBit))) continue;
        switch (item.kind) {
        case program::ItemKind::Trace: {
            auto v = decode(item, 0);
            if (options_.rawbytes) {
                // rawbytes: every traced value as a byte dump.
                uint32_t n = v.desc.kind == program::ValueDesc::Kind::String ? v.desc.typeSize + 1
                                                                             : v.desc.typeSize;
                size_t off = item.valueOffsets[0];
                n = static_cast<uint32_t>(std::min<size_t>(n, off < size ? size - off : 0));
                std::fputs(output::formatBytes({data + off, n}, quiet, true).c_str(), out);
                break;
            }
            std::fputs(output::formatTrace(v, quiet, &symbols_, formatOptions()).c_str(), out);
            break;
        }
        case program::ItemKind::Tracemem: {
            // DTrace's hex dump of the bytes (fewer when a count was given).
            auto bytes = decode(item, 0);
            size_t n = bytes.bytes.size();
            if (item.values.size() > 1) {
                auto shown = static_cast<int64_t>(decode(item, 1).bits);
                if (shown >= 0) n = std::min<size_t>(n, static_cast<size_t>(shown));
            }
            std::fputs(output::formatBytes(
                           {reinterpret_cast<const uint8_t *>(bytes.bytes.data()), n}, true, true)
                           .c_str(),
                       out);
            break;
        }
        case program::ItemKind::Ftruncate:
            // ftruncate(): empty the output file and write from its start.
            fflush(config_.out);
            if (ftruncate(fileno(config_.out), 0) == 0) std::rewind(config_.out);
            break;
        case program::ItemKind::Printf:
        case program::ItemKind::Freopen:
        case program::ItemKind::System: {
            std::vector<output::FormatValue> values;
            for (size_t i = 0; i < item.values.size(); ++i)
                values.push_back(output::toFormatValue(decode(item, i)));
            std::string text = output::format(item.format, values, &symbols_, formatOptions());
            if (item.kind == program::ItemKind::Printf)
                std::fputs(text.c_str(), out);
            else if (item.kind == program::ItemKind::Freopen)
                reopenOutput(text), out = json_ ? out : config_.out;
            else
                runSystem(text);
            break;
        }
        case program::ItemKind::Exit: break;
        case program::ItemKind::Printa: printa(item); break;
        case program::ItemKind::SetOption: setOption(item, h); break;
        case program::ItemKind::Print: {
            // The address, then the object, cut at printsize.
            uint64_t address = decode(item, 0).bits;
            auto object = decode(item, 1);
            size_t n = std::min<size_t>(object.bytes.size(), options_.printsize);
            std::fprintf(out, "0x%" PRIx64 " = *\n", address);
            std::string text =
                formatTyped(prog_.types, static_cast<uint32_t>(item.printType),
                            {reinterpret_cast<const uint8_t *>(object.bytes.data()), n}, 44);
            std::fputs(text.c_str(), out);
            std::fputs("\n", out);
            break;
        }
        case program::ItemKind::AggregationAction:
            aggregationAction(item,
                              item.values.empty() ? 0 : static_cast<int64_t>(decode(item, 0).bits));
            break;
        }
    }
    if (!quiet) std::fputs("\n", out);
}

void Consumer::reportDrops() {
    int fd = session_.maps.at(static_cast<size_t>(prog_.mapOf(program::MapRole::Drops))).get();
    size_t n = program::kDropCounters;
    std::vector<uint64_t> values(n * static_cast<size_t>(session_.cpus));
    uint32_t key = 0;
    if (bpf_map_lookup_elem(fd, &key, values.data()) != 0) return;
    uint64_t dyn = 0, dbl = 0, spec = 0, busy = lateSpeculations_, unavail = 0;
    lateSpeculations_ = 0;
    fflush(config_.out);
    for (int c = 0; c < session_.cpus; ++c) {
        auto at = [&](size_t kind) -> uint64_t & {
            return values[static_cast<size_t>(c) * n + kind];
        };
        auto rep = [&](size_t kind) -> uint64_t & {
            return reported_[static_cast<size_t>(c) * n + kind];
        };
        uint64_t principal = at(program::kPrincipalDrops) - rep(program::kPrincipalDrops);
        uint64_t agg = at(program::kAggDrops) - rep(program::kAggDrops);
        self_.drops["principal"] += principal;
        self_.drops["aggregation"] += agg;
        if (json_) {
            auto drop = [&](uint64_t count, const char *kind, const char *option) {
                if (count)
                    jsonLine(output::jsonHead("drop") + ",\"kind\":\"" + kind + "\",\"cpu\":" +
                             std::to_string(c) + ",\"count\":" + std::to_string(count) +
                             ",\"option\":\"" + option + "\"}");
            };
            drop(principal, "principal", "bufsize");
            drop(agg, "aggregation", "aggsize");
            principal = agg = 0;
        }
        if (principal)
            std::fprintf(stderr,
                         "dtrace: %s%" PRIu64
                         " drop%s on CPU %d (raise bufsize with -b or -x bufsize)\n",
                         config_.droptags ? "[DTRACEDROP_PRINCIPAL] " : "", principal,
                         principal == 1 ? "" : "s", c);
        if (agg)
            std::fprintf(
                stderr, "dtrace: %s%" PRIu64 " aggregation drop%s on CPU %d (raise aggsize)\n",
                config_.droptags ? "[DTRACEDROP_AGGREGATION] " : "", agg, agg == 1 ? "" : "s", c);
        dyn += at(program::kDynvarDrops) - rep(program::kDynvarDrops);
        dbl += at(program::kDoubleErrors) - rep(program::kDoubleErrors);
        spec += at(program::kSpecDrops) - rep(program::kSpecDrops);
        busy += at(program::kSpecBusy) - rep(program::kSpecBusy);
        unavail += at(program::kSpecUnavail) - rep(program::kSpecUnavail);
        for (size_t k = 0; k < n; ++k) rep(k) = at(k);
    }
    // Totals over all CPUs, each naming the option that raises its bound
    // (Oracle's test suite expects DTrace's words alone).
    // kind: DTrace's drop tag without DTRACEDROP_; option: what raises the
    // bound (none for double errors).
    auto report = [&](uint64_t count, std::string kind, const char *one, const char *many,
                      const char *option) {
        std::string lower = kind;
        for (char &ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        self_.drops[lower] += count;
        if (!count) return;
        if (json_) {
            jsonLine(output::jsonHead("drop") + ",\"kind\":" + output::jsonString(lower) +
                     ",\"count\":" + std::to_string(count) +
                     (option ? ",\"option\":" + output::jsonString(option) : std::string()) + "}");
            return;
        }
        std::string tag = config_.droptags ? "[DTRACEDROP_" + kind + "] " : "";
        std::string hint = config_.testing || !option ? "" : std::string(" (raise ") + option + ")";
        std::fprintf(stderr, "dtrace: %s%" PRIu64 " %s%s\n", tag.c_str(), count,
                     count == 1 ? one : many, hint.c_str());
    };
    report(dyn, "DYNAMIC", "dynamic variable drop", "dynamic variable drops", "dynvarsize");
    report(dbl, "DBLERROR", "error in ERROR probe enabling", "errors in ERROR probe enabling",
           nullptr);
    report(spec, "SPEC", "speculative drop", "speculative drops", "specsize");
    report(busy, "SPECBUSY", "failed speculation (available buffer(s) still busy)",
           "failed speculations (available buffer(s) still busy)", "nspec");
    report(unavail, "SPECUNAVAIL", "failed speculation (no speculative buffer available)",
           "failed speculations (no speculative buffer available)", "nspec");
}

// setopt(): options the consumer uses may change while tracing; others
// are refused as DTrace refuses them, reported like a fault of the clause.
void Consumer::setOption(const program::RecordItem &item, const program::RecordHeader &h) {
    static const char *const kDynamic[] = {
        "agghist",    "aggpack",     "aggrate",    "aggsortkey", "aggsortkeypos", "aggsortpos",
        "aggsortrev", "aggzoom",     "cleanrate",  "flowindent", "printsize",     "quiet",
        "rawbytes",   "stackindent", "statusrate", "switchrate"};
    std::string value = item.optionValue.value_or("1");
    std::optional<std::string> error = options_.set(
        item.optionName, item.optionValue ? std::optional<std::string_view>(value) : std::nullopt,
        false);
    bool dynamic = std::find_if(std::begin(kDynamic), std::end(kDynamic), [&](const char *n) {
                       return item.optionName == n;
                   }) != std::end(kDynamic);
    if (!error && !dynamic) error = "Operation illegal when tracing is active";
    if (error) {
        const program::ProbeInfo *p = prog_.probe(h.probeId);
        fflush(config_.out);
        report(Severity::Error, "error in dt_clause_" + std::to_string(h.epid - 1) +
                                    " for probe ID " + std::to_string(h.probeId) + " (" +
                                    (p ? p->fullName() : "?") + "): couldn't set option \"" +
                                    item.optionName + "\" to \"" + value + "\": " + *error +
                                    "\n\n");
        return;
    }
    if (item.optionName == "quiet") config_.quiet = options_.quiet;
}

void Consumer::aggregationAction(const program::RecordItem &item, int64_t value) {
    int id = item.aggregations.at(0);
    const auto &a = prog_.aggregations.at(static_cast<size_t>(id));
    int fd = session_.maps.at(a.map).get();
    switch (item.aggAction) {
    case program::AggregationActionKind::Normalize: normals_[id] = value > 0 ? value : 1; break;
    case program::AggregationActionKind::Denormalize: normals_.erase(id); break;
    case program::AggregationActionKind::Clear: {
        AggregationSnapshot snap = snapshot(a, fd, session_.cpus);
        clearAggregation(snap, fd, session_.cpus);
        truncated_.erase(id);
        break;
    }
    case program::AggregationActionKind::Trunc: {
        AggregationSnapshot snap = snapshot(a, fd, session_.cpus);
        truncateAggregation(snap, fd, session_.cpus, value, options_);
        if (a.keyed) truncated_[id] = std::move(snap);
        break;
    }
    }
}

void Consumer::rememberKeyProcesses() {
    auto userFrames = [](const program::ValueDesc &k) {
        return k.kind == program::ValueDesc::Kind::Stack && k.userStack;
    };
    for (const auto &a : prog_.aggregations) {
        if (std::none_of(a.keys.begin(), a.keys.end(), userFrames)) continue;
        AggregationSnapshot snap = snapshot(a, session_.maps.at(a.map).get(), session_.cpus);
        for (const auto &e : snap.entries)
            for (const auto &k : e.keys) {
                if (!userFrames(k.desc) || k.bytes.size() < 8) continue;
                int64_t pid;
                std::memcpy(&pid, k.bytes.data(), sizeof pid);
                if (pid > 0 && keyProcesses_.insert(static_cast<int>(pid)).second)
                    symbols_.rememberProcess(static_cast<int>(pid));
            }
    }
}

AggregationSnapshot Consumer::read(const program::AggregationDesc &a) {
    auto held = truncated_.find(a.id);
    AggregationSnapshot snap = held != truncated_.end()
                                   ? held->second
                                   : snapshot(a, session_.maps.at(a.map).get(), session_.cpus);
    mergeSymbolKeys(snap, &symbols_);
    if (auto n = normals_.find(a.id); n != normals_.end()) snap.normal = n->second;
    return snap;
}

void Consumer::printa(const program::RecordItem &item) {
    FILE *out = config_.out;
    std::vector<AggregationSnapshot> snaps;
    for (int id : item.aggregations) {
        const auto &a = prog_.aggregations.at(static_cast<size_t>(id));
        snaps.push_back(read(a));
        printed_.insert(id);
    }
    if (snaps.empty()) return;
    if (json_) {
        // (written around the record that asked for them)
        for (auto &s : snaps) {
            sortEntries(s, options_);
            jsonOut_.push_back(jsonAggregation(s, &symbols_));
        }
        return;
    }
    if (!item.hasFormat) {
        sortEntries(snaps[0], options_);
        std::fputs("\n", out);
        std::fputs(formatAggregation(snaps[0], &symbols_, formatOptions()).c_str(), out);
        return;
    }
    // Several aggregations are joined by key: a line for every key any of
    // them has, in the order of the one aggsortpos names (0 where an
    // aggregation lacks the key).
    size_t pos = options_.aggsortpos;
    if (pos >= snaps.size()) pos = 0;
    AggregationSnapshot rows = snaps[pos];
    std::set<std::vector<uint8_t>> seen;
    for (const auto &e : rows.entries) seen.insert(e.rawKey);
    for (const auto &s : snaps)
        for (const auto &e : s.entries)
            if (seen.insert(e.rawKey).second) {
                AggregationEntry missing;
                missing.keys = e.keys;
                missing.rawKey = e.rawKey;
                missing.data.assign(
                    program::isHistogram(rows.desc->func) ? histogramBuckets(*rows.desc) : 4, 0);
                rows.entries.push_back(std::move(missing));
            }
    sortEntries(rows, options_);
    for (const auto &e : rows.entries) {
        std::vector<output::FormatValue> keys;
        for (const auto &k : e.keys) keys.push_back(output::toFormatValue(k));
        std::vector<output::FormatValue> values;
        for (size_t i = 0; i < snaps.size(); ++i) {
            const AggregationEntry *match = nullptr;
            for (const auto &o : snaps[i].entries)
                if (!match && o.rawKey == e.rawKey) match = &o;
            const program::AggregationDesc &d = *snaps[i].desc;
            if (program::isHistogram(d.func)) {
                std::vector<int64_t> none(histogramBuckets(d), 0);
                values.push_back(output::FormatValue::ofText(formatDistribution(
                    d, match ? match->data : none, snaps[i].normal, options_.aggzoom)));
                continue;
            }
            int64_t v = match ? aggregateValue(d, match->data, snaps[i].normal) : 0;
            bool sgn = snaps[i].desc->func != program::AggFunc::Count;
            values.push_back(output::FormatValue::ofInt(static_cast<uint64_t>(v), 8, sgn));
        }
        std::fputs(output::formatAggregation(item.format, keys, values, &symbols_, formatOptions())
                       .c_str(),
                   out);
    }
}

std::string Consumer::metrics() {
    std::vector<AggregationSnapshot> snaps;
    for (const auto &a : prog_.aggregations) {
        snaps.push_back(read(a));
        sortEntries(snaps.back(), options_);
    }
    return metricsText(snaps, self_, &symbols_);
}

void Consumer::printAggregations() {
    truncated_.clear(); // the kernel's aggregations, as they are at the end
    FILE *out = config_.out;
    // DTrace sorts by aggregation variable before anything else, so
    // aggsortrev reverses the order of the aggregations too.
    std::vector<const program::AggregationDesc *> order;
    for (const auto &a : prog_.aggregations) order.push_back(&a);
    if (options_.aggsortrev) std::reverse(order.begin(), order.end());
    if (json_) {
        for (const auto *ap : order) {
            const auto &a = *ap;
            if (printed_.count(a.id)) continue;
            AggregationSnapshot snap = read(a);
            if (snap.entries.empty()) continue;
            sortEntries(snap, options_);
            jsonLine(jsonAggregation(snap, &symbols_));
        }
        fflush(config_.out);
        return;
    }
    // One blank line, then every aggregation not yet printed, one after
    // the other, as DTrace prints them at exit.
    std::fputs("\n", out);
    for (const auto *ap : order) {
        const auto &a = *ap;
        if (printed_.count(a.id)) continue;
        AggregationSnapshot snap = read(a);
        if (snap.entries.empty()) continue;
        sortEntries(snap, options_);
        writeAggregation(out, snap, &symbols_, formatOptions());
    }
    fflush(out);
}

} // namespace dtrace::runtime
