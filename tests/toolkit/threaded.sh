# threaded samples a busy copy of dd: its one thread is on a CPU most of
# the time (about 101 samples a second).
. "$(dirname "$0")/common.inc"
check_usage threaded

cmd=tkthr$$
cp /bin/dd "$cmd"
./"$cmd" if=/dev/zero of=/dev/null bs=64k count=100000000 2>/dev/null &
busy=$!
trap 'kill $busy 2>/dev/null' EXIT
timeout 30 "$TOOLKIT/threaded" -n "$cmd" 1 2 >out 2>err || fail "threaded failed"
n=$(grep -Ec '^[0-9]{4} [A-Z][a-z]{2} +[0-9]+ [0-9:]{8}$' out)
[ "$n" -eq 2 ] || fail "$n reports, expected 2"
grep -Eq '^ +PID +TID COMM +SAMPLES$' out || fail "no column header"
s=$(awk '$1 == '$busy' && $2 == '$busy' && $3 == "'"$cmd"'" { print $4; exit }' out)
[ "${s:-0}" -ge 30 ] || fail "${s:-no} samples for the busy $cmd in a second"

timeout 30 "$TOOLKIT/threaded" -p $busy 1 1 >out 2>err || fail "threaded -p failed"
awk '/^ +[0-9]/ && $1 != '$busy'' out | grep -q . && fail "-p: other processes shown"
exit 0
