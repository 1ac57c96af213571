# A burst longer than the principal buffer, at default sizes: a record that
# fills the buffer past half wakes the consumer (not only switchrate), so
# every line arrives and none is dropped. The wake-up is one per half
# buffer, not one per record.
set -u
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# 400,000 records of 32 bytes: 12.8 MB through a default 8 MB ring (4 MB
# a CPU, two CPUs) in well under switchrate's second.
n=400000
"$DTRACE" -q -o "$tmp/out" -n 'syscall::write:entry /pid == $target/ { printf("%d\n", i++); }' \
    -c "dd if=/dev/zero of=/dev/null bs=1 count=$n status=none" 2> "$tmp/err" ||
    fail "dtrace failed: $(cat "$tmp/err")"
lines=$(grep -cE '^[0-9]+$' "$tmp/out")
grep -q drops "$tmp/err" && fail "drops in a burst at default sizes: $(cat "$tmp/err"); $lines lines"
[ "$lines" = "$n" ] || fail "$lines of $n lines"
[ "$(grep -E '^[0-9]+$' "$tmp/out" | tail -1)" = $((n - 1)) ] || fail "the last line is not the last record"
# bufpolicy=fill is read when tracing ends: its buffer fills, and tracing
# stops there (no early wake-up drains it).
"$DTRACE" -q -x bufpolicy=fill -x bufsize=64k -o "$tmp/fill" \
    -n 'syscall::write:entry /pid == $target/ { printf("%d\n", i++); }' \
    -c "dd if=/dev/zero of=/dev/null bs=1 count=$n status=none" 2> "$tmp/err"
lines=$(grep -cE '^[0-9]+$' "$tmp/fill")
[ "$lines" -gt 0 ] && [ "$lines" -lt 10000 ] || fail "bufpolicy=fill kept $lines records of a 128k buffer"
exit 0
