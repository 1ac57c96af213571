#include "frontend/lexer.h"

#include "program/stability.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace dtrace::frontend {

namespace {

constexpr std::array kKeywords = {
    "auto",     "break",    "case",   "char",     "const",  "continue",   "counter", "default",
    "do",       "double",   "else",   "enum",     "extern", "float",      "for",     "goto",
    "if",       "import",   "inline", "int",      "long",   "offsetof",   "probe",   "provider",
    "register", "restrict", "return", "self",     "short",  "signed",     "sizeof",  "static",
    "string",   "stringof", "struct", "switch",   "this",   "translator", "typedef", "union",
    "unsigned", "userland", "void",   "volatile", "while",  "xlate",
};

bool isIdentStart(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool isIdentChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// Characters of a probe description word (DTrace's RGX_PSPEC).
bool isProbeSpecStart(char c) {
    return isIdentStart(c) || c == '-' || c == '$' || c == ':' || c == '.' || c == '?' ||
           c == '*' || c == '\\' || c == '[' || c == ']' || c == '!';
}
bool isProbeSpecChar(char c) {
    return isProbeSpecStart(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '`';
}

bool isPlainIdentifier(std::string_view s) {
    if (s.empty() || !isIdentStart(s[0])) return false;
    return std::all_of(s.begin(), s.end(), isIdentChar);
}

// Longest-match punctuation, longest first.
constexpr std::array kPuncts = {
    ">>=", "<<=", "...", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&",
    "||",  "^^",  "+=",  "-=", "*=", "/=", "%=", "&=", "|=", "^=", "+",  "-",  "*",
    "/",   "%",   "&",   "|",  "^",  "!",  "~",  "<",  ">",  "=",  "?",  ":",  ";",
    ",",   ".",   "(",   ")",  "[",  "]",  "{",  "}",  "`",  "#",  "\\",
};

} // namespace

Lexer::Lexer(std::string_view source) : src_(source) {}

bool Lexer::isKeyword(std::string_view word) {
    return std::find(kKeywords.begin(), kKeywords.end(), word) != kKeywords.end();
}

void Lexer::error(const char *tag, std::string msg) const {
    fail(tag, here(), std::move(msg));
}

SourceLoc Lexer::here() const {
    // The last newline before pos_, found from where the previous token's
    // search ended (a long one-line program stays linear), or afresh after
    // a rewind.
    size_t from = pos_ >= scannedTo_ ? scannedTo_ : 0;
    if (pos_ < scannedTo_) lastNewline_ = std::string_view::npos;
    size_t nl = pos_ > from ? src_.substr(from, pos_ - from).rfind('\n') : std::string_view::npos;
    if (nl != std::string_view::npos) lastNewline_ = from + nl;
    scannedTo_ = pos_;
    size_t column = lastNewline_ == std::string_view::npos ? pos_ + 1 : pos_ - lastNewline_;
    return {line_, static_cast<int>(column)};
}

void Lexer::rewind(const Token &tok) {
    pos_ = tok.offset;
    line_ = tok.loc.line;
    atLineStart_ = false;
}

std::string Lexer::restOfLine(const Token &tok) const {
    size_t e = src_.find('\n', tok.offset);
    if (e == std::string_view::npos) e = src_.size();
    return std::string(src_.substr(tok.offset, e - tok.offset));
}

void Lexer::controlLine() {
    int startLine = line_;
    size_t start = pos_;
    size_t e = src_.find('\n', pos_);
    if (e == std::string_view::npos) {
        // DTrace insists on a newline ending every control line.
        bool interpreterLine = src_.substr(start, 2) == "#!";
        if (!interpreterLine)
            error("D_SYNTAX", "end-of-file encountered before end of control line");
        e = src_.size();
    }
    std::string_view text = src_.substr(start + 1, e - start - 1);
    pos_ = e; // the newline itself is consumed by the caller
    // An interpreter line is ignored wherever it stands, as DTrace does:
    // scripts often put comments above their "#!/usr/sbin/dtrace -s".
    if (src_.substr(start, 2) == "#!") return;

    // Split into words; quoted strings stay one word.
    std::vector<std::string> words;
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        if (i >= text.size()) break;
        std::string w;
        if (text[i] == '"') {
            ++i;
            while (i < text.size() && text[i] != '"') w += text[i++];
            if (i < text.size()) ++i;
        } else {
            while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])))
                w += text[i++];
        }
        words.push_back(std::move(w));
    }
    if (words.empty()) return; // the null directive
    const std::string &d = words[0];
    if (std::isdigit(static_cast<unsigned char>(d[0])) || d == "line") {
        // # N "file" or #line N "file", from cpp: the next line is line N.
        size_t idx = d == "line" ? 1 : 0;
        if (idx < words.size()) {
            try {
                line_ = std::stoi(words[idx]) - 1;
            } catch (...) {
                error("D_PRAGCTL_INVAL", "invalid control directive: #" + d);
            }
        }
        return;
    }
    if (d == "pragma") {
        if (words.size() >= 2 && words[1] == "D") {
            Pragma p;
            p.loc = {startLine};
            p.words.assign(words.begin() + 1, words.end());
            // DTrace acts on a pragma as it reads it: bad attributes are
            // refused here, before whatever follows fails to parse.
            if (p.words.size() >= 4 && p.words[1] == "attributes" &&
                !program::parseAttributes(p.words[2])) {
                line_ = startLine;
                error("D_PRAGMA_INVAL", "invalid attributes specified by #pragma attributes");
            }
            pragmas_.push_back(std::move(p));
        }
        return; // other pragmas (ident, ...) are ignored, as DTrace does
    }
    if (d == "ident" || d == "error" || d == "warning") return;
    error("D_PRAGCTL_INVAL", "invalid control directive: #" + d);
}

