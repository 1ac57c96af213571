#!/usr/bin/env python3
"""dtrace against bpftrace, measured in the same run (see README.md).

Usage: bench.py DTRACE BPFTRACE WORKLOAD OUT.json [CONFORMANCE_TESTS]

1. Start-up: `dtrace -n 'BEGIN { exit(0); }'` against
   `bpftrace -e 'BEGIN { exit(); }'` (median wall time and peak RSS).
2. Cost per probe firing: a workload makes N getppid() calls, untraced and
   traced (count(), per-thread count, count by execname, quantize, a new
   key every firing); the added time divided by N.
3. Neighbour cost: what tracing getppid (or a wide glob of *read*
   system calls) adds to each getpid() call, which is not traced.
4. Output: a printf() per event with large buffers (added cost, lines
   delivered, lines/s), and a burst at the default buffer sizes and
   switchrate (lines delivered, drops reported, lines/s).
5. An aggregation of 1,000,000 keys: the time from SIGINT to the exit
   (the keys printed) and the tracer's peak RSS.
6. The overload governor's accounting, enabling many uprobes, and the
   load time (compile + verify) of the conformance tests.

With BASELINE_DTRACE=/path/to/old/dtrace every dtrace measurement is also
made with that binary, in the same run, as the column "before".
The harness (harness.py) pins the workload to CPU 0 and the tracers to
CPU 1 unless BENCH_UNPINNED=1; measure.py has the methods, report.py the
table.
"""
import json
import os
import statistics
import subprocess
import sys
import time

from harness import Workload, pinning, run_timed
from measure import big_aggregation, load_times, output_runs, per_firing, startup, warn
from report import Row, print_table


def env_int(name, default):
    return int(os.environ.get(name, default))


STARTUP_RUNS = env_int("BENCH_STARTUP_RUNS", 15)
FIRING_CALLS = env_int("BENCH_CALLS", 2_000_000)
FIRING_ROUNDS = env_int("BENCH_ROUNDS", 5)
NEW_KEY_CALLS = env_int("BENCH_NEW_KEY_CALLS", 100_000)
PRINTF_ROUNDS = env_int("BENCH_PRINTF_ROUNDS", 3)
BURST_CALLS = env_int("BENCH_BURST_CALLS", 300_000)
BURST_ROUNDS = env_int("BENCH_BURST_ROUNDS", 3)
BURST_QUIET_S = 1.0  # the burst's tracer is stopped after this long without a new line
BIG_KEYS = env_int("BENCH_BIG_KEYS", 1_000_000)
BIG_ROUNDS = env_int("BENCH_BIG_ROUNDS", 3)
# Our aggregation map holds aggsize / (key + value) entries, at most 2^20:
# 24 bytes an entry here, so 32m is room for 1,000,000 keys (the default
# 4m holds 174,762).
BIG_DTRACE_OPTS = ["-x", "aggsize=32m"]
ONLY = set(os.environ.get("BENCH_ONLY", "").split(",")) - {""}

READY = 'BEGIN { printf("ready\\n"); } '
GETPPID_D, GETPPID_BT = "syscall::getppid:entry", "tracepoint:syscalls:sys_enter_getppid"
SWITCHRATE = ["-x", "switchrate=20hz"]


class Bench:
    """What every benchmark needs: the binaries compared (our dtrace, the
    baseline, bpftrace), the workload, and the rows and details found."""

    def __init__(self, dtrace, bpftrace, before, work, corpus):
        self.dtraces = {"dtrace": dtrace, **({"before": before} if before else {})}
        self.bpftrace = bpftrace
        self.work = work
        self.corpus = corpus
        self.rows = []
        self.details = {}

    def d(self, prog, *opts, env=None):
        """The same dtrace command with each of our binaries."""
        return {label: ([binary, "-q", *opts, "-n", READY + prog], env) for label, binary in self.dtraces.items()}

    def both(self, d_prog, bt_prog, d_opts=(), bt_env=None):
        return {**self.d(d_prog, *d_opts), "bpftrace": ([self.bpftrace, "-e", READY + bt_prog], bt_env)}

    def row(self, *args, **kwargs):
        self.rows.append(Row(*args, **kwargs))


