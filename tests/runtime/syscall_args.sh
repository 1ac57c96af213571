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

# probefunc names the call whatever else the clause reads: the arguments,
# read through a staging area of the per-CPU context, leave it alone; on
# entry and on return, for one call and for several.
out=$("$DTRACE" -q -c 'cat /dev/null' -n '
syscall::openat:entry /pid == $target/ { printf("entry %s %s %d\n", probefunc, copyinstr(arg1), args[2]); }
syscall::openat:return,syscall::close:return /pid == $target/ { printf("return %s %d\n", probefunc, arg1 >= 0); }
syscall::close:entry /pid == $target/ { printf("entry %s %d\n", probefunc, arg0 >= 0); }' 2>&1)
echo "$out"
echo "$out" | grep -q '^entry openat /dev/null 0$' || { echo "FAIL: probefunc with args on entry"; exit 1; }
echo "$out" | grep -q '^return openat 1$' || { echo "FAIL: probefunc on return"; exit 1; }
echo "$out" | grep -q '^entry close 1$' || { echo "FAIL: probefunc of another call"; exit 1; }
echo "$out" | grep -q '^return close 1$' || { echo "FAIL: probefunc of close's return"; exit 1; }
echo "$out" | grep '^entry \|^return ' | grep -v '^entry openat\|^entry close\|^return openat\|^return close' && { echo "FAIL: another probefunc"; exit 1; }
exit 0
