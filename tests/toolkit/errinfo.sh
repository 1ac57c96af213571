# errinfo sees a copy of cat fail to open a file that does not exist
# (openat, ENOENT, with its description), as events and with -c as counts.
. "$(dirname "$0")/common.inc"
check_usage errinfo

cmd=tkerr$$
cp /bin/cat "$cmd"
start_tool errinfo -n "$cmd" -d 3
while running; do ./"$cmd" missing.$$ 2>/dev/null; sleep 0.2; done
wait_tool
head -1 out | grep -Eq '^EXEC +PID SYSCALL +ERR  DESC$' || fail "header"
grep -Eq "^$cmd +[0-9]+ openat +2  No such file or directory$" out ||
	fail "no failed openat of $cmd"
awk 'NR > 1 && $1 != "'"$cmd"'"' out | grep -q . && fail "-n: other programs shown"

start_tool errinfo -c -n "$cmd" -d 3
while running; do ./"$cmd" missing.$$ 2>/dev/null; sleep 0.2; done
wait_tool
grep -Eq '^EXEC +SYSCALL +ERR +COUNT  DESC$' out || fail "-c: no summary header"
grep -Eq "^$cmd +openat +2 +[1-9][0-9]*  No such file or directory$" out ||
	fail "-c: no count of failed openat"
exit 0
