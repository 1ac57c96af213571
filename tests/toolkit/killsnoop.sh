# killsnoop sees the test shell send SIGWINCH to a sleeping child (result 0)
# and signal 0 to a process that does not exist (result -ESRCH); -x shows
# only the failure.
. "$(dirname "$0")/common.inc"
check_usage killsnoop

sleep 30 &
child=$!
trap 'kill $child 2>/dev/null' EXIT
start_tool killsnoop -p $$ -d 3
while running; do kill -WINCH $child; kill -0 999999 2>/dev/null; sleep 0.2; done
wait_tool
head -1 out | grep -Eq '^ +PID COMM +SIG +TPID RESULT$' || fail "header"
grep -Eq "^ +$$ bash +28 +$child +0$" out || fail "no SIGWINCH to $child"
grep -Eq "^ +$$ bash +0 +999999 +-3$" out || fail "no failed kill of 999999"
awk 'NR > 1 && $1 != "'$$'"' out | grep -q . && fail "-p: other senders shown"

start_tool killsnoop -x -t -p $$ -d 3
while running; do kill -WINCH $child; kill -0 999999 2>/dev/null; sleep 0.2; done
wait_tool
head -1 out | grep -Eq '^TIME +PID COMM' || fail "-t: no TIME column"
grep -Eq " $$ bash +0 +999999 +-3$" out || fail "-x: no failed kill"
grep -q " 28 .*$child" out && fail "-x: a successful kill shown"
exit 0
