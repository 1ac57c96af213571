// The D lexer. It has two modes, as DTrace's has: at the top of a program a
// word may be a probe description (`syscall::read:entry`, `tick-1s`), inside
// clauses and declarations it reads C tokens. The parser says which mode it
// wants; control lines (#pragma, #line) are consumed here.
#pragma once

#include "frontend/diagnostics.h"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace dtrace::frontend {

enum class TokenKind {
    End,
    Identifier, // plain or scoped (mod`sym, `sym)
    Keyword,
    Integer,
    String,
    ProbeSpec,   // a probe description word at the top level
    Aggregation, // @name or @
    Macro,       // $1, $$1, $pid, $target ...
    Punct,       // operators and punctuation, text holds the spelling
    EndPredicate // the '/' that closes a predicate (followed by '{')
};

struct Token {
    TokenKind kind = TokenKind::End;
    std::string text; // spelling (for strings: the decoded value)
    uint64_t intValue = 0;
    bool isUnsigned = false; // integer suffix u/U
    int longCount = 0;       // integer suffix l/L count
    bool isDecimal = true;
    bool isChar = false; // character constant
    SourceLoc loc;
    size_t offset = 0; // where the token starts in the source
    size_t end = 0;

    bool is(std::string_view punct) const {
        return (kind == TokenKind::Punct || kind == TokenKind::Keyword) && text == punct;
    }
};

struct Pragma {
    SourceLoc loc;
    std::vector<std::string> words; // "D", "option", "quiet" ...
};

class Lexer {
  public:
    enum class Mode { Program, Expression };

    explicit Lexer(std::string_view source);

    // Lexes the token at the current position in the given mode.
    Token next(Mode mode, bool inPredicate = false);
    // Moves back to the start of a token so it can be lexed in another mode.
    void rewind(const Token &tok);

    const std::vector<Pragma> &pragmas() const { return pragmas_; }
    // Decides whether a top-level word is a type name (declaration) rather
    // than a probe description.
    void setTypeNameOracle(std::function<bool(std::string_view)> f) { isTypeName_ = std::move(f); }

    // The rest of the current line from a token on (DTrace quotes it in some
    // syntax errors).
    std::string restOfLine(const Token &tok) const;

    static bool isKeyword(std::string_view word);

  private:
    void skipSpaceAndControl();
    void controlLine();
    Token lexNumber();
    Token lexString(char quote);
    std::string decodeEscape(bool inString);
    char peek(size_t ahead = 0) const {
        return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0';
    }
    [[noreturn]] void error(const char *tag, std::string msg) const;

    std::string_view src_;
    size_t pos_ = 0;
    int line_ = 1;
    SourceLoc here() const; // the line and column of pos_
    mutable size_t scannedTo_ = 0;                            // here()'s search so far
    mutable size_t lastNewline_ = std::string_view::npos;     // the last newline before it
    bool atLineStart_ = true;
    std::vector<Pragma> pragmas_;
    std::function<bool(std::string_view)> isTypeName_;
};

} // namespace dtrace::frontend
