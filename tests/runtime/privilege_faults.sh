# Reads of user memory that Linux refuses for a reason DTrace names: a
# kernel address (kernel privilege) or a kernel thread, which has no user
# address space (user privilege). A plain bad user address stays BADADDR.
set -u
fail() { echo "FAIL: $*"; exit 1; }
# The idle task (pid 0) runs without a user address space.
out=$(timeout 30 "$DTRACE" -q -n 'profile-997 /pid == 0/ { x = copyin(0x1000, 8); }
ERROR { printf("fault %d value %x\n", arg4, arg5); exit(0); }' 2>&1)
echo "$out"
echo "$out" | grep -qx 'fault 7 value 1000' || fail "copyin in a kernel thread is not DTRACEFLT_UPRIV"
echo "$out" | grep -q 'invalid user access (0x1000) at BPF pc' || fail "UPRIV message"
out=$("$DTRACE" -q -n 'BEGIN { x = copyin(0xffffffff81000000, 8); }
ERROR { printf("fault %d\n", arg4); exit(0); }' 2>&1)
echo "$out"
echo "$out" | grep -qx 'fault 6' || fail "copyin of a kernel address is not DTRACEFLT_KPRIV"
echo "$out" | grep -q 'invalid kernel access (0xffffffff81000000)' || fail "KPRIV message"
out=$("$DTRACE" -q -n 'BEGIN { x = copyin(0x1234, 8); }
ERROR { printf("fault %d\n", arg4); exit(0); }' 2>&1)
echo "$out"
echo "$out" | grep -qx 'fault 1' || fail "an unmapped user address is DTRACEFLT_BADADDR"
exit 0
