# statsnoop sees a copy of ls look at a file that exists (0) and one that
# does not (-1, ENOENT); -x shows only the failure.
. "$(dirname "$0")/common.inc"
check_usage statsnoop

cmd=tkstat$$
cp /bin/ls "$cmd"
: >there.$$
start_tool statsnoop -n "$cmd" -d 3
while running; do ./"$cmd" -l there.$$ gone.$$ >/dev/null 2>&1; sleep 0.2; done
wait_tool
head -1 out | grep -Eq '^ +PID COMM +SYSCALL +RET ERR PATH$' || fail "header"
grep -Eq "^ +[0-9]+ $cmd +[a-z0-9]+ +0 +0 there\.$$\$" out || fail "no stat of there.$$"
grep -Eq "^ +[0-9]+ $cmd +[a-z0-9]+ +-1 +2 gone\.$$\$" out || fail "no failed stat of gone.$$"

start_tool statsnoop -x -f ".$$" -d 2
while running; do ./"$cmd" -l there.$$ gone.$$ >/dev/null 2>&1; sleep 0.2; done
wait_tool
grep -Eq " -1 +2 gone\.$$\$" out || fail "-x: no failed stat"
grep -q "there\.$$" out && fail "-x: a successful stat shown"
exit 0
