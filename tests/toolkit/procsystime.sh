# procsystime times and counts the calls of a command it runs (a copy of
# dd making a known number of reads and writes), of a running process (-p)
# and of a process name (-n).
. "$(dirname "$0")/common.inc"
check_usage procsystime

cmd=tkpst$$
cp /bin/dd "$cmd"
timeout 30 "$TOOLKIT/procsystime" -a ./"$cmd" if=/dev/zero of=/dev/null bs=512 count=700 \
	>out 2>err || fail "procsystime -a COMMAND failed"
grep -Eq '^Elapsed times for PID [0-9]+,$' out || fail "no elapsed section"
grep -Eq '^CPU times for PID [0-9]+,$' out || fail "no CPU section"
grep -Eq '^System call counts for PID [0-9]+,$' out || fail "no counts section"
grep -Eq '^ +SYSCALL +TIME \(ns\)$' out || fail "no TIME (ns) header"
# The counts section is the last: read and write 700 times at least.
reads=$(awk '/^System call counts/ { c = 1 } c && $1 == "read" { print $2 }' out)
writes=$(awk '/^System call counts/ { c = 1 } c && $1 == "write" { print $2 }' out)
[ "${reads:-0}" -ge 700 ] && [ "${reads:-0}" -le 720 ] || fail "read count ${reads:-none}"
[ "${writes:-0}" -ge 700 ] && [ "${writes:-0}" -le 720 ] || fail "write count ${writes:-none}"
# Elapsed time of write: a positive number of ns.
grep -Eq '^ +write +[1-9][0-9]*$' out || fail "no elapsed time for write"

# -p: a running dd, until -d ends the tool.
# (a pipe from a slow writer paces it: the probes stay cheap)
(while :; do echo x; sleep 0.01; done) | ./"$cmd" of=/dev/null bs=1 2>/dev/null &
dd=$!
trap 'kill $dd 2>/dev/null' EXIT
start_tool procsystime -c -p $dd -d 2
wait_tool
kill $dd
grep -Eq "^System call counts for PID $dd,$" out || fail "-p: no counts for $dd"
grep -Eq '^ +read +[1-9][0-9]*$' out || fail "-p: no read count"
grep -q 'Elapsed' out && fail "-c: elapsed times shown"

# -n: every process of that name.
start_tool procsystime -e -n "$cmd" -d 3
while running; do ./"$cmd" if=/dev/zero of=/dev/null count=5 2>/dev/null; sleep 0.2; done
wait_tool
grep -Eq "^Elapsed times for  $cmd,$|^Elapsed times for $cmd,$" out || fail "-n: no section"
grep -Eq '^ +TOTAL: +[1-9][0-9]*$' out || fail "-n: no total"
exit 0