void Lexer::skipSpaceAndControl() {
    for (;;) {
        char c = peek();
        if (c == '\0') return;
        if (c == '\n') {
            ++line_;
            ++pos_;
            atLineStart_ = true;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            ++pos_;
            continue;
        }
        if (c == '#' && atLineStart_) {
            controlLine();
            continue;
        }
        if (c == '/' && peek(1) == '*') {
            pos_ += 2;
            for (;;) {
                if (pos_ >= src_.size()) {
                    error("D_SYNTAX", "end-of-file encountered before matching */");
                }
                if (src_[pos_] == '*' && peek(1) == '/') {
                    pos_ += 2;
                    break;
                }
                if (src_[pos_] == '\n') ++line_;
                ++pos_;
            }
            continue;
        }
        if (c == '/' && peek(1) == '/') {
            while (pos_ < src_.size() && src_[pos_] != '\n') ++pos_;
            continue;
        }
        return;
    }
}

std::string Lexer::decodeEscape(bool inString) {
    // pos_ is just past the backslash.
    char c = peek();
    ++pos_;
    switch (c) {
    case 'n': return "\n";
    case 't': return "\t";
    case 'r': return "\r";
    case 'a': return "\a";
    case 'b': return "\b";
    case 'f': return "\f";
    case 'v': return "\v";
    // In string literals DTrace keeps \\ and \? as written (printf
    // formats decode them when they are parsed).
    case '\\': return inString ? "\\\\" : "\\";
    case '\'': return "'";
    case '"': return "\"";
    case '?': return inString ? "\\?" : "?";
    case 'x': {
        unsigned v = 0;
        int n = 0;
        while (std::isxdigit(static_cast<unsigned char>(peek())) && n < 2) {
            char h = peek();
            v = v * 16 + (std::isdigit(static_cast<unsigned char>(h))
                              ? h - '0'
                              : (std::tolower(h) - 'a' + 10));
            ++pos_;
            ++n;
        }
        return std::string(1, static_cast<char>(v));
    }
    default:
        if (c >= '0' && c <= '7') {
            unsigned v = c - '0';
            for (int n = 0; n < 2 && peek() >= '0' && peek() <= '7'; ++n)
                v = v * 8 + (src_[pos_++] - '0');
            return std::string(1, static_cast<char>(v));
        }
        return std::string(1, c);
    }
}