def ratio_at_most(limit):
    return lambda r: r.ratio() is not None and r.ratio() <= limit


def dtrace_below(limit):
    return lambda r: r.values["dtrace"] < limit


def pick(results, field):
    return {label: None if r is None else r.get(field) for label, r in results.items()}


def bench_startup(b):
    res = {label: startup([binary, "-q", "-n", "BEGIN { exit(0); }"], STARTUP_RUNS)
           for label, binary in b.dtraces.items()}
    res["bpftrace"] = startup([b.bpftrace, "-e", "BEGIN { exit(); }"], STARTUP_RUNS)
    b.row("startup_ms", "start-up (ms)", {k: v[0] for k, v in res.items()}, goal="ratio <= 0.2",
          check=ratio_at_most(0.2))
    b.row("startup_rss_mib", "start-up peak RSS (MiB)", {k: v[1] for k, v in res.items()},
          goal="dtrace <= 15 MiB", check=lambda r: r.values["dtrace"] <= 15)


COUNTING = {  # name: dtrace action, bpftrace action, goal (ratio at most)
    "count": ("@ = count();", "@ = count();", 0.5),
    "count_by_tid": ("@[tid] = count();", "@[tid] = count();", 0.5),
    "count_by_execname": ("@[execname] = count();", "@[comm] = count();", 1.0),
    "quantize": ("@ = quantize(tid);", "@ = hist(tid);", 0.5),
}


def bench_firing(b):
    for name, (d_act, b_act, limit) in COUNTING.items():
        variants = b.both(f"{GETPPID_D} {{ {d_act} }}", f"{GETPPID_BT} {{ {b_act} }}", SWITCHRATE)
        ns, b.details[name] = per_firing(b.work, variants, FIRING_CALLS, FIRING_ROUNDS)
        b.row(name, f"{name} (ns/firing)", ns, goal=f"ratio <= {limit}", check=ratio_at_most(limit))


def bench_new_keys(b):
    # A new key every firing (the cost of growing an aggregation): each
    # firing keyed by its timestamp; both tools' maps hold them all.
    variants = b.both(f"{GETPPID_D} {{ @[timestamp] = count(); }}", f"{GETPPID_BT} {{ @[nsecs] = count(); }}",
                      SWITCHRATE, bt_env={"BPFTRACE_MAP_KEYS_MAX": str(2 * NEW_KEY_CALLS)})
    ns, b.details["new_keys"] = per_firing(b.work, variants, NEW_KEY_CALLS, FIRING_ROUNDS)
    b.row("new_keys", "new key (ns/firing)", ns, goal="ratio <= 1.0", check=ratio_at_most(1.0))


def bench_neighbour(b):
    # What tracing getppid (or a wide glob) adds to getpid(), which nothing
    # traces: the workload calls getpid.
    for key, label, d_probe, b_probe in (
            ("neighbour", "neighbour (ns/getpid)", GETPPID_D, GETPPID_BT),
            ("neighbour_glob", "neighbour, wide glob (ns/getpid)", "syscall::*read*:entry",
             "tracepoint:syscalls:sys_enter_*read*")):
        variants = b.both(f"{d_probe} {{ @ = count(); }}", f"{b_probe} {{ @ = count(); }}", SWITCHRATE)
        ns, b.details[key] = per_firing(b.work, variants, FIRING_CALLS, FIRING_ROUNDS, syscall="getpid")
        note = ""
        if key == "neighbour_glob":
            note = "start to ready (s): " + ", ".join(f"{k} {v:.2f}" for k, v in b.details[key]["ready_s"].items()
                                                      if v is not None)
        b.row(key, label, ns, goal="ratio <= 1.0", check=ratio_at_most(1.0), note=note)


def printf_variants(b, d_opts=()):
    return b.both(f'{GETPPID_D} {{ printf("%d\\n", tid); }}', f'{GETPPID_BT} {{ printf("%d\\n", tid); }}', d_opts)


