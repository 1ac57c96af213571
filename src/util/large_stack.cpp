#include "util/large_stack.h"

#include <pthread.h>

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

} // namespace

void runWithStack(size_t bytes, const std::function<void()> &fn) {
    Task task{&fn, nullptr};
    // Under a tight address-space limit, a smaller stack; at worst, this
    // thread's.
    for (size_t size = bytes; size >= (8u << 20); size /= 4) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, size);
        pthread_t thread;
        int err = pthread_create(&thread, &attr, runTask, &task);
        pthread_attr_destroy(&attr);
        if (err != 0) continue;
        pthread_join(thread, nullptr);
        if (task.error) std::rethrow_exception(task.error);
        return;
    }
    fn();
}

} // namespace dtrace
