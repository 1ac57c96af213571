"""Process mechanics of the benchmarks: CPU pinning, the workload, and
tracers run in the background (their output read and counted as it
comes, stopped with SIGINT, their exit time and peak RSS taken).

Pinned (the default): the harness pins itself to CPU 1, so every tracer
it starts (dtrace, bpftrace) runs there, and the workload runs on CPU 0
(`taskset -c 0`). BENCH_UNPINNED=1 leaves the scheduler to place them.
"""
import collections
import os
import re
import signal
import subprocess
import threading
import time

WORKLOAD_CPU = 0
TRACER_CPU = 1


class Pinning:
    def __init__(self):
        self.pinned = os.environ.get("BENCH_UNPINNED", "") in ("", "0")
        self.note = ""
        if self.pinned and not {WORKLOAD_CPU, TRACER_CPU} <= os.sched_getaffinity(0):
            self.pinned = False
            self.note = f" (CPUs {WORKLOAD_CPU} and {TRACER_CPU} not both available)"
        if self.pinned:
            # The calling thread's affinity is inherited by the threads and
            # processes it starts from now on: every tracer, and the reader
            # threads that count their output.
            os.sched_setaffinity(0, {TRACER_CPU})

    def workload_prefix(self):
        return ["taskset", "-c", str(WORKLOAD_CPU)] if self.pinned else []

    def describe(self):
        if self.pinned:
            return f"pinned: workload CPU {WORKLOAD_CPU}, tracer CPU {TRACER_CPU} (the harness too)"
        return "unpinned (BENCH_UNPINNED=1): the scheduler places workload and tracers" + self.note


PINNING = None


def pinning():
    global PINNING
    if PINNING is None:
        PINNING = Pinning()
    return PINNING


def run_timed(cmd, env=None):
    """Wall time (s) and peak RSS (KiB) of a command run to its end."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=None if env is None else {**os.environ, **env})
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed with status {proc.returncode}")
    return elapsed, usage.ru_maxrss


class Workload:
    """The workload binary: N calls of one system call on the workload CPU."""

    def __init__(self, binary):
        self.binary = binary

    def start(self, calls, syscall="getppid"):
        return subprocess.Popen(pinning().workload_prefix() + [self.binary, str(calls), syscall],
                                stdout=subprocess.PIPE, text=True)

    @staticmethod
    def finish(proc):
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"workload failed with status {proc.returncode}")
        return int(out.strip())  # ns

    def run(self, calls, syscall="getppid"):
        return self.finish(self.start(calls, syscall))


DROPS = re.compile(rb"dtrace: (\d+) ((?:[a-z]+ )*)drops?\b")
LOST = re.compile(rb"Lost (\d+) events")
DIGIT_ENDS = [bytes([d]) + b"\n" for d in b"0123456789"]


class Tracer:
    """A tracer in the background, from its "ready" line until SIGINT.

    Standard output is read as it comes: the lines after "ready" are
    counted (all, and those ending in a digit), with the time the last
    one arrived; with keep_values the lines themselves are counted in
    `values` (a printf of tid per event: lines per thread). Standard
    error is kept apart, for the drops the tracer reports.
    """

    def __init__(self, cmd, env=None, keep_values=False, timeout=60):
        self.cmd = cmd
        self.keep_values = keep_values
        self.lines = 0
        self.digit_lines = 0
        self.values = collections.Counter()
        self.last_line = None
        self.lost_events = 0  # bpftrace's "Lost N events" (on stdout)
        self.exit_s = None
        self.rss_kib = None
        self.status = None
        self._stderr = []
        self._ready = threading.Event()
        self._saw_ready = False
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     bufsize=0, start_new_session=True,
                                     env=None if env is None else {**os.environ, **env})
        self._readers = [threading.Thread(target=self._read_stdout, daemon=True),
                         threading.Thread(target=self._read_stderr, daemon=True)]
        for r in self._readers:
            r.start()
        self._ready.wait(timeout)
        if not self._saw_ready:
            self.stop()
            raise RuntimeError(f"{os.path.basename(cmd[0])} did not start tracing: "
                               f"{self.stderr[-500:].strip()}")

    def _read_stdout(self):
        fd = self.proc.stdout.fileno()
        rest = b""
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            data = rest + chunk
            end = data.rfind(b"\n") + 1
            whole, rest = data[:end], data[end:]
            if not whole:
                continue
            if not self._ready.is_set():
                at = whole.find(b"ready\n")
                if at < 0:
                    continue
                whole = whole[at + len(b"ready\n"):]
                self._saw_ready = True
                self._ready.set()
                if not whole:
                    continue
            self.last_line = time.perf_counter()
            self.lines += whole.count(b"\n")
            self.digit_lines += sum(whole.count(e) for e in DIGIT_ENDS)
            if b"Lost" in whole:
                self.lost_events += sum(int(n) for n in LOST.findall(whole))
            if self.keep_values:
                self.values.update(whole.split(b"\n")[:-1])
        self._ready.set()  # the tracer ended: stop waiting for it

    def _read_stderr(self):
        fd = self.proc.stderr.fileno()
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            self._stderr.append(chunk)

    @property
    def stderr(self):
        return b"".join(self._stderr).decode(errors="replace")

    def drops(self):
        """Drops reported: dtrace's "N [kind] drops on ..." lines on
        standard error by kind ("" for the principal buffer), and
        bpftrace's "Lost N events" as "lost"."""
        kinds = collections.Counter()
        for n, kind in DROPS.findall(b"".join(self._stderr)):
            kinds[kind.decode().strip()] += int(n)
        kinds["lost"] += self.lost_events + sum(int(n) for n in LOST.findall(b"".join(self._stderr)))
        return {k: v for k, v in kinds.items() if v}

    def stop(self, timeout=120):
        """SIGINT, then wait for the exit: sets exit_s (from the signal to
        the exit, the tracer's final output read meanwhile) and rss_kib."""
        if self.status is None:
            start = time.perf_counter()
            try:
                os.kill(self.proc.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
            deadline = start + timeout
            while True:
                pid, status, usage = os.wait4(self.proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() > deadline:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    _, status, usage = os.wait4(self.proc.pid, 0)
                    break
                time.sleep(0.001)
            self.exit_s = time.perf_counter() - start
            self.rss_kib = usage.ru_maxrss
            self.status = os.waitstatus_to_exitcode(status)
            self.proc.returncode = self.status
        for r in self._readers:
            r.join(timeout=30)
        return self
