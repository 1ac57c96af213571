# tcpaccept sees the loopback workload's listener accept a connection on
# the port it prints, and with -r the connection port 1 refuses.
. "$(dirname "$0")/common.inc"
check_usage tcpaccept
lb=$WORKLOADS/loopback
[ -x "$lb" ] || skip "no loopback workload in $WORKLOADS"

start_tool tcpaccept -r -d 3
: >ports
while running; do "$lb" >>ports; sleep 0.2; done
wait_tool
head -1 out | grep -Eq '^RESULT +IP LADDR +LPORT RADDR +RPORT$' || fail "header"
found=0
for p in $(sed -n 's/^port //p' ports); do
	grep -Eq "^ACCEPTED +4 127\.0\.0\.1 +$p 127\.0\.0\.1 +[0-9]+\$" out && found=1
done
[ $found = 1 ] || fail "no accepted connection on the workload's port"
grep -Eq '^REFUSED +4 127\.0\.0\.1 +1 127\.0\.0\.1 +[0-9]+$' out || fail "-r: no refused connection"

start_tool tcpaccept -P 1 -d 2
while running; do "$lb" >/dev/null; sleep 0.2; done
wait_tool
grep -q '^ACCEPTED' out && fail "-P 1: other ports shown"
exit 0
