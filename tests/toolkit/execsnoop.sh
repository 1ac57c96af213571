# execsnoop sees /bin/true run with a unique argument, with its pid, its
# parent's pid and the arguments; -n filters by name.
. "$(dirname "$0")/common.inc"
check_usage execsnoop

tag=tk-exec-$$
start_tool execsnoop -d 4
while running; do /bin/true "$tag" one two; sleep 0.2; done
wait_tool
head -1 out | grep -Eq '^ +UID +PID +PPID COMM +ARGS$' || fail "header"
grep -Eq "^ +0 +[0-9]+ +$$ true +/bin/true $tag one two$" out ||
	fail "no line for /bin/true $tag (parent $$)"

start_tool execsnoop -t -n true -d 3
while running; do /bin/true "$tag"; /bin/echo "$tag" >/dev/null; sleep 0.2; done
wait_tool
head -1 out | grep -Eq '^TIME +UID +PID' || fail "-t: no TIME column"
grep -Eq "^[0-9]{4} [A-Z][a-z]{2} +[0-9]+ [0-9:]{8} +0 .* true +/bin/true $tag$" out ||
	fail "-t -n true: no timed line for true"
grep -q "echo" out && fail "-n true: echo shown"
exit 0
