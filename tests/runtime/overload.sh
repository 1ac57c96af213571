# The overload governor: probes that take more than -x overload percent of
# a CPU stop tracing with SystemTap's message and the costliest clauses;
# -x nooverload turns it off; -x probestats prints per-clause statistics.
set -u
prog='syscall::read:entry, syscall::write:entry /pid == $target/ {
	this->s = strjoin(strjoin(execname, probefunc), strjoin(probefunc, execname));
	@[this->s, tid, probefunc] = count();
}'
out=$("$DTRACE" -q -x overload=5 -c 'dd if=/dev/zero of=/dev/null bs=1 count=20000000 status=none' -n "$prog" 2>&1)
rc=$?
echo "$out" | head -5
[ "$rc" = 1 ] || { echo "FAIL: exit status $rc, not 1"; exit 1; }
echo "$out" | grep -Eq '^dtrace: processing aborted: probe overhead exceeded threshold \([0-9]+% > 5%\)$' ||
    { echo "FAIL: no overload message"; exit 1; }
echo "$out" | grep -q 'dt_clause_[0-9]* (syscall::' || { echo "FAIL: no table of costliest clauses"; exit 1; }

# Turned off: the same probes run to the end.
out=$("$DTRACE" -q -x overload=5 -x nooverload -c 'dd if=/dev/zero of=/dev/null bs=1 count=200000 status=none' \
    -n "$prog" 2>&1)
rc=$?
[ "$rc" = 0 ] || { echo "FAIL: -x nooverload still aborted ($rc)"; echo "$out" | tail -3; exit 1; }
echo "$out" | grep -q 'overhead exceeded' && { echo "FAIL: -x nooverload still checked"; exit 1; }

# probestats: every firing timed and counted.
out=$("$DTRACE" -q -x nooverload -x probestats -c 'dd if=/dev/zero of=/dev/null bs=1 count=50000 status=none' \
    -n 'syscall::read:entry /pid == $target/ { @ = count(); }' 2>&1)
echo "$out" | tail -3
echo "$out" | grep -q '^dtrace: probe statistics' || { echo "FAIL: no probe statistics"; exit 1; }
line=$(echo "$out" | grep 'dt_clause_0 (syscall::read:entry)')
firings=$(echo "$line" | awk '{print $1}')
min=$(echo "$line" | awk '{print $2}'); mean=$(echo "$line" | awk '{print $3}'); max=$(echo "$line" | awk '{print $4}')
[ "${firings:-0}" -ge 50000 ] || { echo "FAIL: $firings firings counted, at least 50000 expected"; exit 1; }
[ "$min" -gt 0 ] && [ "$min" -le "$mean" ] && [ "$mean" -le "$max" ] ||
    { echo "FAIL: min/mean/max out of order: $min $mean $max"; exit 1; }
exit 0
