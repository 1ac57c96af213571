# dtrace -l with -n, -P, -f and globs.
set -u
out=$("$DTRACE" -l -n 'syscall::read:entry')
echo "$out"
echo "$out" | head -1 | grep -Eq '^ +ID +PROVIDER +MODULE +FUNCTION NAME$' || { echo "FAIL: header"; exit 1; }
echo "$out" | grep -Eq '^ +[0-9]+ +syscall +vmlinux +read entry$' || { echo "FAIL: read:entry"; exit 1; }
[ "$("$DTRACE" -l -P dtrace | wc -l)" = 4 ] || { echo "FAIL: dtrace provider"; exit 1; }
n=$("$DTRACE" -l -f 'syscall::*stat*' | wc -l)
[ "$n" -gt 5 ] || { echo "FAIL: glob"; exit 1; }
"$DTRACE" -l -n 'nosuch:::probe' 2>err && { echo "FAIL: no error for a bad description"; exit 1; }
grep -q 'does not match any probes' err || { echo "FAIL: message"; cat err; exit 1; }
exit 0
