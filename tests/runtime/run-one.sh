#!/usr/bin/env bash
# Runs one runtime test against the real kernel.
#   NAME.d   a D script; its first line may be "/* OPTIONS: ... */";
#            stdout must equal NAME.expected (and stderr NAME.stderr if present).
#   NAME.sh  a shell test; $DTRACE is the binary; exit 0 = pass, 77 = skip.
set -uo pipefail
DTRACE=$(realpath "$1")
TEST=$(realpath "$2")
export DTRACE

if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: runtime tests need root to load BPF programs"
    exit 77
fi
if [ ! -e /sys/kernel/btf/vmlinux ] && [ ! -d /sys/fs/bpf ]; then
    echo "SKIP: this kernel has no usable BPF"
    exit 77
fi
if [ -d /sys/kernel/tracing ] && [ ! -e /sys/kernel/tracing/available_events ]; then
    mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

case "$TEST" in
*.sh)
    # (The guest, under an emulator, gives tests longer: DTRACE_TEST_LIMIT.)
    timeout -k 5 "${DTRACE_TEST_LIMIT:-120}" bash "$TEST"
    exit $?
    ;;
*.d)
    base=${TEST%.d}
    opts=$(head -1 "$TEST" | sed -n 's|^/\* OPTIONS: \(.*\) \*/$|\1|p')
    # shellcheck disable=SC2086
    # DTrace's test mode: no CPU and ID columns, so output is deterministic.
    _DTRACE_TESTING=1 timeout -k 5 60 "$DTRACE" $opts -s "$TEST" >out 2>err
    rc=$?
    want_rc=0
    [ -f "$base.status" ] && want_rc=$(cat "$base.status")
    ok=1
    if [ "$rc" != "$want_rc" ]; then
        echo "exit status $rc, expected $want_rc"
        ok=0
    fi
    if ! diff -u "$base.expected" out; then ok=0; fi
    if [ -f "$base.stderr" ] && ! diff -u "$base.stderr" err; then ok=0; fi
    if [ $ok = 0 ]; then
        echo "--- stderr:"
        cat err
        exit 1
    fi
    exit 0
    ;;
esac
echo "unknown test type: $TEST"
exit 1
