# exitsnoop sees a copy of sh exit with status 3 and one killed by SIGKILL,
# with the parent and age; -x leaves out a successful exit.
. "$(dirname "$0")/common.inc"
check_usage exitsnoop

cmd=tkexit$$
cp /bin/sh "$cmd"
start_tool exitsnoop -n "$cmd" -d 3
while running; do
	./"$cmd" -c 'exit 3'
	./"$cmd" -c 'sleep 10' &
	k=$!
	sleep 0.1
	kill -9 $k
	wait $k 2>/dev/null
	sleep 0.1
done
wait_tool
head -1 out | grep -Eq '^ +PID +PPID COMM +AGE\(ms\) EXIT$' || fail "header"
grep -Eq "^ +[0-9]+ +$$ $cmd +[0-9]+ code 3\$" out || fail "no exit with code 3 (parent $$)"
grep -Eq "^ +[0-9]+ +$$ $cmd +[0-9]+ signal 9\$" out || fail "no exit by signal 9"
# The killed shell lived about 100 ms.
age=$(awk '/signal 9$/ { print $4; exit }' out)
[ "$age" -ge 50 ] && [ "$age" -le 5000 ] || fail "age of the killed shell: $age ms"

start_tool exitsnoop -x -n "$cmd" -d 2
while running; do ./"$cmd" -c 'exit 0'; ./"$cmd" -c 'exit 7'; sleep 0.2; done
wait_tool
grep -Eq " $cmd +[0-9]+ code 7\$" out || fail "-x: no exit with code 7"
grep -q 'code 0$' out && fail "-x: a successful exit shown"
exit 0
