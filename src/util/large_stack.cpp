#include "util/large_stack.h"

#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <algorithm>
#include <exception>

namespace dtrace {

namespace {

struct Task {
    const std::function<void()> *fn;
    std::exception_ptr error;
};

void *runTask(void *arg) {
    auto *task = static_cast<Task *>(arg);
    try {
        (*task->fn)();
    } catch (...) {
        task->error = std::current_exception();
    }
    return nullptr;
}

// A thread of its own with a stack of `bytes` (reserved, not committed,
// and off transparent huge pages, whose first touch would zero 2 MB);
// false when there is none to be had.
bool runOnThread(size_t bytes, const std::function<void()> &fn) {
    void *stack = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) return false;
    madvise(stack, bytes, MADV_NOHUGEPAGE);
    mprotect(stack, 4096, PROT_NONE); // a guard page at its far end
    Task task{&fn, nullptr};
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstack(&attr, stack, bytes);
    pthread_t thread;
    int err = pthread_create(&thread, &attr, runTask, &task);
    pthread_attr_destroy(&attr);
    if (err == 0) pthread_join(thread, nullptr);
    munmap(stack, bytes);
    if (err != 0) return false;
    if (task.error) std::rethrow_exception(task.error);
    return true;
}

} // namespace

// The main thread's stack grows on demand up to RLIMIT_STACK, checked when
// it grows: raising the soft limit for the call is enough (the kernel left
// at least 128 MB below the stack when it placed the process's mappings),
// and costs nothing until the stack is used. The limit is put back after,
// so that processes dtrace starts later do not inherit it.
void runWithStack(size_t bytes, const std::function<void()> &fn) {
    struct rlimit old {};
    bool raised = false;
    if (getrlimit(RLIMIT_STACK, &old) == 0) {
        if (old.rlim_cur != RLIM_INFINITY && old.rlim_cur >= bytes) {
            fn();
            return;
        }
        if (old.rlim_cur == RLIM_INFINITY) {
            fn();
            return;
        }
        struct rlimit more = old;
        more.rlim_cur =
            old.rlim_max == RLIM_INFINITY ? bytes : std::min<rlim_t>(old.rlim_max, bytes);
        raised = more.rlim_cur >= bytes && setrlimit(RLIMIT_STACK, &more) == 0;
    }
    if (!raised) {
        // A hard limit in the way: a thread with a stack of its own.
        if (runOnThread(bytes, fn)) return;
        fn();
        return;
    }
    struct Restore {
        const struct rlimit &old;
        ~Restore() { setrlimit(RLIMIT_STACK, &old); }
    } restore{old};
    fn();
}

} // namespace dtrace
