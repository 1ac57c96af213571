#!/usr/bin/env bash
# The Debian package as `make deb` builds it (debhelper, Debian's flags, no
# -Werror, no tests, from a tarball of the tree): built into OUT, it holds
# dtrace in /usr/sbin, dtrace(8), the D library, the toolkit and its
# manual; unpacked, its dtrace finds its library and traces (as root).
#
# usage: tests/package/package.sh OUT
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: tests/package/package.sh OUT}
fail() { echo "FAIL: $*"; exit 1; }
for tool in dpkg-buildpackage dh; do
    command -v $tool >/dev/null || { echo "SKIP: no $tool (scripts/setup.sh installs debhelper)"; exit 77; }
done
scripts/make-deb.sh "$out" || fail "make-deb"
deb=$(ls "$out"/dtrace_*.deb) || fail "no .deb in $out"
dpkg-deb --contents "$deb" | awk '{ print $6 }' >"$out/contents"
for f in ./usr/sbin/dtrace ./usr/share/man/man8/dtrace.8.gz ./usr/share/man/man7/dtrace-toolkit.7.gz \
    ./usr/lib/dtrace/io.d ./usr/share/dtrace/toolkit/execsnoop ./usr/share/dtrace/toolkit/iosnoop \
    ./usr/share/doc/dtrace/copyright; do
    grep -qx -- "$f" "$out/contents" || fail "the package lacks $f"
done
[ "$(grep -c '^\./usr/share/dtrace/toolkit/[a-z]' "$out/contents")" -ge 20 ] || fail "fewer than 20 tools"
dpkg-deb -f "$deb" Depends | grep -q libbpf1 || fail "no dependency on libbpf1"
# Built without -Werror and with Debian's hardening flags.
grep -q -- ' -Werror ' "$out/build.log" && fail "-Werror in a package build"
grep -q -- '-D_FORTIFY_SOURCE=2' "$out/build.log" || fail "not built with Debian's flags"
rm -rf "$out/root" && dpkg-deb -x "$deb" "$out/root" || fail "cannot unpack"
if [ "$(id -u)" -eq 0 ]; then
    got=$("$out/root/usr/sbin/dtrace" -q -n 'BEGIN { printf("%s\n", "packaged"); exit(0); }' 2>&1)
    [ "$got" = "packaged" ] || fail "the packaged dtrace: $got"
    # Its D library, from ../lib/dtrace beside sbin: io.d's translators.
    "$out/root/usr/sbin/dtrace" -e -n 'io:::start { trace(args[1]->dev_statname); }' >/dev/null 2>&1 ||
        fail "the packaged dtrace does not find its D library"
fi
echo "package: $(basename "$deb"), $(wc -l <"$out/contents") paths"
exit 0
