# Checks shared by the tests of the usdt_app workload's two builds
# (SystemTap-style sites in usdt_app, DTrace-style ones in usdt_dof_app):
# the same program, so the same probes, arguments and is-enabled test.
# Needs fail() and, for check_usdt_app_held, lib/held_process.sh.

# check_usdt_app_run BINARY MODULE ARG0: traces `BINARY 3` with -c; ARG0 is
# how work-start's first argument is read (arg0, or args[0] where typed).
check_usdt_app_run() {
    local bin=$1 module=$2 arg0=$3 out t i
    [ "$("$bin" 2 | sort -u)" = "enabled 0" ] || fail "untraced, work-start claims to be enabled"
    out=$(timeout 30 "$DTRACE" -q -c "$bin 3" -n '
usdtapp$target:::work-start { printf("start %s %s %s %s %d %s\n", probeprov, probemod, probefunc, probename, '"$arg0"', copyinstr(arg1)); }
usdtapp$target:::work-done { printf("done %d %d %d\n", args[0], args[1], args[2]); }
usdtapp$target:'"$module"':main:idle { @idle = count(); }
END { printa("idle %@d\n", @idle); }' 2>&1)
    echo "$out"
    [ "$(echo "$out" | grep -c '^enabled 1$')" = 3 ] || fail "-c: traced, work-start is enabled"
    t=$(echo "$out" | sed -n 's/^start usdtapp\([0-9]*\) .*/\1/p' | head -1)
    [ -n "$t" ] || fail "work-start did not fire"
    for i in 0 1 2; do
        echo "$out" | grep -qx "start usdtapp$t $module main work-start $i item-$i" ||
            fail "work-start($i, \"item-$i\")"
        echo "$out" | grep -qx "done $i $((1099511627776 + i)) -5" ||
            fail "work-done($i, 2^40+$i, -5)"
    done
    echo "$out" | grep -qx "idle 3" || fail "idle fired three times"
}

# check_usdt_app_held BINARY: -p on `BINARY 2 wait`, held on a FIFO until
# dtrace is ready; work-start fires and its is-enabled test is true.
check_usdt_app_held() {
    local d
    start_held app.out "$1" 2 wait
    timeout 30 "$DTRACE" -q -p $w -n '
BEGIN { printf("ready\n"); }
usdtapp$target:::work-start { printf("pid %d start %d\n", pid, arg0); }' >out 2>&1 &
    d=$!
    release_when_ready out
    wait $d
    cat out app.out
    grep -qx "pid $w start 1" out || fail "-p: work-start in $w"
    [ "$(grep -c '^enabled 1$' app.out)" = 2 ] || fail "-p: is-enabled while traced"
}
