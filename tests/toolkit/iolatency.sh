# iolatency makes a latency histogram (microseconds) for the device that
# direct writes of dd go to; -r splits it by direction.
. "$(dirname "$0")/common.inc"
check_usage iolatency
need_block_device

start_tool iolatency -r -d 3
while running; do
	dd if=/dev/zero of=data bs=8k count=8 oflag=direct 2>/dev/null
	sleep 0.2
done
wait_tool
grep -Eq '^[0-9]{4} [A-Z][a-z]{2} +[0-9]+ [0-9:]{8}, latency in microseconds:$' out ||
	fail "no report line"
grep -Eq '^  device: [a-z][a-z0-9]* W$' out || fail "no write histogram"
grep -Eq '^ +value +-+ Distribution -+ count *$' out || fail "no distribution"
total=$(awk '/device: .* W$/ { w = 1; next } /device:/ { w = 0 } w && $2 ~ /^\|/ { n += $3 } END { print n + 0 }' out)
[ "$total" -ge 8 ] || fail "$total writes in the histogram, expected >= 8"
exit 0
