# trunc(@, N) then printa(@) in one clause prints N entries: printa shows
# what trunc left, not the kernel's aggregation read again (which has
# gained keys from other CPUs, and dtrace's own system calls, since).
set -u
fail() { echo "FAIL: $*"; exit 1; }
# (keyed by pid: dtrace's own system calls between trunc and printa, and
# other processes', add keys)
out=$("$DTRACE" -q -n 'syscall:::entry { @[pid] = count(); }
    tick-300ms /++n <= 5/ { trunc(@, 1); printf("round\n"); printa("%d %@d\n", @); trunc(@); }
    tick-300ms /n == 6/ { exit(0); }' 2>&1)
[ "$(echo "$out" | grep -c '^round$')" = 5 ] || fail "not five rounds: $out"
most=$(echo "$out" | awk '/^round$/ { r++ } /^[0-9]+ [0-9]+$/ { c[r]++ } END { m = 0; for (i in c) if (c[i] > m) m = c[i]; print m }')
[ "$most" -le 1 ] || fail "trunc(@, 1) then printa printed $most entries in a round: $out"

# A trunc in one probe's clause, printa in a later firing: the kernel's
# aggregation, truncated, then grown again.
out=$("$DTRACE" -q -n 'syscall:::entry { @[probefunc] = count(); }
    tick-100ms /++n == 2/ { trunc(@, 1); }
    tick-100ms /n == 5/ { printa("%s %@d\n", @); exit(0); }' 2>&1)
lines=$(echo "$out" | grep -c '^[a-z_0-9]* [0-9]*$')
[ "$lines" -ge 1 ] || fail "later printa: $out"
exit 0
