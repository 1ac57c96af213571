/* A library the dlopen workload loads at run time, for pid probes on
 * libraries a process has not loaded when tracing starts. */
__attribute__((noinline)) int plugin_work(int x) {
    __asm__ volatile("");
    return x * 3;
}
