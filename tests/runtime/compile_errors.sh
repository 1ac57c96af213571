# Compile errors name the script and line, exit 1, and carry [D_TAG] with
# -xerrtags.
set -u
printf 'BEGIN\n{\n\ttrace(x);\n}\n' > e.d
"$DTRACE" -s e.d 2>err; rc=$?
[ $rc = 1 ] || { echo "FAIL: exit status $rc"; exit 1; }
grep -qx 'dtrace: failed to compile script e.d: line 3: failed to resolve x: Unknown variable name' err || { cat err; exit 1; }
"$DTRACE" -xerrtags -s e.d 2>err
grep -q '\[D_IDENT_UNDEF\] line 3' err || { cat err; exit 1; }
"$DTRACE" -n 'BEGIN { trace(1' 2>err
grep -q "^dtrace: invalid probe specifier BEGIN { trace(1: syntax error near end of input" err || { cat err; exit 1; }
# On the command line, an error in a clause names the part it is in, as
# DTrace does ("in action list: ", "in predicate: "), not a line.
"$DTRACE" -n 'BEGIN { trace(x); }' 2>err
grep -qx 'dtrace: invalid probe specifier BEGIN { trace(x); }: in action list: failed to resolve x: Unknown variable name' err || { cat err; exit 1; }
"$DTRACE" -n 'BEGIN /y/ { exit(0); }' 2>err
grep -qx 'dtrace: invalid probe specifier BEGIN /y/ { exit(0); }: in predicate: failed to resolve y: Unknown variable name' err || { cat err; exit 1; }
# Found by the fuzzer: a macro argument number beyond any integer.
"$DTRACE" -n 'BEGIN { trace($$1718446744073709551615); }' 2>err; rc=$?
[ $rc = 1 ] || { echo "FAIL: huge macro argument: status $rc"; cat err; exit 1; }
grep -q 'macro argument \$\$1718446744073709551615 is not defined' err || { cat err; exit 1; }

# A kernel enum compared with a name that is both its enumerator and a
# global variable: ambiguous (D_IDENT_AMBIG); without the global, the
# enumerator.
"$DTRACE" -x errtags -n 'int PIDTYPE_PID; BEGIN { this->t = (enum pid_type)0; trace(this->t == PIDTYPE_PID); }' 2>err; rc=$?
[ $rc = 1 ] || { echo "FAIL: ambiguous enumerator: status $rc"; cat err; exit 1; }
grep -q 'D_IDENT_AMBIG.*ambiguous use of operator ==: PIDTYPE_PID is both a enum pid_type enum tag and a global scalar' err || { cat err; exit 1; }
out=$("$DTRACE" -q -n 'BEGIN { this->t = (enum pid_type)0; trace(this->t == PIDTYPE_PID); exit(0); }' 2>&1)
[ "$out" = 1 ] || { echo "FAIL: enumerator in a comparison: $out"; exit 1; }

# An error about an inline's value (the D library's curpsinfo) names the
# line where the script uses it.
printf 'BEGIN\n{\n\t@a[curpsinfo] = count();\n}\n' >inline_key.d
"$DTRACE" -x errtags -s inline_key.d 2>err
grep -q 'D_KEY_TYPE\] line 3: invalid key #1 for @a: psinfo_t \*' err || { echo "FAIL: inline use line"; cat err; exit 1; }

# After DTrace's text: the source line and a caret under the column (tabs
# kept); not in the test corpus's mode, whose expected text is DTrace's alone.
printf 'BEGIN\n{\n\tx = 1 +;\n}\n' > c.d
"$DTRACE" -s c.d 2>err
grep -qx 'dtrace: failed to compile script c.d: line 3: syntax error near ";"' err || { cat err; exit 1; }
grep -qxF "$(printf ' 3 | \tx = 1 +;')" err || { echo "FAIL: no source line"; cat err; exit 1; }
grep -qxF "$(printf '   | \t       ^ column 9')" err || { echo "FAIL: no caret"; cat err; exit 1; }
"$DTRACE" -n 'BEGIN { trace(nosuch); }' 2>err
grep -qxF '   |               ^ column 15' err || { echo "FAIL: no caret for -n"; cat err; exit 1; }
_DTRACE_TESTING=1 "$DTRACE" -s c.d 2>err
[ "$(wc -l < err)" = 1 ] || { echo "FAIL: caret under _DTRACE_TESTING"; cat err; exit 1; }
exit 0
