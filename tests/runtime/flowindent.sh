# -F (flowindent): system call entries show as "=> name" and indent what
# follows on their CPU, returns as "<= name" one level out (the clauses of
# one firing share its depth); the header is "CPU FUNCTION". Functions
# (pid, fbt) show as "-> name" and "<- name".
set -u
out=$(timeout 20 "$DTRACE" -F -c 'cat /etc/hostname' -n '
syscall::openat:entry,syscall::openat:return /pid == $target/ {}
syscall::openat:entry /pid == $target/ { trace("in"); }' 2>/dev/null)
echo "$out"
echo "$out" | grep -Eq '^CPU FUNCTION +$' || { echo "FAIL: header"; exit 1; }
echo "$out" | grep -Eq '^ +[0-9]+ => openat +$' || { echo "FAIL: entry line"; exit 1; }
echo "$out" | grep -Eq '^ +[0-9]+ => openat +in' || { echo "FAIL: the entry's second clause is not at its depth"; exit 1; }
echo "$out" | grep -Eq '^ +[0-9]+   ' && { echo "FAIL: depth grew over balanced calls"; exit 1; }
echo "$out" | grep -Eq '^ +[0-9]+ <= openat +$' || { echo "FAIL: return line"; exit 1; }

# A function's entry and return (pid, fbt) show as "-> name" and "<- name".
out=$(timeout 20 "$DTRACE" -F -c 'env true' -n '
pid$target::getenv:entry,pid$target::getenv:return {}' 2>/dev/null)
echo "$out"
echo "$out" | grep -Eq '^ +[0-9]+ -> getenv +$' || { echo "FAIL: pid entry line"; exit 1; }
echo "$out" | grep -Eq '^ +[0-9]+ <- getenv +$' || { echo "FAIL: pid return line"; exit 1; }
exit 0
