/* Priority inheritance: the main thread holds a PTHREAD_PRIO_INHERIT mutex
 * that a SCHED_FIFO thread (priority 10) then waits for, so the kernel
 * lends the main thread that priority (kernel priority 89) until it
 * unlocks (sched:::change-pri). Prints the main thread's ID. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t lock;

static void *waiter(void *arg) {
    (void)arg;
    pthread_mutex_lock(&lock);
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(void) {
    printf("main %d\n", gettid());
    fflush(stdout);
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT);
    pthread_mutex_init(&lock, &ma);
    pthread_mutex_lock(&lock);

    pthread_attr_t ta;
    pthread_attr_init(&ta);
    pthread_attr_setinheritsched(&ta, PTHREAD_EXPLICIT_SCHED);
    pthread_attr_setschedpolicy(&ta, SCHED_FIFO);
    struct sched_param sp = {.sched_priority = 10};
    pthread_attr_setschedparam(&ta, &sp);
    pthread_t t;
    if (pthread_create(&t, &ta, waiter, NULL) != 0) return 1;
    usleep(100000); /* the waiter blocks on the lock */
    pthread_mutex_unlock(&lock);
    pthread_join(t, NULL);
    return 0;
}
