// The D parser's declarations: declaration specifiers, struct, union and
// enum bodies, declarators and type names.
#include "frontend/parser.h"
#include "frontend/parser_internal.h"

namespace dtrace::frontend {

namespace {

bool isTypeKeyword(std::string_view w) {
    return w == "void" || w == "char" || w == "short" || w == "int" || w == "long" ||
           w == "float" || w == "double" || w == "signed" || w == "unsigned" || w == "string" ||
           w == "struct" || w == "union" || w == "enum" || w == "const" || w == "volatile" ||
           w == "restrict" || w == "userland";
}

bool isStorageKeyword(std::string_view w) {
    return w == "auto" || w == "register" || w == "static" || w == "extern" || w == "typedef" ||
           w == "self" || w == "this";
}

} // namespace

// ------------------------------------------------------------- declarations

bool Parser::startsTypeName(const Token &tok) const {
    if (tok.kind == TokenKind::Keyword) return isTypeKeyword(tok.text);
    if (tok.kind == TokenKind::Identifier) return isTypeName(tok.text);
    return false;
}

bool Parser::startsDeclSpec(const Token &tok) const {
    if (tok.kind == TokenKind::Keyword && isStorageKeyword(tok.text)) return true;
    return startsTypeName(tok);
}

DeclSpec Parser::parseDeclSpec(bool allowStorage) {
    DeclSpec s;
    s.loc = cur_.loc;
    bool any = false;
    for (;;) {
        const Token &t = cur_;
        if (t.kind == TokenKind::Keyword) {
            const std::string &w = t.text;
            if (isStorageKeyword(w)) {
                if (!allowStorage) syntaxError();
                DeclSpec::Storage st = w == "auto"       ? DeclSpec::Storage::Auto
                                       : w == "register" ? DeclSpec::Storage::Register
                                       : w == "static"   ? DeclSpec::Storage::Static
                                       : w == "extern"   ? DeclSpec::Storage::Extern
                                       : w == "typedef"  ? DeclSpec::Storage::Typedef
                                       : w == "self"     ? DeclSpec::Storage::Self
                                                         : DeclSpec::Storage::This;
                if (s.storage != DeclSpec::Storage::None)
                    fail("D_DECL_CLASS", t.loc, "more than one storage class specified");
                s.storage = st;
                any = true;
                advance();
                continue;
            }
            if (w == "const") {
                s.isConst = true;
                any = true;
                advance();
                continue;
            }
            if (w == "volatile") {
                s.isVolatile = true;
                any = true;
                advance();
                continue;
            }
            if (w == "restrict") {
                s.isRestrict = true;
                any = true;
                advance();
                continue;
            }
            if (w == "userland") {
                any = true;
                advance();
                continue;
            }
            auto setBase = [&](DeclSpec::Base b) {
                if (s.base != DeclSpec::Base::None &&
                    !(s.base == DeclSpec::Base::Int && b == DeclSpec::Base::Int))
                    fail("D_DECL_COMBO", t.loc, "invalid type combination");
                s.base = b;
            };
            if (w == "void") {
                setBase(DeclSpec::Base::Void);
                any = true;
                advance();
                continue;
            }
            if (w == "char") {
                setBase(DeclSpec::Base::Char);
                any = true;
                advance();
                continue;
            }
            if (w == "int") {
                setBase(DeclSpec::Base::Int);
                any = true;
                advance();
                continue;
            }
            if (w == "float") {
                setBase(DeclSpec::Base::Float);
                any = true;
                advance();
                continue;
            }
            if (w == "double") {
                setBase(DeclSpec::Base::Double);
                any = true;
                advance();
                continue;
            }
            if (w == "string") {
                setBase(DeclSpec::Base::String);
                any = true;
                advance();
                continue;
            }
            if (w == "short") {
                s.isShort = true;
                any = true;
                advance();
                continue;
            }
            if (w == "long") {
                ++s.longCount;
                any = true;
                advance();
                continue;
            }
            if (w == "signed") {
                s.isSigned = true;
                any = true;
                advance();
                continue;
            }
            if (w == "unsigned") {
                s.isUnsigned = true;
                any = true;
                advance();
                continue;
            }
            if (w == "struct" || w == "union" || w == "enum") {
                if (s.base != DeclSpec::Base::None)
                    fail("D_DECL_COMBO", t.loc, "invalid type combination");
                s.base = w == "struct"  ? DeclSpec::Base::Struct
                         : w == "union" ? DeclSpec::Base::Union
                                        : DeclSpec::Base::Enum;
                any = true;
                advance();
                if (cur_.kind == TokenKind::Identifier) {
                    s.name = cur_.text;
                    advance();
                }
                if (at("{")) {
                    s.bodyLoc = cur_.loc;
                    std::string tag = (s.base == DeclSpec::Base::Struct  ? "struct "
                                       : s.base == DeclSpec::Base::Union ? "union "
                                                                         : "enum ") +
                                      s.name;
                    if (!s.name.empty() && !definedTags_.insert(tag).second)
                        fail("D_DECL_TYPERED", cur_.loc, "type redeclared: " + tag);
                    if (s.base == DeclSpec::Base::Enum)
                        s.enumBody = parseEnumBody();
                    else
                        s.structBody = parseStructBody();
                } else if (s.name.empty()) {
                    syntaxError();
                }
                continue;
            }
            break;
        }
        if (t.kind == TokenKind::Identifier && s.base == DeclSpec::Base::None && !s.isShort &&
            s.longCount == 0 && !s.isSigned && !s.isUnsigned && isTypeName(t.text)) {
            s.base = DeclSpec::Base::Named;
            s.name = t.text;
            any = true;
            advance();
            continue;
        }
        break;
    }
    if (!any) syntaxError();
    return s;
}

std::shared_ptr<StructBody> Parser::parseStructBody() {
    RecursionGuard guard(recursion_, depth_, cur_.loc);
    auto body = std::make_shared<StructBody>();
    body->loc = cur_.loc;
    advance(); // {
    while (!at("}")) {
        DeclSpec spec = parseDeclSpec(false);
        for (;;) {
            StructMember m;
            m.spec = spec;
            if (at(":")) {
                m.decl.loc = cur_.loc;
            } else {
                m.decl = parseDeclarator(false);
            }
            if (accept(":")) m.decl.bitWidth = parseConditional();
            body->members.push_back(std::move(m));
            if (!accept(",")) break;
        }
        expect(";");
    }
    advance(); // }
    return body;
}

std::shared_ptr<EnumBody> Parser::parseEnumBody() {
    auto body = std::make_shared<EnumBody>();
    advance();                  // {
    if (at("}")) syntaxError(); // an enum needs enumerators
    while (!at("}")) {
        if (cur_.kind != TokenKind::Identifier) syntaxError();
        Enumerator e;
        e.name = cur_.text;
        e.loc = cur_.loc;
        advance();
        if (accept("=")) {
            e.value = parseConditional();
            e.loc = cur_.loc; // errors in the value are reported after it
        }
        body->values.push_back(std::move(e));
        if (!accept(",")) break;
    }
    expect("}");
    return body;
}

std::shared_ptr<Param> Parser::parseParam() {
    auto p = std::make_shared<Param>();
    p->spec = parseDeclSpec(true); // a storage class here is a semantic error
    p->decl = parseDeclarator(true);
    return p;
}

Declarator Parser::parseDeclarator(bool abstract) {
    RecursionGuard guard(recursion_, depth_, cur_.loc);
    Declarator d;
    d.loc = cur_.loc;
    std::vector<Derivation> pointers;
    while (at("*")) {
        advance();
        Derivation p;
        p.kind = Derivation::Kind::Pointer;
        while (cur_.kind == TokenKind::Keyword &&
               (cur_.text == "const" || cur_.text == "volatile" || cur_.text == "restrict")) {
            if (cur_.text == "const") p.isConst = true;
            advance();
        }
        pointers.push_back(std::move(p));
    }
    std::optional<Declarator> inner;
    if (at("(")) {
        // A parenthesised declarator, unless this is a function's parameter
        // list of an abstract declarator.
        const Token &n = peekNext();
        bool nested = n.is("*") || n.is("(") ||
                      (n.kind == TokenKind::Identifier && !isTypeName(n.text) && !abstract) ||
                      (n.kind == TokenKind::Identifier && abstract && !isTypeName(n.text));
        if (nested) {
            advance();
            ++nesting_;
            inner = parseDeclarator(abstract);
            --nesting_;
            expect(")");
            d.name = inner->name;
            d.loc = inner->loc;
        }
    } else if (cur_.kind == TokenKind::Identifier) {
        if (cur_.text.find('`') != std::string::npos)
            fail("D_DECL_SCOPE", cur_.loc,
                 "D scoping operator may not be used in a declaration name (" + cur_.text + ")");
        d.name = cur_.text;
        d.loc = cur_.loc;
        advance();
    } else if (!abstract) {
        syntaxError();
    }
    std::vector<Derivation> suffixes;
    for (;;) {
        if (at("[")) {
            advance();
            ++nesting_;
            Derivation a;
            if (at("..."))
                fail("D_DECL_PROTO_VARARGS", cur_.loc,
                     "array prototype may not use a variable-length argument list");
            if (at("]")) {
                a.kind = Derivation::Kind::Array;
            } else if (startsTypeName(cur_)) {
                a.kind = Derivation::Kind::Assoc;
                // Keys are parameter declarations: they may be named (an
                // inline's parameters: `inline fileinfo_t fds[int fd] = ...`).
                for (;;) {
                    auto key = std::make_shared<TypeName>();
                    key->loc = cur_.loc;
                    key->spec = parseDeclSpec(false);
                    key->decl = parseDeclarator(true);
                    a.keys.push_back(std::move(key));
                    if (!accept(",")) break;
                }
            } else {
                a.kind = Derivation::Kind::Array;
                a.size = std::shared_ptr<Expr>(parseAssignment().release());
            }
            --nesting_;
            expect("]");
            suffixes.push_back(std::move(a));
        } else if (at("(")) {
            advance();
            ++nesting_;
            Derivation f;
            f.kind = Derivation::Kind::Function;
            if (!at(")")) {
                for (;;) {
                    if (at("...")) {
                        advance();
                        f.varargs = true;
                        break;
                    }
                    f.params.push_back(parseParam());
                    if (!accept(",")) break;
                }
            }
            --nesting_;
            expect(")");
            suffixes.push_back(std::move(f));
        } else {
            break;
        }
    }
    for (auto &p : pointers) d.derivs.push_back(std::move(p));
    for (auto it = suffixes.rbegin(); it != suffixes.rend(); ++it)
        d.derivs.push_back(std::move(*it));
    if (inner)
        for (auto &x : inner->derivs) d.derivs.push_back(std::move(x));
    return d;
}

TypeNamePtr Parser::parseTypeName() {
    auto t = std::make_unique<TypeName>();
    t->loc = cur_.loc;
    t->spec = parseDeclSpec(false);
    t->decl = parseDeclarator(true);
    if (!t->decl.name.empty()) syntaxError();
    return t;
}

} // namespace dtrace::frontend
