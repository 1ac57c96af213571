# pid: a process's own functions and its libraries', at entry, return and
# an offset, through uprobes, for a command dtrace starts (-c, before it
# has loaded its libraries) and for a running process (-p).
set -u
fail() { echo "FAIL: $*"; exit 1; }
. "$(dirname "$0")/lib/held_process.sh"
W=${WORKLOADS:-}/functions
[ -x "$W" ] || { echo "SKIP: workloads not built"; exit 77; }
[ -e /sys/bus/event_source/devices/uprobe/type ] || { echo "SKIP: no uprobe PMU"; exit 77; }

# -c: add(2, 3) returns 5; three work_ functions by a glob; getppid() in
# the C library (named libc.so.6, libc.so or libc); offset 2 of a function
# of known instructions (x86-64), where arg0 is still in its register.
out=$(timeout 30 "$DTRACE" -q -c "$W" -n '
pid$target:a.out:add:entry { printf("entry %s %s %s %d %d\n", probeprov, probemod, probefunc, arg0, arg1); }
pid$target:a.out:add:return { printf("return %s %d\n", probename, arg1); }
pid$target:a.out:work_*:entry { printf("glob %s\n", probefunc); }
pid$target:libc.so.6:getppid:entry, pid$target:libc.so:getppid:return, pid$target:libc:getppid:entry {
    printf("libc %s %s\n", probefunc, probename);
}
pid$target:functions:main:entry { printf("target %d %s\n", $target, execname); }' 2>&1)
echo "$out"
t=$(echo "$out" | sed -n 's/^target \([0-9]*\) functions$/\1/p')
[ -n "$t" ] || fail "pid\$target:functions:main:entry did not fire in the command"
echo "$out" | grep -qx "entry pid$t functions add 2 3" || fail "add:entry and its arguments"
echo "$out" | grep -qx "return return 5" || fail "add:return and its value in arg1"
for f in work_one work_two work_three; do
    echo "$out" | grep -qx "glob $f" || fail "glob work_*: $f"
done
[ "$(echo "$out" | grep -c '^libc getppid entry$')" = 2 ] || fail "libc.so.6 and libc: getppid:entry"
echo "$out" | grep -qx "libc getppid return" || fail "libc.so: getppid:return"

if [ "$(uname -m)" = x86_64 ]; then
    out=$(timeout 30 "$DTRACE" -q -c "$W" -n '
    pid$target:a.out:offsets_target:2 { printf("offset %s %d\n", probename, arg0); }' 2>&1)
    echo "$out" | grep -qx "offset 2 42" || fail "an offset probe: $out"
    # Offset 3 is inside "mov %rdi,%rax" (nop, nop, then its 3 bytes): no
    # probe there, a breakpoint would corrupt the instruction.
    out=$(timeout 30 "$DTRACE" -q -c "$W" -n 'pid$target:a.out:offsets_target:3 { }' 2>&1) &&
        fail "an offset inside an instruction was enabled"
    echo "$out" | grep -q 'offsets_target:3 does not match any probes' ||
        fail "an offset inside an instruction: $out"
fi

# -p: a running process, waiting on a FIFO until dtrace is ready, then
# calling add() three times.
start_held /dev/null "$W" 3
timeout 30 "$DTRACE" -q -p $w -n '
BEGIN { printf("ready\n"); }
pid$target:a.out:add:return { printf("add returned %d in %d\n", arg1, pid); }' >out 2>&1 &
d=$!
release_when_ready out
wait $d
cat out
[ "$(grep -c "^add returned 5 in $w\$" out)" = 3 ] || fail "-p: three returns from add() in $w"

# A library the process loads with dlopen() after tracing has begun: its
# uprobes wait on the file until the process maps it.
D=${WORKLOADS:-}/dlopen_app
if [ -x "$D" ]; then
    out=$(cd "$(dirname "$D")" && LD_LIBRARY_PATH=$PWD timeout 30 "$DTRACE" -q -c ./dlopen_app -n '
pid$target:libdtplugin.so:plugin_work:entry { printf("plugin entry %d %s\n", arg0, probemod); }
pid$target:libdtplugin:plugin_work:return { printf("plugin return %d\n", arg1); }' 2>&1)
    [ "$(echo "$out" | grep -c '^plugin entry 7 libdtplugin.so$')" = 2 ] || fail "dlopen: entries: $out"
    [ "$(echo "$out" | grep -c '^plugin return 21$')" = 2 ] || fail "dlopen: returns: $out"
fi

# A glob over all of the C library's functions (thousands of probes, some
# on instructions uprobes refuse, which are not offered): enabled, fired
# and removed.
# Without uprobe_multi (before 6.6) each probe detaches after a grace period
# of its own: minutes for thousands under an emulator.
t=30; [ -n "${DTRACE_GUEST_KERNEL:-}" ] && t=400
out=$(timeout $t "$DTRACE" -q -c "$W" -n 'pid$target:libc.so.6::entry { @n = count(); }
END { printa("calls %@d\n", @n); }' 2>&1)
echo "$out" | grep -Eq '^calls [1-9][0-9]*$' || fail "every libc function: $out"
echo "$out" | grep -q 'could not enable' && fail "a libc function could not be enabled: $out"
n=$("$DTRACE" -l -n 'pid$target:libc.so.6::entry' -c "$W" | wc -l)
[ "$n" -gt 1000 ] || fail "libc entries listed: $n"

# Listing, and processes that cannot be traced.
out=$("$DTRACE" -l -n "pid$$:libc.so.6:malloc:" 2>&1)
echo "$out" | grep -Eq "^ *[0-9]+ +pid$$ +libc.so.6 +malloc entry$" || fail "listing: $out"
echo "$out" | grep -Eq "^ *[0-9]+ +pid$$ +libc.so.6 +malloc return$" || fail "listing: $out"
# DTrace's D_PROC_* errors: no such pid, process, function, probe name,
# offset; dtrace itself.
err() { "$DTRACE" -x errtags "$@" 2>&1; }
out=$(err -n 'pid0:::entry')
echo "$out" | grep -q '\[D_PROC_BADPID\] pid0 does not contain a valid pid' || fail "pid0: $out"
out=$(err -n 'pid999999999:::entry')
echo "$out" | grep -q '\[D_PROC_GRAB\] failed to grab process 999999999$' ||
    fail "a process that does not exist: $out"
out=$(err -n "pid$$:libc.so.6:no_such_function:entry")
echo "$out" | grep -q "\[D_PROC_FUNC\] failed to lookup 'no_such_function' in module 'libc.so.6'" ||
    fail "no such function: $out"
out=$(err -n "pid$$:libc.so.6:malloc:middle")
echo "$out" | grep -q "\[D_PROC_NAME\] 'middle' is an invalid probe name" || fail "probe name: $out"
out=$(err -n "pid$$:libc.so.6:malloc:ffffff")
echo "$out" | grep -q "\[D_PROC_OFF\] offset 0xffffff outside of function 'malloc'" ||
    fail "offset: $out"
out=$(err -n "pid$$:libc.so.6:-:1000")
echo "$out" | grep -q "\[D_PROC_LIB\] only the a.out module is valid with the '-' function" ||
    fail "'-' in a library: $out"
out=$(err -n "pid$$::strlen:entry")
echo "$out" | grep -q "\[D_PROC_FUNC\] failed to lookup 'strlen' in module 'libc.so.6': it is an indirect function (GNU ifunc)" ||
    fail "an indirect function: $out"
# pid$target:a.out:-:ADDR: the instruction at an address of the executable.
addr=$(nm "$WORKLOADS/functions" | awk '$3 == "add" { sub(/^0+/, "", $1); print $1 }')
out=$("$DTRACE" -q -n "pid\$target:a.out:-:$addr { printf(\"at %s %s\\n\", probefunc, probename); }" \
    -c "$WORKLOADS/functions" 2>&1)
echo "$out" | grep -q "^at - $addr$" || fail "an address probe: $out"
out=$(err -n 'pid$pid::malloc:entry')
echo "$out" | grep -q '\[D_PROC_DYN\] process [0-9]* is dtrace itself' || fail "dtrace itself: $out"
exit 0
