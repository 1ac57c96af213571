// Compile-time diagnostics in DTrace's form: a tag (D_SYNTAX, ...), a line
// and a message. The first error ends the compilation, as in DTrace.
#pragma once

#include <stdexcept>
#include <string>

namespace dtrace {

struct SourceLoc {
    int line = 0;
};

class CompileError : public std::runtime_error {
  public:
    CompileError(std::string tag, SourceLoc loc, std::string message)
        : std::runtime_error(message), tag_(std::move(tag)), loc_(loc),
          message_(std::move(message)) {}

    const std::string &tag() const { return tag_; }
    SourceLoc loc() const { return loc_; }
    const std::string &message() const { return message_; }

  private:
    std::string tag_;
    SourceLoc loc_;
    std::string message_;
};

[[noreturn]] inline void fail(const char *tag, SourceLoc loc, std::string message) {
    throw CompileError(tag, loc, std::move(message));
}

} // namespace dtrace
