# tcpstates sees the loopback workload's connection go through the
# handshake and the close on both ends, each with the time in the old state.
. "$(dirname "$0")/common.inc"
check_usage tcpstates
lb=$WORKLOADS/loopback
[ -x "$lb" ] || skip "no loopback workload in $WORKLOADS"

start_tool tcpstates -d 3
: >ports
while running; do "$lb" >>ports; sleep 0.2; done
wait_tool
head -1 out | grep -Eq '^ +PID COMM +LADDR +LPORT RADDR +RPORT OLDSTATE +NEWSTATE +MS$' ||
	fail "header"
p=$(sed -n 's/^port //p' ports | head -1)
# The client's side: remote port p.
for t in "syn-sent +established" "established +fin-wait-1" "fin-wait-1 +fin-wait-2"; do
	grep -Eq "127\.0\.0\.1 +$p $t +[0-9]+\.[0-9]{3}\$" out || fail "client: no $t for port $p"
done
# The server's side: local port p.
for t in "listen +syn-received" "syn-received +established" "established +close-wait" \
	"close-wait +last-ack"; do
	grep -Eq "127\.0\.0\.1 +$p 127\.0\.0\.1 +[0-9]+ $t +[0-9]+\.[0-9]{3}\$" out ||
		fail "server: no $t for port $p"
done

start_tool tcpstates -P 1 -d 2
while running; do "$lb" >/dev/null; sleep 0.2; done
wait_tool
grep -Eq ' 1 closed +syn-sent ' out || fail "-P 1: no syn-sent to port 1"
awk 'NR > 1 && $4 != 1 && $6 != 1' out | grep -q . && fail "-P 1: other ports shown"
exit 0
