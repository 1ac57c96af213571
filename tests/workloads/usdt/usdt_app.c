/*
 * A program with USDT probes, built from usdt_prov.d by dtrace -h and -G
 * (as usdt_app with SystemTap-style sites, as usdt_dof_app with
 * DTrace-style ones).
 * For i in 0..N-1 (N = argv[1], default 3): prints whether work-start is
 * traced, fires work-start(i, "item-<i>") only if it is (the is-enabled
 * test), then work-done(i, (1 << 40) + i, -5) and idle(). With a second
 * argument it first waits for a line on stdin (so dtrace -p can attach).
 */
#include "usdt_prov.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 3;
    if (argc > 2) {
        char line[16];
        if (!fgets(line, sizeof line, stdin)) return 1;
    }
    for (int i = 0; i < n; ++i) {
        char item[32];
        snprintf(item, sizeof item, "item-%d", i);
        int enabled = USDTAPP_WORK_START_ENABLED() ? 1 : 0;
        printf("enabled %d\n", enabled);
        fflush(stdout);
        if (enabled) USDTAPP_WORK_START(i, item);
        long long big = (1LL << 40) + i;
        USDTAPP_WORK_DONE(i, big, -5);
        USDTAPP_IDLE();
    }
    return 0;
}
