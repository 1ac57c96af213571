# After SIGKILL the kernel holds none of dtrace's programs, maps or links:
# everything is owned by file descriptors. The IDs are taken from the
# process's own fdinfo so that other tracers running at the same time do not
# disturb the count; the kernel frees maps after an RCU grace period, so the
# check polls for a while.
set -u
command -v bpftool >/dev/null || { echo "SKIP: bpftool not installed"; exit 77; }
"$DTRACE" -q -n 'syscall:::entry { @[probefunc] = count(); } profile-97 { @p = count(); }' >/dev/null 2>&1 &
pid=$!
sleep 1.5
progs=$(cat /proc/$pid/fdinfo/* 2>/dev/null | awk '/^prog_id:/ {print $2}' | sort -u)
maps=$(cat /proc/$pid/fdinfo/* 2>/dev/null | awk '/^map_id:/ {print $2}' | sort -u)
links=$(cat /proc/$pid/fdinfo/* 2>/dev/null | awk '/^link_id:/ {print $2}' | sort -u)
nprogs=$(echo "$progs" | grep -c .)
nmaps=$(echo "$maps" | grep -c .)
kill -9 $pid
wait $pid 2>/dev/null
alive() { # kind ids -> prints the ids the kernel still holds
    local kind=$1; shift
    for id in "$@"; do bpftool "$kind" show id "$id" >/dev/null 2>&1 && echo "$id"; done
}
for i in $(seq 1 100); do
    left_progs=$(alive prog $progs)
    left_maps=$(alive map $maps)
    left_links=$(alive link $links)
    [ -z "$left_progs$left_maps$left_links" ] && break
    sleep 0.1
done
echo "while tracing: $nprogs programs, $nmaps maps; after kill -9 left:" \
     "programs [$left_progs] maps [$left_maps] links [$left_links]"
[ "$nprogs" -ge 2 ] || { echo "FAIL: tracing never started"; exit 1; }
[ "$nmaps" -ge 3 ] || { echo "FAIL: maps not seen while tracing"; exit 1; }
[ -z "$left_progs" ] || { echo "FAIL: programs left behind"; exit 1; }
[ -z "$left_maps" ] || { echo "FAIL: maps left behind"; exit 1; }
[ -z "$left_links" ] || { echo "FAIL: links left behind"; exit 1; }
exit 0
