#!/usr/bin/env bash
# Benchmarks dtrace against bpftrace in the same run; prints ratios.
set -euo pipefail
# BASELINE_DTRACE (an older dtrace measured in the same run, the column
# "before") is taken relative to the caller's directory.
[ -z "${BASELINE_DTRACE:-}" ] || export BASELINE_DTRACE="$(realpath "$BASELINE_DTRACE")"
cd "$(dirname "$0")/.."
DTRACE=$(realpath "${1:-build/dtrace}")
if [ "$(id -u)" -ne 0 ]; then
    echo "bench: needs root (BPF)" >&2
    exit 1
fi
[ -x "$DTRACE" ] || { echo "bench: $DTRACE not built (make build)" >&2; exit 1; }
bench/setup.sh
mkdir -p bench/build bench/results
gcc -O2 -o bench/build/workload bench/workload.c
exec python3 bench/bench.py "$DTRACE" "$(command -v bpftrace)" bench/build/workload bench/results/latest.json \
    "${CONFORMANCE_TESTS:-../shared/conformance/tests}"
