# DTrace-style USDT: usdt_app built with DTRACE_DOF_PROBES calls
# __dtrace_usdtapp___* functions; `dtrace -G` rewrote the calls into nops
# and "xor %eax,%eax" and described them in a .SUNW_dof section. dtrace
# reads the DOF back: the probes fire with the call's arguments (typed as
# the provider declares them), and the is-enabled test yields 1 only while
# the probe is traced (dtrace patches the site), for -c and -p. Then -G's
# rewriting itself: tail calls, arguments on the stack, an undeclared probe.
set -u
fail() { echo "FAIL: $*"; exit 1; }
. "$(dirname "$0")/lib/held_process.sh"
. "$(dirname "$0")/lib/usdt_app.sh"
W=${WORKLOADS:-}/usdt_dof_app
[ -x "$W" ] || { echo "SKIP: workloads not built"; exit 77; }
[ -e /sys/bus/event_source/devices/uprobe/type ] || { echo "SKIP: no uprobe PMU"; exit 77; }

check_usdt_app_run "$W" usdt_dof_app 'args[0]'

# Not tracing work-start: its is-enabled site stays false.
out=$(timeout 30 "$DTRACE" -q -c "$W 2" -n 'usdtapp$target:::work-done { @ = count(); }' 2>&1)
[ "$(echo "$out" | grep -c '^enabled 0$')" = 2 ] || fail "work-start enabled by work-done: $out"

# The types come from the provider's declaration (the DOF carries them).
out=$("$DTRACE" -lv -n 'usdtapp$target:::work-done' -c "$W 0" 2>&1)
echo "$out"
echo "$out" | grep -q 'args\[1\]: long long' || fail "-lv: argument types of work-done: $out"
echo "$out" | grep -q 'args\[2\]: short' || fail "-lv: argument types of work-done: $out"

# -p: the running process's text is patched while traced, restored after.
check_usdt_app_held "$W"

# A provider glob without a pid: the probes of every process whose
# provider matches, here both builds of the program, each waiting.
mkfifo go1 go2
exec 4<>go1 5<>go2
"$WORKLOADS/usdt_app" 2 wait <go1 >a1.out &
p1=$!
"$W" 2 wait <go2 >a2.out &
p2=$!
for _ in $(seq 100); do
    [ -n "$(readlink /proc/$p1/exe)" ] && [ "$(readlink /proc/$p2/exe)" = "$(realpath "$W")" ] && break
    sleep 0.05
done
out=$("$DTRACE" -l -n 'usdtapp*:::work-done' 2>&1)
echo "$out"
echo "$out" | grep -Eq "^ *[0-9]+ +usdtapp$p1 +usdt_app +main work-done\$" || fail "glob: $p1 not listed"
echo "$out" | grep -Eq "^ *[0-9]+ +usdtapp$p2 +usdt_dof_app +main work-done\$" || fail "glob: $p2 not listed"
timeout 30 "$DTRACE" -q -n '
BEGIN { printf("ready\n"); }
usdtapp*:::work-start { printf("%s %d %d\n", probeprov, pid, args[0]); }
tick-100ms /++ticks == 50/ { exit(0); }' >out 2>&1 &
d=$!
for _ in $(seq 100); do grep -q ready out && break; sleep 0.05; done
echo go >&4
echo go >&5
wait $p1 $p2
kill -INT $d 2>/dev/null
wait $d
cat out a1.out a2.out
for p in $p1 $p2; do
    for i in 0 1; do grep -qx "usdtapp$p $p $i" out || fail "glob: work-start($i) in $p"; done
done
[ "$(cat a1.out a2.out | grep -c '^enabled 1$')" = 4 ] || fail "glob: is-enabled in both processes"

# Sites other tools' -G leave ("xor %eax,%eax; nop; nop; nop"): two
# bytes to patch, which only a stopped process can take. The -c command
# is patched at its exec stop; a running one (-p) keeps its test false,
# with a warning, and its probes still fire.
if command -v python3 >/dev/null; then
    python3 - "$W" foreign_app <<'PY'
import sys
code = open(sys.argv[1], 'rb').read()
n = code.count(bytes([0x31, 0xc0, 0xb0, 0x00, 0x90]))
open(sys.argv[2], 'wb').write(code.replace(bytes([0x31, 0xc0, 0xb0, 0x00, 0x90]),
                                           bytes([0x33, 0xc0, 0x90, 0x90, 0x90])))
sys.exit(0 if n else 1)
PY
    [ $? = 0 ] || fail "no is-enabled site in $W"
    chmod +x foreign_app
    out=$(timeout 30 "$DTRACE" -q -c "./foreign_app 2" -n 'usdtapp$target:::work-start { printf("start %d\n", args[0]); }' 2>&1)
    echo "$out"
    [ "$(echo "$out" | grep -c '^enabled 1$')" = 2 ] || fail "-c: a foreign is-enabled site"
    rm -f go
    start_held app.out ./foreign_app 2 wait
    timeout 30 "$DTRACE" -q -p $w -n '
    BEGIN { printf("ready\n"); }
    usdtapp$target:::work-done { printf("done %d\n", args[0]); }
    usdtapp$target:::work-start { }' >out 2>&1 &
    d=$!
    release_when_ready out
    wait $d
    cat out app.out
    grep -q 'warning: an is-enabled probe of pid .* stays disabled' out || fail "-p: no warning for a foreign site"
    grep -qx "done 1" out || fail "-p: work-done did not fire in the foreign program"
    [ "$(grep -c '^enabled 0$' app.out)" = 2 ] || fail "-p: a running program's foreign site was patched"
