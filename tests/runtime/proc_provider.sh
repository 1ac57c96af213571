# proc: processes and threads created, exec'ing and exiting, and signals
# sent, handled and cleared, each checked against what a workload did.
set -u
fail() { echo "FAIL: $*"; exit 1; }
[ -x "${WORKLOADS:-}/threads" ] || { echo "SKIP: workloads not built"; exit 77; }

cat >work.sh <<'S'
/bin/true
/nonexistent/program 2>/dev/null
sleep 10 &
kill -TERM $!
wait
exit 3
S
out=$(timeout 30 "$DTRACE" -q -c "/bin/sh work.sh" -n '
proc:::create /progenyof($target)/ {
    printf("create %d child %d ppid %d\n", pid, args[0]->pr_pid, args[0]->pr_ppid);
}
proc:::start /progenyof($target)/ { printf("start %d\n", pid); }
proc:::exec /progenyof($target)/ { printf("exec %d %s\n", pid, args[0]); }
proc:::exec-success /progenyof($target)/ { printf("exec-success %d %s\n", pid, execname); }
proc:::exec-failure /progenyof($target)/ { printf("exec-failure %d errno %d\n", pid, args[0]); }
proc:::signal-send /progenyof($target)/ {
    printf("signal-send %d to %d sig %d\n", pid, args[1]->pr_pid, args[2]);
}
proc:::exit /progenyof($target)/ { printf("exit %d reason %d\n", pid, args[0]); }
proc:::exit /pid == $target/ { printf("target %d\n", $target); }' 2>&1)
echo "$out"
t=$(echo "$out" | sed -n 's/^target //p')
[ -n "$t" ] || fail "proc:::exit did not fire for the command"
children=$(echo "$out" | sed -n "s/^create $t child \([0-9]*\) ppid $t\$/\1/p")
[ "$(echo "$children" | wc -w)" -ge 3 ] || fail "create: children of $t: $children"
set -- $children
c1=$1 c2=$2 c3=$3
for c in $c1 $c2 $c3; do
    echo "$out" | grep -qx "start $c" || fail "start did not fire in child $c"
done
echo "$out" | grep -qx "exec $c1 /bin/true" || fail "exec of /bin/true"
echo "$out" | grep -qx "exec-success $c1 true" || fail "exec-success of /bin/true"
echo "$out" | grep -qx "exit $c1 reason 1" || fail "exit of /bin/true: CLD_EXITED"
echo "$out" | grep -qx "exec $c2 /nonexistent/program" || fail "exec of a missing program"
echo "$out" | grep -qx "exec-failure $c2 errno 2" || fail "exec-failure: ENOENT"
echo "$out" | grep -qx "signal-send $t to $c3 sig 15" || fail "signal-send: SIGTERM to the sleep"
echo "$out" | grep -qx "exit $c3 reason 2" || fail "exit of the killed sleep: CLD_KILLED"
echo "$out" | grep -qx "exit $t reason 1" || fail "exit of the shell"

# Threads: two lwp-create from the process, each new thread's lwp-start
# and lwp-exit, the process's one exit.
out=$(timeout 30 "$DTRACE" -q -c "$WORKLOADS/threads" -n '
proc:::lwp-create /pid == $target/ {
    printf("lwp-create %d lwp %d of %d\n", tid, args[0]->pr_lwpid, args[1]->pr_pid);
}
proc:::lwp-start /pid == $target/ { printf("lwp-start %d\n", tid); }
proc:::lwp-exit /pid == $target/ { printf("lwp-exit %d\n", tid); }
proc:::exit /pid == $target/ { printf("exit %d\n", pid); }
proc:::exit /pid == $target/ { printf("target %d\n", $target); }' 2>&1)
echo "$out"
t=$(echo "$out" | sed -n 's/^target //p')
[ -n "$t" ] || fail "proc:::exit did not fire for the threaded program"
lwps=$(echo "$out" | sed -n "s/^lwp-create $t lwp \([0-9]*\) of $t\$/\1/p")
[ "$(echo "$lwps" | wc -w)" = 2 ] || fail "lwp-create: $lwps"
for l in $lwps; do
    echo "$out" | grep -qx "lwp-start $l" || fail "lwp-start in thread $l"
    echo "$out" | grep -qx "lwp-exit $l" || fail "lwp-exit of thread $l"
done
[ "$(echo "$out" | grep -c '^exit ')" = 1 ] || fail "exit fired other than once"
echo "$out" | grep -q "^lwp-start $t\$" && fail "lwp-start fired for the main thread"

# Signals: SIGUSR2 caught by a handler, SIGUSR1 taken by sigtimedwait().
out=$(timeout 30 "$DTRACE" -q -c "$WORKLOADS/signals" -n '
proc:::signal-handle /pid == $target/ { printf("signal-handle %d handler %p\n", args[0], args[2]); }
proc:::signal-clear /pid == $target/ { printf("signal-clear %d\n", args[0]); }' 2>&1)
echo "$out"
handler=$(echo "$out" | sed -n 's/^handler 0x//p')
[ -n "$handler" ] || fail "the signals workload did not run"
echo "$out" | grep -qx "signal-handle 12 handler $handler" || fail "signal-handle of SIGUSR2"
echo "$out" | grep -qx "signal-clear 10" || fail "signal-clear of SIGUSR1"

# curpsinfo and the translators work in any clause.
out=$(timeout 30 "$DTRACE" -q -c /bin/true -n '
proc:::exec-success /pid == $target/ {
    printf("%s %d %d\n", curpsinfo->pr_fname, curpsinfo->pr_pid, curlwpsinfo->pr_lwpid);
}' 2>&1)
echo "$out" | grep -Eq '^true [0-9]+ [0-9]+' || fail "curpsinfo in exec-success: $out"
exit 0
