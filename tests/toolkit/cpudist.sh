# cpudist makes an on-CPU histogram for a copy of dd that runs and blocks
# on a pipe, and -O an off-CPU one; -S one for the system.
. "$(dirname "$0")/common.inc"
check_usage cpudist

cmd=tkcd$$
cp /bin/dd "$cmd"
work() { ./"$cmd" if=/dev/zero bs=64k count=200 2>/dev/null | (sleep 0.05; cat >/dev/null); }
start_tool cpudist -n "$cmd" -d 3
while running; do work; done
wait_tool
grep -Eq '^On-CPU time in microseconds:$' out || fail "no title"
grep -Eq "^  $cmd\$" out || fail "no histogram for $cmd"
grep -Eq '^ +value +-+ Distribution -+ count *$' out || fail "no distribution"
total=$(awk '$2 ~ /^\|/ { n += $3 } END { print n + 0 }' out)
[ "$total" -ge 5 ] || fail "$total on-CPU runs of $cmd"

start_tool cpudist -O -n "$cmd" -d 3
while running; do work; done
wait_tool
grep -Eq '^Off-CPU time in microseconds:$' out || fail "-O: no title"
grep -Eq "^  $cmd\$" out || fail "-O: no histogram for $cmd"

start_tool cpudist -S -d 2
while running; do work; done
wait_tool
grep -Eq '^  all$' out || fail "-S: no system histogram"
exit 0
