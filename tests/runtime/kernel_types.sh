# Kernel types from BTF, translators and if/else: fields of curthread and
# of the psinfo_t/lwpsinfo_t translations of it, checked against what
# /proc says about the traced command.
set -u
[ -r /sys/kernel/btf/vmlinux ] || { echo "SKIP: no kernel BTF"; exit 77; }
out=$("$DTRACE" -q -c 'sleep 0.3' -n '
syscall::clock_nanosleep:entry, syscall::nanosleep:entry
/pid == $target/
{
	printf("comm=%s tgid=%d ppid=%d\n", curthread->comm, curthread->tgid,
	    curthread->real_parent->tgid);
	printf("ps pid=%d ppid=%d uid=%d fname=%s lwp=%d name=%s\n", curpsinfo->pr_pid,
	    curpsinfo->pr_ppid, curpsinfo->pr_uid, curpsinfo->pr_fname,
	    curlwpsinfo->pr_lwpid, curlwpsinfo->pr_name);
	this->ps = xlate<psinfo_t>(curthread);
	if (this->ps.pr_pid == pid) {
		printf("whole struct agrees\n");
	} else if (this->ps.pr_pid == 0) {
		printf("whole struct empty\n");
	} else {
		printf("whole struct differs\n");
	}
	exit(0);
}' 2>&1)
echo "$out"
# dtrace -c runs the command as its own child: its parent is dtrace.
dtrace_pid_line=$(echo "$out" | sed -n 's/^comm=sleep tgid=\([0-9]*\) ppid=\([0-9]*\)$/\1 \2/p')
[ -n "$dtrace_pid_line" ] || { echo "FAIL: curthread fields"; exit 1; }
set -- $dtrace_pid_line
child=$1 parent=$2
echo "$out" | grep -q "^ps pid=$child ppid=$parent uid=$(id -u) fname=sleep lwp=$child name=sleep$" ||
    { echo "FAIL: psinfo/lwpsinfo translation"; exit 1; }
echo "$out" | grep -q '^whole struct agrees$' || { echo "FAIL: xlate of a whole struct or if/else"; exit 1; }

# A process started elsewhere (-p): the fields agree with /proc.
sh -c 'while :; do /bin/true; done' & victim=$!
out=$("$DTRACE" -q -p $victim -n '
syscall:::entry /pid == $target/ {
	printf("%d %d %d %s\n", curpsinfo->pr_pid, curpsinfo->pr_ppid, curpsinfo->pr_gid, curthread->comm);
	exit(0);
}' 2>&1)
expect="$victim $(awk '/^PPid:/ {print $2}' /proc/$victim/status) $(awk '/^Gid:/ {print $2}' /proc/$victim/status) $(awk '/^Name:/ {print $2}' /proc/$victim/status)"
kill $victim 2>/dev/null
echo "$out"
echo "expected from /proc: $expect"
[ "$out" = "$expect" ] || { echo "FAIL: fields differ from /proc"; exit 1; }

# d_path() walks dentries and mounts: the working directory, and a path
# under /proc (a different mount).
dir=$(mktemp -d)
mkdir -p "$dir/x/y"
out=$(cd "$dir/x/y" && "$DTRACE" -q -n 'BEGIN { printf("%s\n", d_path(&curthread->fs->pwd)); exit(0); }' 2>&1)
rm -rf "$dir"
echo "$out"
[ "$out" = "$dir/x/y" ] || { echo "FAIL: d_path of the working directory"; exit 1; }
out=$(cd /proc/self && "$DTRACE" -q -n 'BEGIN { printf("%s\n", d_path(&curthread->fs->pwd)); exit(0); }' 2>&1)
echo "$out"
case "$out" in /proc/[0-9]*) ;; *) echo "FAIL: d_path across a mount"; exit 1 ;; esac
exit 0
