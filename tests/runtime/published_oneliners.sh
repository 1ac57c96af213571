# Published DTrace one-liners (tests/realworld/oneliners.tsv) run unchanged:
# each either traces and prints, or fails with one line naming what Linux
# or this kernel lacks, as its entry expects. A command with shell syntax
# runs under sh; others run directly (the pid provider needs the program).
set -u
here=$(dirname "$(realpath "$0")")
list=${ONELINERS:-$here/../realworld/oneliners.tsv}
[ -x "${WORKLOADS:-}/loopback" ] || { echo "SKIP: workloads not built"; exit 77; }
failed=0 n=0 skipped=0
# Under the guest's emulator a glob over a library's functions takes
# minutes to detach (a grace period a uprobe without uprobe_multi).
limit=30; [ -n "${DTRACE_GUEST_KERNEL:-}" ] && limit=400
while IFS=$'\t' read -r source prog cmd expect; do
	case "$source" in '#'* | '') continue ;; esac
	n=$((n + 1))
	cmd=${cmd//\$WORKLOADS/$WORKLOADS}
	# Every kernel function (~40,000 on Debian 12's kernel, which has no
	# kprobe_multi) one at a time: about 45 minutes under the guest's
	# emulator, minutes on hardware. Said, not run, there.
	if [ -n "${DTRACE_GUEST_KERNEL:-}" ] && [[ "$prog" == fbt:::* ]]; then
		echo "skip $source (every kernel function one at a time: too slow under emulation)"
		skipped=$((skipped + 1))
		continue
	fi
	rm -f /var/tmp/dtrace-ol
	if [ "$cmd" = - ]; then
		timeout $limit "$DTRACE" -q -n "$prog" -n 'tick-1s { exit(0); }' </dev/null >out 2>err
	elif [[ "$cmd" == *[\;\&\$\>\|]* ]]; then
		printf '%s\n' "$cmd" >cmd.sh
		timeout $limit "$DTRACE" -q -n "$prog" -c "sh $PWD/cmd.sh" </dev/null >out 2>err
	else
		timeout $limit "$DTRACE" -q -n "$prog" -c "$cmd" </dev/null >out 2>err
	fi
	rc=$?
	rm -f /var/tmp/dtrace-ol
	# What the traced command printed is not the one-liner's output.
	# (nor the source line and caret after a compile error's one line)
	grep -v '^dtrace: pid [0-9]* has exited$' err | grep -Ev '^ [0-9]+ \| |^ +\| ' >err.dtrace
	ok=
	case "$expect" in output*)
		[ $rc = 0 ] && [ -s out ] && ok=1 ;;
	esac
	if [ -z "$ok" ] && [[ "$expect" == *reason:* ]]; then
		why=${expect#*reason:}
		[ $rc != 0 ] && [ "$(wc -l <err.dtrace)" = 1 ] && grep -Eq "$why" err.dtrace && ok=1
	fi
	if [ -n "$ok" ]; then
		echo "ok   $source"
	else
		echo "FAIL $source (exit $rc, $(wc -l <out) lines): $(head -c 300 err.dtrace)"
		failed=$((failed + 1))
	fi
done <"$list"
echo "$((n - failed - skipped)) of $n one-liners as expected, $skipped skipped"
[ $failed = 0 ]
