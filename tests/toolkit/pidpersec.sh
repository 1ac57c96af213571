# pidpersec counts the forks of a copy of sh (two a run) each second.
. "$(dirname "$0")/common.inc"
check_usage pidpersec

cmd=tkpps$$
cp /bin/sh "$cmd"
start_tool pidpersec -n "$cmd" -d 3
while running; do ./"$cmd" -c '/bin/true; /bin/true; true'; sleep 0.1; done
wait_tool
head -1 out | grep -Eq '^TIME +LASTPID +PID/s$' || fail "header"
n=$(grep -Ec '^[0-9]{4} [A-Z][a-z]{2} +[0-9]+ [0-9:]{8} +[0-9]+ +[0-9]+$' out)
[ "$n" -ge 2 ] || fail "$n lines in 3 seconds"
max=$(awk 'NR > 1 && $6 > m { m = $6 } END { print m + 0 }' out)
[ "$max" -ge 4 ] || fail "at most $max forks a second, expected >= 4"
awk 'NR > 1 && $6 > 0 && $5 == 0' out | grep -q . && fail "forks without a last pid"
exit 0
