# syscount counts a copy of dd's read and write calls by name, by process
# (-P), the top N (-t) and every interval (-i).
. "$(dirname "$0")/common.inc"
check_usage syscount

cmd=tksc$$
cp /bin/dd "$cmd"
work() { ./"$cmd" if=/dev/zero of=/dev/null bs=1 count=2000 2>/dev/null; }
start_tool syscount -n "$cmd" -d 3
while running; do work; sleep 0.1; done
wait_tool
grep -Eq '^SYSCALL +COUNT$' out || fail "no header"
reads=$(awk '$1 == "read" { print $2 }' out)
writes=$(awk '$1 == "write" { print $2 }' out)
[ "${reads:-0}" -ge 2000 ] || fail "read: ${reads:-no} count, expected >= 2000"
[ "${writes:-0}" -ge 2000 ] || fail "write: ${writes:-no} count, expected >= 2000"

start_tool syscount -P -n "$cmd" -t 2 -d 3
while running; do work; sleep 0.1; done
wait_tool
grep -Eq '^ +PID COMM +COUNT$' out || fail "-P: no header"
grep -Eq "^ +[0-9]+ $cmd +[0-9]{4,}$" out || fail "-P: no count for $cmd"

start_tool syscount -t 2 -n "$cmd" -d 3
while running; do work; sleep 0.1; done
wait_tool
# printa sorts by count: the top two are the last lines.
last=$(grep . out | tail -n 2 | awk '{ print $1 }' | sort | tr '\n' ' ')
[ "$last" = "read write " ] || fail "-t 2: last two lines are $last"

start_tool syscount -i 1 -n "$cmd" -d 3
while running; do work; sleep 0.1; done
wait_tool
n=$(grep -Ec '^[0-9]{4} [A-Z][a-z]{2} +[0-9]+ [0-9:]{8}$' out)
[ "$n" -ge 2 ] || fail "-i 1: $n interval time stamps in 3 seconds"
exit 0
