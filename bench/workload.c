/* A tight loop of one system call, timed with CLOCK_MONOTONIC.
   Usage: workload [N [getppid|getpid]]  -> prints the elapsed nanoseconds.
   N defaults to 1000000, the system call to getppid (the one the
   benchmarks trace; getpid is its untraced neighbour). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    long nr = SYS_getppid;
    if (argc > 2) {
        if (strcmp(argv[2], "getppid") == 0)
            nr = SYS_getppid;
        else if (strcmp(argv[2], "getpid") == 0)
            nr = SYS_getpid;
        else {
            fprintf(stderr, "usage: workload [N [getppid|getpid]]\n");
            return 2;
        }
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++) syscall(nr);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%lld\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
    return 0;
}
