# bufpolicy=ring: each CPU's buffer keeps its most recent records (bufsize
# counted in DTrace's record units: a 4-byte EPID and each value at its
# type's size), nothing is printed until tracing ends, and a record larger
# than the whole ring is refused at start-up.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The ring keeps the last records of the tick clause and the exit.
"$DTRACE" -q -x bufpolicy=ring -x bufsize=50 -o "$tmp/out" -n '
int i;
tick-10ms /i < 40/ { printf("%d", i); trace(i); i++; }
tick-10ms /i == 40/ { exit(0); }' &
pid=$!
sleep 0.2
# Nothing is printed while tracing: the ring is consumed at the end.
[ ! -s "$tmp/out" ] || { echo "FAIL: ring output before the end:"; cat "$tmp/out"; exit 1; }
wait $pid || { echo "FAIL: exit status"; exit 1; }
cat "$tmp/out"
# printf("%d") + trace(int): 4 + 4 + 4 = 12 bytes a record; with the
# exit's 8, three fit in 50 (3*12 + 8 = 44; 4*12 + 8 = 56).
expected=373738383939
got=$(tr -d '\n' < "$tmp/out")
[ "$got" = "$expected" ] || { echo "FAIL: ring kept the wrong records"; exit 1; }
# A burst far longer than the ring: the newest records are kept (the
# kernel's own ring, the way to the consumer, must not fill and drop them).
out=$("$DTRACE" -q -x bufpolicy=ring -x bufsize=4k -n '
syscall::write:entry /pid == $target/ { printf("%d\n", n++); }' \
    -c 'dd if=/dev/zero of=/dev/null bs=1 count=200000 status=none' 2>&1)
last=$(echo "$out" | grep -E '^[0-9]+$' | tail -1)
[ "$last" = 199999 ] || { echo "FAIL: a burst's newest record not kept (last $last):"; echo "$out" | tail -5; exit 1; }
echo "$out" | grep -q drops && { echo "FAIL: drops under bufpolicy=ring: $(echo "$out" | grep drops)"; exit 1; }
# A single record larger than the ring cannot be kept.
out=$("$DTRACE" -q -x bufpolicy=ring -x bufsize=16 -x strsize=64 -n 'BEGIN { trace(execname); exit(0); }' 2>&1)
[ "$out" = "dtrace: could not enable tracing: Enabling exceeds size of buffer" ] ||
    { echo "FAIL: record larger than the ring: $out"; exit 1; }
exit 0
