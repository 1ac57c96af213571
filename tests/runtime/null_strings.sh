# A string variable set to NULL holds NULL: it equals NULL, and reading it
# (s[1], printf's %s) is an invalid address, as in DTrace; set again, it
# holds its new value. Global and clause-local alike.
set -u
fail() { echo "FAIL: $*"; exit 1; }
out=$("$DTRACE" -q -n 'string s; BEGIN { s = "abc"; printf("%d ", s == NULL); s = NULL; printf("%d ", s == NULL); s = "x"; printf("%s %d\n", s, s == NULL); this->t = "y"; this->t = NULL; printf("%d\n", this->t == NULL); exit(0); }' 2>&1)
echo "$out"
[ "$out" = "0 1 x 0
1" ] || fail "NULL string values: $out"
for var in s 'this->s'; do
	decl=; [ "$var" = s ] && decl='string s;'
	out=$("$DTRACE" -q -n "$decl BEGIN { $var = \"a\"; $var = NULL; printf(\"%x\\n\", $var[1]); } BEGIN { exit(0); }" 2>&1)
	echo "$out"
	echo "$out" | grep -q "^dtrace: error in dt_clause_0 for probe ID 1 (dtrace:::BEGIN): invalid address (0x0) at BPF pc [0-9]*$" ||
		fail "$var[1] of a NULL string: $out"
done
exit 0
