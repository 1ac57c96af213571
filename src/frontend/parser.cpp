// Recursive-descent parser for D: tokens, the program's top level,
// statements and expressions (parse_declarations.cpp: declarations, types).
#include "frontend/parser.h"
#include "frontend/parser_internal.h"

#include <algorithm>
#include <array>

namespace dtrace::frontend {

namespace {

// Binary operators by precedence level, lowest first.
const std::array<std::vector<std::string_view>, 11> kBinaryLevels = {{
    {"||"},
    {"^^"},
    {"&&"},
    {"|"},
    {"^"},
    {"&"},
    {"==", "!="},
    {"<", ">", "<=", ">="},
    {"<<", ">>"},
    {"+", "-"},
    {"*", "/", "%"},
}};

constexpr std::array kAssignOps = {
    "=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="};

// A left-associative chain (a + b + c ..., a[1][2] ..., a, b, c) is as
// deep as it is long: each operator counts against the nesting bound
// until the chain is parsed.
class ChainDepth {
  public:
    explicit ChainDepth(int &depth) : depth_(depth) {}
    ~ChainDepth() { depth_ -= added_; }
    ChainDepth(const ChainDepth &) = delete;
    ChainDepth &operator=(const ChainDepth &) = delete;
    void deepen(SourceLoc loc) {
        if (depth_ + 1 > kMaxDepth) fail("D_SYNTAX", loc, "expression nested too deeply");
        ++depth_;
        ++added_;
    }

