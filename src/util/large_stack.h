// The compiler's recursive passes nest as deeply as the D program does
// (util/error.h bounds how deep): they run with a stack sized for that
// bound, not the usual 8 MB.
#pragma once

#include <cstddef>
#include <functional>

namespace dtrace {

constexpr size_t kCompilerStack = 256u << 20; // a bound, not touched until used

// Runs fn with a stack of up to `bytes` (the main thread's, allowed to grow
// that far, or a thread's of its own); what fn throws is thrown here.
void runWithStack(size_t bytes, const std::function<void()> &fn);

} // namespace dtrace
