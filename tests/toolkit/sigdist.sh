# sigdist counts the SIGWINCH signals the test shell sends to a sleeping
# child with a name of its own (-n filters by the recipient's name).
. "$(dirname "$0")/common.inc"
check_usage sigdist

cmd=tksig$$
cp "$(command -v sleep)" "$cmd"
./"$cmd" 30 &
child=$!
trap 'kill $child 2>/dev/null' EXIT
sleep 0.3
start_tool sigdist -n "$cmd" -d 3
sent=0
while running; do kill -WINCH $child; sleep 0.2; done
wait_tool
grep -Eq '^SENDER +SPID RECIPIENT +RPID SIGNAL +NUM +COUNT$' out || fail "header"
grep -Eq "^bash +$$ $cmd +$child SIGWINCH +28 +[1-9][0-9]*$" out ||
	fail "no count of SIGWINCH from $$ to $child"
grep -v "^Tracing\|^SENDER\|^$" out | grep -v " $cmd " | grep -q . && fail "-n: other recipients"
exit 0
