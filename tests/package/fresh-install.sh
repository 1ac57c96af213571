#!/usr/bin/env bash
# The Debian package on a fresh Debian 12: a minimal bookworm root made with
# debootstrap (from Debian's mirror, as apt here uses it), the package
# installed there with apt (which fetches libbpf1 and libelf1), then dtrace
# run in that root on this kernel: a BEGIN clause, a system call count, the
# listing, the manual and the toolkit.
#
# usage: tests/package/fresh-install.sh [DIR with the .deb]   (build-deb)
# Exit 77 (skip) when no root can be made (no network, no debootstrap).
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$(realpath "${1:-build-deb}")
deb=$(ls "$out"/dtrace_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || { echo "fresh-install: no package in $out (make deb)"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v debootstrap >/dev/null || { echo "SKIP: no debootstrap (apt-get install debootstrap)"; exit 77; }

mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
root=$(mktemp -d /var/tmp/dtrace-fresh.XXXXXX)
cleanup() {
    for m in dev/pts dev sys proc; do umount -R -l "$root/$m" 2>/dev/null; done
    # Never into the host's /dev or /sys: only once nothing is mounted
    # there, and never across file systems.
    for m in dev/pts dev sys proc; do
        mountpoint -q "$root/$m" && { echo "fresh-install: $root/$m still mounted: left in place"; return; }
    done
    rm -rf --one-file-system "$root"
}
trap cleanup EXIT

echo "fresh-install: debootstrap bookworm (minbase) into $root"
if ! debootstrap --variant=minbase bookworm "$root" "$mirror" >"$out/debootstrap.log" 2>&1; then
    tail -5 "$out/debootstrap.log"
    echo "SKIP: debootstrap failed (network?): $out/debootstrap.log"
    exit 77
fi
cp "$deb" "$root/tmp/"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"

in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }
fail() { echo "FAIL: $*"; exit 1; }

echo "fresh-install: apt-get install ./$(basename "$deb")"
in_root sh -c "apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q /tmp/$(basename "$deb")" \
    >"$out/install.log" 2>&1 || { tail -20 "$out/install.log"; fail "the package did not install"; }

in_root test -x /usr/sbin/dtrace || fail "no /usr/sbin/dtrace"
in_root sh -c 'ls /usr/lib/dtrace/*.d >/dev/null' || fail "no D library in /usr/lib/dtrace"
in_root test -f /usr/share/man/man8/dtrace.8.gz || fail "no dtrace(8)"
in_root test -f /usr/share/man/man7/dtrace-toolkit.7.gz || fail "no dtrace-toolkit(7)"
in_root test -x /usr/share/dtrace/toolkit/execsnoop || fail "no toolkit"

out1=$(in_root dtrace -q -n 'BEGIN { printf("traced on a fresh Debian %d\n", 12); exit(0); }' 2>&1)
[ "$out1" = "traced on a fresh Debian 12" ] || fail "BEGIN: $out1"
out2=$(in_root dtrace -q -n 'syscall:::entry /pid == $target/ { @n = count(); }
    END { printa("calls %@d\n", @n); }' -c /bin/true 2>&1)
echo "$out2" | grep -Eq '^calls [1-9][0-9]*$' || fail "system call count: $out2"
in_root dtrace -l -n 'syscall::openat:entry' | grep -q 'syscall.*openat.*entry' || fail "-l"
in_root /usr/share/dtrace/toolkit/execsnoop -h 2>&1 | grep -qi usage || fail "toolkit usage"
echo "fresh-install: ok: $(basename "$deb") installs and traces on a fresh Debian 12 root"
echo "  $(in_root dtrace --version | head -1); $(in_root dpkg-query -W -f='${Depends}' dtrace)"
exit 0
