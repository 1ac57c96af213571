/* OPTIONS: -q */
/* Each fault type Linux can meet, raised where it happens, with its value
   (a user-space copy from a kernel address is a kernel privilege fault). */
int a[4];
BEGIN { zero = 0; big = 100000; idx = 7; }
BEGIN { x = 1 / zero; }
BEGIN { x = 1 % zero; }
BEGIN { x = *(int *)8; }
BEGIN { p = alloca(big); }
BEGIN { x = a[idx]; }
BEGIN { s = lltostr(5, 1); }
BEGIN { copyinto(0, big, alloca(8)); }
BEGIN { s = copyinstr(0xffffffff81000000); }
BEGIN { commit(2); }
ERROR { printf("fault %d (%s) value %d\n", arg4, arg4 == DTRACEFLT_DIVZERO ? "DIVZERO" : arg4 == DTRACEFLT_BADADDR ? "BADADDR" : arg4 == DTRACEFLT_NOSCRATCH ? "NOSCRATCH" : arg4 == DTRACEFLT_BADINDEX ? "BADINDEX" : arg4 == DTRACEFLT_ILLOP ? "ILLOP" : arg4 == DTRACEFLT_BADSIZE ? "BADSIZE" : arg4 == DTRACEFLT_KPRIV ? "KPRIV" : "?", arg5); }
BEGIN { exit(0); }
