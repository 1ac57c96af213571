# runqlat makes a run queue latency histogram for a copy of sh that wakes
# up often (it waits for short sleeps), by name (-P) and by CPU (-C).
. "$(dirname "$0")/common.inc"
check_usage runqlat

cmd=tkrq$$
cp /bin/sh "$cmd"
./"$cmd" -c 'while :; do sleep 0.01; done' &
sh_pid=$!
trap 'kill $sh_pid 2>/dev/null' EXIT
timeout 30 "$TOOLKIT/runqlat" -P -n "$cmd" -d 2 >out 2>err || fail "runqlat -P failed"
grep -Eq '^[0-9]{4} [A-Z][a-z]{2} +[0-9]+ [0-9:]{8}, run queue latency in microseconds:$' out ||
	fail "no title"
grep -Eq "^  process $cmd\$" out || fail "no histogram for $cmd"
total=$(awk '$2 ~ /^\|/ { n += $3 } END { print n + 0 }' out)
[ "$total" -ge 20 ] || fail "$total wake-ups of $cmd in 2 s, expected >= 20"

timeout 30 "$TOOLKIT/runqlat" -C -d 1 >out 2>err || fail "runqlat -C failed"
grep -Eq '^  cpu [0-9]+$' out || fail "-C: no per-CPU histogram"
"$TOOLKIT/runqlat" -P -C 2>/dev/null && fail "-P -C accepted"
exit 0