Token Lexer::lexString(char quote) {
    Token t;
    t.loc = here();
    ++pos_; // opening quote
    std::string value;
    for (;;) {
        char c = peek();
        if (c == '\0') {
            error("D_STR_NL", quote == '"' ? "end-of-file encountered before closing \""
                                           : "end-of-file encountered before closing '");
        }
        if (c == '\n') {
            ++line_; // DTrace reports the line after the newline
            if (quote == '"') error("D_STR_NL", "newline encountered in string literal");
            error("D_CHR_NL", "newline encountered in character constant");
        }
        ++pos_;
        if (c == quote) break;
        if (c == '\\') {
            if (peek() == '\n') { // line continuation
                ++pos_;
                ++line_;
                continue;
            }
            value += decodeEscape(quote == '"');
        } else {
            value += c;
        }
    }
    if (quote == '"') {
        t.kind = TokenKind::String;
        t.text = std::move(value);
    } else {
        if (value.empty()) error("D_CHR_NULL", "empty character constant");
        if (value.size() > 8) error("D_CHR_OFLOW", "character constant is too long");
        uint64_t v = 0;
        for (char ch : value) v = (v << 8) | static_cast<unsigned char>(ch);
        // A single character is a (signed) char value promoted to int.
        if (value.size() == 1)
            v = static_cast<uint64_t>(static_cast<int64_t>(static_cast<signed char>(value[0])));
        t.kind = TokenKind::Integer;
        t.intValue = v;
        t.isChar = true;
        t.text = "'" + value + "'";
    }
    return t;
}

Token Lexer::lexNumber() {
    Token t;
    t.kind = TokenKind::Integer;
    t.loc = here();
    size_t start = pos_;
    unsigned base = 10;
    if (peek() == '0' && (peek(1) == 'x' || peek(1) == 'X')) {
        base = 16;
        pos_ += 2;
    } else if (peek() == '0') {
        base = 8;
    }
    size_t digitsStart = pos_;
    while (std::isxdigit(static_cast<unsigned char>(peek())) &&
           (base == 16 || std::isdigit(static_cast<unsigned char>(peek()))))
        ++pos_;
    std::string_view digits = src_.substr(digitsStart, pos_ - digitsStart);
    while (peek() == 'u' || peek() == 'U' || peek() == 'l' || peek() == 'L') {
        if (peek() == 'u' || peek() == 'U')
            t.isUnsigned = true;
        else
            ++t.longCount;
        ++pos_;
    }
    std::string spelling(src_.substr(start, pos_ - start));
    t.text = spelling;
    if (base == 16 && digits.empty())
        error("D_INT_DIGIT", "constant " + spelling + " contains no digits");
    uint64_t v = 0;
    for (char c : digits) {
        unsigned d =
            std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10;
        if (d >= base)
            error("D_INT_DIGIT", "constant " + spelling + " contains invalid digit " + c);
        if (v > (UINT64_MAX - d) / base)
            error("D_INT_OFLOW", "constant " + spelling + " results in integer overflow");
        v = v * base + d;
    }
    t.intValue = v;
    t.isDecimal = base == 10;
    if (peek() == '.' && std::isdigit(static_cast<unsigned char>(peek(1))))
        error("D_FLOAT", "floating-point constants are not permitted");
    return t;
}

