# tcpconnect sees the loopback workload connect to its own listener and to
# the closed port 1, with its pid; -e sees one established and one refused.
. "$(dirname "$0")/common.inc"
check_usage tcpconnect
lb=$WORKLOADS/loopback
[ -x "$lb" ] || skip "no loopback workload in $WORKLOADS"

start_tool tcpconnect -n loopback -d 3
: >ports
while running; do "$lb" >>ports; echo >>ports; sleep 0.2; done
wait_tool
head -1 out | grep -Eq '^ +PID COMM +IP SADDR +SPORT DADDR +DPORT$' || fail "header"
grep -Eq '^ +[0-9]+ loopback +4 127\.0\.0\.1 +[0-9]+ 127\.0\.0\.1 +1$' out ||
	fail "no connect to port 1"
found=0
for p in $(sed -n 's/^port //p' ports); do
	grep -Eq "^ +[0-9]+ loopback +4 127\.0\.0\.1 +[0-9]+ 127\.0\.0\.1 +$p\$" out && found=1
done
[ $found = 1 ] || fail "no connect to the workload's listening port"

start_tool tcpconnect -e -P 1 -d 3
while running; do "$lb" >/dev/null; sleep 0.2; done
wait_tool
head -1 out | grep -Eq '^RESULT +IP SADDR' || fail "-e header"
grep -Eq '^REFUSED +4 127\.0\.0\.1 +[0-9]+ 127\.0\.0\.1 +1$' out || fail "-e: no refused connect"
grep -q '^ESTABLISHED' out && fail "-P 1: the listener's connection shown"
exit 0
