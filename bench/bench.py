#!/usr/bin/env python3
"""dtrace against bpftrace, measured in the same run.

1. Start-up: the whole command `dtrace -n 'BEGIN { exit(0); }'` against
   `bpftrace -e 'BEGIN { exit(); }'` (median wall time and peak RSS).
2. Cost per probe firing: a workload makes N getppid() calls, untraced and
   traced by each tool (count(), then a per-thread count); the added time
   divided by N is the cost of one firing.

   Also count() keyed by the process name, quantize(), and a printf() per
   event; for printf, the share of the events whose lines reach the reader
   and the lines per second it got.
3. The overload governor's accounting: count() per firing with it and
   without it (-x nooverload).
4. Program load time: compile plus BPF verification (no tracing) of every
   conformance test of the D-language categories that the ratchet holds,
   as `_DTRACE_LOAD_ONLY=1 dtrace -s test.d`; the slowest is reported.

Ratios are ours / bpftrace: below 1 means we are cheaper.
"""
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time

STARTUP_RUNS = 15
FIRING_CALLS = 2_000_000
FIRING_ROUNDS = 5
NEW_KEY_CALLS = 100_000


def run_timed(cmd):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"{cmd[0]} failed with status {status}")
    return elapsed, usage.ru_maxrss  # seconds, KiB


def startup(cmd):
    for _ in range(2):
        run_timed(cmd)
    times, rss = [], []
    for _ in range(STARTUP_RUNS):
        t, r = run_timed(cmd)
        times.append(t)
        rss.append(r)
    return statistics.median(times) * 1000.0, statistics.median(rss) / 1024.0


def workload(binary, calls=FIRING_CALLS):
    out = subprocess.run([binary, str(calls)], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


class Tracer:
    """A tracer running in the background until stopped with SIGINT."""

    def __init__(self, cmd, env=None):
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, start_new_session=True,
                                     env=None if env is None else {**os.environ, **env})
        deadline = time.time() + 30
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            if "ready" in line:
                return
        self.stop()
        raise RuntimeError(f"{cmd[0]} did not start tracing")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.communicate()


class LineCounter(Tracer):
    """A tracer whose output lines (after "ready") are counted as they come."""

    def __init__(self, cmd):
        super().__init__(cmd)
        self.lines = 0
        self.reader = threading.Thread(target=self._count, daemon=True)
        self.reader.start()

    def _count(self):
        for _ in self.proc.stdout:
            self.lines += 1

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        if hasattr(self, "reader"):
            self.reader.join(timeout=30)


def per_event_output(work, tracer_cmd):
    """printf() per event: added ns per firing, the share of the events whose
    lines arrived, and lines per second over the traced run."""
    costs, shares, rates = [], [], []
    for _ in range(3):
        base = workload(work)
        t = LineCounter(tracer_cmd)
        try:
            traced = workload(work)
            time.sleep(1.0)  # let the last lines arrive
        finally:
            t.stop()
        costs.append((traced - base) / FIRING_CALLS)
        shares.append(min(1.0, t.lines / FIRING_CALLS))
        rates.append(t.lines / (traced / 1e9))
    return statistics.median(costs), statistics.median(shares), statistics.median(rates)


def per_firing(work, tracer_cmd, calls=FIRING_CALLS, env=None):
    """Median added nanoseconds per firing over several rounds."""
    costs = []
    for _ in range(FIRING_ROUNDS):
        base = workload(work, calls)
        t = Tracer(tracer_cmd, env)
        try:
            traced = workload(work, calls)
        finally:
            t.stop()
        base2 = workload(work, calls)
        costs.append((traced - (base + base2) / 2) / calls)
    return statistics.median(costs)


LANGUAGE_CATEGORIES = ("types struct union typedef enum sizeof offsetof bitfields pointers arrays assocs "
                       "arithmetic operators decls inline translators funcs preprocessor pragma dif "
                       "codegen").split()


def load_times(dtrace, corpus, ratchet):
    """Wall time to compile and verify each ratcheted language test."""
    tests = []
    with open(ratchet) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and line.split("/")[0] in LANGUAGE_CATEGORIES:
                tests.append(line)
    env = dict(os.environ, _DTRACE_LOAD_ONLY="1", _DTRACE_TESTING="1")
    times = []
    for t in tests:
        path = os.path.join(corpus, t)
        if not os.path.exists(path) or os.path.basename(t).startswith("err."):
            continue
        opts = []
        with open(path, errors="replace") as f:
            for line in f:
                if "@@runtest-opts:" in line:
                    opts = line.split("@@runtest-opts:", 1)[1].replace("*/", "").split()
        cmd = [dtrace] + opts + ["-s", path]
        best = None
        for _ in range(3):
            start = time.perf_counter()
            rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env).returncode
            elapsed = (time.perf_counter() - start) * 1000.0
            if rc != 0:
                best = None
                break
            best = elapsed if best is None else min(best, elapsed)
        if best is not None:
            times.append((best, t))
    times.sort()
    return times


