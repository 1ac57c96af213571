# pagefault counts the page faults of a copy of dd: user-mode ones as it
# starts (its program, libraries, stack: some tens), and with -k the
# kernel-mode ones of read(2) filling its fresh 8 MB buffer.
. "$(dirname "$0")/common.inc"
check_usage pagefault
"$DTRACE" -l -n 'sdt:exceptions::page_fault_user' >/dev/null 2>&1 ||
	skip "no exceptions:page_fault_user tracepoint (x86 only)"

cmd=tkpf$$
cp /bin/dd "$cmd"
start_tool pagefault -k -n "$cmd" 2 1
while running; do ./"$cmd" if=/dev/zero of=/dev/null bs=8M count=1 2>/dev/null; sleep 0.2; done
wait_tool
grep -Eq '^ +PID COMM +MODE +FAULTS$' out || fail "no column header"
max=$(awk '$2 == "'"$cmd"'" && $3 == "USER" && $4 > m { m = $4 } END { print m + 0 }' out)
[ "$max" -ge 20 ] || fail "at most $max user faults for a run of $cmd, expected >= 20"
grep -Eq "^ +[0-9]+ $cmd +KERNEL +[1-9][0-9]*\$" out || fail "-k: no kernel-mode faults of $cmd"
awk '/^ +[0-9]/ && $2 != "'"$cmd"'"' out | grep -q . && fail "-n: other processes shown"
exit 0
