# caller, ucaller, stackdepth and ustackdepth come from the firing's
# stacks: caller is the first frame stack() shows, stackdepth how many
# it has; ucaller at a function's entry is where it returns to. In BEGIN,
# which fires in no probe context, they are 0.
set -u
out=$(timeout 20 "$DTRACE" -q -c 'cat /dev/null' -n '
BEGIN { printf("begin %d %d %d %d\n", caller, ucaller, stackdepth, ustackdepth); }
syscall::openat:entry /pid == $target/ {
	printf("caller %a\n", caller);
	printf("depth %d %d\n", stackdepth, ustackdepth);
	stack(1);
	exit(0);
}' 2>&1)
echo "$out"
echo "$out" | grep -q '^begin 0 0 0 0$' || { echo "FAIL: BEGIN has no stacks"; exit 1; }
first=$(echo "$out" | awk 'f && NF { print $1; exit } /^depth/ { f = 1 }')
echo "$out" | grep -q "^caller $first\$" || { echo "FAIL: caller is not stack()'s first frame ($first)"; exit 1; }
echo "$out" | grep -Eq '^depth [1-9][0-9]* [1-9][0-9]*$' || { echo "FAIL: stack depths"; exit 1; }

# At a function's entry, ucaller is the return address: in the function
# that called it, the second frame of ustack().
out=$(timeout 20 "$DTRACE" -q -c 'env true' -n '
pid$target::getenv:entry { printf("ucaller %x\n", ucaller); ufunc(ucaller); ustack(2); exit(0); }' 2>&1)
echo "$out"
u=$(echo "$out" | sed -n 's/^ucaller //p')
[ -n "$u" ] && [ "$u" != 0 ] || { echo "FAIL: ucaller"; exit 1; }
named=$(echo "$out" | sed -n '2p' | sed 's/^ *//; s/ *$//')
second=$(echo "$out" | sed -n '4p' | sed 's/^ *//; s/+0x[0-9a-f]*$//')
[ -n "$named" ] && [ "$named" = "$second" ] || { echo "FAIL: ucaller is not ustack()'s second frame"; exit 1; }
exit 0
