/* OPTIONS: -q */
/* A fault stops its clause; ERROR fires with DTrace's arguments; later
   clauses of the same probe still run. */
BEGIN { printf("before\n"); }
BEGIN { x = *(int *)0; printf("not reached\n"); }
BEGIN { printf("after\n"); }
ERROR { printf("ERROR arg1=%d arg2=%d fault=%d addr=%d\n", arg1, arg2, arg4, arg5); }
BEGIN { i = 0; j = 1 / i; }
ERROR /arg4 == DTRACEFLT_DIVZERO/ { printf("divide by zero in clause %d\n", arg2); exit(0); }
