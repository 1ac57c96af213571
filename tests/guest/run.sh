#!/usr/bin/env bash
# Runs a command on Debian 12's own stock kernel (linux-image-amd64, the
# kernel a Debian 12 user has) booted under QEMU, with this machine's root
# file system shared read-only over 9p and a tmpfs overlay on top, so the
# guest runs the binaries built here.
#
# usage: tests/guest/run.sh [-t SECONDS] [-C DIR] COMMAND
#   COMMAND runs as root under /bin/sh in DIR (default: the current
#   directory); its output streams here as it comes; the exit status is the
#   command's. Exit 77 when the guest cannot be had (no QEMU, no kernel
#   package to fetch): the callers treat that as a skip, with the reason.
#
# The kernel package comes from Debian's archive through apt (cached under
# $DTRACE_GUEST_CACHE, default /var/tmp/dtrace-guest); QEMU, busybox-static
# and cpio are installed from Debian when missing. Nested KVM does not work
# on our machines, so the guest runs under TCG: several times slower than
# the host, so keep guest test sets small.
# To debug the guest's kernel: DTRACE_GUEST_LOGLEVEL=4 puts its warnings
# (soft lockups, backtraces) on the console, DTRACE_GUEST_CONSOLE_LINES
# how many of the console's last lines a guest that did not finish shows.
set -uo pipefail

timeout_s=1200
dir=$PWD
while [[ $# -gt 0 ]]; do
    case $1 in
    -t) timeout_s=$2; shift 2 ;;
    -C) dir=$(realpath "$2"); shift 2 ;;
    --) shift; break ;;
    *) break ;;
    esac
done
cmd=${1:?usage: tests/guest/run.sh [-t SECONDS] [-C DIR] COMMAND}
cache=${DTRACE_GUEST_CACHE:-/var/tmp/dtrace-guest}

skip() { echo "guest: skipped: $*" >&2; exit 77; }

[[ $(id -u) -eq 0 ]] || skip "needs root (QEMU's 9p export of / and apt)"
[[ $(uname -m) == x86_64 ]] || skip "the guest kernel is Debian's amd64 kernel"

# What the guest needs from Debian.
need=()
for p in qemu-system-x86 busybox-static cpio; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [[ ${#need[@]} -gt 0 ]]; then
    echo "guest: installing ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null 2>&1 &&
          apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1; } ||
        skip "cannot install ${need[*]} from Debian"
fi

# Debian's kernel package (vmlinuz and the modules the guest's root needs),
# fetched once.
mkdir -p "$cache" || skip "cannot create $cache"
exec 9>"$cache/.lock"
flock 9
# The modules the guest loads, in order: virtio and 9p for the host's root,
# overlay above it, and virtio_blk with ext4 for a scratch disk at /tmp
# (so that block I/O has a real device to go to).
mods="drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev
    drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci net/9p/9pnet
    net/9p/9pnet_virtio fs/netfs/netfs fs/fscache/fscache fs/9p/9p fs/overlayfs/overlay
    drivers/block/virtio_blk lib/crc16 crypto/crc32c_generic fs/mbcache fs/jbd2/jbd2 fs/ext4/ext4"
ready=$cache/ready-$(echo "$mods" | md5sum | cut -c1-8)
if [[ ! -f $ready ]]; then
    echo "guest: fetching Debian's kernel package" >&2
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
          sed -n 's/.*Depends: \(linux-image-[0-9][^ ]*\).*/\1/p' | head -n 1)
    [[ -n $pkg ]] || skip "apt knows no linux-image-amd64"
    rm -rf "$cache/pkg" "$cache/root" "$cache/mods" && mkdir -p "$cache/pkg" "$cache/mods"
    (cd "$cache/pkg" && apt-get download "$pkg" >/dev/null 2>&1) ||
        skip "cannot download $pkg with apt"
    dpkg-deb -x "$cache"/pkg/*.deb "$cache/root" || skip "cannot unpack $pkg"
    rm -rf "$cache/pkg"
    kver=$(ls "$cache/root/lib/modules" | head -n 1)
    cp "$cache"/root/boot/vmlinuz-* "$cache/vmlinuz"
    m=$cache/root/lib/modules/$kver/kernel
    for k in $mods; do
        f=$(ls "$m/$k.ko"* 2>/dev/null | head -n 1)
        [[ -n $f ]] || continue
        case $f in
        *.xz) xz -dc "$f" >"$cache/mods/$(basename "$k").ko" ;;
        *.zst) zstd -qdc "$f" >"$cache/mods/$(basename "$k").ko" ;;
        *) cp "$f" "$cache/mods/" ;;
        esac
    done
    echo "$kver" >"$cache/version"
    for k in $mods; do basename "$k"; done >"$cache/mods/order"
    rm -rf "$cache/root" "$cache/initrd.gz" "$cache"/ready*
    touch "$ready"
fi
# The initramfs: a static busybox, the 9p and overlay modules, and an init
# (init.sh) that mounts the host's root and runs the command file it finds
# on the second (writable) 9p share. Remade when init.sh changes.
init=$(dirname "$(realpath "$0")")/init.sh
if [[ ! -f $cache/initrd.gz || $init -nt $cache/initrd.gz ]]; then
    ird=$(mktemp -d) && mkdir -p "$ird"/{bin,proc,sys,dev,host,rw,new}
    cp "$(command -v busybox)" "$ird/bin/busybox"
    cp -r "$cache/mods" "$ird/mods"
    cp "$init" "$ird/init" && chmod +x "$ird/init"
    (cd "$ird" && find . | cpio -o -H newc 2>/dev/null | gzip -1 >"$cache/initrd.gz")
    rm -rf "$ird"
fi
flock -u 9

# One run: the command and its results travel over a writable 9p share.
share=$(mktemp -d /var/tmp/dtrace-guest-run.XXXXXX)
trap 'kill "$qpid" 2>/dev/null; rm -rf "$share"' EXIT
printf 'cd %q || exit 125\n%s\n' "$dir" "$cmd" >"$share/command.sh"
: >"$share/output"
# The scratch disk (sparse; the guest's /tmp when it mounts).
disk=()
truncate -s 1G "$share/scratch.img" && mkfs.ext4 -q -F "$share/scratch.img" 2>/dev/null &&
    disk=(-drive "file=$share/scratch.img,if=virtio,format=raw,cache=unsafe")
timeout "$timeout_s" qemu-system-x86_64 -accel tcg -cpu max -m 4096 -smp 2 -nographic \
    -no-reboot -kernel "$cache/vmlinuz" -initrd "$cache/initrd.gz" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$share,mount_tag=result,security_model=none" "${disk[@]}" \
    -append "console=ttyS0 panic=-1 quiet loglevel=${DTRACE_GUEST_LOGLEVEL:-1}" >"$share/console" 2>&1 &
qpid=$!
# Stream the command's output while the guest runs.
tail -n +1 -F --pid="$qpid" "$share/output" 2>/dev/null
wait "$qpid"
qrc=$?
if [[ ! -f $share/status ]]; then
    echo "guest: the guest did not finish (QEMU exit $qrc); its console's last lines:" >&2
    tail -n "${DTRACE_GUEST_CONSOLE_LINES:-20}" "$share/console" | tr -d '\r' >&2
    exit 2
fi
exit "$(cat "$share/status")"
