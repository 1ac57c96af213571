# Default (not quiet) output: the header, the CPU/ID/FUNCTION:NAME columns
# and the "matched" line.
set -u
unset _DTRACE_TESTING
"$DTRACE" -n 'BEGIN { trace(1); exit(0); }' >out 2>err
cat out err
head -1 out | grep -Eq '^CPU +ID +FUNCTION:NAME$' || { echo "FAIL: header"; exit 1; }
sed -n 2p out | grep -Eq '^ +[0-9]+ +1 +:BEGIN +1$' || { echo "FAIL: record line"; exit 1; }
grep -q "^dtrace: description 'BEGIN ' matched 1 probe$" err || { echo "FAIL: matched"; exit 1; }
exit 0
