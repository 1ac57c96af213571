#!/bin/busybox sh
# The guest's init (see run.sh): mount the host's root read-only with a
# tmpfs overlay, then run the command from the result share in a chroot.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for k in $(cat /mods/order); do
    [ -f /mods/$k.ko ] && insmod /mods/$k.ko 2>/dev/null
done
fail() { echo "GUEST-FAILED: $*"; poweroff -f; }
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose hostroot /host || fail "no 9p root"
mount -t tmpfs tmpfs /rw
mkdir -p /rw/up /rw/work
mount -t overlay overlay -o lowerdir=/host,upperdir=/rw/up,workdir=/rw/work /new ||
    fail "no overlay"
mount -t devtmpfs dev /new/dev
mount -t tmpfs tmpfs /new/run
# /tmp on the scratch disk where there is one (block I/O for the io
# provider's tests), else in memory.
mount -t ext4 /dev/vda /new/tmp 2>/dev/null || mount -t tmpfs tmpfs /new/tmp
chmod 1777 /new/tmp
mkdir -p /new/run/result
mount -t 9p -o trans=virtio,version=9p2000.L,cache=none result /new/run/result ||
    fail "no result share"
exec chroot /new /bin/sh -c '
mount -t proc proc /proc 2>/dev/null
mount -t sysfs sys /sys 2>/dev/null
mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
mount -t debugfs nodev /sys/kernel/debug 2>/dev/null
mount -t securityfs none /sys/kernel/security 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
mkdir -p /dev/pts; mount -t devpts devpts /dev/pts 2>/dev/null
# The links udev makes on a real system (cpp reads /dev/stdin).
ln -sf /proc/self/fd /dev/fd; ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout; ln -sf /proc/self/fd/2 /dev/stderr
# The loopback interface, up as on any booted system (network tests).
/bin/busybox ip link set lo up 2>/dev/null
ulimit -l unlimited
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
export DTRACE_GUEST_KERNEL="$(uname -r)"
sh /run/result/command.sh >>/run/result/output 2>&1 </dev/null
echo $? >/run/result/status
sync
echo o >/proc/sysrq-trigger
sleep 10'
