# fbt: kernel functions from BTF, listed with their argument types, and
# enabled through BPF trampolines (fentry/fexit) where the kernel loads
# them; where it does not, one line that says why, and nothing traced.
set -u
fail() { echo "FAIL: $*"; exit 1; }
[ -e /sys/kernel/btf/vmlinux ] || { echo "SKIP: no kernel BTF"; exit 77; }

out=$("$DTRACE" -l -n 'fbt::vfs_read:' 2>&1)
echo "$out" | grep -Eq '^ *[0-9]+ +fbt +vmlinux +vfs_read entry$' || fail "listing entry: $out"
echo "$out" | grep -Eq '^ *[0-9]+ +fbt +vmlinux +vfs_read return$' || fail "listing return: $out"
out=$("$DTRACE" -lv -n 'fbt::vfs_read:entry' 2>&1)
for want in 'args\[0\]: struct file \*' 'args\[1\]: char \*' 'args\[2\]: size_t' \
    'args\[3\]: loff_t \*' 'Dependency Class: ISA'; do
    echo "$out" | grep -q "$want" || fail "-lv entry: no $want in: $out"
done
out=$("$DTRACE" -lv -n 'fbt::vfs_read:return' 2>&1)
echo "$out" | grep -q 'args\[1\]: ssize_t' || fail "-lv return: $out"
n=$("$DTRACE" -l -n 'fbt::vfs_*:entry' | wc -l)
[ "$n" -gt 10 ] || fail "a glob over functions listed $n lines"
out=$("$DTRACE" -x errtags -n 'fbt::no_such_function_here:entry' 2>&1)
echo "$out" | grep -q 'D_PDESC_ZERO.*does not match any probes' || fail "an unknown function: $out"

# Enabling: the feature probe decides, and each outcome is checked.
out=$(timeout 30 "$DTRACE" -q -n '
fbt::vfs_read:entry /pid == $target/ { @reads = count(); }
fbt::vfs_read:return /pid == $target/ { @ret = max(args[1]); }
END { printa("reads %@d\n", @reads); printa("max %@d\n", @ret); }' -c 'head -n 2 /etc/passwd' 2>&1)
rc=$?
if echo "$out" | grep -q 'fbt probes cannot fire on this kernel'; then
    [ "$rc" -ne 0 ] || fail "fbt unavailable, yet dtrace exited 0"
    echo "$out" | grep -q '^dtrace: could not enable tracing: fbt:vmlinux:vfs_read:\(entry\|return\): fbt probes cannot fire on this kernel: it does not load BPF trampolines (fentry/fexit programs): ' ||
        fail "the message: $out"
    [ "$(echo "$out" | grep -c 'could not enable')" = 1 ] || fail "more than one line: $out"
    echo "fbt cannot fire here: $(echo "$out" | grep 'could not enable')"
else
    [ "$rc" = 0 ] || fail "dtrace failed: $out"
    echo "$out" | grep -Eq '^reads [1-9]' || fail "no reads counted: $out"
    echo "$out" | grep -Eq '^max [1-9]' || fail "no return value: $out"
    # A glob over more functions than trampolines are worth (128): kprobes,
    # in one kprobe_multi link where the kernel has it.
    n=$("$DTRACE" -l -n 'fbt::tcp_*:entry' | wc -l)
    [ "$n" -gt 130 ] || fail "fbt::tcp_*:entry lists only $n lines"
    out=$(timeout 300 "$DTRACE" -q -n 'fbt::tcp_*:entry { @[probefunc] = count(); }
        fbt::tcp_*:return { @r = count(); } END { printa("%s %@d\n", @); printa("returns %@d\n", @r); }' \
        -c "${WORKLOADS:-}/loopback" 2>&1)
    echo "$out" | tail -5
    echo "$out" | grep -Eq '^tcp_sendmsg [1-9]' || fail "a glob over $n functions: no tcp_sendmsg: $out"
    echo "$out" | grep -Eq '^returns [1-9]' || fail "a glob over $n functions: no returns"
fi
exit 0
