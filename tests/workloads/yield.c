/* Gives up the CPU a thousand times with nothing else to run on it: the
 * scheduler keeps the thread on the CPU (sched:::remain-cpu). */
#define _GNU_SOURCE
#include <sched.h>

int main(void) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    sched_setaffinity(0, sizeof one, &one);
    for (int i = 0; i < 1000; ++i) sched_yield();
    return 0;
}
