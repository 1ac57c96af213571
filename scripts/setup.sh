#!/usr/bin/env bash
# Installs the Debian packages the build and tests need (idempotent) and
# makes tracefs available. Run as root (or with sudo available).
set -euo pipefail

pkgs=(g++ cmake ninja-build make pkg-config cpp libbpf-dev libelf-dev zlib1g-dev
      libgtest-dev bpftool python3 debhelper dpkg-dev
      prometheus) # promtool and a server for tests/runtime/prometheus_metrics.sh

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get install -y -q "${missing[@]}" >/dev/null || {
        $SUDO apt-get update -q >/dev/null
        $SUDO apt-get install -y -q "${missing[@]}" >/dev/null
    }
fi

# tracefs holds the tracepoint formats the syscall and sdt providers read.
if [ -d /sys/kernel/tracing ] && [ ! -e /sys/kernel/tracing/available_events ]; then
    $SUDO mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || \
        echo "setup: warning: could not mount tracefs on /sys/kernel/tracing"
fi
exit 0
