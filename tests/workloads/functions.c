/* User functions for the pid provider's tests: known arguments and return
 * values, three functions a glob takes, a call into the C library, and
 * (on x86-64) a function of known instructions for offset probes. With an
 * argument N it first waits for input on stdin, then does it all N times,
 * so that dtrace -p can attach to it. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((noinline)) long add(long a, long b) {
    __asm__ volatile("");
    return a + b;
}

__attribute__((noinline)) int work_one(int x) {
    return x + 1;
}
__attribute__((noinline)) int work_two(int x) {
    return x * 2;
}
__attribute__((noinline)) int work_three(int x) {
    return x - 3;
}

#if defined(__x86_64__)
/* nop (offset 0), nop (1), mov %rdi,%rax (2), ret (5). */
__asm__(".text\n"
        ".globl offsets_target\n"
        ".type offsets_target, @function\n"
        "offsets_target:\n"
        "  nop\n"
        "  nop\n"
        "  mov %rdi, %rax\n"
        "  ret\n"
        ".size offsets_target, .-offsets_target\n");
long offsets_target(long);
#endif

int main(int argc, char **argv) {
    int rounds = 1;
    if (argc > 1) {
        rounds = atoi(argv[1]);
        char c;
        if (read(0, &c, 1) < 0) return 1;
    }
    long sum = 0;
    for (int i = 0; i < rounds; ++i) {
        sum += add(2, 3);
        sum += work_one(1) + work_two(2) + work_three(3);
        sum += getppid() > 0;
#if defined(__x86_64__)
        sum += offsets_target(42);
#endif
    }
    printf("sum %ld\n", sum);
    return 0;
}
