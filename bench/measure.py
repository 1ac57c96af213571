"""How each kind of benchmark is measured. Every function takes the
variants to compare, label -> (command, extra environment), and lets them
take turns round by round, so that the machine's drift falls on all of
them alike. A variant that fails is reported on stderr and gives None.
"""
import os
import statistics
import sys
import time

from harness import Tracer, Workload, run_timed


def warn(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def median_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def startup(cmd, runs):
    """Median wall time (ms) and peak RSS (MiB) of a whole command, after
    two warm-up runs."""
    for _ in range(2):
        run_timed(cmd)
    times, rss = [], []
    for _ in range(runs):
        t, r = run_timed(cmd)
        times.append(t)
        rss.append(r)
    return statistics.median(times) * 1000.0, statistics.median(rss) / 1024.0


def per_firing(work, variants, calls, rounds, syscall="getppid"):
    """Median added nanoseconds per workload call over several rounds, the
    variants taking turns in each round; and details: each round's cost
    and the median time each took to start tracing. A variant that fails
    gives None."""
    costs = {label: [] for label in variants}
    ready = {label: [] for label in variants}
    failed = set()
    for _ in range(rounds):
        for label, (cmd, env) in variants.items():
            if label in failed:
                continue
            try:
                base = work.run(calls, syscall)
                start = time.perf_counter()
                t = Tracer(cmd, env)
                ready[label].append(time.perf_counter() - start)
                try:
                    traced = work.run(calls, syscall)
                finally:
                    t.stop()
                base2 = work.run(calls, syscall)
            except RuntimeError as e:
                warn(f"{label}: {e}")
                failed.add(label)
                continue
            costs[label].append((traced - (base + base2) / 2) / calls)
    ns = {label: None if label in failed else median_or_none(v) for label, v in costs.items()}
    return ns, {"rounds_ns": costs, "ready_s": {label: median_or_none(v) for label, v in ready.items()}}


def output_run(work, cmd, env, calls, quiet_s):
    """One traced run of `calls` getppid() calls under a tracer that prints
    a line per event: the lines of the workload's thread delivered, the
    lines of other threads, the drops reported, lines/s, and the workload's
    own time. The tracer is stopped once no line has come for quiet_s."""
    t = Tracer(cmd, env, keep_values=True)
    try:
        start = time.perf_counter()
        proc = work.start(calls)
        tid = str(proc.pid).encode()  # taskset execs the workload: same pid
        ns = Workload.finish(proc)
        end = time.perf_counter()
        while time.perf_counter() < end + 120:
            if time.perf_counter() - max(end, t.last_line or end) >= quiet_s:
                break
            time.sleep(0.02)
    finally:
        t.stop()
    delivered = t.values.get(tid, 0)
    others = sum(n for v, n in t.values.items() if v.isdigit()) - delivered
    drops = t.drops()
    # lines/s: the workload's lines over the time from its start until the
    # last line arrived (stdout read as it comes)
    rate = delivered / (t.last_line - start) if delivered and t.last_line else 0.0
    return {"delivered": delivered, "others": others, "drops": sum(drops.values()), "drop_kinds": drops,
            "lines_per_s": rate, "workload_ns_per_call": ns / calls}


def output_runs(work, variants, calls, rounds, quiet_s):
    """Several rounds of output_run, the variants taking turns, each traced
    run between two untraced ones for the added ns per call; the median of
    each measure."""
    runs = {label: [] for label in variants}
    for _ in range(rounds):
        for label, (cmd, env) in variants.items():
            try:
                base = work.run(calls)
                r = output_run(work, cmd, env, calls, quiet_s)
                r["added_ns"] = r["workload_ns_per_call"] - (base + work.run(calls)) / 2 / calls
                runs[label].append(r)
            except RuntimeError as e:
                warn(f"{label}: {e}")
    out = {}
    for label, rs in runs.items():
        if rs:
            out[label] = {k: statistics.median(r[k] for r in rs) for k in rs[0] if k != "drop_kinds"}
            out[label]["drop_kinds"] = [r["drop_kinds"] for r in rs]
            out[label]["rounds"] = len(rs)
    return out


def big_aggregation(work, variants, keys, rounds):
    """An aggregation of `keys` keys (one per getppid() call), printed at
    the exit: the time from SIGINT to the exit (stdout a pipe read and
    counted as it comes), the tracer's peak RSS, the key lines printed."""
    runs = {label: [] for label in variants}
    for _ in range(rounds):
        for label, (cmd, env) in variants.items():
            try:
                t = Tracer(cmd, env)
                try:
                    work.run(keys)
                finally:
                    t.stop(timeout=300)
            except RuntimeError as e:
                warn(f"{label}: {e}")
                continue
            if t.status != 0:
                warn(f"{label}: exit status {t.status}: {t.stderr[-300:].strip()}")
            runs[label].append({"exit_s": t.exit_s, "rss_mib": t.rss_kib / 1024.0, "lines": t.digit_lines,
                                "drops": sum(t.drops().values())})
    return {label: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for label, rs in runs.items() if rs}


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
    env = {"_DTRACE_LOAD_ONLY": "1", "_DTRACE_TESTING": "1"}
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
        best = None
        for _ in range(3):
            try:
                elapsed, _ = run_timed([dtrace] + opts + ["-s", path], env)
            except RuntimeError:
                best = None
                break
            best = elapsed * 1000.0 if best is None else min(best, elapsed * 1000.0)
        if best is not None:
            times.append((best, t))
    times.sort()
    return times
