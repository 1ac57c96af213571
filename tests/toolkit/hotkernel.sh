# hotkernel samples the kernel while dd copies /dev/zero to /dev/null
# (system calls: kernel time): kernel functions by name, and -m by module.
. "$(dirname "$0")/common.inc"
check_usage hotkernel
# Are kernel symbols readable here?
"$DTRACE" -q -n 'profile-997 /arg0/ { @[func(arg0)] = count(); } tick-1s { exit(0); }' >sym 2>&1
grep -q 'vmlinux`' sym || skip "no kernel symbols for func() on this host"

dd if=/dev/zero of=/dev/null bs=64k count=100000000 2>/dev/null &
ddpid=$!
trap 'kill $ddpid 2>/dev/null' EXIT
timeout 30 "$TOOLKIT/hotkernel" -d 2 >out 2>err || fail "hotkernel failed"
grep -Eq '^FUNCTION +COUNT$' out || fail "no header"
grep -Eq '^ +vmlinux`[A-Za-z0-9_.]+ +[1-9][0-9]*$' out || fail "no kernel functions"
n=$(sed -n 's/^TOTAL (kernel-mode samples) *//p' out)
[ "${n:-0}" -ge 100 ] || fail "${n:-no} kernel-mode samples in 2 s with dd running"

timeout 30 "$TOOLKIT/hotkernel" -m -t 3 -d 1 >out 2>err || fail "hotkernel -m failed"
grep -Eq '^MODULE +COUNT$' out || fail "-m: no header"
grep -Eq '^ +vmlinux +[1-9][0-9]*$' out || fail "-m: no vmlinux line"
grep -q '`' out && fail "-m: function names shown"
exit 0
