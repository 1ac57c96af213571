# A full dynamic variable space is reported as drops, with DTrace's words
# (the seed's demonstration: an array flooded with unrepeated keys).
set -u
"$DTRACE" -q -x dynvarsize=64 -n 'int t[int]; tick-1ms { t[timestamp] = timestamp; } tick-500ms { exit(0); }' >out 2>err
cat out err
grep -Eq '^dtrace: [0-9]+ dynamic variable drops? \(raise dynvarsize\)$' err || { echo "FAIL: no drop report"; exit 1; }
exit 0
