# Stability attributes: -v reports a program's lowest probe-description and
# statement attributes (with -e, each description's too); -x amin and
# #pragma D option amin refuse what is below the minimum, naming it;
# #pragma D attributes sets those of the program's identifiers and of a
# provider's parts.
set -u
fail() { echo "FAIL: $*"; exit 1; }
report() { # the three lines after a title in a -v report
    echo "$1" | grep -A3 "$2" | sed -n 2,4p | awk '{ print $NF }' | paste -sd/
}

# A description's provider weighs part by part (syscall: its functions
# are Private/Private/ISA); curthread's data is private.
out=$("$DTRACE" -e -v -n 'syscall::read:entry { trace(curthread); }') || fail "-e -v: $out"
echo "$out"
echo "$out" | grep -qx 'Stability attributes for description syscall::read:entry :' ||
    fail "report title (the description cropped at its action list)"
[ "$(report "$out" 'Minimum Probe Description')" = Private/Private/ISA ] || fail "syscall::read:entry"
[ "$(report "$out" 'Minimum Statement')" = Stable/Private/Common ] || fail "curthread"
echo "$out" | grep -qx 'syscall::read:entry' || fail "-e lists the description"
[ "$(report "$out" '	Argument Attributes')" = Private/Private/ISA ] || fail "syscall arguments"
echo "$out" | grep -q 'args\[0\]: ' || fail "argument types"

# A glob over the provider weighs as unstable; the dtrace provider's BEGIN
# named in full is stable; profile is evolving; so is a subroutine
# DTrace documents as such; a kernel type in a cast is private.
chk() { # program, title, expected
    local o
    o=$("$DTRACE" -e -v -n "$1" 2>&1) || fail "$1: $o"
    [ "$(report "$o" "$2")" = "$3" ] || fail "$1: $2 is $(report "$o" "$2"), not $3"
}
chk 'BEGIN { }' 'Minimum Probe Description' Unstable/Unstable/Common
chk 'dtrace:::BEGIN { }' 'Minimum Probe Description' Stable/Stable/Common
chk 'dtrace:::BEGIN { }' 'Minimum Statement' Stable/Stable/Common
chk 'profile:::tick-1s { }' 'Minimum Probe Description' Evolving/Evolving/Common
chk 'dtrace:::BEGIN { trace(htons(1)); }' 'Minimum Statement' Evolving/Evolving/Common
chk 'dtrace:::BEGIN { trace((struct task_struct *)0); }' 'Minimum Statement' Private/Private/Unknown
# (Kernels that list data symbols: Debian's; not our locked-down ones.)
grep -qw max_pfn /proc/kallsyms &&
    chk 'dtrace:::BEGIN { trace(`max_pfn); }' 'Minimum Statement' Private/Private/Unknown
chk 'syscall::read:entry { trace(probefunc); }' 'Minimum Statement' Private/Private/ISA
chk 'dtrace:::BEGIN /pid/ { x = 1; }' 'Minimum Statement' Stable/Stable/Common

# Running (not -e): the report goes to the output, even with -q.
out=$("$DTRACE" -q -v -n 'dtrace:::BEGIN { exit(0); }' 2>/dev/null)
echo "$out" | grep -qx 'Stability attributes for description dtrace:::BEGIN :' || fail "-q -v: $out"

# -x amin: the first thing below it, in DTrace's words.
out=$("$DTRACE" -x errtags -x amin=Evolving/Evolving/Common -n 'dtrace:::BEGIN { trace(curthread); }' 2>&1)
echo "$out"
echo "$out" | grep -q '\[D_ATTR_MIN\] in action list: attributes for scalar curthread (Stable/Private/Common) are less than predefined minimum' ||
    fail "amin and curthread: $out"
out=$("$DTRACE" -x amin=Stable/Stable/Common -n 'syscall::read:entry' 2>&1)
echo "$out" | grep -q 'syscall::read:entry: attributes for clause (Private/Private/ISA) are less than predefined minimum' ||
    fail "amin and a description: $out"
out=$("$DTRACE" -x amin=Evolving/Evolving/Common -n 'dtrace:::BEGIN /(struct task_struct *)curthread/ { }' 2>&1)
echo "$out" | grep -q 'in predicate: attributes for type struct task_struct \* (Private/Private/Unknown)' ||
    fail "amin and a kernel type in a predicate: $out"
