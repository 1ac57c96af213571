# Aggregations with string keys (elements over 256 bytes, taken from the
# kernel's per-CPU element caches) lose nothing when a firing adds several
# new keys at once: every update counted, no drop reported.
set -u
out=$("$DTRACE" -q -n '
tick-50hz /n < 10/ {
    n++;
    @a[execname] = count(); @b[probename] = count(); @c[probefunc] = count();
    @d[probeprov] = count(); @e[probename, execname] = count(); @a["x"] = count();
}
tick-50hz /n == 10/ { printa("%s %@d\n", @b); printa("%s %@d\n", @d); printa("%s %@d\n", @a); exit(0); }' 2>&1)
echo "$out"
echo "$out" | grep -q 'drop' && { echo "FAIL: drops reported"; exit 1; }
echo "$out" | grep -q '^tick-50hz 10$' || { echo "FAIL: @b lost an update"; exit 1; }
echo "$out" | grep -q '^profile 10$' || { echo "FAIL: @d lost an update"; exit 1; }
echo "$out" | grep -q '^x 10$' || { echo "FAIL: @a lost an update"; exit 1; }
exit 0
