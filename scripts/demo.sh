#!/usr/bin/env bash
# A real tracing job: count system calls by process for a few seconds while
# a small workload runs, then print the DTrace aggregation.
set -euo pipefail
DTRACE=${1:-build/dtrace}
if [ "$(id -u)" -ne 0 ]; then
    echo "demo: tracing needs root (BPF); run: sudo make demo" >&2
    exit 1
fi
( for i in $(seq 1 200); do ls / >/dev/null; cat /etc/hostname >/dev/null; done ) &
echo "Counting system calls by process for 3 seconds..."
"$DTRACE" -q -n 'syscall:::entry { @calls[execname] = count(); }' \
          -n 'tick-3s { printf("%-20s %s\n", "PROCESS", "SYSCALLS"); printa("%-20s %@d\n", @calls); exit(0); }'
wait
