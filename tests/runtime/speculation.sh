# Speculative tracing: records go to a speculation and are printed when it
# is committed (in commit order) or dropped when it is discarded; every
# way a speculation can lose data is counted and names its option; DTrace's
# rules on what may follow speculate() and commit() are enforced.
set -u
fail() { echo "FAIL: $*"; exit 1; }

out=$("$DTRACE" -q -x nspec=3 -n '
BEGIN { a = speculation(); b = speculation(); c = speculation(); }
BEGIN { speculate(a); printf("a1 "); }
BEGIN { speculate(b); printf("b1 "); }
BEGIN { speculate(a); printf("a2 "); }
BEGIN { speculate(c); printf("c1 "); }
BEGIN { printf("plain "); }
BEGIN { commit(b); discard(c); commit(a); }
BEGIN { exit(0); }' 2>&1)
echo "$out"
[ "$out" = "plain b1 a1 a2 " ] || fail "commit order: '$out'"

# No free speculation: speculation() returns 0 and the loss is reported.
out=$("$DTRACE" -q -x nspec=1 -n 'BEGIN { printf("%d %d\n", speculation(), speculation()); exit(0); }' 2>&1)
echo "$out"
echo "$out" | grep -qx '1 0' || fail "second speculation() should be 0"
echo "$out" | grep -qx 'dtrace: 1 failed speculation (no speculative buffer available) (raise nspec)' ||
    fail "unavailable speculation not reported"

# A speculation's buffer holds specsize bytes: the third record is dropped.
out=$("$DTRACE" -q -x specsize=20 -n '
BEGIN { s = speculation(); }
BEGIN { speculate(s); printf("%d", 1); }
BEGIN { speculate(s); printf("%d", 2); }
BEGIN { speculate(s); printf("%d", 3); }
BEGIN { commit(s); }
BEGIN { exit(0); }' 2>&1)
echo "$out"
# (each record: a 4-byte EPID and a 4-byte int; two fit in 20 bytes)
echo "$out" | grep -q '^12' || fail "specsize: '$out'"
echo "$out" | grep -q '3' && fail "the record beyond specsize was printed"
echo "$out" | grep -q 'dtrace: 1 speculative drop (raise specsize)' || fail "speculative drop not reported"

# Speculating on a speculation whose commit is under way: busy.
out=$("$DTRACE" -q -n '
BEGIN { s = speculation(); }
BEGIN { speculate(s); printf("kept\n"); }
BEGIN { commit(s); }
BEGIN { speculate(s); printf("late\n"); }
BEGIN { exit(0); }' 2>&1)
echo "$out"
echo "$out" | grep -qx 'kept' || fail "committed record missing"
echo "$out" | grep -q 'late' && fail "a record speculated after commit was printed"
echo "$out" | grep -qx 'dtrace: 1 failed speculation (available buffer(s) still busy) (raise nspec)' ||
    fail "busy speculation not reported"

# speculate(0) and an ID beyond nspec abandon the clause silently;
# commit() of an ID beyond nspec is an illegal operation.
out=$("$DTRACE" -q -n 'BEGIN { speculate(0); x = 1; } BEGIN { printf("x=%d\n", x); } BEGIN { commit(7); } BEGIN { exit(0); }' 2>&1)
echo "$out"
echo "$out" | grep -qx 'x=0' || fail "speculate(0) did not abandon its clause"
echo "$out" | grep -q 'dtrace: error in dt_clause_2 for probe ID 1 (dtrace:::BEGIN): illegal operation at BPF pc' ||
    fail "commit(7) with nspec=1 is not an illegal operation"

# The classic use: keep what a system call did only when it failed.
out=$("$DTRACE" -q -x nspec=64 -c 'cat /nonexistent-spec-test /etc/hostname' -n '
syscall::openat:entry /pid == $target/ {
    self->spec = speculation(); speculate(self->spec); printf("open %s\n", copyinstr(arg1)); }
syscall::openat:return /self->spec && errno != 0/ { commit(self->spec); self->spec = 0; }
syscall::openat:return /self->spec/ { discard(self->spec); self->spec = 0; }' 2>spec.err)
# (cat's complaint goes to stderr, apart: it could split a line of ours.)
echo "$out"; cat spec.err
echo "$out" | grep -qx 'open /nonexistent-spec-test' || fail "the failed open was not committed"
echo "$out" | grep -q 'open /etc/hostname' && fail "a successful open was not discarded"

# The rules of DTrace's compiler.
check() {
    out=$("$DTRACE" -x errtags -n "$1" 2>&1)
    echo "$out"
    echo "$out" | grep -q "\[$2\] .*$3" || fail "expected $2 for: $1"
}
check 'BEGIN { printf("x"); speculate(1); }' D_SPEC_DREC 'speculate( ) may not follow data-recording action(s)'
check 'BEGIN { speculate(1); @a = count(); }' D_AGG_SPEC 'aggregating actions may not follow speculate( )'
check 'BEGIN { speculate(1); exit(0); }' D_EXIT_SPEC 'exit( ) may not follow speculate( )'
check 'BEGIN { commit(1); trace(1); }' D_DREC_COMM 'data-recording actions may not follow commit( )'
check 'BEGIN { trace(1); commit(1); }' D_COMM_DREC 'commit( ) may not follow data-recording action(s)'
check 'BEGIN { speculate(1); speculate(1); }' D_SPEC_SPEC 'speculate( ) may not follow speculate( )'
exit 0