Token Lexer::next(Mode mode, bool inPredicate) {
    skipSpaceAndControl();
    atLineStart_ = false;
    Token t;
    t.offset = pos_;
    t.loc = here();
    char c = peek();
    if (c == '\0') {
        t.kind = TokenKind::End;
        t.end = pos_;
        return t;
    }

    auto finish = [&](Token tok) {
        tok.offset = t.offset;
        tok.end = pos_;
        if (tok.loc.line == 0) tok.loc = t.loc;
        return tok;
    };

    // A probe ID (dtrace -i): digits alone, where a clause begins.
    if (mode == Mode::Program && std::isdigit(static_cast<unsigned char>(c))) {
        size_t e = pos_;
        while (e < src_.size() && std::isdigit(static_cast<unsigned char>(src_[e]))) ++e;
        if (e == src_.size() || std::isspace(static_cast<unsigned char>(src_[e])) ||
            src_[e] == '{' || src_[e] == '/' || src_[e] == ',') {
            Token p;
            p.kind = TokenKind::ProbeSpec;
            p.text = std::string(src_.substr(pos_, e - pos_));
            pos_ = e;
            return finish(std::move(p));
        }
    }
    if (mode == Mode::Program && isProbeSpecStart(c)) {
        size_t e = pos_;
        while (e < src_.size() && isProbeSpecChar(src_[e])) ++e;
        std::string_view word = src_.substr(pos_, e - pos_);
        bool declarationWord =
            isPlainIdentifier(word) && (isKeyword(word) || (isTypeName_ && isTypeName_(word)));
        // `int*x` is a declaration, not a probe named by a glob: a word
        // with no ':' that starts with a type's name.
        if (!declarationWord && word.find(':') == std::string_view::npos) {
            size_t n = 0;
            while (n < word.size() &&
                   (std::isalnum(static_cast<unsigned char>(word[n])) || word[n] == '_'))
                ++n;
            std::string_view head = word.substr(0, n);
            if (n > 0 && n < word.size() && isPlainIdentifier(head) &&
                (isKeyword(head) || (isTypeName_ && isTypeName_(head))))
                declarationWord = true;
        }
        if (!declarationWord) {
            pos_ = e;
            Token p;
            p.kind = TokenKind::ProbeSpec;
            p.text = std::string(word);
            return finish(std::move(p));
        }
    }

    if (isIdentStart(c) || (c == '`' && isIdentStart(peek(1)))) {
        size_t s = pos_;
        if (c == '`') ++pos_;
        while (isIdentChar(peek())) ++pos_;
        // mod`sym names a kernel symbol, mod``sym a user one.
        if (c != '`' && peek() == '`' &&
            (isIdentStart(peek(1)) || (peek(1) == '`' && isIdentStart(peek(2))))) {
            pos_ += peek(1) == '`' ? 2 : 1;
            while (isIdentChar(peek())) ++pos_;
        }
        Token id;
        id.text = std::string(src_.substr(s, pos_ - s));
        id.kind = isKeyword(id.text) ? TokenKind::Keyword : TokenKind::Identifier;
        return finish(std::move(id));
    }
    if (std::isdigit(static_cast<unsigned char>(c))) return finish(lexNumber());
    if (c == '"' || c == '\'') return finish(lexString(c));
    if (c == '@') {
        ++pos_;
        size_t s = pos_;
        while (isIdentChar(peek())) ++pos_;
        Token a;
        a.kind = TokenKind::Aggregation;
        a.text = "@" + std::string(src_.substr(s, pos_ - s));
        return finish(std::move(a));
    }
    if (c == '$') {
        size_t s = pos_;
        if (peek(1) == '$' && std::isdigit(static_cast<unsigned char>(peek(2)))) {
            pos_ += 2;
            while (std::isdigit(static_cast<unsigned char>(peek()))) ++pos_;
        } else if (std::isdigit(static_cast<unsigned char>(peek(1)))) {
            ++pos_;
            while (std::isdigit(static_cast<unsigned char>(peek()))) ++pos_;
        } else if (isIdentStart(peek(1))) {
            ++pos_;
            while (isIdentChar(peek())) ++pos_;
        } else {
            ++pos_;
            Token p;
            p.kind = TokenKind::Punct;
            p.text = "$";
            return finish(std::move(p));
        }
        Token m;
        m.kind = TokenKind::Macro;
        m.text = std::string(src_.substr(s, pos_ - s));
        return finish(std::move(m));
    }
    if (c == '/' && inPredicate) {
        // A '/' followed by '{' closes the predicate.
        size_t save = pos_;
        int saveLine = line_;
        ++pos_;
        skipSpaceAndControl();
        bool closes = peek() == '{';
        int braceLine = line_;
        pos_ = save + 1;
        line_ = saveLine;
        atLineStart_ = false;
        if (closes) {
            Token p;
            p.kind = TokenKind::EndPredicate;
            p.text = "/";
            p.loc = {braceLine}; // DTrace has read ahead to the brace
            return finish(std::move(p));
        }
        pos_ = save;
    }
    for (const char *p : kPuncts) {
        std::string_view sp(p);
        if (src_.substr(pos_, sp.size()) == sp) {
            pos_ += sp.size();
            Token pt;
            pt.kind = TokenKind::Punct;
            pt.text = std::string(sp);
            return finish(std::move(pt));
        }
    }
    ++pos_;
    error("D_SYNTAX", std::string("invalid character '") + c + "'");
}

} // namespace dtrace::frontend
