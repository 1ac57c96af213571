# freopen() sends later output to a file (appended to) and freopen("")
# back; ftruncate() empties the file; both need -w.
set -u
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "old line" > "$tmp/log"
out=$("$DTRACE" -q -w -n "
BEGIN { printf(\"to stdout 1\\n\"); freopen(\"$tmp/%s\", \"log\"); printf(\"to the file\\n\"); }
BEGIN { ftruncate(); printf(\"after truncate\\n\"); freopen(\"\"); printf(\"to stdout 2\\n\"); exit(0); }" 2>&1)
echo "$out"
[ "$out" = "$(printf 'to stdout 1\nto stdout 2')" ] || fail "stdout: $out"
[ "$(cat "$tmp/log")" = "after truncate" ] || fail "file: $(cat "$tmp/log")"
out=$("$DTRACE" -q -n "BEGIN { freopen(\"$tmp/x\"); exit(0); }" 2>&1)
[ "$out" = "dtrace: could not enable tracing: Destructive actions not allowed" ] || fail "without -w: $out"
exit 0
