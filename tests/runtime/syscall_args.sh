# syscall provider: entry arguments, return values and errno, for a
# command run with -c ($target).
set -u
out=$("$DTRACE" -q -c 'dd if=/dev/zero of=/dev/null bs=1234 count=3 status=none' -n '
syscall::write:entry /pid == $target/ { printf("write fd=%d bytes=%d\n", arg0, arg2); }
syscall::write:return /pid == $target/ { printf("returned %d errno=%d\n", arg1, errno); }
syscall::openat:return /pid == $target && errno != 0/ { printf("openat failed errno=%d\n", errno); }
' 2>&1)
echo "$out"
[ "$(echo "$out" | grep -c '^write fd=1 bytes=1234$')" = 3 ] || { echo "FAIL: write arguments"; exit 1; }
[ "$(echo "$out" | grep -c '^returned 1234 errno=0$')" = 3 ] || { echo "FAIL: write return value"; exit 1; }

# errno on a failing call
out=$("$DTRACE" -q -c 'cat /nonexistent/file' -n '
syscall::openat:return /pid == $target && errno == 2/ { printf("ENOENT %d %s\n", (int)arg1, probefunc); }' 2>&1)
echo "$out"
echo "$out" | grep -q '^ENOENT -2 openat$' || { echo "FAIL: errno"; exit 1; }
exit 0