def main():
    dtrace, bpftrace, work, out_path = sys.argv[1:5]
    corpus = sys.argv[5] if len(sys.argv) > 5 else ""
    results = {}

    d_ms, d_rss = startup([dtrace, "-q", "-n", "BEGIN { exit(0); }"])
    b_ms, b_rss = startup([bpftrace, "-e", "BEGIN { exit(); }"])
    results["startup"] = {"dtrace_ms": d_ms, "bpftrace_ms": b_ms, "ratio": d_ms / b_ms,
                          "dtrace_rss_mib": d_rss, "bpftrace_rss_mib": b_rss}

    programs = {
        "count": ("syscall::getppid:entry { @ = count(); }",
                  "tracepoint:syscalls:sys_enter_getppid { @ = count(); }"),
        "count_by_tid": ("syscall::getppid:entry { @[tid] = count(); }",
                         "tracepoint:syscalls:sys_enter_getppid { @[tid] = count(); }"),
        "count_by_execname": ("syscall::getppid:entry { @[execname] = count(); }",
                              "tracepoint:syscalls:sys_enter_getppid { @[comm] = count(); }"),
        "quantize": ("syscall::getppid:entry { @ = quantize(tid); }",
                     "tracepoint:syscalls:sys_enter_getppid { @ = hist(tid); }"),
    }
    for name, (d_prog, b_prog) in programs.items():
        d_ns = per_firing(work, [dtrace, "-q", "-x", "switchrate=20hz", "-n",
                                 'BEGIN { printf("ready\\n"); } ' + d_prog])
        b_ns = per_firing(work, [bpftrace, "-e", 'BEGIN { printf("ready\\n"); } ' + b_prog])
        results[name] = {"dtrace_ns": d_ns, "bpftrace_ns": b_ns,
                         "ratio": d_ns / b_ns if b_ns > 0 else float("nan")}

    # A new key every firing (the cost of growing an aggregation): 100,000
    # firings, each keyed by its timestamp; both tools' maps hold them all.
    d_ns = per_firing(work, [dtrace, "-q", "-x", "switchrate=20hz", "-n",
                             'BEGIN { printf("ready\\n"); } syscall::getppid:entry { @[timestamp] = count(); }'],
                      NEW_KEY_CALLS)
    b_ns = per_firing(work, [bpftrace, "-e",
                             'BEGIN { printf("ready\\n"); } tracepoint:syscalls:sys_enter_getppid { @[nsecs] = count(); }'],
                      NEW_KEY_CALLS, {"BPFTRACE_MAP_KEYS_MAX": str(2 * NEW_KEY_CALLS)})
    results["new_keys"] = {"dtrace_ns": d_ns, "bpftrace_ns": b_ns,
                           "ratio": d_ns / b_ns if b_ns > 0 else float("nan")}

    # A printf() per event, read by a consumer that keeps up.
    d = per_event_output(work, [dtrace, "-q", "-x", "bufsize=16m", "-x", "switchrate=100hz", "-n",
                                'BEGIN { printf("ready\\n"); } syscall::getppid:entry { printf("%d\\n", tid); }'])
    b = per_event_output(work, [bpftrace, "-e",
                                'BEGIN { printf("ready\\n"); } tracepoint:syscalls:sys_enter_getppid { printf("%d\\n", tid); }'])
    results["printf"] = {"dtrace_ns": d[0], "bpftrace_ns": b[0], "ratio": d[0] / b[0] if b[0] > 0 else float("nan"),
                         "dtrace_delivered": d[1], "bpftrace_delivered": b[1],
                         "dtrace_lines_per_s": d[2], "bpftrace_lines_per_s": b[2]}

    # What the overload governor's accounting adds to a firing: count()
    # with it (the default) and without it (-x nooverload).
    plain = per_firing(work, [dtrace, "-q", "-x", "switchrate=20hz", "-x", "nooverload", "-n",
                              'BEGIN { printf("ready\\n"); } ' + programs["count"][0]])
    results["accounting"] = {"with_ns": results["count"]["dtrace_ns"], "without_ns": plain,
                             "added_ns": results["count"]["dtrace_ns"] - plain}

    # Enabling many probes: a glob over the C library's functions, from
    # start to exit (attach, run /bin/true, detach). bpftrace gets the
    # small glob only: it detaches uprobes one by one, ~80 ms each here.
    libc = "/lib/x86_64-linux-gnu/libc.so.6"
    probes = subprocess.run([dtrace, "-l", "-n", "pid$target:libc.so.6::entry", "-c", "/bin/true"],
                            capture_output=True, text=True).stdout.count("\n") - 1
    many_s, _ = run_timed([dtrace, "-q", "-n", "pid$target:libc.so.6::entry { @ = count(); }", "-c", "/bin/true"])
    d_small, _ = run_timed([dtrace, "-q", "-n", "pid$target:libc.so.6:str*:entry { @ = count(); }", "-c", "/bin/true"])
    b_small, _ = run_timed([bpftrace, "-e", f"uprobe:{libc}:str* {{ @ = count(); }}", "-c", "/bin/true"])
    results["probe_glob"] = {"probes": probes, "dtrace_s": many_s, "small_dtrace_s": d_small,
                             "small_bpftrace_s": b_small, "small_ratio": d_small / b_small}

    if corpus and os.path.isdir(corpus):
        times = load_times(dtrace, corpus, "tests/conformance/ratchet.txt")
        if times:
            slowest_ms, slowest = times[-1]
            results["load"] = {"programs": len(times), "median_ms": statistics.median(t for t, _ in times),
                               "slowest_ms": slowest_ms, "slowest": slowest}

    print(f"{'benchmark':28} {'dtrace':>12} {'bpftrace':>12} {'ratio':>8}  goal")
    s = results["startup"]
    print(f"{'start-up (ms)':28} {s['dtrace_ms']:12.1f} {s['bpftrace_ms']:12.1f} {s['ratio']:8.3f}  <= 0.2")
    print(f"{'start-up peak RSS (MiB)':28} {s['dtrace_rss_mib']:12.1f} {s['bpftrace_rss_mib']:12.1f} "
          f"{s['dtrace_rss_mib'] / s['bpftrace_rss_mib']:8.3f}")
    for name in programs:
        r = results[name]
        print(f"{name + ' (ns/firing)':28} {r['dtrace_ns']:12.1f} {r['bpftrace_ns']:12.1f} {r['ratio']:8.3f}  <= 1.0")
    r = results["new_keys"]
    print(f"{'new key (ns/firing)':28} {r['dtrace_ns']:12.1f} {r['bpftrace_ns']:12.1f} {r['ratio']:8.3f}  <= 1.0")
    r = results["printf"]
    print(f"{'printf (ns/firing)':28} {r['dtrace_ns']:12.1f} {r['bpftrace_ns']:12.1f} {r['ratio']:8.3f}  <= 1.0")
    print(f"{'printf lines delivered':28} {100 * r['dtrace_delivered']:11.1f}% {100 * r['bpftrace_delivered']:11.1f}%")
    print(f"{'printf lines per second':28} {r['dtrace_lines_per_s']:12.0f} {r['bpftrace_lines_per_s']:12.0f} "
          f"{r['dtrace_lines_per_s'] / r['bpftrace_lines_per_s'] if r['bpftrace_lines_per_s'] else float('nan'):8.3f}  >= 1.0")
    g = results["probe_glob"]
    print(f"{'libc str* uprobes (s)':28} {g['small_dtrace_s']:12.3f} {g['small_bpftrace_s']:12.3f} "
          f"{g['small_ratio']:8.3f}  <= 1.0")
    print(f"enabling {g['probes']} libc entry probes, running /bin/true, removing them: "
          f"{g['dtrace_s']:.3f} s  goal < 1 s")
    a = results["accounting"]
    print(f"overload accounting adds {a['added_ns']:.1f} ns per firing (count(): {a['with_ns']:.1f} ns with it, "
          f"{a['without_ns']:.1f} ns with -x nooverload)")
    if "load" in results:
        l = results["load"]
        print(f"load (compile + verify) of {l['programs']} language tests: median {l['median_ms']:.1f} ms, "
              f"slowest {l['slowest_ms']:.1f} ms ({l['slowest']})  goal < 50 ms")
    else:
        print("load: conformance corpus not found, skipped")
    with open(out_path, "w") as f:
        json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
