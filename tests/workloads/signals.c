/* Signals for the proc provider's tests: SIGUSR2 caught by a handler
 * (signal-handle), SIGUSR1 blocked and then taken by sigtimedwait()
 * (signal-clear). Prints the handler's address for the test to compare. */
#include <signal.h>
#include <stdio.h>
#include <time.h>

static volatile sig_atomic_t handled;

static void onUsr2(int sig) {
    handled = sig;
}

int main(void) {
    printf("handler %p\n", (void *)onUsr2);
    fflush(stdout);
    struct sigaction sa = {0};
    sa.sa_handler = onUsr2;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR1);
    struct timespec timeout = {1, 0};
    int sig = sigtimedwait(&set, NULL, &timeout);
    return handled == SIGUSR2 && sig == SIGUSR1 ? 0 : 1;
}
