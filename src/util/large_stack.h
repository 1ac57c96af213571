// The compiler's recursive passes nest as deeply as the D program does
// (util/error.h bounds how deep): they run on a thread with a stack sized
// for that bound, not on the main thread's 8 MB.
#pragma once

#include <cstddef>
#include <functional>

namespace dtrace {

constexpr size_t kCompilerStack = 256u << 20; // reserved, not touched until used

// Runs fn on a thread with a stack of `bytes` and waits for it; what fn
// throws is thrown here.
void runWithStack(size_t bytes, const std::function<void()> &fn);

} // namespace dtrace
