// Recursive-descent parser for D. It reports errors as DTrace's yacc grammar
// does ("syntax error near ..."), plus DTrace's special messages.
#pragma once

#include "frontend/ast.h"
#include "frontend/lexer.h"

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace dtrace::frontend {

class Parser {
  public:
    // isTypeName answers for names the program did not typedef itself
    // (D's built-in typedefs and, when consultKernel is set, the kernel's).
    using TypeNameOracle = std::function<bool(std::string_view name, bool consultKernel)>;
    Parser(std::string_view source, TypeNameOracle isTypeName);

    Program parseProgram();

    // Parses a single expression (used by tests and by -n probe arguments).
    ExprPtr parseStandaloneExpression();

  private:
    // Token handling.
    const Token &cur() const { return cur_; }
    void advance();
    const Token &peekNext();
    void relexProgram();
    bool at(std::string_view punct) const { return cur_.is(punct); }
    bool accept(std::string_view punct);
    void expect(std::string_view punct);
    [[noreturn]] void syntaxError(const Token &tok);
    [[noreturn]] void syntaxError() { syntaxError(cur_); }
    std::string spelling(const Token &tok) const;

    // Top level.
    Clause parseClause();
    Declaration parseDeclaration();
    Declaration parseInline();
    Translator parseTranslator();
    ProviderDef parseProvider();

    // Declarations.
    bool startsTypeName(const Token &tok) const;
    bool startsDeclSpec(const Token &tok) const;
    DeclSpec parseDeclSpec(bool allowStorage);
    std::shared_ptr<StructBody> parseStructBody();
    std::shared_ptr<EnumBody> parseEnumBody();
    Declarator parseDeclarator(bool abstract);
    std::shared_ptr<Param> parseParam();
    TypeNamePtr parseTypeName();

    // Statements and expressions.
    std::vector<StmtPtr> parseStatements();
    StmtPtr parseStatement();
    ExprPtr parseExpression();
    ExprPtr parseAssignment();
    ExprPtr parseConditional();
    ExprPtr parseBinary(int level);
    ExprPtr parseCast();
    ExprPtr parseUnary();
    ExprPtr parsePostfix(ExprPtr e);
    ExprPtr parsePrimary();
    std::vector<ExprPtr> parseArguments(std::string_view close);

    bool isTypeName(std::string_view name, bool consultKernel = true) const;

    std::string_view src_;
    Lexer lexer_;
    Token cur_;
    std::optional<Token> next_;
    bool inPredicate_ = false;
    int nesting_ = 0; // open ( and [ inside expressions
    // How deeply the parser recurses (bounded by kMaxNesting), and how
    // deep the tree it builds is (kMaxDepth; operator chains count).
    int recursion_ = 0;
    int depth_ = 0;
    // "struct s", "enum e": tags this text has given a body (a second body
    // is an error at its opening brace, as DTrace reads it).
    std::set<std::string> definedTags_;
    TypeNameOracle isTypeNameOracle_;
    std::set<std::string, std::less<>> typedefs_;
    std::set<std::string, std::less<>> variables_;
    bool inDeclaration_ = false; // a top-level declaration is being parsed
};

} // namespace dtrace::frontend
