# iosnoop sees the direct 8 KB writes of a copy of dd to a file on a block
# device, each with its process, size and a latency; -n filters by name.
. "$(dirname "$0")/common.inc"
check_usage iosnoop
need_block_device

cmd=tkios$$
cp /bin/dd "$cmd"
start_tool iosnoop -n "$cmd" -d 3
while running; do
	./"$cmd" if=/dev/zero of=data bs=8k count=4 oflag=direct 2>/dev/null
	sleep 0.2
done
wait_tool
head -1 out | grep -Eq '^DEVICE +D +BLOCK +BYTES +LAT\(us\) +PID COMM$' || fail "header"
n=$(grep -Ec "^[a-z][a-z0-9]* +W +[0-9]+ +8192 +[0-9]+ +[0-9]+ $cmd$" out)
[ "$n" -ge 4 ] || fail "$n direct 8 KB writes of $cmd seen, expected at least 4"
awk 'NR > 1 && $7 != "'"$cmd"'"' out | grep -q . && fail "-n: other processes shown"

start_tool iosnoop -t -d 2
while running; do
	./"$cmd" if=/dev/zero of=data bs=8k count=4 oflag=direct 2>/dev/null
	sleep 0.2
done
wait_tool
head -1 out | grep -Eq '^TIME +DEVICE' || fail "-t: no TIME column"
grep -Eq "^[0-9]{4} [A-Z][a-z]{2} +[0-9]+ [0-9:]{8} [a-z].* W .* 8192 .* $cmd$" out ||
	fail "-t: no timed write of $cmd"
exit 0
