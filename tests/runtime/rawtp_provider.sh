# rawtp: every raw tracepoint BTF declares, as rawtp:SUBSYSTEM::NAME, with
# the tracepoint's own arguments typed from BTF.
set -u
fail() { echo "FAIL: $*"; exit 1; }
[ -e /sys/kernel/btf/vmlinux ] || { echo "SKIP: no kernel BTF"; exit 77; }

out=$("$DTRACE" -l -P rawtp 2>&1)
echo "$out" | grep -Eq '^ *[0-9]+ +rawtp +sched +sched_switch$' || fail "listing: $out"
out=$("$DTRACE" -lv -n 'rawtp:sched::sched_process_exec' 2>&1)
for want in 'args\[0\]: struct task_struct \*' 'args\[1\]: pid_t' 'args\[2\]: struct linux_binprm \*'; do
    echo "$out" | grep -q "$want" || fail "-lv: no $want in: $out"
done

# The exec of the command dtrace starts: the new task's name and the old
# pid, through typed arguments.
out=$(timeout 30 "$DTRACE" -q -n '
rawtp:sched::sched_process_exec /args[1] == $target/ {
    printf("%s %s %s pid-ok %d\n", probeprov, probemod, args[0]->comm, args[0]->tgid == $target);
}' -c /bin/true 2>&1)
echo "$out" | grep -qx 'rawtp sched true pid-ok 1' || fail "sched_process_exec: $out"

# A context switch: the tasks' names are strings, prev is running now.
out=$(timeout 30 "$DTRACE" -q -n '
rawtp:sched::sched_switch /args[1] == curthread/ { printf("switch %d\n", args[1]->pid == tid); exit(0); }' 2>&1)
echo "$out" | grep -qx 'switch 1' || fail "sched_switch: $out"
exit 0