out=$("$DTRACE" -x amin -n 'dtrace:::BEGIN' 2>&1)
echo "$out" | grep -qx 'dtrace: failed to set -x amin: Invalid value for specified option' ||
    fail "amin without a value: $out"
out=$("$DTRACE" -x amin=Stable/Bogus -n 'dtrace:::BEGIN' 2>&1)
echo "$out" | grep -q 'failed to set -x amin' || fail "amin unreadable: $out"
cat >amin.d <<'D'
#pragma D option amin=Evolving/Evolving/Common
dtrace:::BEGIN
{
	trace(curthread);
}
D
out=$("$DTRACE" -e -s amin.d 2>&1)
echo "$out" | grep -q 'failed to compile script amin.d: line 4: attributes for scalar curthread (Stable/Private/Common)' ||
    fail "#pragma D option amin: $out"

# #pragma D attributes: an inline of the program's (it weighs what its
# value does: curthread's private data, at least), and a provider's part.
cat >inline.d <<'D'
inline lwpsinfo_t *myinfo = xlate <lwpsinfo_t *> (curthread);
dtrace:::BEGIN { trace(myinfo->pr_flag); }
D
o=$("$DTRACE" -e -v -s inline.d) || fail "inline.d: $o"
case $(report "$o" 'Minimum Statement') in
Stable/Private/Common | Private/Private/*) ;;
*) fail "an inline over curthread is $(report "$o" 'Minimum Statement')" ;;
esac
cat >pragma.d <<'D'
inline lwpsinfo_t *myinfo = xlate <lwpsinfo_t *> (curthread);
#pragma D attributes Stable/Stable/Common myinfo
dtrace:::BEGIN { trace(myinfo->pr_flag); }
D
chk "$(cat pragma.d)" 'Minimum Statement' Stable/Stable/Common
chk '#pragma D attributes Stable/Stable/Common provider syscall function
syscall::read:entry { }' 'Minimum Probe Description' Evolving/Evolving/Common
err() { "$DTRACE" -x errtags -e -n "$1" 2>&1; }
out=$(err '#pragma D attributes Stable/Bogus/Common x
dtrace:::BEGIN { }')
echo "$out" | grep -q '\[D_PRAGMA_INVAL\] invalid attributes specified by #pragma attributes' ||
    fail "bad attributes: $out"
out=$(err '#pragma D attributes Stable/Stable/Common provider syscall part
dtrace:::BEGIN { }')
echo "$out" | grep -q '\[D_PRAGMA_INVAL\] invalid component "syscall" in attribute #pragma for provider part' ||
    fail "bad provider part: $out"
out=$(err '#pragma D attributes Stable provider nosuchprovider name
dtrace:::BEGIN { }')
echo "$out" | grep -q '\[D_PRAGMA_UNUSED\] unused #pragma attributes' || fail "unknown provider: $out"
out=$(err '#pragma D attributes Stable curthread
dtrace:::BEGIN { }')
echo "$out" | grep -q '\[D_PRAGMA_SCOPE\] #pragma attributes cannot modify entity defined outside program scope' ||
    fail "a built-in: $out"
# -l -v: a listed probe's description attributes are the lowest of its
# provider's parts its name has (an empty module or function adds none),
# its argument attributes the provider's arguments'.
listed() {
    "$DTRACE" -l -v -n "$1" 2>&1 | awk -v t="$2" '
        $0 ~ t { on = 1; next }
        on && /Identifier Names/ { n = $NF }
        on && /Data Semantics/ { d = $NF }
        on && /Dependency Class/ { print n "/" d "/" $NF; exit }'
}
lchk() {
    got=$(listed "$1" "$2")
    [ "$got" = "$3" ] || fail "-l -v $1: $2 $got, not $3"
}
lchk dtrace:::BEGIN 'Probe Description' Stable/Stable/Common
lchk syscall::read:entry 'Probe Description' Private/Private/Unknown
lchk syscall::read:entry 'Argument Attributes' Private/Private/ISA
lchk profile:::tick-1s 'Probe Description' Evolving/Evolving/Common
lchk proc:::exec 'Probe Description' Private/Private/Unknown
lchk proc:::exec 'Argument Attributes' Evolving/Evolving/ISA
exit 0
