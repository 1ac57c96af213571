# The safety seeds' demonstrations, in their Linux D form.
set -u
# 1. A bad pointer dereferenced in a system call probe: each firing reports
#    the error line, and tracing goes on (the later clause still counts).
script=$(mktemp)
printf 'for i in 1 2 3 4 5; do /bin/true; done\n' > "$script"
out=$("$DTRACE" -q -c "sh $script" -n '
syscall::execve:entry /ppid == $target || pid == $target/ { trace(*(int *)16); }
syscall::execve:entry /ppid == $target || pid == $target/ { @execs = count(); }
END { printa("execs %@d\n", @execs); }' 2>&1)
rm -f "$script"
echo "$out"
n=$(echo "$out" | grep -c '^dtrace: error in dt_clause_0 for probe ID [0-9]* (syscall:vmlinux:execve:entry): invalid address (0x10) at BPF pc [0-9]*$')
[ "$n" -ge 5 ] || { echo "FAIL: $n error lines, 5 or more expected"; exit 1; }
echo "$out" | grep -Eq '^execs ([5-9]|[1-9][0-9]+)$' || { echo "FAIL: tracing did not go on"; exit 1; }

# 2. A NULL pointer dereferenced in BEGIN fires ERROR with its arguments:
#    arg1 the EPID, arg4 the fault type, arg5 the address.
out=$("$DTRACE" -q -n '
dtrace:::BEGIN { *(char *)NULL; }
dtrace:::ERROR { printf("Hit an error! epid=%d fault=%d (%s) addr=%d\n", arg1, arg4,
    arg4 == DTRACEFLT_BADADDR ? "DTRACEFLT_BADADDR" : "?", arg5); exit(0); }' 2>&1)
echo "$out"
echo "$out" | grep -q '^Hit an error! epid=1 fault=1 (DTRACEFLT_BADADDR) addr=0$' || { echo "FAIL: ERROR arguments"; exit 1; }
echo "$out" | grep -Eq '^dtrace: error in dt_clause_0 for probe ID 1 \(dtrace:::BEGIN\): invalid address \(0x0\) at BPF pc [0-9]+$' ||
    { echo "FAIL: no error line"; exit 1; }

# 3. An error inside ERROR is dropped (counted), never recursive.
out=$("$DTRACE" -q -n 'BEGIN { *(char *)NULL; } ERROR { *(char *)8; } tick-200ms { exit(0); }' 2>&1)
echo "$out"
echo "$out" | grep -q 'error in dt_clause_1' && { echo "FAIL: an error in ERROR was reported as a fault"; exit 1; }
exit 0
