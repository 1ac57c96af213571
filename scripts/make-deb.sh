#!/usr/bin/env bash
# Builds the Debian package as a packager would: a tarball of the source
# tree (the files git knows, committed or not, or the whole tree when it
# is not a git checkout), unpacked in OUT, built there with
# dpkg-buildpackage (debhelper, Debian's compiler flags, no -Werror, no
# tests). The .deb lands in OUT.
#
# usage: scripts/make-deb.sh [OUT]   (default build-deb)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-build-deb}")

version=$(sed -n 's/^project(dtrace .*VERSION \([0-9.]*\)).*/\1/p' CMakeLists.txt)
changelog=$(dpkg-parsechangelog -S Version -l debian/changelog)
if [ "$version" != "$changelog" ]; then
    echo "make-deb: CMakeLists.txt says version $version, debian/changelog $changelog" >&2
    exit 1
fi

rm -rf "$out"
mkdir -p "$out"
tarball=$out/dtrace-$version.tar.gz
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
        tar -czf "$tarball" --null -T - --transform "s,^,dtrace-$version/,"
else
    tar -czf "$tarball" --exclude='./build*' --exclude=./.git --transform "s,^\.,dtrace-$version," .
fi
tar -xzf "$tarball" -C "$out"
(cd "$out/dtrace-$version" && dpkg-buildpackage -us -uc -b -j"$(nproc)") >"$out/build.log" 2>&1 || {
    tail -40 "$out/build.log" >&2
    echo "make-deb: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
    exit 1
}
deb=$(ls "$out"/dtrace_"$version"_*.deb)
echo "make-deb: built $deb"
dpkg-deb --contents "$deb" | awk '{print $6}' | grep -E 'sbin/dtrace$|man8/dtrace|lib/dtrace/[^/]+\.d$|toolkit/' | sed 's/^/  /' | head -12
