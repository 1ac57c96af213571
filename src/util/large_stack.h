// The compiler's recursive passes nest as deeply as the D program does
// (util/error.h bounds how deep): a large program's run with a stack sized
// for that bound, not the usual 8 MB.
#pragma once

#include <cstddef>
#include <functional>

namespace dtrace {

constexpr size_t kCompilerStack = 256u << 20; // a bound, not touched until used

// Runs fn, a compile of sourceBytes of D, with a stack of `bytes`: this
// thread's when the program is too small to need more, otherwise a thread's
// of its own; what fn throws is thrown here.
void runWithStack(size_t bytes, size_t sourceBytes, const std::function<void()> &fn);

} // namespace dtrace
