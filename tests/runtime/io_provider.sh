# io: block requests a command makes (direct writes and reads of a file)
# start and complete on the file system's device with the bytes asked for,
# and the command waits for them.
set -u
fail() { echo "FAIL: $*"; exit 1; }
dev=$(stat -c '%Hd %Ld' . 2>/dev/null)
case $(stat -f -c %T . 2>/dev/null) in
ext2/ext3 | ext4 | xfs | btrfs) ;;
*) echo "SKIP: the test directory is not on a block device"; exit 77 ;;
esac
set -- $dev
major=$1 minor=$2

probes='
io:::start /pid == $target/ {
    printf("start %s %d %d %d,%d %d %d %s\n", args[0]->b_flags & B_WRITE ? "write" : "read",
        args[0]->b_bcount, args[0]->b_flags & B_READ ? 1 : 0, args[1]->dev_major,
        args[1]->dev_minor, getmajor(args[0]->b_edev), getminor(args[0]->b_edev),
        args[1]->dev_pathname);
    started[args[0]->b_blkno] = args[0]->b_bcount;
}
io:::done /started[args[0]->b_blkno] == args[0]->b_bcount && args[0]->b_bcount != 0/ {
    printf("done %d\n", args[0]->b_bcount);
    started[args[0]->b_blkno] = 0;
}
io:::wait-start /pid == $target/ {
    self->waiting = 1;
    self->blkno = args[0]->b_blkno;
    printf("wait %s %d %d,%d %s\n", args[0]->b_flags & B_WRITE ? "write" :
        args[0]->b_flags & B_READ ? "read" : "none", args[0]->b_bcount,
        args[1]->dev_major, args[1]->dev_minor, args[1]->dev_pathname);
}
io:::wait-done /pid == $target && self->waiting/ {
    @waits = count();
    @same = sum(args[0]->b_blkno == self->blkno && args[0]->b_bcount != 0);
    self->waiting = 0;
}
END { printa("waits %@d\n", @waits); printa("same %@d\n", @same); }'

# (A write the device finishes before dd has gone to sleep has no wait:
# up to five tries for writes that wait.)
for try in 1 2 3 4 5; do
	out=$(timeout 30 "$DTRACE" -q -c "dd if=/dev/zero of=data bs=8k count=4 oflag=direct,sync" \
		-n "$probes" 2>&1)
	echo "$out"
	writes=$(echo "$out" | grep "^start write [0-9]* 0 $major,$minor $major $minor /dev/")
	bytes=$(echo "$writes" | awk '$3 % 4096 == 0 { n += $3 } END { print n + 0 }')
	[ "$bytes" -ge 32768 ] || fail "io:::start: dd's direct writes came to $bytes bytes on $major,$minor"
	done=$(echo "$out" | awk '/^done / { n += $2 } END { print n + 0 }')
	[ "$done" -ge 32768 ] || fail "io:::done: $done bytes of dd's writes completed"
	n=$(echo "$out" | sed -n 's/^waits //p')
	[ "${n:-0}" -ge 1 ] && break
done
[ "${n:-0}" -ge 1 ] || fail "io:::wait-start/wait-done: dd waited ${n:-0} times in five tries"
# wait-start's and wait-done's arguments: the I/O dd submitted and waits for.
echo "$out" | grep -Eq "^wait write [0-9]*[1-9][0-9]* $major,$minor /dev/" ||
	fail "io:::wait-start: no wait for one of dd's writes on $major,$minor"
same=$(echo "$out" | sed -n 's/^same //p')
[ "${same:-0}" -ge 1 ] || fail "io:::wait-done: no wait ended with the I/O its wait-start had"

# A read the device finishes before dd has gone to sleep has no wait
# either (a virtio disk under an emulator can be that quick): up to five
# tries for one that waits.
for try in 1 2 3 4 5; do
	out=$(timeout 30 "$DTRACE" -q -c "dd if=data of=/dev/null bs=16k count=2 iflag=direct" \
		-n "$probes" 2>&1)
	echo "$out"
	# A file's blocks may lie in more than one extent: count bytes, not requests.
	reads=$(echo "$out" | grep "^start read [0-9]* 1 $major,$minor $major $minor /dev/")
	bytes=$(echo "$reads" | awk '{ n += $3 } END { print n + 0 }')
	[ "$bytes" -ge 32768 ] || fail "io:::start: dd's direct reads came to $bytes bytes"
	done=$(echo "$out" | awk '/^done / { n += $2 } END { print n + 0 }')
	[ "$done" -ge "$bytes" ] || fail "io:::done: $done of $bytes bytes read completed"
	echo "$out" | grep -Eq "^wait read [0-9]*[1-9][0-9]* $major,$minor /dev/" && exit 0
done
fail "io:::wait-start: no wait for one of dd's reads on $major,$minor in five tries"
