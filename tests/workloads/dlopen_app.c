/* Loads libdtplugin.so with dlopen() (found along LD_LIBRARY_PATH) after
 * a pause, then calls plugin_work(7) twice. */
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
    usleep(100000);
    void *lib = dlopen("libdtplugin.so", RTLD_NOW);
    if (!lib) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    int (*work)(int) = (int (*)(int))dlsym(lib, "plugin_work");
    if (!work) return 1;
    printf("%d %d\n", work(7), work(7));
    return 0;
}
