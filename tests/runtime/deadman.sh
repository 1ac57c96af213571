# The deadman: while the consumer is stopped (SIGSTOP) for longer than
# -x deadman, probes stop doing work at their next firing; after SIGCONT
# dtrace reports the abort. The probe's aggregation map is read with bpftool
# to show that firings stop being counted.
set -u
command -v bpftool >/dev/null || { echo "SKIP: bpftool not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
calls() { python3 -c 'import os
for _ in range(20000): os.getppid()'; }
count_of() { # map id -> the sum of the per-CPU counts
    bpftool map lookup id "$1" key 0 0 0 0 -j | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(sum(int.from_bytes(bytes(int(b, 16) for b in v["value"]), "little") for v in d["values"]))'
}
err=$(mktemp)
"$DTRACE" -q -x deadman=1s -n 'syscall::getppid:entry { @c = count(); }' >/dev/null 2>"$err" &
pid=$!
sleep 1.5
map=""
for id in $(cat /proc/$pid/fdinfo/* 2>/dev/null | awk '/^map_id:/ {print $2}' | sort -u); do
    bpftool map show id "$id" | grep -q "name agg_0" && map=$id
done
[ -n "$map" ] || { echo "FAIL: no aggregation map"; kill $pid; exit 1; }
calls
c1=$(count_of "$map")
kill -STOP $pid
sleep 2.5 # longer than the deadman
c2=$(count_of "$map")
calls
c3=$(count_of "$map")
kill -CONT $pid
wait $pid
rc=$?
echo "counted while running: $c1; after the deadman fired: $c2 then $c3; exit status $rc"
cat "$err"
[ "$c1" -ge 20000 ] || { echo "FAIL: the probe did not count while the consumer ran"; exit 1; }
[ "$c3" = "$c2" ] || { echo "FAIL: probes still did work after the deadman fired"; exit 1; }
grep -q '^dtrace: processing aborted: Abort due to systemic unresponsiveness$' "$err" ||
    { echo "FAIL: no abort message"; exit 1; }
[ "$rc" = 1 ] || { echo "FAIL: exit status $rc after an abort"; exit 1; }

# A consumer that keeps running is never aborted, even with a short deadman.
out=$("$DTRACE" -q -x deadman=1s -n 'tick-1s /i++ == 2/ { exit(0); }' 2>&1)
rc=$?
[ "$rc" = 0 ] || { echo "FAIL: a live consumer was aborted ($rc): $out"; exit 1; }
rm -f "$err"
exit 0
