# dtrace(8)'s options each work or are refused with a reason: -i probe
# IDs, -l -o, -H, -X, -32/-64, -a/-A, several -c and -p, DTRACE_OPT_*
# variables, -V -v, a -c command that does not outlive a killed dtrace,
# and the -x options that act (cpu, zdefs, disasm, cpppath, evaltime,
# lockmem) or are refused (ldpath ...).
set -u
fail() { echo "FAIL: $*"; exit 1; }

# -i: a probe by the ID `dtrace -l` gives it, listed and enabled.
id=$("$DTRACE" -l -n syscall::getppid:entry | awk 'NR == 2 { print $1 }')
[ -n "$id" ] || fail "no ID for syscall::getppid:entry"
out=$("$DTRACE" -l -i "$id" | awk 'NR == 2 { print $2 ":" $4 ":" $5 }')
[ "$out" = "syscall:getppid:entry" ] || fail "-l -i $id: '$out'"
out=$("$DTRACE" -q -i "$id { printf(\"%s:%s\\n\", probefunc, probename); exit(0); }" \
    -c 'sh -c :' 2>&1)
echo "$out" | grep -q '^getppid:entry$' || fail "-i $id enabling: '$out'"
"$DTRACE" -l -i 4000000000 2>err && fail "-i with an ID no probe has"
grep -q 'No such probe' err || { cat err; fail "-i message"; }
# A number is a probe ID in a program too (-n, -s), as DTrace reads one.
out=$("$DTRACE" -q -n "BEGIN { x = 1; } $id { printf(\"%s\\n\", probefunc); exit(0); }" -c 'sh -c :' 2>&1)
echo "$out" | grep -q '^getppid$' || fail "an ID in -n: '$out'"
# The same IDs whatever else the command line names first.
out=$("$DTRACE" -l -n 'syscall::read:entry' -i "$id" | awk 'NR == 3 { print $4 ":" $5 }')
[ "$out" = "getppid:entry" ] || fail "-i $id after another description: '$out'"
"$DTRACE" -l -i 4294967297 2>err && fail "an ID past 2^32"
grep -q 'exceeds maximum probe id' err || { cat err; fail "ID past 2^32 message"; }

# -l -o FILE: the listing in the file, nothing on stdout.
out=$("$DTRACE" -l -o list.txt -n BEGIN)
[ -z "$out" ] || fail "-l -o wrote to stdout: $out"
grep -q 'dtrace.*BEGIN' list.txt || fail "-l -o: $(cat list.txt)"

# -H: cpp names the files it includes, on stderr.
printf '#define VALUE 1\n' > value.h
printf '#include "value.h"\nBEGIN { exit(VALUE - 1); }\n' > inc.d
"$DTRACE" -q -C -I. -H -s inc.d 2>err || { cat err; fail "-C -H"; }
grep -q '^\. .*value\.h$' err || { cat err; fail "-H named no included file"; }
# -X s: K&R cpp (no __STDC__); -X c strict.
printf '#ifdef __STDC__\nBEGIN { trace("stdc"); exit(0); }\n#else\nBEGIN { trace("kr"); exit(0); }\n#endif\n' > x.d
[ "$("$DTRACE" -q -C -X s -s x.d)" = "kr" ] || fail "-X s"
[ "$("$DTRACE" -q -C -X c -s x.d)" = "stdc" ] || fail "-X c"
"$DTRACE" -X q -n BEGIN 2>err && fail "-X q accepted"
grep -q 'failed to set -x stdc: Invalid value' err || { cat err; fail "-X message"; }

# -64 is the data model; -32 refused with why; -a and -A refused with why.
"$DTRACE" -64 -q -n 'BEGIN { exit(0); }' || fail "-64"
"$DTRACE" -32 -n 'BEGIN { exit(0); }' 2>err && fail "-32 accepted"
grep -q '32-bit data model is not supported' err || { cat err; fail "-32 message"; }
for f in -a -A; do
    "$DTRACE" $f -n 'BEGIN { exit(0); }' 2>err && fail "$f accepted"
    grep -q -- "$f: anonymous tracing is not supported" err || { cat err; fail "$f message"; }