  private:
    int &depth_;
    int added_ = 0;
};

ExprPtr makeExpr(ExprKind k, SourceLoc loc) {
    return std::make_unique<Expr>(k, loc);
}

} // namespace

Parser::Parser(std::string_view source, TypeNameOracle isTypeName)
    : src_(source), lexer_(source), isTypeNameOracle_(std::move(isTypeName)) {
    // A top-level word is a declaration only if it names a D type: looking
    // up every probe name ("BEGIN") among the kernel's types would load BTF.
    lexer_.setTypeNameOracle([this](std::string_view w) { return this->isTypeName(w, false); });
}

bool Parser::isTypeName(std::string_view name, bool consultKernel) const {
    if (typedefs_.count(name)) return true;
    // A variable this program declared is no type (and needs no look-up
    // among the kernel's types).
    if (variables_.count(name)) return false;
    return isTypeNameOracle_ && isTypeNameOracle_(name, consultKernel);
}

std::string Parser::spelling(const Token &tok) const {
    if (tok.kind == TokenKind::End) return "";
    return std::string(src_.substr(tok.offset, tok.end - tok.offset));
}

void Parser::advance() {
    if (next_) {
        cur_ = std::move(*next_);
        next_.reset();
        return;
    }
    cur_ = lexer_.next(Lexer::Mode::Expression, inPredicate_);
}

const Token &Parser::peekNext() {
    if (!next_) next_ = lexer_.next(Lexer::Mode::Expression, inPredicate_);
    return *next_;
}

void Parser::relexProgram() {
    next_.reset();
    lexer_.rewind(cur_);
    cur_ = lexer_.next(Lexer::Mode::Program);
}

bool Parser::accept(std::string_view punct) {
    if (!at(punct)) return false;
    advance();
    return true;
}

void Parser::expect(std::string_view punct) {
    if (!accept(punct)) syntaxError();
}

void Parser::syntaxError(const Token &tok) {
    // DTrace's grammar names the end of the file "end-of-input" where a
    // top-level declaration is unfinished, "end of input" elsewhere.
    if (tok.kind == TokenKind::End)
        fail("D_SYNTAX", tok.loc,
             inDeclaration_ ? "syntax error near end-of-input" : "syntax error near end of input");
    if (tok.kind == TokenKind::Punct && nesting_ == 0 && (tok.text == ")" || tok.text == "]"))
        fail("D_SYNTAX", tok.loc, "extra " + tok.text + " in input stream");
    fail("D_SYNTAX", tok.loc, "syntax error near \"" + spelling(tok) + "\"");
}

// ---------------------------------------------------------------- top level

Program Parser::parseProgram() {
    Program prog;
    cur_ = lexer_.next(Lexer::Mode::Program);
    for (;;) {
        relexProgram();
        if (cur_.kind == TokenKind::End) {
            prog.endLine = cur_.loc.line;
            break;
        }
        if (cur_.kind == TokenKind::ProbeSpec) {
            prog.items.emplace_back(parseClause());
        } else if (cur_.kind == TokenKind::Keyword && cur_.text == "inline") {
            prog.items.emplace_back(parseInline());
        } else if (cur_.kind == TokenKind::Keyword && cur_.text == "translator") {
            prog.items.emplace_back(parseTranslator());
        } else if (cur_.kind == TokenKind::Keyword && cur_.text == "provider") {
            prog.items.emplace_back(parseProvider());
        } else if (startsDeclSpec(cur_)) {
            prog.items.emplace_back(parseDeclaration());
        } else if (at(";")) {
            advance();
        } else if (at("{") || at("/")) {
            // A clause body without a probe description.
            syntaxError();
        } else {
            syntaxError();
        }
    }
    for (const Pragma &p : lexer_.pragmas()) prog.pragmas.push_back({p.loc, p.words});
    return prog;
}

ExprPtr Parser::parseStandaloneExpression() {
    advance();
    ExprPtr e = parseExpression();
    if (cur_.kind != TokenKind::End) syntaxError();
    return e;
}

Clause Parser::parseClause() {
    Clause c;
    c.loc = cur_.loc;
    for (;;) {
        c.probes.push_back({cur_.text, cur_.loc});
        advance();
        if (!at(",")) break;
        advance();
        relexProgram();
        if (cur_.kind != TokenKind::ProbeSpec) syntaxError();
    }
    if (at("/")) {
        inPredicate_ = true;
        advance(); // the opening '/'
        c.predicate = parseExpression();
        if (cur_.kind != TokenKind::EndPredicate) syntaxError();
        inPredicate_ = false;
        advance();
        if (!at("{")) syntaxError();
    }
    if (!at("{")) {
        fail("D_SYNTAX", c.probes.back().loc,
             "expected predicate and/or actions following probe description");
    }
    advance();
    c.body = parseStatements();
    if (!at("}")) syntaxError();
    c.endLoc = cur_.loc;
    advance();
    return c;
}

Declaration Parser::parseDeclaration() {
    struct Flag {
        bool &f;
        explicit Flag(bool &x) : f(x) { f = true; }
        ~Flag() { f = false; }
    } inDeclaration(inDeclaration_);
    Declaration d;
    d.loc = cur_.loc;
    d.spec = parseDeclSpec(true);
    // C's `static inline` functions come with system headers under -C.
    bool cInline = false;
    if (cur_.kind == TokenKind::Keyword && cur_.text == "inline" &&
        d.spec.storage != DeclSpec::Storage::None) {
        cInline = true;
        advance();
        DeclSpec rest = parseDeclSpec(false);
        rest.storage = d.spec.storage;
        d.spec = std::move(rest);
    }
    if (!at(";")) {
        for (;;) {
            Declarator decl = parseDeclarator(false);
            if (decl.name.empty()) syntaxError();
            if (at("{") && !decl.derivs.empty() &&
                decl.derivs.back().kind == Derivation::Kind::Function && d.declarators.empty()) {
                // A function body: skip it, braces balanced.
                int depth = 0;
                do {
                    if (cur_.kind == TokenKind::End) syntaxError();
                    if (at("{"))
                        ++depth;
                    else if (at("}"))
                        --depth;
                    advance();
                } while (depth > 0);
                d.isCFunction = true;
                return d;
            }
            if (cInline) syntaxError();
            if (at("=")) syntaxError(); // D has no initialisers
            if (d.spec.storage == DeclSpec::Storage::Typedef)
                typedefs_.insert(decl.name);
            else
                variables_.insert(decl.name);
            d.declarators.push_back(std::move(decl));
            if (!accept(",")) break;
        }
    }
    if (!at(";")) syntaxError();
    advance();
    return d;
}

Declaration Parser::parseInline() {
    Declaration d;
    d.loc = cur_.loc;
    d.isInline = true;
    advance(); // inline
    d.spec = parseDeclSpec(false);
    Declarator decl = parseDeclarator(false);
    if (decl.name.empty()) syntaxError();
    expect("=");
    decl.initializer = parseAssignment();
    d.declarators.push_back(std::move(decl));
    if (!at(";")) syntaxError();
    advance();
    return d;
}

Translator Parser::parseTranslator() {
    Translator t;
    t.loc = cur_.loc;
    advance(); // translator
    TypeNamePtr out = parseTypeName();
    t.output = std::move(*out);
    expect("<");
    DeclSpec inSpec = parseDeclSpec(false);
    Declarator inDecl = parseDeclarator(false);
    if (inDecl.name.empty()) syntaxError();
    t.inputName = inDecl.name;
    t.input.spec = std::move(inSpec);
    t.input.decl = std::move(inDecl);
    t.input.decl.name.clear();
    expect(">");
    expect("{");
    while (!at("}")) {
        if (cur_.kind != TokenKind::Identifier) syntaxError();
        TranslatorMember m;
        m.name = cur_.text;
        m.loc = cur_.loc;
        advance();
        expect("=");
        m.value = parseExpression();
        expect(";");
        t.members.push_back(std::move(m));
    }
    t.endLoc = cur_.loc;
    advance(); // }
    if (!at(";")) {
        relexProgram();
        syntaxError();
    }
    advance();
    return t;
}

ProviderDef Parser::parseProvider() {
    ProviderDef p;
    p.loc = cur_.loc;
    advance(); // provider
    if (cur_.kind != TokenKind::Identifier) syntaxError();
    p.name = cur_.text;
    advance();
    expect("{");
    while (!at("}")) {
        if (!(cur_.kind == TokenKind::Keyword && cur_.text == "probe")) syntaxError();
        advance();
        ProviderProbe pr;
        pr.loc = cur_.loc;
        if (cur_.kind != TokenKind::Identifier) syntaxError();
        pr.name = cur_.text;
        advance();
        expect("(");
        ++nesting_;
        if (!at(")")) {
            for (;;) {
                if (at("...")) syntaxError();
                pr.params.push_back(parseParam());
                if (!accept(",")) break;
            }
        }
        --nesting_;
        expect(")");
        if (accept(":")) {
            expect("(");
            ++nesting_;
            if (!at(")")) {
                for (;;) {
                    pr.xlatedParams.push_back(parseParam());
                    if (!accept(",")) break;
                }
            }
            --nesting_;
            expect(")");
        }
        expect(";");
        p.probes.push_back(std::move(pr));
    }
    advance();
    if (!at(";")) syntaxError();
    advance();
    return p;
}

// --------------------------------------------------------------- statements

std::vector<StmtPtr> Parser::parseStatements() {
    std::vector<StmtPtr> out;
    while (!at("}") && cur_.kind != TokenKind::End) out.push_back(parseStatement());
    return out;
}

StmtPtr Parser::parseStatement() {
    RecursionGuard guard(recursion_, depth_, cur_.loc);
    auto s = std::make_unique<Stmt>();
    s->loc = cur_.loc;
    if (at(";")) {
        advance();
        s->kind = StmtKind::Empty;
        return s;
    }
    if (at("{")) {
        advance();
        s->kind = StmtKind::Block;
        s->body = parseStatements();
        expect("}");
        return s;
    }
    if (cur_.kind == TokenKind::Keyword && cur_.text == "if") {
        advance();
        s->kind = StmtKind::If;
        expect("(");
        ++nesting_;
        s->expr = parseExpression();
        --nesting_;
        expect(")");
        if (at("{")) {
            advance();
            s->body = parseStatements();
            expect("}");
        } else {
            s->body.push_back(parseStatement());
        }
        if (cur_.kind == TokenKind::Keyword && cur_.text == "else") {
            advance();
            s->hasElse = true;
            if (at("{")) {
                advance();
                s->elseBody = parseStatements();
                expect("}");
            } else {
                s->elseBody.push_back(parseStatement());
            }
        }
        return s;
    }
    s->kind = StmtKind::Expr;
    s->expr = parseExpression();
    // The last statement of a clause may omit its semicolon.
    if (at("}")) return s;
    if (!at(";")) syntaxError();
    advance();
    return s;
}

// -------------------------------------------------------------- expressions

ExprPtr Parser::parseExpression() {
    ExprPtr e = parseAssignment();
    ChainDepth chain(depth_);
    while (at(",")) {
        SourceLoc loc = cur_.loc;
        chain.deepen(loc);
        advance();
        ExprPtr c = makeExpr(ExprKind::Comma, loc);
        c->args.push_back(std::move(e));
        c->args.push_back(parseAssignment());
        e = std::move(c);
    }
    return e;
}

ExprPtr Parser::parseAssignment() {
    ExprPtr lhs = parseConditional();
    if (cur_.kind == TokenKind::Punct &&
        std::find(kAssignOps.begin(), kAssignOps.end(), cur_.text) != kAssignOps.end()) {
        ExprPtr a = makeExpr(ExprKind::Assign, cur_.loc);
        a->op = cur_.text;
        advance();
        a->args.push_back(std::move(lhs));
        RecursionGuard guard(recursion_, depth_, a->loc);
        a->args.push_back(parseAssignment());
        a->loc = cur_.loc; // at the token after it, as DTrace places a node
        return a;
    }
    return lhs;
}

ExprPtr Parser::parseConditional() {
    ExprPtr cond = parseBinary(0);
    if (!at("?")) return cond;
    ExprPtr c = makeExpr(ExprKind::Conditional, cur_.loc);
    RecursionGuard guard(recursion_, depth_, c->loc);
    advance();
    c->args.push_back(std::move(cond));
    c->args.push_back(parseExpression());
    expect(":");
    c->args.push_back(parseConditional());
    c->loc = cur_.loc;
    return c;
}

ExprPtr Parser::parseBinary(int level) {
    if (level >= static_cast<int>(kBinaryLevels.size())) return parseCast();
    ExprPtr lhs = parseBinary(level + 1);
    ChainDepth chain(depth_);
    for (;;) {
        if (cur_.kind != TokenKind::Punct) break;
        const auto &ops = kBinaryLevels[level];
        if (std::find(ops.begin(), ops.end(), cur_.text) == ops.end()) break;
        chain.deepen(cur_.loc);
        ExprPtr b = makeExpr(ExprKind::Binary, cur_.loc);
        b->op = cur_.text;
        advance();
        b->args.push_back(std::move(lhs));
        b->args.push_back(parseBinary(level + 1));
        // DTrace builds the node once it has read the next token, and
        // reports errors in it at that token's line.
        b->loc = cur_.loc;
        lhs = std::move(b);
    }
    return lhs;
}

ExprPtr Parser::parseCast() {
    if (at("(") && startsTypeName(peekNext())) {
        SourceLoc loc = cur_.loc;
        RecursionGuard guard(recursion_, depth_, loc);
        advance();
        ++nesting_;
        ExprPtr c = makeExpr(ExprKind::Cast, loc);
        c->typeName = parseTypeName();
        --nesting_;
        expect(")");
        c->args.push_back(parseCast());
        // Like a binary operator's: at the line of the token after it.
        c->loc = cur_.loc;
        return c;
    }
    return parseUnary();
}

ExprPtr Parser::parseUnary() {
    SourceLoc loc = cur_.loc;
    // An operator's operand nests (- - x, sizeof sizeof x): each branch
    // below that recurses guards its level.
    if (at("++") || at("--")) {
        RecursionGuard operand(recursion_, depth_, loc);
        ExprPtr e = makeExpr(at("++") ? ExprKind::PreIncrement : ExprKind::PreDecrement, loc);
        e->op = cur_.text;
        advance();
        e->args.push_back(parseUnary());
        e->loc = cur_.loc;
        return e;
    }
    if (at("-") || at("+") || at("!") || at("~") || at("*") || at("&")) {
        RecursionGuard operand(recursion_, depth_, loc);
        ExprPtr e = makeExpr(ExprKind::Unary, loc);
        e->op = cur_.text;
        advance();
        e->args.push_back(parseCast());
        e->loc = cur_.loc;
        return e;
    }
    if (cur_.kind == TokenKind::Keyword && cur_.text == "sizeof") {
        RecursionGuard operand(recursion_, depth_, loc);
        advance();
        if (at("(") && startsTypeName(peekNext())) {
            advance();
            ++nesting_;
            ExprPtr e = makeExpr(ExprKind::SizeofType, loc);
            e->typeName = parseTypeName();
            --nesting_;
            expect(")");
            return e;
        }
        ExprPtr e = makeExpr(ExprKind::SizeofExpr, loc);
        e->args.push_back(parseUnary());
        return e;
    }
    if (cur_.kind == TokenKind::Keyword && cur_.text == "stringof") {
        RecursionGuard operand(recursion_, depth_, loc);
        advance();
        ExprPtr e = makeExpr(ExprKind::Stringof, loc);
        e->args.push_back(parseUnary());
        return e;
    }
    return parsePostfix(parsePrimary());
}

std::vector<ExprPtr> Parser::parseArguments(std::string_view close) {
    RecursionGuard guard(recursion_, depth_, cur_.loc);
    std::vector<ExprPtr> args;
    ++nesting_;
    if (cur_.kind == TokenKind::EndPredicate && close == ")")
        fail("D_SYNTAX", cur_.loc, "closing ) expected in predicate before /");
    if (!at(close)) {
        for (;;) {
            args.push_back(parseAssignment());
            if (!accept(",")) break;
        }
    }
    --nesting_;
    if (!at(close)) {
        if (cur_.kind == TokenKind::EndPredicate && close == ")")
            fail("D_SYNTAX", cur_.loc, "closing ) expected in predicate before /");
        syntaxError();
    }
    advance();
    return args;
}

ExprPtr Parser::parsePostfix(ExprPtr e) {
    ChainDepth chain(depth_);
    for (;;) {
        SourceLoc loc = cur_.loc;
        if (at("[")) {
            chain.deepen(loc);
            advance();
            ExprPtr idx = makeExpr(ExprKind::Index, loc);
            idx->args.push_back(std::move(e));
            for (auto &a : parseArguments("]")) idx->args.push_back(std::move(a));
            e = std::move(idx);
        } else if (at("(")) {
            // A call of something other than a name (an unnamed Call) is an
            // error semantic analysis reports, after the declarations before it.
            bool named = e->kind == ExprKind::Identifier;
            chain.deepen(loc);
            advance();
            ExprPtr call = makeExpr(ExprKind::Call, named ? e->loc : loc);
            if (named) call->name = e->name;
            call->args = parseArguments(")");
            e = std::move(call);
        } else if (at(".") || at("->")) {
            bool arrow = at("->");
            chain.deepen(loc);
            advance();
            if (cur_.kind != TokenKind::Identifier && cur_.kind != TokenKind::Keyword)
                syntaxError();
            ExprPtr m = makeExpr(arrow ? ExprKind::Arrow : ExprKind::Member, loc);
            m->name = cur_.text;
            m->args.push_back(std::move(e));
            advance();
            e = std::move(m);
        } else if (at("++") || at("--")) {
            chain.deepen(loc);
            ExprPtr p = makeExpr(at("++") ? ExprKind::PostIncrement : ExprKind::PostDecrement, loc);
            p->op = cur_.text;
            advance();
            p->args.push_back(std::move(e));
            e = std::move(p);
        } else {
            return e;
        }
    }
}

ExprPtr Parser::parsePrimary() {
    const Token &t = cur_;
    SourceLoc loc = t.loc;
    // A backquote with no symbol after it names nothing in the kernel.
    if (t.kind == TokenKind::Punct && t.text == "`")
        fail("D_IDENT_UNDEF", loc, "failed to resolve `: Unknown symbol name");
    switch (t.kind) {
    case TokenKind::Integer: {
        ExprPtr e = makeExpr(ExprKind::Integer, loc);
        e->intValue = t.intValue;
        e->isUnsigned = t.isUnsigned;
        e->longCount = t.longCount;
        e->isDecimal = t.isDecimal;
        e->isChar = t.isChar;
        e->text = spelling(t);
        advance();
        return e;
    }
    case TokenKind::String: {
        ExprPtr e = makeExpr(ExprKind::String, loc);
        e->text = t.text;
        advance();
        // Adjacent string literals concatenate, as in C.
        while (cur_.kind == TokenKind::String) {
            e->text += cur_.text;
            advance();
        }
        return e;
    }
    case TokenKind::Identifier: {
        ExprPtr e = makeExpr(ExprKind::Identifier, loc);
        e->name = t.text;
        advance();
        return e;
    }
    case TokenKind::Macro: {
        ExprPtr e = makeExpr(ExprKind::Macro, loc);
        e->name = t.text;
        advance();
        return e;
    }
    case TokenKind::Aggregation: {
        ExprPtr e = makeExpr(ExprKind::Aggregation, loc);
        e->name = t.text;
        advance();
        return e;
    }
    case TokenKind::Keyword: {
        if (t.text == "self" || t.text == "this") {
            bool self = t.text == "self";
            advance();
            if (!at("->")) syntaxError();
            advance();
            if (cur_.kind != TokenKind::Identifier && cur_.kind != TokenKind::Keyword)
                syntaxError();
            ExprPtr e = makeExpr(self ? ExprKind::SelfVar : ExprKind::ThisVar, loc);
            e->name = cur_.text;
            advance();
            return e;
        }
        if (t.text == "offsetof") {
            advance();
            expect("(");
            ++nesting_;
            ExprPtr e = makeExpr(ExprKind::Offsetof, loc);
            if (!startsTypeName(cur_)) {
                // DTrace's lexer swallows the rest of the line here.
                fail("D_SYNTAX", cur_.loc, "syntax error near \"" + lexer_.restOfLine(cur_) + "\"");
            }
            e->typeName = parseTypeName();
            expect(",");
            if (cur_.kind != TokenKind::Identifier && cur_.kind != TokenKind::Keyword)
                syntaxError();
            e->name = cur_.text;
            advance();
            --nesting_;
            expect(")");
            return e;
        }
        if (t.text == "xlate") {
            advance();
            expect("<");
            ExprPtr e = makeExpr(ExprKind::Xlate, loc);
            e->typeName = parseTypeName();
            expect(">");
            expect("(");
            RecursionGuard guard(recursion_, depth_, loc);
            ++nesting_;
            e->args.push_back(parseExpression());
            --nesting_;
            expect(")");
            return e;
        }
        syntaxError();
    }
    case TokenKind::Punct:
        if (t.text == "(") {
            RecursionGuard guard(recursion_, depth_, loc);
            advance();
            ++nesting_;
            ExprPtr e = parseExpression();
            --nesting_;
            if (!at(")")) {
                if (cur_.kind == TokenKind::EndPredicate)
                    fail("D_SYNTAX", cur_.loc, "closing ) expected in predicate before /");
                syntaxError();
            }
            advance();
            return e;
        }
        syntaxError();
    default: syntaxError();
    }
}

} // namespace dtrace::frontend
