# Buffers are sized from options up front: a record that cannot fit is
# refused at start-up, a buffer the kernel will not give is lowered (and
# said so) or refused under bufresize=manual.
set -u
out=$("$DTRACE" -q -x bufsize=32 -n 'BEGIN { printf("%s %s\n", execname, execname); exit(0); }' 2>&1)
rc=$?
[ "$rc" = 1 ] && [ "$out" = "dtrace: could not enable tracing: Enabling exceeds size of buffer" ] ||
    { echo "FAIL: small buffer: $rc $out"; exit 1; }
out=$("$DTRACE" -q -x bufsize=32 -x bufpolicy=fill -x strsize=64 -n 'BEGIN { exit(0); } END { trace(execname); }' 2>&1)
[ "$out" = "dtrace: could not enable tracing: END enablings exceed size of principal buffer" ] ||
    { echo "FAIL: END record: $out"; exit 1; }
out=$("$DTRACE" -q -x bufsize=16 -x bufpolicy=ring -n 'BEGIN { exit(0); }' 2>&1)
[ $? = 0 ] || { echo "FAIL: an exit record fits a 16-byte ring: $out"; exit 1; }
out=$("$DTRACE" -q -x bufsize=1t -x bufresize=manual -n 'BEGIN { exit(0); }' 2>&1)
echo "$out"
echo "$out" | grep -q '^dtrace: could not enable tracing: cannot allocate a principal buffer of 1099511627776 bytes per CPU' ||
    { echo "FAIL: bufresize=manual"; exit 1; }
out=$("$DTRACE" -q -x bufsize=1t -n 'BEGIN { exit(0); }' 2>&1)
echo "$out"
echo "$out" | grep -Eq '^dtrace: principal buffer size lowered to [0-9]+[kmg]?$' || { echo "FAIL: bufresize=auto"; exit 1; }
out=$("$DTRACE" -q -x strsize=1 -n 'BEGIN { exit(0); }' 2>&1)
[ "$out" = "dtrace: failed to set -x strsize: Invalid value for specified option" ] || { echo "FAIL: strsize=1: $out"; exit 1; }
# bufpolicy=fill: a full buffer ends tracing; END still runs.
out=$(timeout 30 "$DTRACE" -q -x bufpolicy=fill -x bufsize=8k -x switchrate=10s \
    -n 'profile-997 { printf("%d %s\n", timestamp, execname); } END { printf("END ran\n"); }' 2>&1)
rc=$?
echo "$out" | tail -2
[ "$rc" = 0 ] || { echo "FAIL: bufpolicy=fill did not end tracing ($rc)"; exit 1; }
echo "$out" | grep -q '^END ran$' || { echo "FAIL: END did not run after the buffer filled"; exit 1; }
# An aggregation whose entry (key and value) aggsize cannot hold.
out=$("$DTRACE" -x aggsize=8 -q -n 'BEGIN { @a[probename, execname] = quantize(1); exit(0); }' 2>&1)
rc=$?
[ "$rc" = 1 ] && [ "$out" = "dtrace: could not enable tracing: Enabling exceeds size of buffer" ] ||
    { echo "FAIL: aggsize too small ($rc): $out"; exit 1; }
out=$("$DTRACE" -x aggsize=64 -q -n 'BEGIN { @a = count(); exit(0); }' 2>&1)
[ "$(echo $out)" = 1 ] || { echo "FAIL: an aggregation that fits aggsize: $out"; exit 1; }
# A principal buffer must hold a fault's ERROR record with its header
# (60 bytes), unless it is a ring.
out=$("$DTRACE" -q -x bufsize=59 -n 'BEGIN { exit(0); }' 2>&1)
[ "$out" = "dtrace: could not enable tracing: Enabling exceeds size of buffer" ] ||
    { echo "FAIL: bufsize=59: $out"; exit 1; }
out=$("$DTRACE" -q -x bufsize=60 -n 'BEGIN { printf("ok\n"); exit(0); }' 2>&1)
[ "$out" = ok ] || { echo "FAIL: bufsize=60: $out"; exit 1; }
out=$("$DTRACE" -q -x bufpolicy=ring -x bufsize=16 -n 'BEGIN { exit(0); }' 2>&1)
[ -z "$out" ] || { echo "FAIL: a 16-byte ring: $out"; exit 1; }
exit 0
