# funccount counts the functions workload's work_* functions (called once
# a round) in a command and in a running process (-p), and a libc
# function with -m.
. "$(dirname "$0")/common.inc"
check_usage funccount
fn=$WORKLOADS/functions
[ -x "$fn" ] || skip "no functions workload in $WORKLOADS"

timeout 30 "$TOOLKIT/funccount" -c "$fn 1234" 'work_*' </dev/null >out 2>err ||
	fail "funccount -c failed"
grep -Eq '^MODULE +FUNCTION +COUNT$' out || fail "no header"
for f in work_one work_two work_three; do
	grep -Eq "^functions +$f +1234\$" out || fail "no count of 1234 for $f"
done
grep -Eq ' add ' out && fail "add counted: not in the pattern"

timeout 30 "$TOOLKIT/funccount" -m 'libc.so*' -c "$fn 321" 'getppid' </dev/null >out 2>err ||
	fail "funccount -m failed"
grep -Eq '^libc\.so\.6 +getppid +321$' out || fail "-m libc: no count of 321 for getppid"

# -p: the workload waits for a byte on standard input before its rounds.
mkfifo go
"$fn" 500 <go >/dev/null &
fpid=$!
exec 3>go
trap 'kill $fpid 2>/dev/null' EXIT
start_tool funccount -p $fpid 'work_t*'
sleep 1
echo >&3
wait_tool
grep -Eq '^functions +work_two +500$' out || fail "-p: no count of 500 for work_two"
grep -Eq '^functions +work_three +500$' out || fail "-p: no count of 500 for work_three"
grep -q 'work_one' out && fail "-p: work_one counted"
exit 0
