#!/usr/bin/env bash
# The conformance ratchet: every test listed in tests/conformance/ratchet.txt
# must pass. New passes are added to the list by hand (see README).
set -uo pipefail
DTRACE=$(realpath "${1:-build/dtrace}")
CONF=${2:-../shared/conformance}
LIST=$(realpath tests/conformance/ratchet.txt)
if [ ! -x "$CONF/run" ]; then
    echo "ratchet: conformance corpus not found at $CONF; skipping" >&2
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "ratchet: needs root for BPF; skipping" >&2
    exit 0
fi
# A kernel that lacks what some tests need (tests/guest/known-failures.txt
# for Debian 12's) leaves those out, each named with its reason.
if [ -n "${RATCHET_EXCLUDE:-}" ]; then
    filtered=$(mktemp)
    trap 'rm -f "$filtered"' EXIT
    cp "$LIST" "$filtered"
    while read -r test why; do
        case "$test" in '#'* | '') continue ;; esac
        echo "ratchet: left out on this kernel: $test: $why"
        grep -vxF "$test" "$filtered" >"$filtered.new"; mv "$filtered.new" "$filtered"
    done <"$RATCHET_EXCLUDE"
    LIST=$filtered
fi
n=$(grep -cv '^\s*\(#\|$\)' "$LIST" || true)
echo "ratchet: running $n conformance tests that are known to pass"
# A slower machine (the QEMU guest of tests/guest) runs two at a time with
# a longer time-out.
"$CONF/run" --dtrace "$DTRACE" -j "${RATCHET_JOBS:-1}" --timeout "${RATCHET_TIMEOUT:-20}" \
    --list-failures "@$LIST"
