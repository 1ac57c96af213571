/* A process that starts two threads, each of which sleeps a little and
 * exits, for tests of thread creation and exit probes. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *worker(void *arg) {
    (void)arg;
    usleep(50000);
    return NULL;
}

int main(void) {
    pthread_t t[2];
    for (int i = 0; i < 2; ++i)
        if (pthread_create(&t[i], NULL, worker, NULL) != 0) return 1;
    for (int i = 0; i < 2; ++i) pthread_join(t[i], NULL);
    return 0;
}
