# After SIGKILL the kernel holds none of dtrace's programs, maps or links:
# everything is owned by file descriptors.
set -u
command -v bpftool >/dev/null || { echo "SKIP: bpftool not installed"; exit 77; }
"$DTRACE" -q -n 'syscall:::entry { @[probefunc] = count(); } profile-97 { @p = count(); }' >/dev/null 2>&1 &
pid=$!
sleep 1.5
before=$(bpftool prog show | grep -c 'name dt_')
kill -9 $pid
wait $pid 2>/dev/null
for i in $(seq 1 50); do
    left=$(bpftool prog show | grep -c 'name dt_')
    [ "$left" = 0 ] && break
    sleep 0.1
done
echo "programs while tracing: $before, after kill -9: $left"
[ "$before" -ge 2 ] || { echo "FAIL: tracing never started"; exit 1; }
[ "$left" = 0 ] || { echo "FAIL: programs left behind"; bpftool prog show | grep -A2 'name dt_'; exit 1; }
maps=$(bpftool map show | grep -cE 'name (dctx|state|drops|buffers|strtab|globals) ')
[ "$maps" = 0 ] || { echo "FAIL: maps left behind"; exit 1; }
exit 0
