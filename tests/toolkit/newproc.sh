# newproc sees the test shell fork (parent $$) and, with -T, the threads
# workload create its two threads.
. "$(dirname "$0")/common.inc"
check_usage newproc

start_tool newproc -d 3
while running; do /bin/true; sleep 0.2; done
wait_tool
head -1 out | grep -Eq '^TYPE +PPID PCOMM +PID/TID$' || fail "header"
grep -Eq "^process +$$ bash +[0-9]+\$" out || fail "no fork of the test shell ($$)"

th=$WORKLOADS/threads
[ -x "$th" ] || skip "no threads workload in $WORKLOADS"
start_tool newproc -T -n threads -d 3
while running; do "$th"; sleep 0.2; done
wait_tool
n=$(grep -Ec '^thread +[0-9]+ threads +[0-9]+$' out)
[ "$n" -ge 2 ] || fail "-T: $n threads of the workload seen, expected at least 2"
grep -v '^TYPE' out | grep -v ' threads ' | grep -q . && fail "-n threads: others shown"
exit 0
