# -C with -D, $1 and $$1, -o, -w and destructive actions, -x options.
set -u
cat > s.d <<'D'
#pragma D option quiet
BEGIN { printf("%d %s %d\n", $1 + 1, $$2, VALUE); exit(0); }
D
out=$("$DTRACE" -C -DVALUE=7 -s s.d 41 word)
[ "$out" = "42 word 7" ] || { echo "FAIL: macros: '$out'"; exit 1; }
"$DTRACE" -s s.d 2>err && { echo "FAIL: missing \$1 accepted"; exit 1; }
grep -q 'macro argument \$1 is not defined' err || { echo "FAIL: message"; cat err; exit 1; }

"$DTRACE" -q -o out.txt -n 'BEGIN { printf("to a file\n"); exit(0); }'
grep -q '^to a file$' out.txt || { echo "FAIL: -o"; exit 1; }

"$DTRACE" -q -n 'BEGIN { system("echo hi"); exit(0); }' 2>err && { echo "FAIL: system() without -w"; exit 1; }
grep -q 'Destructive actions not allowed' err || { echo "FAIL: destructive message"; cat err; exit 1; }
out=$("$DTRACE" -q -w -n 'BEGIN { system("echo hi %d", 5); exit(0); }')
echo "$out" | grep -q '^hi 5$' || { echo "FAIL: system() with -w: $out"; exit 1; }

out=$("$DTRACE" -x strsize=4 -q -n 'BEGIN { s = "abcdefgh"; printf("%s\n", s); exit(0); }')
[ "$out" = "abcd" ] || { echo "FAIL: strsize: '$out'"; exit 1; }
"$DTRACE" -x nosuchoption -n 'BEGIN { exit(0); }' 2>err && { echo "FAIL: bad option accepted"; exit 1; }
grep -q 'failed to set -x nosuchoption: Invalid option name' err || { echo "FAIL: option message"; cat err; exit 1; }
# A flag's value may be a number, as DTrace reads runtime options: not 0
# is on, 0 off (setopt("aggsortrev", "4") in published scripts).
out=$("$DTRACE" -x quiet=1 -n 'BEGIN { trace("q"); exit(0); }' 2>&1)
[ "$out" = "q" ] || { echo "FAIL: quiet=1: '$out'"; exit 1; }
out=$("$DTRACE" -x quiet=0 -n 'BEGIN { trace("q"); exit(0); }' 2>/dev/null | grep -c BEGIN)
[ "$out" = 1 ] || { echo "FAIL: quiet=0"; exit 1; }
out=$("$DTRACE" -q -n 'BEGIN { @a[1] = count(); @a[2] = count(); @a[2] = count(); setopt("aggsortrev", "4"); exit(0); }' 2>&1)
echo "$out" | grep -q 'couldn' && { echo "FAIL: setopt with a number: $out"; exit 1; }
[ "$(echo "$out" | awk 'NF { print $1; exit }')" = 2 ] || { echo "FAIL: aggsortrev=4 not on: $out"; exit 1; }
# -c with a command that cannot run: an error naming it, exit status 1,
# nothing traced.
for cmd in /nonexistent/command no_such_command_on_path /etc/passwd; do
    "$DTRACE" -n 'BEGIN { printf("traced\n"); exit(0); }' -c "$cmd" >out 2>err
    rc=$?
    [ "$rc" = 1 ] || { echo "FAIL: -c $cmd: exit status $rc"; exit 1; }
    grep -q "^dtrace: failed to execute $cmd: " err || { echo "FAIL: -c $cmd:"; cat err; exit 1; }
    grep -q traced out && { echo "FAIL: -c $cmd: traced anyway"; exit 1; }
done
# Output into a pipe whose reader has gone: dtrace ends as DTrace does, by
# SIGPIPE, with its -c command.
timeout 30 "$DTRACE" -q -n 'tick-10ms { printf("line\n"); }' -c 'sleep 60' | head -n 1 >out
status=${PIPESTATUS[0]}
[ "$status" = 141 ] || { echo "FAIL: dtrace | head: exit status $status (124: it did not end)"; exit 1; }
grep -qx line out || { echo "FAIL: dtrace | head printed:"; cat out; exit 1; }
pgrep -x -f 'sleep 60' >/dev/null && { echo "FAIL: the -c command outlived dtrace"; exit 1; }
# --help: the usage on stdout, exit 0; --version: this program's version
# and the D version; -V: the D version as DTrace prints it.
out=$("$DTRACE" --help 2>/dev/null) || { echo "FAIL: --help exit status"; exit 1; }
echo "$out" | grep -q '^Usage: dtrace ' || { echo "FAIL: --help: $out"; exit 1; }
out=$("$DTRACE" --version 2>/dev/null) || { echo "FAIL: --version exit status"; exit 1; }
echo "$out" | grep -Eq '^dtrace [0-9]+[.][0-9]+[.][0-9]+ ' || { echo "FAIL: --version: $out"; exit 1; }
echo "$out" | grep -q 'Oracle D 2.0' || { echo "FAIL: --version: no D version: $out"; exit 1; }
[ "$("$DTRACE" -V)" = "dtrace: Oracle D 2.0" ] || { echo "FAIL: -V"; exit 1; }
# Without privileges: DTrace's message, then what Linux needs.
if command -v setpriv >/dev/null; then
    dir=$(mktemp -d /tmp/dtrace-priv.XXXXXX)
    chmod 755 "$dir"
    cp "$DTRACE" "$dir/dtrace" && chmod 755 "$dir/dtrace"
    setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
        "$dir/dtrace" -q -n 'BEGIN { exit(0); }' >out 2>err
    rc=$?
    rm -rf "$dir"
    [ "$rc" = 1 ] || { echo "FAIL: unprivileged: exit status $rc"; cat err; exit 1; }
    grep -q '^dtrace: failed to initialize dtrace: DTrace requires additional privileges: run it as root, or with the capabilities CAP_BPF and CAP_PERFMON' err ||
        { echo "FAIL: unprivileged:"; cat err; exit 1; }
fi
# A macro argument used only in an inline's value is used.
out=$("$DTRACE" -q -n 'inline int X = $1; BEGIN { trace(X); exit(0); }' 5 2>&1)
[ "$out" = "5" ] || { echo "FAIL: \$1 in an inline: '$out'"; exit 1; }
exit 0
