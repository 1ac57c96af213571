# lockstat: threads contending for a pipe's mutex, an address space's and a
# file's reader-writer semaphores fire the contention probes with the lock
# and the time waited; the acquire and release probes, which the kernel has
# no tracepoints for, say so.
set -u
[ -x "${WORKLOADS:-}/contention" ] || { echo "SKIP: workloads not built"; exit 77; }
[ -d /sys/kernel/tracing/events/lock/contention_begin ] ||
	{ echo "SKIP: the kernel has no lock:contention_begin tracepoint"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

n=$("$DTRACE" -l -P lockstat | tail -n +2 | wc -l)
[ "$n" = 6 ] || fail "lockstat lists $n probes, not 6"
"$DTRACE" -lv -n lockstat:::rw-spin | grep -q 'args\[2\]: int' || fail "rw-spin has no args[2]"

out=$(timeout 60 "$DTRACE" -q -c "$WORKLOADS/contention 1500" -n '
lockstat:::adaptive-spin, lockstat:::adaptive-block, lockstat:::spin-spin, lockstat:::rw-block
/pid == $target/
{
	@n[probename] = count();
	/* a lock and a wait shorter than the run */
	@bad[probename] = sum(args[0] == NULL || arg1 == 0 || arg1 > 10000000000);
}
lockstat:::rw-block /pid == $target/ { @rw[args[2] == RW_READER ? "reader" : "writer"] = count(); }
END { printa("count %s %@d\n", @n); printa("bad %s %@d\n", @bad); printa("rw %s %@d\n", @rw); }
' 2>&1)
echo "$out"
echo "$out" | grep -q "^count rw-block [1-9]" || fail "no rw-block firing"
echo "$out" | grep -Eq "^count adaptive-(spin|block) [1-9]" || fail "no adaptive firing"
echo "$out" | grep -q "^rw writer [1-9]" || fail "no writer waited"
if echo "$out" | grep -Eq "^bad [a-z-]+ [1-9]"; then fail "a firing without a lock or a wait"; fi

err=$("$DTRACE" -n 'lockstat:::adaptive-acquire { }' 2>&1)
echo "$err"
echo "$err" | grep -q "lockstat:::adaptive-acquire does not match any probes: the lockstat provider's acquire and release probes are not available on Linux" ||
	fail "no reason for adaptive-acquire"
exit 0
