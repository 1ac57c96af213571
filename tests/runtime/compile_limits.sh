# Programs past a limit of the compiler or of BPF end with a compile error
# that names the line (exit status 1): never an abort, a crash or a hang.
set -u
# expect FILE PATTERN: dtrace -s FILE fails with status 1 and PATTERN.
expect() {
    timeout 60 "$DTRACE" -s "$1" >out 2>err; rc=$?
    [ $rc = 1 ] || { echo "FAIL: $1: exit status $rc"; head -c 600 err; exit 1; }
    grep -q "$2" err || { echo "FAIL: $1: expected '$2'"; head -c 600 err; exit 1; }
}
# Nesting: 4,000 parentheses, a sum of 20,000 terms, 3,000 nested ifs.
python3 -c "print('BEGIN { x = ' + '(' * 4000 + '1' + ')' * 4000 + '; exit(0); }')" > parens.d
expect parens.d 'line 1: expression nested too deeply'
python3 -c "print('BEGIN { y = 1; x = ' + ' + '.join(['y'] * 20000) + '; exit(0); }')" > sum.d
expect sum.d 'line 1: expression nested too deeply'
python3 -c "print('BEGIN {\n' + 'if (1) {\n' * 3000 + 'x = 1;' + '}' * 3000 + '}')" > ifs.d
expect ifs.d 'line [0-9]*: expression nested too deeply'
# Within the bound, deep nesting compiles and runs: a generated predicate
# of 2,000 terms, a sum of 5,000, 900 parentheses.
python3 -c "print('BEGIN /' + ' || '.join(['pid == %d' % i for i in range(2000)]) + ' || 1/ { printf(\"or\\\\n\"); } BEGIN { y = 1; x = ' + ' + '.join(['y'] * 5000) + '; printf(\"%d\\\\n\", x); z = ' + '(' * 900 + '7' + ')' * 900 + '; printf(\"%d\\\\n\", z); exit(0); }')" > wide.d
"$DTRACE" -qs wide.d >out 2>err || { echo "FAIL: wide.d"; head -c 600 err; exit 1; }
[ "$(cat out)" = "$(printf 'or\n5000\n7')" ] || { echo "FAIL: wide.d printed"; cat out; exit 1; }
python3 -c "print('BEGIN { y = 1; x = ' + '(' * 200 + ' + '.join(['y'] * 200) + ')' * 200 + '; printf(\"%d\\\\n\", x); exit(0); }')" > deep.d
"$DTRACE" -qs deep.d >out 2>err || { echo "FAIL: deep.d"; cat err; exit 1; }
[ "$(cat out)" = 200 ] || { echo "FAIL: deep.d printed"; cat out; exit 1; }
# strsize=1m: the per-CPU working memory, not an assembler limit.
"$DTRACE" -x strsize=1m -n 'syscall::openat:entry { self->s[copyinstr(arg1)] = strjoin(copyinstr(arg1), execname); }' >out 2>err; rc=$?
[ $rc = 1 ] || { echo "FAIL: strsize=1m: exit status $rc"; cat err; exit 1; }
grep -q ': program needs [0-9]* bytes of per-CPU working memory, more than 32767: lower strsize' err || { cat err; exit 1; }
# More clauses on one probe than a BPF program may have functions: a chain
# of programs, each tail-calling the next, runs them all, in order (with
# clause masks past 64 in a shared system call program); past what the
# kernel tail-calls, the clause is named.
python3 -c "print(''.join('BEGIN { x++; }\n' for _ in range(850)) + 'BEGIN { printf(\"%d\\\\n\", x); exit(0); }')" > begin850.d
"$DTRACE" -qs begin850.d >out 2>err || { echo "FAIL: begin850.d"; head -c 600 err; exit 1; }
[ "$(cat out)" = 850 ] || { echo "FAIL: begin850.d printed"; cat out; exit 1; }
python3 -c "
s = ''.join('syscall::getpid:entry /pid == \$target/ { x++; }\n' for _ in range(300))
s += ''.join('syscall::getppid:entry /pid == \$target/ { y++; }\n' for _ in range(90))
s += 'syscall::getppid:entry /pid == \$target/ { printf(\"%s %d %d\\\\n\", probefunc, x, y); exit(0); }'
print(s)" > chain.d
# (-c splits on white space, as DTrace's does: no quotes, so a script file.)
printf 'import os\nos.getpid()\nos.getppid()\n' >getpids.py
"$DTRACE" -qs chain.d -c 'python3 getpids.py' >out 2>err || { echo "FAIL: chain.d"; head -c 600 err; exit 1; }
[ "$(cat out)" = "getppid 300 90" ] || { echo "FAIL: chain.d printed"; cat out err; exit 1; }
python3 -c "print(''.join('BEGIN { x++; }\n' for _ in range(9000)) + 'BEGIN { exit(0); }')" > begin9000.d
expect begin9000.d 'too many clauses for one probe: dt_begin would need more than 33 programs'
# 200 clauses on BEGIN run, and their accounting (past the first 32 KB of
# the per-CPU context) works.
python3 -c "print(''.join('BEGIN { x++; }\n' for _ in range(200)) + 'BEGIN { printf(\"%d\\\\n\", x); exit(0); }')" > begin200.d
"$DTRACE" -qs begin200.d >out 2>err || { echo "FAIL: begin200.d"; cat err; exit 1; }
[ "$(cat out)" = 200 ] || { echo "FAIL: begin200.d printed"; cat out; exit 1; }
python3 -c "print(''.join('tick-1ms { x++; }\n' for _ in range(240)) + 'tick-1ms /x > 2000/ { printf(\"ok\\\\n\"); exit(0); }')" > tick240.d
timeout 30 "$DTRACE" -qs tick240.d -x probestats >out 2>err || { echo "FAIL: tick240.d"; cat err; exit 1; }
[ "$(cat out)" = ok ] || { echo "FAIL: tick240.d printed"; cat out err; exit 1; }
grep -q 'tick-1ms' err || { echo "FAIL: no probestats for tick240.d"; cat err; exit 1; }
exit 0
