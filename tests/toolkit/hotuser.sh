# hotuser samples the functions workload (a loop in main calling getppid
# through libc) run as a command and by -p: main and libc's getppid are
# its busy functions; -l counts by library.
. "$(dirname "$0")/common.inc"
check_usage hotuser
fn=$WORKLOADS/functions
[ -x "$fn" ] || skip "no functions workload in $WORKLOADS"

timeout 30 "$TOOLKIT/hotuser" "$fn" 3000000 </dev/null >out 2>err || fail "hotuser COMMAND failed"
grep -Eq '^FUNCTION +COUNT$' out || fail "no header"
grep -Eq '^ +functions`(main|add|work_one|work_two|work_three|offsets_target) +[1-9][0-9]*$' out ||
	fail "no samples in the program's functions"
n=$(sed -n 's/^TOTAL (user-mode samples) *//p' out)
[ "${n:-0}" -ge 10 ] || fail "${n:-no} user-mode samples"

timeout 30 "$TOOLKIT/hotuser" -l "$fn" 3000000 </dev/null >out 2>err || fail "hotuser -l failed"
grep -Eq '^LIBRARY +COUNT$' out || fail "-l: no header"
grep -Eq '^ +functions +[1-9][0-9]*$' out || fail "-l: no samples in the program"
grep -q '`' out && fail "-l: function names shown"

# -p: the workload waits for a byte on standard input before its loop.
mkfifo go
"$fn" 100000000 <go >/dev/null &
fpid=$!
exec 3>go
trap 'kill $fpid 2>/dev/null' EXIT
start_tool hotuser -t 5 -d 2 -p $fpid
sleep 0.5
echo >&3
wait_tool
kill $fpid 2>/dev/null
grep -Eq '^ +functions`[a-z_]+ +[1-9][0-9]*$' out || fail "-p: no samples in the program"
lines=$(grep -c '^  ' out)
[ "$lines" -le 5 ] || fail "-t 5: $lines lines"
exit 0
