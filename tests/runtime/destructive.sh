# Destructive actions need -w; breakpoint() and panic() stay refused on
# Linux; stop() stops the process and chill() spins.
set -u
for action in 'system("true")' 'raise(9)' 'stop()' 'chill(1000)' 'copyout(0, 0, 0)' 'copyoutstr("x", 0, 2)' \
              'breakpoint()' 'panic()'; do
    out=$("$DTRACE" -q -n "BEGIN { $action; exit(0); }" 2>&1)
    rc=$?
    [ "$rc" = 1 ] && [ "$out" = "dtrace: could not enable tracing: Destructive actions not allowed" ] ||
        { echo "FAIL: $action without -w: status $rc, output: $out"; exit 1; }
done
for action in 'breakpoint()' 'panic()'; do
    out=$("$DTRACE" -w -q -n "BEGIN { $action; exit(0); }" 2>&1)
    echo "$out" | grep -q "is not available on Linux" || { echo "FAIL: $action with -w: $out"; exit 1; }
done

# stop(): the traced process is left stopped (state T in /proc).
sh -c 'while :; do :; done' & victim=$!
"$DTRACE" -w -q -p $victim -n 'profile-997 /pid == $target/ { stop(); exit(0); }' \
    -n 'tick-4s { exit(0); }' >/dev/null 2>&1
sleep 0.2
state=$(awk '{print $3}' /proc/$victim/stat 2>/dev/null)
kill -9 $victim 2>/dev/null
wait $victim 2>/dev/null
echo "the process is in state ${state:-?} after stop()"
[ "$state" = T ] || { echo "FAIL: stop() did not stop the process"; exit 1; }

# chill(): BEGIN spins for 200 ms.
start=$(date +%s%N)
"$DTRACE" -w -q -n 'BEGIN { chill(200000000); exit(0); }' || { echo "FAIL: chill"; exit 1; }
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
echo "chill(200 ms) took ${elapsed} ms"
[ "$elapsed" -ge 200 ] || { echo "FAIL: chill returned early"; exit 1; }
exit 0
