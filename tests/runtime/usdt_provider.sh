# USDT: a C program built with `dtrace -h` (the probe macros) and `dtrace
# -G` (the semaphores), traced as usdtapp$target: its probes fire with the
# arguments the program passed, its is-enabled test is true only while a
# probe is traced (the kernel counts the semaphore), for -c and -p.
set -u
fail() { echo "FAIL: $*"; exit 1; }
. "$(dirname "$0")/lib/held_process.sh"
. "$(dirname "$0")/lib/usdt_app.sh"
W=${WORKLOADS:-}/usdt_app
[ -x "$W" ] || { echo "SKIP: workloads not built"; exit 77; }
[ -e /sys/bus/event_source/devices/uprobe/type ] || { echo "SKIP: no uprobe PMU"; exit 77; }

# Untraced, the is-enabled test is false; traced with -c, the probes fire.
check_usdt_app_run "$W" usdt_app 'arg0'

# Listing the command's probes.
out=$("$DTRACE" -l -n 'usdtapp$target:::' -c "$W 0" 2>&1)
echo "$out"
for n in work-start work-done idle; do
    echo "$out" | grep -Eq "^ *[0-9]+ +usdtapp[0-9]+ +usdt_app +main $n\$" || fail "listing: $n"
done
out=$("$DTRACE" -lv -n 'usdtapp$target:::work-done' -c "$W 0" 2>&1)
echo "$out" | grep -q 'args\[2\]: int64_t' || fail "-lv: argument types of work-done: $out"

# -p: a running process, waiting on a FIFO until dtrace is ready.
check_usdt_app_held "$W"

# The build side: -h writes the macros, -G the semaphores; a probe site of
# a probe the provider does not declare is an error.
cat >prov.d <<'D'
provider demo { probe hello(int, char *); probe bye(); };
D
"$DTRACE" -h -s prov.d || fail "-h failed"
grep -q '^#define.DEMO_HELLO(arg0, arg1)' prov.h || fail "-h: no DEMO_HELLO macro"
grep -q '^#define.DEMO_BYE_ENABLED()' prov.h || fail "-h: no DEMO_BYE_ENABLED macro"
if command -v cc >/dev/null; then
    printf '#include "prov.h"\nint main(void) { if (DEMO_BYE_ENABLED()) DEMO_BYE(); DEMO_HELLO(1, "x"); return 0; }\n' >app.c
    cc -c app.c -o app.o || fail "a program using the -h header does not compile"
    "$DTRACE" -G -s prov.d app.o || fail "-G failed"
    cc app.o prov.o -o app || fail "the -G object does not link"
    ./app || fail "the program does not run"
    echo 'provider demo { probe bye(); };' >less.d
    out=$("$DTRACE" -G -s less.d -o less.o app.o 2>&1) && fail "-G accepted an undeclared probe"
    echo "$out" | grep -q 'probe demo:hello, which the provider does not declare' ||
        fail "-G: undeclared probe message: $out"
fi
# Arguments in memory at a symbol ("8@counter(%rip)", as <sys/sdt.h>
# emits for a global): read where the process has the variable.
if command -v cc >/dev/null; then
    cat >rip.c <<'C'
#include <stdio.h>
volatile long counter = 5;
static volatile int pair[2] = {7, -9};
int main(void) {
    for (int i = 0; i < 2; ++i) {
        counter += 10;
        __asm__ __volatile__("990: nop\n"
            ".pushsection .note.stapsdt,\"?\",\"note\"\n"
            ".balign 4\n.4byte 992f-991f, 994f-993f, 3\n"
            "991: .asciz \"stapsdt\"\n992: .balign 4\n"
            "993: .8byte 990b\n.8byte 0\n.8byte 0\n"
            ".asciz \"ripper\"\n.asciz \"tick\"\n"
            ".asciz \"8@counter(%%rip) -4@pair+4(%%rip)\"\n"
            "994: .balign 4\n.popsection\n" : :);
    }
    printf("%ld\n", counter);
    return 0;
}
C
    cc -O2 rip.c -o rip || fail "the rip-relative program does not compile"
    out=$(timeout 30 "$DTRACE" -q -c ./rip -n 'ripper$target:::tick { printf("tick %d %d\n", arg0, arg1); }' 2>&1)
    echo "$out"
    echo "$out" | grep -qx "tick 15 -9" || fail "rip-relative arguments: $out"
    echo "$out" | grep -qx "tick 25 -9" || fail "rip-relative arguments, second time: $out"
fi

echo 'BEGIN { exit(0); }' >none.d
out=$("$DTRACE" -h -s none.d 2>&1) && fail "-h without providers succeeded"
echo "$out" | grep -q 'no providers are defined in none.d' || fail "-h without providers: $out"
exit 0
