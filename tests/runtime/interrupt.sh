# Ctrl-C (SIGINT) runs END and prints the aggregations; nothing stays in
# the kernel afterwards.
set -u
"$DTRACE" -q -n 'tick-10ms { @n = count(); } END { printf("end ran\n"); }' >out 2>err &
pid=$!
sleep 1.5
kill -INT $pid
wait $pid
rc=$?
cat out err
[ $rc = 0 ] || { echo "FAIL: exit status $rc"; exit 1; }
grep -q '^end ran$' out || { echo "FAIL: END did not run"; exit 1; }
n=$(grep -E '^ +[0-9]+$' out | tr -d ' ')
[ -n "$n" ] && [ "$n" -gt 10 ] || { echo "FAIL: aggregation not printed"; exit 1; }
exit 0
