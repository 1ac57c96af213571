#include "util/large_stack.h"

#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

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

// fn on a thread with a stack of `bytes`: reserved, not committed, off
// transparent huge pages (whose first touch would zero 2 MB), with a guard
// of 1 MB at its far end. False when there is none to be had.
bool runOnThread(size_t bytes, const std::function<void()> &fn) {
    const size_t guard = 1u << 20;
    void *stack = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) return false;
    madvise(stack, bytes, MADV_NOHUGEPAGE);
    mprotect(stack, guard, PROT_NONE);
    Task task{&fn, nullptr};
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    int err = pthread_attr_setstack(&attr, stack, bytes);
    pthread_t thread;
    if (err == 0) err = pthread_create(&thread, &attr, runTask, &task);
    pthread_attr_destroy(&attr);
    if (err == 0) pthread_join(thread, nullptr);
    munmap(stack, bytes);
    if (err != 0) return false;
    if (task.error) std::rethrow_exception(task.error);
    return true;
}

// How much stack a compile may take per byte of its source, at most: a
// parenthesis costs the parser some fifteen frames (~3 KB); ASan triples
// that.
#if defined(__SANITIZE_ADDRESS__)
constexpr size_t kStackPerSourceByte = 12u << 10;
#else
constexpr size_t kStackPerSourceByte = 4u << 10;
#endif

} // namespace

void runWithStack(size_t bytes, size_t sourceBytes, const std::function<void()> &fn) {
    // A program nests no deeper than it is long: a small one fits in this
    // thread's stack, and needs no other (starting one costs ~0.2 ms).
    struct rlimit limit {};
    if (getrlimit(RLIMIT_STACK, &limit) == 0 && gettid() == getpid() &&
        (limit.rlim_cur == RLIM_INFINITY ||
         sourceBytes * kStackPerSourceByte + (1u << 20) <= limit.rlim_cur)) {
        fn();
        return;
    }
    // Under a tight address-space limit, a smaller stack; at worst, this
    // thread's.
    for (size_t size = bytes; size >= (16u << 20); size /= 4)
        if (runOnThread(size, fn)) return;
    fn();
}

} // namespace dtrace
