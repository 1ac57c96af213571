// The one way dtrace fails. Whatever finds a failure throws an Error (a
// CompileError when it is about the D program: a D_* tag and the line; a
// UsageError for the command line); the command catches it once, prints
// it in DTrace's words ("dtrace: " and the message) and exits with status
// 1 (2 for usage). Where context adds to a message (which script failed to
// compile), a caller catches, and throws the Error with it. Warnings are
// printed where they arise and do not throw; a function that only judges
// whether something may be done (an option's value, a feature of the
// kernel) returns why not, as std::optional<std::string>, and its caller
// decides whether that is fatal.
#pragma once

#include <stdexcept>
#include <string>

namespace dtrace {

struct SourceLoc {
    int line = 0;
    int column = 0; // 1-based; 0 when not known
};

class Error : public std::runtime_error {
  public:
    // message: DTrace's words, without the "dtrace: " prefix.
    explicit Error(std::string message) : std::runtime_error(message) {}
    std::string message() const { return what(); }
};

// A command line dtrace cannot take: printed with the usage, status 2.
class UsageError : public Error {
  public:
    using Error::Error;
};

// An error in the D program: DTrace's tag (D_SYNTAX, ...), where, and what.
class CompileError : public Error {
  public:
    CompileError(std::string tag, SourceLoc loc, std::string message)
        : Error(std::move(message)), tag_(std::move(tag)), loc_(loc) {}

    const std::string &tag() const { return tag_; }
    SourceLoc loc() const { return loc_; }
    // The part of a clause being analysed ("predicate", "action list"):
    // DTrace names it for a program given on the command line.
    const std::string &region() const { return region_; }
    void setRegion(std::string r) { region_ = std::move(r); }

  private:
    std::string tag_;
    SourceLoc loc_;
    std::string region_;
};

// A compile error as the command reports it: DTrace's whole text (which
// script, which line), with its parts kept for -x oformat=json.
class CompileFailure : public Error {
  public:
    // context: the source line with a caret under the column, printed
    // after DTrace's text (empty where it is not shown).
    CompileFailure(std::string text, const CompileError &e, std::string source,
                   std::string context = {})
        : Error(std::move(text)), tag_(e.tag()), source_(std::move(source)), summary_(e.message()),
          context_(std::move(context)), line_(e.loc().line), column_(e.loc().column) {}

    const std::string &tag() const { return tag_; }
    const std::string &source() const { return source_; }
    const std::string &summary() const { return summary_; }
    const std::string &context() const { return context_; }
    int line() const { return line_; }
    int column() const { return column_; }

  private:
    std::string tag_, source_, summary_, context_;
    int line_ = 0, column_ = 0;
};

// Throws CompileError (out of line: hundreds of call sites).
[[noreturn, gnu::cold, gnu::noinline]] void fail(const char *tag, SourceLoc loc,
                                                 std::string message);

// Recursive passes over D source (the parser, semantic analysis, code
// generation) count their depth with this: past the limit the program is
// refused instead of overflowing the stack. The parser bounds its own
// recursion (parentheses, casts, unary operators, blocks) to kMaxNesting
// levels, and the expression trees it builds (left-associative chains such
// as a + b + c ... count a level an operator) to kMaxDepth; the passes
// after it, which recurse on those trees, to kMaxDepth. The compiler runs
// on a stack sized for them (kCompilerStack, util/large_stack.h).
constexpr int kMaxNesting = 1000;
constexpr int kMaxDepth = 10000;
class NestingGuard {
  public:
    NestingGuard(int &depth, SourceLoc loc, int limit = kMaxDepth) : depth_(depth) {
        if (++depth_ > limit) tooDeep(loc);
    }
    ~NestingGuard() { --depth_; }
    NestingGuard(const NestingGuard &) = delete;
    NestingGuard &operator=(const NestingGuard &) = delete;

  private:
    [[noreturn, gnu::cold, gnu::noinline]] void tooDeep(SourceLoc loc);
    int &depth_;
};

} // namespace dtrace
