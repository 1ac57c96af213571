# rawfbt: kprobes on every function ftrace can trace, by tracefs's names
# (compiler-made copies like foo.isra.0 too), with untyped arguments; on
# return arg0 = -1 and arg1 the value. Where the kernel has no kprobes: one
# line saying so.
set -u
fail() { echo "FAIL: $*"; exit 1; }
if [ ! -e /sys/bus/event_source/devices/kprobe/type ]; then
    out=$("$DTRACE" -n 'rawfbt::vfs_read:entry' 2>&1)
    [ $? -ne 0 ] || fail "rawfbt without kprobes exited 0"
    echo "$out" | grep -q 'does not match any probes: rawfbt probes cannot fire: this kernel has no kprobes' ||
        fail "the message: $out"
    echo "SKIP: this kernel has no kprobes (the message is right)"
    exit 77
fi
out=$("$DTRACE" -l -n 'rawfbt::vfs_read:' 2>&1)
echo "$out" | grep -Eq '^ *[0-9]+ +rawfbt +vmlinux +vfs_read entry$' || fail "listing: $out"
echo "$out" | grep -Eq '^ *[0-9]+ +rawfbt +vmlinux +vfs_read return$' || fail "listing: $out"
out=$("$DTRACE" -lv -n 'rawfbt::vfs_read:entry' 2>&1)
echo "$out" | grep -A1 'Argument Types' | grep -q None || fail "rawfbt arguments are untyped: $out"

out=$(timeout 60 "$DTRACE" -q -n '
rawfbt::vfs_read:entry /pid == $target/ { @n = count(); @size = max(arg2); }
rawfbt::vfs_read:return /pid == $target/ { @off = min(arg0); @ret = max(arg1); }
END { printa("n %@d\n", @n); printa("size %@d\n", @size); printa("off %@d\n", @off); printa("ret %@d\n", @ret); }' \
    -c 'head -n 2 /etc/passwd' 2>&1)
echo "$out"
echo "$out" | grep -Eq '^n [1-9]' || fail "entry did not fire"
echo "$out" | grep -Eq '^size [1-9]' || fail "arg2 at entry"
echo "$out" | grep -qx 'off -1' || fail "arg0 at return"
echo "$out" | grep -Eq '^ret [1-9]' || fail "arg1 at return"

# A compiler's copy of a function, named as tracefs names it.
copy=$("$DTRACE" -l -n 'rawfbt:vmlinux:*.isra.*:entry' 2>/dev/null | awk 'NR == 2 { print $4 }')
if [ -n "$copy" ]; then
    "$DTRACE" -l -n "rawfbt::$copy:return" >/dev/null 2>&1 || fail "listing $copy"
fi
exit 0
