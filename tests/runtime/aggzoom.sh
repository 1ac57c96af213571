# -x aggzoom: histogram bars are scaled to the largest bucket (it fills 95%
# of the 40 columns, 38, as in DTrace) instead of to the total.
set -u
out=$("$DTRACE" -q -x aggzoom -n 'BEGIN { @ = quantize(1); @ = quantize(2); @ = quantize(2); @ = quantize(8); exit(0); }' 2>&1)
echo "$out"
echo "$out" | grep -Eq '^ +2 \|@{38}  +2 +$' || { echo "FAIL: the largest bucket is not 95% of the bar"; exit 1; }
echo "$out" | grep -Eq '^ +1 \|@{19} +1 +$' || { echo "FAIL: half the largest is not half the bar"; exit 1; }
out=$("$DTRACE" -q -n 'BEGIN { @ = quantize(1); @ = quantize(2); @ = quantize(2); @ = quantize(8); exit(0); }' 2>&1)
echo "$out" | grep -Eq '^ +2 \|@{20} +2 +$' || { echo "FAIL: without aggzoom, bars are shares of the total"; exit 1; }
exit 0