fi

# The build side, on a program of our own: a tail call of a probe and of
# an is-enabled test (jmp, not call), eight arguments (two on the stack).
command -v cc >/dev/null || exit 0
cat >prov.d <<'D'
provider demo { probe hello(int, char *); probe bye(); probe many(int, int, int, int, int, int, int, long); };
D
"$DTRACE" -h -s prov.d || fail "-h failed"
cat >app.c <<'C'
#include "prov.h"
#include <stdio.h>
static const char tail[] = "tail";
__attribute__((noinline)) void say(int x) { DEMO_HELLO(x, (char *)tail); }
__attribute__((noinline)) int asking(void) { return DEMO_BYE_ENABLED(); }
int main(void) {
    printf("%s\n", tail);
    for (int i = 0; i < 2; ++i) {
        say(i);
        printf("asking %d\n", asking());
        DEMO_MANY(1, 2, 3, 4, 5, 6, 7 + i, -8L);
    }
    return 0;
}
C
cc -O2 -DDTRACE_DOF_PROBES -c app.c -o app.o || fail "a program with DTrace-style sites does not compile"
"$DTRACE" -G -s prov.d app.o || fail "-G failed"
if command -v objdump >/dev/null; then
    objdump -dr app.o | grep -q '__dtrace' && fail "-G left calls of the probe functions"
    objdump -h app.o | grep -q '\.SUNW_dof' || fail "-G added no .SUNW_dof"
fi
cc app.o prov.o -o app || fail "the rewritten object does not link"
[ "$(./app | grep -c 'asking 0')" = 2 ] || fail "untraced, the tail-called is-enabled test is true"
out=$(timeout 30 "$DTRACE" -q -c ./app -n '
demo$target:::hello { printf("hello %s %d %s\n", probefunc, args[0], copyinstr(arg1)); }
demo$target:::bye { }
demo$target:::many { printf("many %d %d %d %d\n", args[0], args[5], args[6], args[7]); }' 2>&1)
echo "$out"
for i in 0 1; do
    echo "$out" | grep -qx "hello say $i tail" || fail "the tail-called hello($i)"
    echo "$out" | grep -qx "many 1 6 $((7 + i)) -8" || fail "many(1..., $((7 + i)), -8)"
done
[ "$(echo "$out" | grep -c '^asking 1$')" = 2 ] || fail "the tail-called is-enabled test"

# Sites in a shared library the -c command needs: the dynamic linker maps
# it after the exec stop, so dtrace runs the command to its entry point
# and patches them there, before main asks.
printf '#include "prov.h"\nint lib_asks(void) { if (DEMO_BYE_ENABLED()) { DEMO_BYE(); return 1; } return 0; }\n' >lib.c
printf '#include <stdio.h>\nint lib_asks(void);\nint main(void) { printf("lib asks %%d\\n", lib_asks()); return 0; }\n' >libmain.c
cc -O2 -fPIC -DDTRACE_DOF_PROBES -c lib.c -o lib.o || fail "the library does not compile"
"$DTRACE" -G -s prov.d -o libprov.o lib.o || fail "-G on the library's object"
cc -shared -o libdemo.so lib.o libprov.o || fail "the library does not link"
cc -o libmain libmain.c -L. -ldemo -Wl,-rpath,"$PWD" || fail "the program does not link"
[ "$(./libmain)" = "lib asks 0" ] || fail "untraced, the library's test is true"
out=$(timeout 30 "$DTRACE" -q -c ./libmain -n 'demo$target:libdemo.so::bye { printf("bye in %s\n", probemod); }' 2>&1)
echo "$out"
echo "$out" | grep -qx "lib asks 1" || fail "-c: the library's is-enabled site at entry"
echo "$out" | grep -qx "bye in libdemo.so" || fail "-c: the library's probe"

# A call of a probe the provider does not declare stops -G, and every
# object is left as it was (the good one before it too).
echo 'provider demo { probe bye(); probe many(int, int, int, int, int, int, int, long); };' >less.d
cc -O2 -DDTRACE_DOF_PROBES -c app.c -o app2.o
printf '#include "prov.h"\nint good(void) { if (DEMO_BYE_ENABLED()) DEMO_BYE(); return 0; }\n' >good.c
cc -O2 -DDTRACE_DOF_PROBES -c good.c -o good.o
cp app2.o before.o
cp good.o good-before.o
out=$("$DTRACE" -G -s less.d -o less.o good.o app2.o 2>&1) && fail "-G accepted an undeclared probe"
echo "$out" | grep -q '__dtrace_demo___hello, a probe the provider demo does not declare' ||
    fail "-G: undeclared probe message: $out"
cmp -s app2.o before.o || fail "-G changed the object it refused"
cmp -s good.o good-before.o || fail "-G changed an object before the one it refused"

# LTO objects hold no calls -G could rewrite: it says so.
if cc -flto -O2 -DDTRACE_DOF_PROBES -c good.c -o lto.o 2>/dev/null; then
    out=$("$DTRACE" -G -s less.d -o lto-prov.o lto.o 2>&1) && fail "-G accepted an LTO object"
    echo "$out" | grep -q 'LTO bytecode' || fail "-G on an LTO object: $out"
fi
exit 0
