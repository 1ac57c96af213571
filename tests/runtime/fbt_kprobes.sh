# fbt through kprobes and kretprobes: the path fbt takes where the kernel
# loads no BPF trampolines but has kprobes, a perf event a function
# (_DTRACE_FBT_KPROBES=1) or every function in one kprobe_multi link
# (=multi, what a glob over many functions takes), forced here so that
# kernels with trampolines test both: typed args[]
# at entry, arg0 = -1 and the value in arg1 and args[1] at return, a glob
# over many functions, and a function of more than six arguments (the rest
# read from the stack).
set -u
fail() { echo "FAIL: $*"; exit 1; }
[ -e /sys/kernel/btf/vmlinux ] || { echo "SKIP: no kernel BTF"; exit 77; }
[ -e /sys/bus/event_source/devices/kprobe/type ] ||
    { echo "SKIP: this kernel has no kprobes (CONFIG_KPROBES)"; exit 77; }
for mode in 1 multi; do
export _DTRACE_FBT_KPROBES=$mode
echo "== _DTRACE_FBT_KPROBES=$mode"
out=$(timeout 60 "$DTRACE" -q -n '
fbt::vfs_read:entry /pid == $target/ { @reads = count(); @size = max(args[2]); }
fbt::vfs_read:return /pid == $target/ { @ret = max(args[1]); @off = min(arg0); @raw = max(arg1); }
END {
    printa("reads %@d\n", @reads); printa("size %@d\n", @size); printa("ret %@d\n", @ret);
    printa("arg0 %@d\n", @off); printa("arg1 %@d\n", @raw);
}' -c 'head -n 2 /etc/passwd' 2>&1)
echo "$out"
echo "$out" | grep -Eq '^reads [1-9]' || fail "$mode: vfs_read:entry did not fire"
echo "$out" | grep -Eq '^size [1-9]' || fail "args[2] (size_t count) at entry"
echo "$out" | grep -Eq '^ret [1-9]' || fail "args[1] (the value) at return"
echo "$out" | grep -qx 'arg0 -1' || fail "arg0 at return is -1 (a kretprobe knows no offset)"
echo "$out" | grep -Eq '^arg1 [1-9]' || fail "arg1 at return"

out=$(timeout 60 "$DTRACE" -q -n 'fbt::vfs_*:entry /pid == $target/ { @[probefunc] = count(); }
END { printa("%s %@d\n", @); }' -c 'cat /etc/passwd' 2>&1)
echo "$out" | grep -q '^vfs_read [1-9]' || fail "a glob: vfs_read: $out"
[ "$(echo "$out" | grep -c '^vfs_')" -ge 2 ] || fail "a glob fired for one function: $out"
done

# A function of seven or more arguments: its seventh comes off the stack.
f=$("$DTRACE" -lv -n 'fbt:::entry' 2>/dev/null | awk '
    /^ *[0-9]+ +fbt/ { fn = $4 } /args\[6\]:/ { print fn; exit }')
if [ -n "$f" ]; then
    out=$(timeout 60 "$DTRACE" -q -n "fbt::$f:entry { exit(0); }" -n 'tick-5s { exit(0); }' 2>&1)
    echo "$out" | grep -q 'could not\|rejected' && fail "$f (seven arguments): $out"
fi
exit 0
