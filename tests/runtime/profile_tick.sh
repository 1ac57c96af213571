# profile-N fires on every CPU, tick-N on one; arg0/arg1 hold the PCs.
set -u
ncpu=$(nproc)
# Keep every CPU busy: on some virtual machines an idle CPU takes few
# CPU-clock samples.
spinners=()
for i in $(seq 1 "$ncpu"); do timeout 3 sh -c 'while :; do :; done' & spinners+=($!); done
trap 'kill "${spinners[@]}" 2>/dev/null' EXIT
out=$("$DTRACE" -q -n '
profile-997 { @cpus[cpu] = count(); @pc = max(arg0 != 0 || arg1 != 0); }
tick-100ms { @ticks = count(); }
tick-1s { printa("cpu %d %@d\n", @cpus); printa("pc %@d\n", @pc); printa("ticks %@d\n", @ticks); exit(0); }' 2>&1)
echo "$out"
[ "$(echo "$out" | grep -c '^cpu ')" = "$ncpu" ] || { echo "FAIL: profile did not fire on every CPU"; exit 1; }
echo "$out" | grep -q '^pc 1$' || { echo "FAIL: no PC in arg0/arg1"; exit 1; }
t=$(echo "$out" | sed -n 's/^ticks //p')
[ "$t" -ge 5 ] && [ "$t" -le 12 ] || { echo "FAIL: tick-100ms fired $t times in a second"; exit 1; }
exit 0
