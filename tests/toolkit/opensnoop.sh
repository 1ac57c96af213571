# opensnoop sees a file the test opens (fd >= 0) and one that does not
# exist (-1, ENOENT); -x shows failures only, -f filters by path.
. "$(dirname "$0")/common.inc"
check_usage opensnoop

name=tk-open-$$
echo hi >"$name.ok"
start_tool opensnoop -n cat -d 3
while running; do cat "$name.ok" "$name.missing" >/dev/null 2>&1; sleep 0.2; done
wait_tool
head -1 out | grep -Eq '^ +UID +PID COMM +FD ERR PATH$' || fail "header"
grep -Eq "^ +0 +[0-9]+ cat +[0-9]+ +0 $name\.ok$" out || fail "no successful open of $name.ok"
grep -Eq "^ +0 +[0-9]+ cat +-1 +2 $name\.missing$" out || fail "no failed open of $name.missing"
awk 'NR > 1 && $3 != "cat"' out | grep -q . && fail "-n cat: other programs shown"

start_tool opensnoop -x -f "$name" -d 3
while running; do cat "$name.ok" "$name.missing" >/dev/null 2>&1; sleep 0.2; done
wait_tool
grep -Eq " -1 +2 $name\.missing$" out || fail "-x: no failed open"
grep -q "$name\.ok" out && fail "-x: a successful open shown"
awk 'NR > 1' out | grep -v "$name" | grep -q . && fail "-f: other paths shown"
exit 0
