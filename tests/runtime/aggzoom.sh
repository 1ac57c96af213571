# -x aggzoom: histogram bars are scaled to the largest bucket (it fills all
# 40 columns) instead of to the total.
set -u
out=$("$DTRACE" -q -x aggzoom -n 'BEGIN { @ = quantize(1); @ = quantize(2); @ = quantize(2); @ = quantize(8); exit(0); }' 2>&1)
echo "$out"
echo "$out" | grep -Eq '^ +2 \|@{40} 2 +$' || { echo "FAIL: the largest bucket does not fill the bar"; exit 1; }
echo "$out" | grep -Eq '^ +1 \|@{20} +1 +$' || { echo "FAIL: half the largest is not half the bar"; exit 1; }
out=$("$DTRACE" -q -n 'BEGIN { @ = quantize(1); @ = quantize(2); @ = quantize(2); @ = quantize(8); exit(0); }' 2>&1)
echo "$out" | grep -Eq '^ +2 \|@{20} +2 +$' || { echo "FAIL: without aggzoom, bars are shares of the total"; exit 1; }
exit 0