def bench_printf(b):
    # A printf() per event, with buffers large enough and a consumer that
    # keeps up: the added cost and the lines that arrive.
    variants = printf_variants(b, ["-x", "bufsize=16m", "-x", "switchrate=100hz"])
    res = output_runs(b.work, variants, FIRING_CALLS, PRINTF_ROUNDS, 1.0)
    res = {k: res.get(k) for k in variants}
    b.details["printf"] = res
    b.row("printf", "printf (ns/firing)", pick(res, "added_ns"), goal="ratio <= 1.0", check=ratio_at_most(1.0))
    b.row("printf_delivered", "printf lines delivered (%)",
          {k: None if r is None else 100.0 * r["delivered"] / FIRING_CALLS for k, r in res.items()},
          goal="100%", check=lambda r: r.values["dtrace"] >= 100.0)
    b.row("printf_lines_per_s", "printf lines per second", pick(res, "lines_per_s"), fmt=".0f")


def bench_burst(b):
    # A burst at the default buffer sizes and switchrate: every line
    # delivered, or the lines lost reported as drops.
    variants = printf_variants(b)
    res = output_runs(b.work, variants, BURST_CALLS, BURST_ROUNDS, BURST_QUIET_S)
    res = {k: res.get(k) for k in variants}
    b.details["burst"] = {"calls": BURST_CALLS, **res}
    others = {k: r["others"] for k, r in res.items() if r and r["others"]}
    b.row("burst_delivered", f"burst: lines delivered (of {BURST_CALLS})", pick(res, "delivered"), fmt=".0f",
          goal="all", check=lambda r: r.values["dtrace"] >= BURST_CALLS,
          note=f"lines of other threads' getppid() calls seen: {others}" if others else "")
    b.row("burst_drops", "burst: drops reported", pick(res, "drops"), fmt=".0f", goal=">= lines not delivered",
          check=lambda r: res["dtrace"]["delivered"] + res["dtrace"]["drops"] >= BURST_CALLS)
    b.row("burst_lines_per_s", "burst: lines/s", pick(res, "lines_per_s"), fmt=".0f")
    b.row("burst_added_ns", "burst: added ns/getppid", pick(res, "added_ns"))


def bench_bigagg(b):
    variants = b.both(f"{GETPPID_D} {{ @[timestamp] = count(); }}", f"{GETPPID_BT} {{ @[nsecs] = count(); }}",
                      BIG_DTRACE_OPTS, bt_env={"BPFTRACE_MAP_KEYS_MAX": str(2 * BIG_KEYS)})
    res = big_aggregation(b.work, variants, BIG_KEYS, BIG_ROUNDS)
    res = {k: res.get(k) for k in variants}
    b.details["bigagg"] = {"keys": BIG_KEYS, "dtrace_options": BIG_DTRACE_OPTS, **res}
    n = f"{BIG_KEYS // 1_000_000}M" if BIG_KEYS % 1_000_000 == 0 else f"{BIG_KEYS // 1000}k"
    b.row("bigagg_exit_s", f"{n} keys: SIGINT to exit (s)", pick(res, "exit_s"), fmt=".3f",
          goal="dtrace < 1 s", check=dtrace_below(1.0))
    b.row("bigagg_rss_mib", f"{n} keys: peak RSS (MiB)", pick(res, "rss_mib"),
          goal="dtrace < 200 MiB", check=dtrace_below(200.0))
    b.row("bigagg_lines", f"{n} keys: key lines printed", pick(res, "lines"), fmt=".0f",
          goal=f">= {BIG_KEYS}", check=lambda r: r.values["dtrace"] >= BIG_KEYS)


def bench_accounting(b):
    # What the overload governor's accounting adds to a count() firing:
    # with it (the default) and without it, in the same rounds.
    prog = f"{GETPPID_D} {{ @ = count(); }}"
    variants = {**{f"{k}+": v for k, v in b.d(prog, *SWITCHRATE).items()},
                **{f"{k}-": v for k, v in b.d(prog, *SWITCHRATE, "-x", "nooverload").items()}}
    ns, b.details["accounting"] = per_firing(b.work, variants, FIRING_CALLS, FIRING_ROUNDS)
    added = {k: None if ns[f"{k}+"] is None or ns[f"{k}-"] is None else ns[f"{k}+"] - ns[f"{k}-"]
             for k in b.dtraces}
    b.row("accounting", "overload accounting (ns/firing)", added, goal="small", ratio=False,
          note="count() minus count() with -x nooverload")


