# String functions work at any strsize DTrace accepts: a string written at
# an offset into a temporary (strjoin's second part), strings as long as
# strsize, and sizes whose string temporaries pass 32 KB of the per-CPU
# context.
set -u
for size in 64 256 1024 2048 4096 8192; do
    out=$("$DTRACE" -x strsize=$size -q -n '
BEGIN {
    s = strjoin(execname, execname);
    printf("%d %s %s %d\n", strlen(s), substr(s, 2, 3), toupper(execname), index(s, "ce"));
    exit(0);
}' 2>&1)
    [ "$out" = "12 rac DTRACE 4" ] || { echo "FAIL: strsize=$size: $out"; exit 1; }
done
# A string of strsize characters, joined to itself, is cut at strsize.
out=$("$DTRACE" -x strsize=300 -q -n '
BEGIN {
    a = "0123456789012345678901234567890123456789012345678901234567890123456789";
    b = strjoin(strjoin(strjoin(a, a), strjoin(a, a)), strjoin(a, a));
    printf("%d %d\n", strlen(b), strlen(strjoin(b, b)));
    exit(0);
}' 2>&1)
[ "$out" = "300 300" ] || { echo "FAIL: strings cut at strsize: $out"; exit 1; }
exit 0
