# rwtop charges a copy of dd's 4 KB reads and writes through a pipe to it,
# in reports per interval.
. "$(dirname "$0")/common.inc"
check_usage rwtop

cmd=tkrwt$$
cp /bin/dd "$cmd"
start_tool rwtop -n "$cmd" 1 2
while running; do
	./"$cmd" if=/dev/zero bs=4k count=64 2>/dev/null | cat >/dev/null
	sleep 0.1
done
wait_tool
n=$(grep -Ec '^[0-9]{4} [A-Z][a-z]{2} +[0-9]+ [0-9:]{8},  read: [0-9]+ KB,  write: [0-9]+ KB$' out)
[ "$n" -eq 2 ] || fail "$n reports, expected 2"
grep -Eq '^ +PID +PPID COMM +D +BYTES$' out || fail "no column header"
# 256 KB through the pipe a run (and a little more: the loader's reads,
# dd's report on standard error).
r=$(awk '$2 == '$$' && $3 == "'"$cmd"'" && $4 == "R" && $5 >= 262144' out | wc -l)
w=$(awk '$2 == '$$' && $3 == "'"$cmd"'" && $4 == "W" && $5 >= 262144' out | wc -l)
[ "$r" -ge 1 ] || fail "no read line of 256 KB or more for $cmd"
[ "$w" -ge 1 ] || fail "no write line of 256 KB or more for $cmd"
awk '/^ +[0-9]/ && $3 != "'"$cmd"'"' out | grep -q . && fail "-n: other processes shown"
exit 0
