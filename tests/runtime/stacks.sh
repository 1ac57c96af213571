# stack() and ustack(): kernel frames named from /proc/kallsyms (without the
# tracing machinery's own frames), as trace() output, printf's %k and
# aggregation keys; frame counts; user frames with the process's ID.
set -u
fail() { echo "FAIL: $*"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$(timeout 20 "$DTRACE" -q -c 'cat /etc/hostname' -n '
syscall::openat:entry /pid == $target/ { stack(); printf("--%k--\n", stack(2)); exit(0); }' 2>&1)
echo "$out"
echo "$out" | grep -q '^              vmlinux`do_syscall_64+0x' || fail "no do_syscall_64 frame"
echo "$out" | grep -q 'bpf_prog_\|bpf_trace_run' && fail "the BPF program's own frames are shown"
# stack(2): two frames between the markers.
n=$(echo "$out" | sed -n '/^--$/,/^--$/p' | grep -c 'vmlinux`')
[ "$n" = 2 ] || fail "stack(2) gave $n frames"

out=$(timeout 20 "$DTRACE" -q -n 'profile-997 { @[stack()] = count(); } tick-500ms { exit(0); }' 2>&1)
echo "$out" | tail -8
echo "$out" | grep -q '^              vmlinux`' || fail "no kernel frames in the aggregation keys"
echo "$out" | grep -Eq '^ +[0-9]+$' || fail "no counts under the stacks"

# ustack(): user frames of the traced process, named from its ELF files
# (sleep's nanosleep is in libc, which exports it).
out=$(timeout 20 "$DTRACE" -q -c 'sleep 0.3' -n '
syscall::clock_nanosleep:entry /pid == $target/ { ustack(); exit(0); }' 2>&1)
echo "$out"
echo "$out" | grep -Eq '^              libc\.so\.[0-9]+`[A-Za-z_]*nanosleep[A-Za-z0-9_]*\+0x[0-9a-f]+$' ||
    fail "no named libc frame"

# func(), sym() and mod(): the function (or module) holding an address.
out=$(timeout 20 "$DTRACE" -q -n '
profile-997 /arg0/ { @f[func(arg0)] = count(); @m[mod(arg0)] = count(); trace(sym(arg0)); exit(0); }' 2>&1)
echo "$out"
# (printed in DTrace's symbol column, quiet or not)
echo "$out" | grep -Eq '^  [A-Za-z0-9_]+`[A-Za-z0-9_.]+ {10}' || fail "sym(): $out"
echo "$out" | grep -Eq '^  [A-Za-z0-9_]+`[A-Za-z0-9_.]+ +[0-9]+$' || fail "func() as a key: $out"
echo "$out" | grep -Eq '^  [A-Za-z0-9_]+ +[0-9]+$' || fail "mod() as a key: $out"

# umod() keys of a process that has exited by the time they print: its
# mappings were read while it ran, and one module is one row.
printf '#!/bin/sh\ni=0; while [ $i -lt 200000 ]; do i=$((i+1)); done\n' > "$work/busy.sh"
chmod +x "$work/busy.sh"
out=$(timeout 30 "$DTRACE" -q -c "$work/busy.sh" -n 'profile-997 /arg1 && pid == $target/ { @[umod(arg1)] = count(); }' 2>&1)
echo "$out"
echo "$out" | grep -Eq '^  (libc\.so\.[0-9]+|dash|bash|sh) +[0-9]+$' || fail "umod() keys not named: $out"
dups=$(echo "$out" | awk 'NF == 2 { print $1 }' | sort | uniq -d)
[ -z "$dups" ] || fail "a module on several rows: $dups"

# ustack() keys of a process that is not the target and has exited long
# before they print: its mappings were read while it lived.
printf '#!/bin/sh\nsleep 0.3\nsleep 1\n' > "$work/two_sleeps.sh"
chmod +x "$work/two_sleeps.sh"
out=$(timeout 30 "$DTRACE" -q -c "$work/two_sleeps.sh" -n '
syscall::clock_nanosleep:entry /execname == "sleep"/ { @[ustack()] = count(); }' 2>&1)
echo "$out"
n=$(echo "$out" | grep -Ec '^ +libc\.so\.[0-9]+`[A-Za-z_]*nanosleep')
[ "$n" -ge 2 ] || fail "the exited sleep's frames are not named ($n named keys)"

out=$("$DTRACE" -x errtags -n 'BEGIN { stack(0); }' 2>&1)
echo "$out" | grep -q 'D_STACK_SIZE.*stack( ) argument #1 must be a non-zero positive integer constant' ||
    fail "stack(0): $out"
# A -c command that exits before dtrace looks at it still has its user
# frames named: it is held at its exit while its mappings are read.
out=$("$DTRACE" -q -c /bin/echo -n 'syscall::write:entry /pid == $target/ { ustack(); }' 2>&1)
echo "$out"
echo "$out" | grep -q 'libc\.so\.6`.*write' || fail "ustack() of a command that has exited"
out=$("$DTRACE" -q -c '/bin/ls /' -n 'pid$target::malloc:entry { @[ustack()] = count(); }' 2>&1)
echo "$out" | grep -q 'libc\.so\.6`malloc$' || fail "aggregated ustack() of a command that has exited"
# uaddr(): a user address as module`symbol+offset, an aggregation key.
out=$("$DTRACE" -q -c /bin/echo -n 'syscall::write:entry /pid == $target/ { @[uaddr(uregs[R_PC])] = count(); uaddr(uregs[R_PC]); }' 2>&1)
echo "$out"
echo "$out" | grep -Eq '^ +libc\.so\.6`[A-Za-z_]*write[A-Za-z_0-9]*\+0x[0-9a-f]+ +1$' || fail "uaddr() as a key"
exit 0