done

# -V -v: the D version, then this program's.
out=$("$DTRACE" -V -v)
echo "$out" | head -1 | grep -q '^dtrace: Oracle D 2.0$' || fail "-V -v: $out"
echo "$out" | grep -q 'This is dtrace [0-9]' || fail "-V -v: $out"

# Several -c: all run, dtrace ends when the last has, noticing each with
# its status; $target is the first.
cat > three.d <<'D'
proc:::exit /pid == $target/ { printf("target exited\n"); }
D
printf '#!/bin/sh\nexit 3\n' > exit3.sh
printf '#!/bin/sh\nsleep 0.5\n' > slow.sh
printf '#!/bin/sh\nkill -TERM $$\n' > term.sh
chmod +x exit3.sh slow.sh term.sh
start=$(date +%s%N)
"$DTRACE" -q -s three.d -c ./exit3.sh -c ./slow.sh -c ./term.sh >out 2>err ||
    { cat out err; fail "several -c"; }
ms=$((($(date +%s%N) - start) / 1000000))
grep -q '^target exited$' out || { cat out; fail "\$target is not the first -c command"; }
"$DTRACE" -s three.d -c ./exit3.sh -c ./slow.sh -c ./term.sh >out 2>err
grep -Eq 'pid [0-9]+ exited with status 3' err || { cat err; fail "exit status notice"; }
grep -Eq 'pid [0-9]+ has exited' err || { cat err; fail "exit notice"; }
grep -Eq 'pid [0-9]+ terminated by SIGTERM' err || { cat err; fail "signal notice"; }
[ "$ms" -ge 400 ] || fail "dtrace ended before the slowest -c command ($ms ms)"

# Several -p: dtrace ends when the last has gone.
sleep 1.5 & p1=$!
sleep 3 & p2=$!
start=$(date +%s%N)
"$DTRACE" -q -p $p1 -p $p2 -n 'tick-100ms { n++; }' 2>err || { cat err; fail "several -p"; }
ms=$((($(date +%s%N) - start) / 1000000))
[ "$ms" -ge 1500 ] || fail "dtrace ended before the last -p process ($ms ms)"
wait

# A -c command does not outlive a dtrace killed with SIGKILL.
# (the command's own command line starts with its name; dtrace's has it
# after -c)
"$DTRACE" -q -c 'sleep 61.25' -n 'tick-1s { }' & d=$!
for _ in $(seq 100); do pgrep -f '^sleep 61.25' >/dev/null && break; sleep 0.1; done
pgrep -f '^sleep 61.25' >/dev/null || fail "the -c command did not start"
kill -KILL $d; wait $d 2>/dev/null
sleep 0.5
pgrep -f '^sleep 61.25' >/dev/null && { pkill -f '^sleep 61.25'; fail "-c child outlived SIGKILL of dtrace"; }

# DTRACE_OPT_NAME sets an option; the command line wins; an unknown one
# is an error.
[ "$(DTRACE_OPT_QUIET= "$DTRACE" -n 'BEGIN { trace("e"); exit(0); }' 2>&1)" = "e" ] ||
    fail "DTRACE_OPT_QUIET"
out=$(DTRACE_OPT_STRSIZE=3 "$DTRACE" -q -n 'BEGIN { printf("%s\n", "abcdef"); exit(0); }')
[ "$out" = "abc" ] || fail "DTRACE_OPT_STRSIZE: '$out'"
out=$(DTRACE_OPT_STRSIZE=3 "$DTRACE" -x strsize=5 -q -n 'BEGIN { printf("%s\n", "abcdef"); exit(0); }')
[ "$out" = "abcde" ] || fail "-x over DTRACE_OPT_: '$out'"
DTRACE_OPT_NOSUCH=1 "$DTRACE" -n 'BEGIN { exit(0); }' 2>err && fail "DTRACE_OPT_NOSUCH accepted"
grep -q 'failed to set option DTRACE_OPT_NOSUCH: Invalid option name' err || { cat err; fail "DTRACE_OPT_ message"; }