def bench_probe_glob(b):
    # Enabling many probes: a glob over the C library's functions, from
    # start to exit (attach, run /bin/true, detach). bpftrace gets the
    # small glob only: it detaches uprobes one by one, ~80 ms each here.
    libc = "/lib/x86_64-linux-gnu/libc.so.6"
    small, many = {}, {}
    probes = subprocess.run([b.dtraces["dtrace"], "-l", "-n", "pid$target:libc.so.6::entry", "-c", "/bin/true"],
                            capture_output=True, text=True).stdout.count("\n") - 1
    for label, binary in b.dtraces.items():
        try:
            many[label], _ = run_timed([binary, "-q", "-n", "pid$target:libc.so.6::entry { @ = count(); }",
                                        "-c", "/bin/true"])
            small[label], _ = run_timed([binary, "-q", "-n", "pid$target:libc.so.6:str*:entry { @ = count(); }",
                                         "-c", "/bin/true"])
        except RuntimeError as e:
            warn(f"{label}: {e}")
            many.setdefault(label, None)
            small.setdefault(label, None)
    small["bpftrace"], _ = run_timed([b.bpftrace, "-e", f"uprobe:{libc}:str* {{ @ = count(); }}", "-c", "/bin/true"])
    b.row("uprobes_small_s", "libc str* uprobes (s)", small, fmt=".3f", goal="ratio <= 1.0", check=ratio_at_most(1.0))
    b.row("uprobes_all_s", f"all {probes} libc entry uprobes (s)", many, fmt=".3f", goal="dtrace < 1 s",
          check=dtrace_below(1.0), ratio=False)


def bench_load(b):
    if not (b.corpus and os.path.isdir(b.corpus)):
        warn("load: conformance corpus not found, skipped")
        return
    med, slow, names = {}, {}, {}
    for label, binary in b.dtraces.items():
        times = load_times(binary, b.corpus, "tests/conformance/ratchet.txt")
        if times:
            med[label] = statistics.median(t for t, _ in times)
            slow[label], names[label] = times[-1]
            b.details.setdefault("load", {})[label] = {"programs": len(times), "slowest": names[label]}
    note = ""
    if "dtrace" in names:
        note = f"slowest of {b.details['load']['dtrace']['programs']} language tests: {names['dtrace']}"
    b.row("load_median_ms", "load (compile + verify) median (ms)", med, ratio=False)
    b.row("load_slowest_ms", "load slowest (ms)", slow, goal="dtrace < 50 ms", check=dtrace_below(50.0),
          ratio=False, note=note)


GROUPS = {  # BENCH_ONLY=name,name runs only these
    "startup": bench_startup,
    "firing": bench_firing,
    "new_keys": bench_new_keys,
    "neighbour": bench_neighbour,
    "printf": bench_printf,
    "burst": bench_burst,
    "bigagg": bench_bigagg,
    "accounting": bench_accounting,
    "probe_glob": bench_probe_glob,
    "load": bench_load,
}


def main():
    dtrace, bpftrace, work_bin, out_path = sys.argv[1:5]
    corpus = sys.argv[5] if len(sys.argv) > 5 else ""
    before = os.environ.get("BASELINE_DTRACE") or None
    if before:
        before = os.path.realpath(before)
        if not os.access(before, os.X_OK):
            sys.exit(f"bench: BASELINE_DTRACE={before} is not an executable")
    unknown = ONLY - GROUPS.keys()
    if unknown:
        sys.exit(f"bench: BENCH_ONLY: unknown {', '.join(sorted(unknown))} (known: {', '.join(GROUPS)})")
    pin = pinning()
    b = Bench(dtrace, bpftrace, before, Workload(work_bin), corpus)
    start = time.perf_counter()
    for name, run in GROUPS.items():
        if not ONLY or name in ONLY:
            warn(f"{time.perf_counter() - start:5.0f} s: {name}")
            run(b)

    print_table(b.rows, bool(before), pin.describe() + (f"; before = {before}" if before else ""))
    results = {"pinning": pin.describe(), "dtrace": dtrace, "before": before, "bpftrace": bpftrace,
               "rows": {r.key: r.json() for r in b.rows}, "details": b.details}
    os.makedirs(os.path.dirname(out_path) or ".", exist_ok=True)
    with open(out_path, "w") as f:
        json.dump(results, f, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
