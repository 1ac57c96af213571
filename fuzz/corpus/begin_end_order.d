/* OPTIONS: -q */
/* BEGIN clauses run in order before anything else; exit() runs END. */
int n;
END { printf("end %d\n", n); }
BEGIN { n = 1; printf("begin one\n"); }
BEGIN { n++; printf("begin two\n"); }
tick-10ms { n++; printf("tick\n"); exit(0); }
END { printf("end again\n"); }
