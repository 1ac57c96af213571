# sdt: kernel tracepoints as sdt:SUBSYSTEM::EVENT, their arguments the
# fields of the event's record (integers by value, char arrays and dynamic
# strings by address), checked against what the traced command did.
set -u
fail() { echo "FAIL: $*"; exit 1; }
[ -e /sys/kernel/tracing/events/sched/sched_process_exec ] ||
    { echo "SKIP: no sched tracepoints in tracefs"; exit 77; }

# The command dtrace starts execs /bin/true: its name changes from dtrace's
# (task_rename: pid, oldcomm[16], newcomm[16], oom_score_adj), it execs
# (sched_process_exec: __data_loc filename, pid) and exits
# (sched_process_exit: comm, pid, prio; 6.1 has no group_dead after them).
out=$(timeout 20 "$DTRACE" -q -c /bin/true -n '
sdt:task::task_rename /args[0] == $target/ {
    printf("rename %d %s -> %s adj %d\n", args[0], stringof(args[1]), stringof(args[2]), args[3]);
}
sdt:sched::sched_process_exec /args[1] == $target/ {
    printf("exec %s pid %d\n", stringof(args[0]), args[1]);
}
sdt:sched::sched_process_exit /args[1] == $target/ {
    printf("exit %s pid %d prio %d\n", stringof(args[0]), args[1], args[2]);
}
sdt:sched::sched_process_exit /args[1] == $target/ { printf("target %d\n", $target); }' 2>&1)
echo "$out"
target=$(echo "$out" | sed -n 's/^target //p')
[ -n "$target" ] || fail "sched_process_exit did not fire for the command"
echo "$out" | grep -qx "rename $target dtrace -> true adj 0" || fail "task_rename arguments"
echo "$out" | grep -qx "exec /bin/true pid $target" || fail "sched_process_exec arguments"
echo "$out" | grep -Eqx "exit true pid $target prio [0-9]+" || fail "sched_process_exit arguments"

# Arguments beyond the record's fields are refused at compile time.
out=$("$DTRACE" -x errtags -n 'sdt:task::task_rename { trace(args[4]); }' 2>&1)
echo "$out" | grep -q 'D_ARGS_IDX.*index 4 is out of range for sdt:task::task_rename args' ||
    fail "args[4]: $out"

# Listing: a subsystem's events, and globs over all of them.
out=$("$DTRACE" -l -n 'sdt:sched::' 2>&1)
echo "$out" | grep -Eq '^ *[0-9]+ +sdt +sched +sched_switch$' || fail "sdt:sched:: listing: $out"
n=$("$DTRACE" -l -n 'sdt:::sched_*' 2>&1 | grep -c ' sched_')
[ "$n" -ge 10 ] || fail "sdt:::sched_* listed $n probes"
exit 0