# -x cpu: only that CPU's probes fire (tick-N fires there too).
ncpu=$(nproc)
if [ "$ncpu" -ge 2 ]; then
    out=$(timeout 20 "$DTRACE" -q -x cpu=1 -n 'profile-997 { @[cpu] = count(); } tick-300ms { exit(0); }' |
        awk 'NF == 2 { print $1 }' | sort -u | tr '\n' ' ')
    [ "$out" = "1 " ] || fail "-x cpu=1 fired on CPUs '$out'"
fi
"$DTRACE" -x cpu=100000 -n BEGIN 2>err && fail "-x cpu past the last CPU"
grep -q 'failed to set -x cpu: CPU 100000 is not online' err || { cat err; fail "-x cpu message"; }
printf '#pragma D option cpu=100000\ntick-100ms { exit(0); }\n' > cpu.d
timeout 10 "$DTRACE" -s cpu.d 2>err && fail "#pragma cpu past the last CPU"
grep -q 'CPU 100000 is not online' err || { cat err; fail "#pragma cpu message"; }

# -x zdefs is -Z; -x disasm is -S; -x cpppath names cpp; -x evaltime=exec.
"$DTRACE" -q -x zdefs -n 'nosuch:::probe' -n 'BEGIN { exit(0); }' || fail "-x zdefs"
"$DTRACE" -x disasm=1 -q -n 'BEGIN { exit(0); }' 2>err || fail "-x disasm"
grep -qi 'exit\|mov' err || { cat err; fail "-x disasm printed no code"; }
"$DTRACE" -x cpppath=/nonexistent/cpp -C -s x.d 2>err && fail "-x cpppath not used"
"$DTRACE" -x cpppath="$(command -v cpp)" -q -C -s x.d >/dev/null || fail "-x cpppath=cpp"
"$DTRACE" -x evaltime=exec -q -n 'BEGIN { exit(0); }' || fail "evaltime=exec"
"$DTRACE" -x evaltime=main -n 'BEGIN { exit(0); }' 2>err && fail "evaltime=main accepted"
grep -q 'only evaltime=exec' err || { cat err; fail "evaltime message"; }
"$DTRACE" -x lockmem=4m -q -n 'BEGIN { exit(0); }' || fail "-x lockmem"
# Options with no meaning here are refused, each with its reason.
for o in aggpercpu core cpphdrs ctypes dtypes grabanon iregs jstackstrsize knodefs ldpath \
    lazyload linkmode linktype modpath noresolve pgmax strip tree; do
    "$DTRACE" -x $o -n 'BEGIN { exit(0); }' 2>err && fail "-x $o accepted"
    grep -q "failed to set -x $o: Option not supported here: ." err || { cat err; fail "-x $o message"; }
done
# And from a program too.
printf '#pragma D option strip\nBEGIN { exit(0); }\n' > pragma.d
"$DTRACE" -s pragma.d 2>err && fail "#pragma strip accepted"
grep -q 'not supported here' err || { cat err; fail "#pragma strip message"; }

# -v: the kernel memory of every map the session holds (aggregations and
# the ring buffer too), as the kernel counts it in each map's fdinfo.
"$DTRACE" -v -q -n 'BEGIN { @a[1] = count(); @q = quantize(1); x[1] = 1; } tick-2s { exit(0); }' \
    >/dev/null 2>verr &
d=$!
# (once dtrace has said it, its maps are loaded)
for _ in $(seq 100); do grep -q 'kernel memory' verr 2>/dev/null && break; sleep 0.05; done
held=0
for f in /proc/$d/fdinfo/*; do
    grep -q '^map_type:' "$f" 2>/dev/null || continue
    held=$((held + $(awk '/^memlock:/ { print $2 }' "$f")))
done
wait $d
said=$(sed -n 's/^dtrace: kernel memory held by this session: \([0-9]*\) bytes$/\1/p' verr)
[ -n "$said" ] || { cat verr; fail "-v: no kernel memory line"; }
# (maps made without preallocation grow a little as they fill)
[ $((said * 100)) -ge $((held * 99)) ] || fail "-v said $said bytes, the maps hold $held"
[ "$held" -gt 4000000 ] || fail "the maps hold only $held bytes (no ring buffer?)"
exit 0
