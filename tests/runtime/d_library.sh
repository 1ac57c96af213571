# The D library (lib/dtrace): its constants, types, translators and inlines
# are there for every program, loaded when a name is first used; -L adds a
# directory of one's own, -xnolibs leaves the installed library out.
set -u
fail() { echo "FAIL: $*"; exit 1; }

# errno and signal constants; errno of a failed open.
out=$(timeout 20 "$DTRACE" -q -c 'cat /nonexistent/file' -n '
BEGIN { printf("EPERM=%d ENOENT=%d SIGKILL=%d SIGCHLD=%d O_CREAT=%x\n", EPERM, ENOENT, SIGKILL, SIGCHLD, O_CREAT); }
syscall::openat:return /pid == $target && errno == ENOENT/ { printf("open failed: ENOENT\n"); exit(0); }' 2>errors)
# (cat's message goes to stderr, apart: it may come in pieces.)
echo "$out"; cat errors
echo "$out" | grep -q '^EPERM=1 ENOENT=2 SIGKILL=9 SIGCHLD=17 O_CREAT=40$' || fail "constants"
echo "$out" | grep -q '^open failed: ENOENT$' || fail "errno against ENOENT"

# fds[]: the file behind a descriptor; cwd.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo 'echo hi > out.txt' > "$tmp/w.sh"
out=$(cd "$tmp" && timeout 20 "$DTRACE" -q -c "sh $tmp/w.sh" -n '
syscall::write:entry /pid == $target && arg0 == 1/ {
	printf("%s %s %s %d\n", fds[1].fi_pathname, fds[1].fi_name, cwd, fds[1].fi_oflags & O_ACCMODE);
	exit(0);
}' 2>&1)
echo "$out"
echo "$out" | grep -q "^$tmp/out.txt out.txt $tmp 1\$" || fail "fds[] or cwd"
# fi_mount: where the file's file system is mounted (that df names).
mnt=$(df --output=target "$tmp" | tail -1)
out=$(cd "$tmp" && timeout 20 "$DTRACE" -q -c "sh $tmp/w.sh" -n '
syscall::write:entry /pid == $target && arg0 == 1/ { printf("[%s]\n", fds[1].fi_mount); exit(0); }' 2>&1)
echo "$out"
[ "$out" = "[$mnt]" ] || fail "fi_mount: $out, not $mnt"

# uregs[]: the user registers saved at entry to the kernel (x86-64: the
# system call number in orig_rax).
if [ "$(uname -m)" = x86_64 ]; then
	out=$(timeout 20 "$DTRACE" -q -c 'cat /dev/null' -n '
syscall::openat:entry /pid == $target/ { printf("%d %d\n", uregs[R_ORIG_RAX], uregs[R_PC] != 0); exit(0); }' 2>&1)
	echo "$out"
	echo "$out" | grep -q '^257 1$' || fail "uregs[]"
fi

# execargs and pr_psargs: the process's arguments, separated by spaces (a
# kernel thread has none); another process's psinfo_t gives its name.
# (Any kernel thread, one without an mm, that runs while the command does.)
printf '/bin/echo one  two three\nsleep 0.5\n' >echo.sh
out=$("$DTRACE" -q -c "sh $PWD/echo.sh" -n 'int done;
proc:::exec-success { printf("[%s] [%s]\n", execargs, curpsinfo->pr_psargs); }
sched:::on-cpu /curthread->mm == NULL && !done/ { printf("kernel [%s]\n", execargs); done = 1; }' 2>&1)
echo "$out"
echo "$out" | grep -q '^\[/bin/echo one two three\] \[/bin/echo one two three\]$' || fail "execargs, pr_psargs"
echo "$out" | grep -q '^kernel \[\]$' || fail "execargs of a kernel thread"

# A library directory of one's own: its inlines are found; the installed
# library still is.
echo 'inline int MY_ANSWER = 42;' > "$tmp/mine.d"
out=$("$DTRACE" -q -L "$tmp" -n 'BEGIN { printf("%d %d\n", MY_ANSWER, EPERM); exit(0); }' 2>&1)
echo "$out"
[ "$out" = "42 1" ] || fail "-L"
out=$("$DTRACE" -q -xlibdir="$tmp" -n 'BEGIN { printf("%d\n", MY_ANSWER); exit(0); }' 2>&1)
[ "$out" = "42" ] || fail "-xlibdir"
out=$("$DTRACE" -q -xnolibs -n 'BEGIN { printf("%d\n", EPERM); exit(0); }' 2>&1)
echo "$out"
echo "$out" | grep -q 'failed to resolve EPERM: Unknown variable name' || fail "-xnolibs"
# A library file that does not compile is named in the error.
echo 'inline int BROKEN = ;' > "$tmp/broken.d"
out=$("$DTRACE" -q -L "$tmp" -n 'BEGIN { trace(BROKEN); }' 2>&1)
echo "$out"
echo "$out" | grep -q "failed to compile D library file $tmp/broken.d: line 1: syntax error" || fail "library errors"
exit 0
