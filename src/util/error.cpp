#include "util/error.h"

namespace dtrace {

void fail(const char *tag, SourceLoc loc, std::string message) {
    throw CompileError(tag, loc, std::move(message));
}

void NestingGuard::tooDeep(SourceLoc loc) {
    --depth_;
    fail("D_SYNTAX", loc, "expression nested too deeply");
}

} // namespace dtrace
