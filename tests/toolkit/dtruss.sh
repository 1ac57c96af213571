# dtruss traces a command (a copy of cat): its openat of a known file with
# the path and the descriptor, the read of the file's bytes, the failed
# open of a missing file (Err#2); -c counts, -t one call, -f a child, -p a
# running process.
. "$(dirname "$0")/common.inc"
check_usage dtruss

cmd=tktruss$$
cp /bin/cat "$cmd"
printf '0123456789abc' >data.$$
# (through a pipe: cat copies a file to a file with copy_file_range)
# (The command's own output can come before dtrace's header: it is cut off.)
timeout 30 "$TOOLKIT/dtruss" -c ./"$cmd" data.$$ missing.$$ 2>err | sed 's/^0123456789abc//' >out
grep -Eq '^ +PID/TID +SYSCALL\(args\) +	+ = return$' out || fail "header"
grep -Eq '^ +[0-9]+/[0-9]+ +openat\(0xFFFFFF9C, "data\.'$$'", 0x0\)	+ = [0-9]+$' out ||
	fail "no openat of data.$$ returning 3"
grep -Eq '^ +[0-9]+/[0-9]+ +read\(0x[0-9A-F]+, 0x[0-9A-F]+, 0x[0-9A-F]+\)	+ = 13$' out ||
	fail "no read of 13 bytes"
grep -Eq '^ +[0-9]+/[0-9]+ +openat\(0xFFFFFF9C, "missing\.'$$'", 0x0\)	+ = -1 Err#2$' out ||
	fail "no failed openat of missing.$$"
grep -Eq '^ +[0-9]+/[0-9]+ +execve\("\./'"$cmd"'", ' out || fail "no execve"
grep -Eq '^CALL +COUNT$' out || fail "-c: no counts header"
grep -Eq '^openat +[0-9]+$' out || fail "-c: no count for openat"

# -t, -e, -L: only openat, with elapsed times, without PID/TID.
timeout 30 "$TOOLKIT/dtruss" -L -e -t openat ./"$cmd" data.$$ 2>err | sed 's/^0123456789abc//' >out
grep -Eq '^ +ELAPSD SYSCALL' out || fail "-e -L header"
grep -Eq '^ +[0-9]+ openat\(0xFFFFFF9C, "data\.'$$'", 0x0\)	+ = [0-9]+$' out ||
	fail "-t openat -e -L: no line for data.$$"
grep -v '^ *ELAPSD' out | grep -v '^ *[0-9]* openat(' | grep -v '^$' |
	grep -q . && fail "-t openat: other calls shown"

# -f: a shell that runs cat as a child.
# (dtrace -c splits a command at blanks: the shell's commands are in a file)
printf './%s data.%s >/dev/null\ntrue\n' "$cmd" $$ >script.sh
timeout 30 "$TOOLKIT/dtruss" -f -t openat sh script.sh >out 2>err
grep -Eq 'openat\(0xFFFFFF9C, "data\.'$$'", 0x0\)	+ = [0-9]+$' out || fail "-f: child's openat not seen"

# -p: a running process, reading a pipe.
(while :; do echo x; sleep 0.05; done) | ./"$cmd" >/dev/null &
catpid=$!
trap 'kill $catpid 2>/dev/null' EXIT
timeout -s INT 3 "$TOOLKIT/dtruss" -p $catpid >out 2>err
grep -Eq "^ +$catpid/$catpid +read\(0x0, 0x[0-9A-F]+, 0x[0-9A-F]+\)	+ = 2$" out ||
	fail "-p: no read of cat $catpid"
grep -Eq "^ +$catpid/$catpid +write\(0x1, 0x[0-9A-F]+, 0x2\)	+ = 2$" out ||
	fail "-p: no write of cat $catpid"
exit 0
