#!/usr/bin/env bash
# The benchmark's own set-up: bpftrace (the peer we measure against) and a
# C compiler for the workload, from Debian packages; tracefs mounted.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=()
for p in bpftrace gcc; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "bench: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get install -y -q "${missing[@]}" >/dev/null || {
        $SUDO apt-get update -q >/dev/null
        $SUDO apt-get install -y -q "${missing[@]}" >/dev/null
    }
fi
if [ -d /sys/kernel/tracing ] && [ ! -e /sys/kernel/tracing/available_events ]; then
    $SUDO mount -t tracefs nodev /sys/kernel/tracing
fi
