/* Threads that contend for the kernel's locks, for the lockstat tests: four
 * threads write to one pipe (its mutex), map and unmap memory (the address
 * space's reader-writer semaphore) and append to one file (the inode's),
 * for about the given number of milliseconds (default 500). */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static int pipefd[2], filefd;
static long stopAtMs;

static long nowMs(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *writer(void *arg) {
    (void)arg;
    char buf[512] = {0};
    while (nowMs() < stopAtMs) {
        for (int i = 0; i < 64; ++i) {
            if (write(pipefd[1], buf, sizeof buf) < 0) return NULL;
            if (write(filefd, buf, sizeof buf) < 0) return NULL;
            void *p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p != MAP_FAILED) {
                ((char *)p)[0] = 1;
                munmap(p, 65536);
            }
        }
    }
    return NULL;
}

static void *reader(void *arg) {
    (void)arg;
    char buf[4096];
    while (read(pipefd[0], buf, sizeof buf) > 0) {
    }
    return NULL;
}

int main(int argc, char **argv) {
    long ms = argc > 1 ? atol(argv[1]) : 500;
    char path[] = "/tmp/dtrace-contention-XXXXXX";
    filefd = mkstemp(path);
    if (filefd < 0 || pipe(pipefd) != 0) return 1;
    unlink(path);
    stopAtMs = nowMs() + ms;
    pthread_t r, w[4];
    pthread_create(&r, NULL, reader, NULL);
    for (int i = 0; i < 4; ++i) pthread_create(&w[i], NULL, writer, NULL);
    for (int i = 0; i < 4; ++i) pthread_join(w[i], NULL);
    close(pipefd[1]);
    pthread_join(r, NULL);
    return 0;
}
