# iotop charges the direct writes of a copy of dd (16 x 8 KB a run) to it,
# in a report per interval with the interval's totals.
. "$(dirname "$0")/common.inc"
check_usage iotop
need_block_device

cmd=tkiot$$
cp /bin/dd "$cmd"
start_tool iotop 2 2
while running; do
	./"$cmd" if=/dev/zero of=data bs=8k count=16 oflag=direct 2>/dev/null
	sleep 0.2
done
wait_tool
n=$(grep -Ec '^[0-9]{4} [A-Z][a-z]{2} +[0-9]+ [0-9:]{8},  read: [0-9]+ KB,  write: [0-9]+ KB$' out)
[ "$n" -eq 2 ] || fail "$n reports, expected 2"
grep -Eq '^ +PID COMM +DEVICE +D +BYTES$' out || fail "no column header"
grep -Eq "^ +[0-9]+ $cmd +[a-z][a-z0-9]* +W +[0-9]+$" out || fail "no line for $cmd"
bytes=$(awk '$2 == "'"$cmd"'" && $4 == "W" && $5 > max { max = $5 } END { print max + 0 }' out)
[ "$bytes" -ge 131072 ] || fail "$cmd wrote $bytes bytes in an interval, expected >= 131072"
exit 0
