# sched: threads on and off CPU, sleeping, woken, queued, preempted,
# ticked, kept on CPU and given a new priority, under workloads that do
# each of these.
set -u
fail() { echo "FAIL: $*"; exit 1; }
[ -x "${WORKLOADS:-}/yield" ] || { echo "SKIP: workloads not built"; exit 77; }
ncpu=$(nproc)

# A process that sleeps three times: it goes off CPU to sleep, is woken
# (by whoever runs the timer), queued on a CPU, and comes back on CPU.
cat >sleeper.sh <<'S'
sleep 0.05; sleep 0.05; sleep 0.05
S
out=$(timeout 30 "$DTRACE" -q -c "/bin/sh sleeper.sh" -n '
sched:::sleep /pid == $target/ { @["sleep"] = count(); }
sched:::dequeue /pid == $target && args[1]->pr_pid == $target && args[2]->cpu_id == cpu/ {
    @["dequeue"] = count();
}
sched:::off-cpu /pid == $target && args[1]->pr_pid != $target/ { @["off-cpu"] = count(); }
sched:::wakeup /args[1]->pr_pid == $target && args[0]->pr_lwpid == $target/ { @["wakeup"] = count(); }
sched:::enqueue /args[1]->pr_pid == $target && args[2]->cpu_id >= 0 && args[2]->cpu_id < '"$ncpu"'/ {
    @["enqueue"] = count();
}
sched:::on-cpu /pid == $target/ { @["on-cpu"] = count(); }
END { printa("%s %@d\n", @); }' 2>&1)
echo "$out"
for p in sleep dequeue off-cpu wakeup enqueue on-cpu; do
    n=$(echo "$out" | sed -n "s/^$p \([0-9]*\)\$/\1/p")
    [ "${n:-0}" -ge 3 ] || fail "sched:::$p fired ${n:-0} times for a shell that waits three times"
done

# Two shells spinning on one CPU: the scheduler preempts each for the
# other (surrender, then preempt) and the clock ticks in them.
cat >spin.sh <<'S'
spin() { i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; }
spin & spin &
wait
S
out=$(timeout 30 "$DTRACE" -q -c "taskset -c 0 /bin/sh spin.sh" -n '
sched:::preempt /progenyof($target) && pid != $target/ { @["preempt"] = count(); }
sched:::surrender /progenyof($target) && pid != $target && args[1]->pr_pid == pid/ {
    @["surrender"] = count();
}
sched:::tick /progenyof($target) && pid != $target && args[1]->pr_pid == pid &&
    args[0]->pr_lwpid == tid/ { @["tick"] = count(); }
END { printa("%s %@d\n", @); }' 2>&1)
echo "$out"
for p in preempt surrender tick; do
    n=$(echo "$out" | sed -n "s/^$p \([0-9]*\)\$/\1/p")
    [ "${n:-0}" -ge 5 ] || fail "sched:::$p fired ${n:-0} times for two spinning shells"
done

# sched_yield() with nothing else to run keeps the thread on its CPU. Only
# sched_exit_tp (newer than 6.1) sees that: an older kernel has no
# remain-cpu, and says why.
if ! out=$("$DTRACE" -l -n sched:::remain-cpu 2>&1); then
    echo "$out" | grep -q 'remain-cpu does not match any probes: .*tracepoint sched_exit_tp, which this kernel lacks' ||
        fail "no remain-cpu, and no reason: $out"
else
out=$(timeout 30 "$DTRACE" -q -c "$WORKLOADS/yield" -n '
sched:::remain-cpu /pid == $target/ { @ = count(); }
END { printa("remain-cpu %@d\n", @); }' 2>&1)
echo "$out"
n=$(echo "$out" | sed -n 's/^remain-cpu \([0-9]*\)$/\1/p')
[ "${n:-0}" -ge 500 ] || fail "remain-cpu fired ${n:-0} times for 1000 lone sched_yield()s"
fi

# Priority inheritance lends the lock holder priority 89, then takes it back.
out=$(timeout 30 "$DTRACE" -q -c "$WORKLOADS/priority" -n '
sched:::change-pri /pid == $target/ {
    printf("change-pri %d %d %d\n", args[0]->pr_lwpid, args[1]->pr_pid, args[2]);
}' 2>&1)
echo "$out"
main=$(echo "$out" | sed -n 's/^main //p')
[ -n "$main" ] || fail "the priority workload did not run"
echo "$out" | grep -qx "change-pri $main $main 89" || fail "change-pri to the waiter's priority"
echo "$out" | grep -qx "change-pri $main $main 120" || fail "change-pri back to the thread's own"

# curcpu, chip, lgrp and pset describe the CPU a probe fires on.
out=$(timeout 30 "$DTRACE" -q -n 'profile-10ms /cpu == 0/ {
    printf("%d %d %d %d %d\n", curcpu->cpu_id, curcpu->cpu_chip == chip, lgrp, pset, n++);
} profile-10ms /n > 0/ { exit(0); }' 2>&1)
echo "$out" | grep -Eq '^0 1 [0-9]+ -1 0$' || fail "curcpu on CPU 0: $out"
exit 0
