# Kernel data symbols (`max_pfn, `linux_banner, `init_task), from
# /proc/kallsyms where the kernel lists them: read as values, their
# addresses taken, named with their module or without. Where kallsyms
# hides them (a locked-down kernel), the message names the symbol.
set -u
fail() { echo "FAIL: $*"; exit 1; }
[ -e /sys/kernel/btf/vmlinux ] || { echo "SKIP: no kernel BTF"; exit 77; }
if ! grep -q ' max_pfn$' /proc/kallsyms; then
    out=$("$DTRACE" -n 'BEGIN { trace(`max_pfn); exit(0); }' 2>&1)
    [ $? -ne 0 ] || fail "an unlisted symbol was read"
    echo "$out" | grep -q 'failed to resolve `max_pfn: Unknown symbol name' || fail "the message: $out"
    echo "SKIP: this kernel's kallsyms lists no data symbols (the message is right)"
    exit 77
fi
addr=$(awk '$3 == "init_task" { print $1; exit }' /proc/kallsyms)
out=$(timeout 60 "$DTRACE" -q -n 'BEGIN {
    printf("max_pfn %d\n", `max_pfn > 0);
    printf("banner %s\n", stringof((char *)&`linux_banner));
    printf("init %x\n", (uint64_t)&`init_task);
    printf("moduled %d\n", &vmlinux`init_task == &`init_task);
    exit(0);
}' 2>&1)
echo "$out"
echo "$out" | grep -qx 'max_pfn 1' || fail "\`max_pfn"
echo "$out" | grep -q "^banner Linux version $(uname -r | sed 's/[.]/[.]/g')" || fail "\`linux_banner"
echo "$out" | grep -qx "init $(echo "$addr" | sed 's/^0*//')" || fail "&\`init_task is not kallsyms' $addr"
echo "$out" | grep -qx 'moduled 1' || fail "vmlinux\`init_task"
exit 0
