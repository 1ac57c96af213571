# -x aggpack: quantize() and lquantize() one line a key under a header of
# the aggregation's range; -x agghist: count() and sum() as bars.
set -u
prog='BEGIN {
    @q["cat"] = quantize(1); @q["cat"] = quantize(3);
    @q["dog"] = quantize(100); @q["dog"] = quantize(100); @q["dog"] = quantize(10);
    @l[1] = lquantize(3, 0, 10, 1); @l[1] = lquantize(7, 0, 10, 1); @l[2] = lquantize(-1, 0, 10, 1);
    @c["x"] = count(); @c["y"] = count(); @c["y"] = count(); @c["y"] = count();
    exit(0);
}'
fail() { echo "FAIL: $1"; echo "$out"; exit 1; }
out=$(TERM=dumb "$DTRACE" -q -x aggpack -x agghist -n "$prog" 2>&1) || fail "dtrace failed"
echo "$out"
# quantize(): the buckets from 0 (one below 1) to 128 (one above 64..127),
# shared by every key; a cell is its share of the key's total (1 of 2 is
# "x", level 4 of 0-7; one alone is "X").
echo "$out" | grep -qxF '              key  min .---------. max  | count' || fail "quantize header"
echo "$out" | grep -qxF '              cat    0 : xx      : 128  | 2' || fail "cat row"
echo "$out" | grep -qxF '              dog    0 :    x  x : 128  | 3' || fail "dog row"
# lquantize(): every bucket, below the base to the limit.
echo "$out" | grep -qxF '      key     min .------------. max      | count' || fail "lquantize header"
echo "$out" | grep -qxF '        1     < 0 :    x   x   : >= 10    | 2' || fail "lquantize row"
echo "$out" | grep -qxF '        2     < 0 :X           : >= 10    | 1' || fail "lquantize row below the base"
# agghist: y is 3 of 4, 30 of the 40 columns.
echo "$out" | grep -Eqx ' +y \|@{30} {10} 3 +' || fail "agghist bar"
# UTF-8 block elements unless the terminal cannot show them.
out=$("$DTRACE" -q -x aggpack -x encoding=utf8 -n "$prog" 2>&1) || fail "dtrace failed"
echo "$out" | grep -qF '              cat    0 : ▅▅      : 128  | 2' || fail "UTF-8 cells"
# Without aggpack the usual tables.
out=$("$DTRACE" -q -n "$prog" 2>&1) || fail "dtrace failed"
echo "$out" | grep -q 'Distribution' || fail "default histograms"
echo "$out" | grep -q ' min \.' && fail "packed without aggpack"
exit 0
