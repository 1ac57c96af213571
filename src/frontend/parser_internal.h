// What the files of the parser share: the guard on its recursion.
#pragma once

#include "frontend/diagnostics.h"

namespace dtrace::frontend {

// The parser's own recursion (a parenthesis, a cast, a unary operator, a
// block ...): a level of recursion, and of the tree it builds.
class RecursionGuard {
  public:
    RecursionGuard(int &recursion, int &depth, SourceLoc loc)
        : recursion_(recursion, loc, kMaxNesting), depth_(depth, loc, kMaxDepth) {}

  private:
    NestingGuard recursion_, depth_;
};

} // namespace dtrace::frontend
