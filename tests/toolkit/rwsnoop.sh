# rwsnoop sees a copy of cat read a file the test wrote (13 bytes, then 0
# at its end) and write them, with the file's path; -f filters by path.
. "$(dirname "$0")/common.inc"
check_usage rwsnoop

cmd=tkrws$$
cp /bin/cat "$cmd"
printf '0123456789abc' >data.$$
start_tool rwsnoop -n "$cmd" -d 3
while running; do ./"$cmd" data.$$ | cat >/dev/null; sleep 0.2; done
wait_tool
head -1 out | grep -Eq '^ +UID +PID COMM +D +BYTES FILE$' || fail "header"
grep -Eq "^ +0 +[0-9]+ $cmd +R +13 .*/data\.$$\$" out || fail "no read of 13 bytes of data.$$"
grep -Eq "^ +0 +[0-9]+ $cmd +R +0 .*/data\.$$\$" out || fail "no read at the end of data.$$"
grep -Eq "^ +0 +[0-9]+ $cmd +W +13 " out || fail "no write of 13 bytes"

start_tool rwsnoop -f "data.$$" -d 2
while running; do ./"$cmd" data.$$ | cat >/dev/null; sleep 0.2; done
wait_tool
grep -Eq " R +13 .*/data\.$$\$" out || fail "-f: no read of data.$$"
awk 'NR > 1' out | grep -v "data\.$$" | grep -q . && fail "-f: other files shown"
exit 0
