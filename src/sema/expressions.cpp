// Semantic analysis of D expressions: name resolution, C's typing rules
// with D's additions (strings, dynamic variables, associative arrays),
// lvalue checks and constant folding.
#include "kernel/kernel_symbols.h"
#include "sema/builtins.h"
#include "sema/sema.h"

#include <cctype>

namespace dtrace::sema {

using frontend::ExprKind;
using ir::NodeKind;
using ir::NodePtr;

namespace {

NodePtr mk(NodeKind k, SourceLoc loc, TypeRef t) {
    return std::make_unique<ir::Node>(k, loc, std::move(t));
}

// An integer value as its type holds it: truncated, then sign- or
// zero-extended to 64 bits.
int64_t normalize(int64_t v, const TypeRef &t) {
    auto s = stripTypedefs(t);
    if (!s || s->kind == TypeKind::Pointer || s->size >= 8 || s->size == 0) return v;
    unsigned bits = static_cast<unsigned>(s->size * 8);
    uint64_t mask = (1ull << bits) - 1;
    uint64_t u = static_cast<uint64_t>(v) & mask;
    if (s->isSigned && ((u >> (bits - 1)) & 1)) u |= ~mask;
    return static_cast<int64_t>(u);
}

bool isUnsignedType(const TypeRef &t) {
    auto s = stripTypedefs(t);
    return s && (s->kind == TypeKind::Pointer || (s->kind == TypeKind::Integer && !s->isSigned));
}

bool isComparison(ir::Op o) {
    return o == ir::Op::Eq || o == ir::Op::Ne || o == ir::Op::Lt || o == ir::Op::Le ||
           o == ir::Op::Gt || o == ir::Op::Ge;
}

bool isLogical(ir::Op o) {
    return o == ir::Op::LogAnd || o == ir::Op::LogOr || o == ir::Op::LogXor;
}

} // namespace

ir::Op binaryOperator(const std::string &op) {
    static const std::pair<const char *, ir::Op> table[] = {
        {"+", ir::Op::Add},     {"-", ir::Op::Sub},    {"*", ir::Op::Mul},     {"/", ir::Op::Div},
        {"%", ir::Op::Mod},     {"&", ir::Op::And},    {"|", ir::Op::Or},      {"^", ir::Op::Xor},
        {"<<", ir::Op::Shl},    {">>", ir::Op::Shr},   {"==", ir::Op::Eq},     {"!=", ir::Op::Ne},
        {"<", ir::Op::Lt},      {"<=", ir::Op::Le},    {">", ir::Op::Gt},      {">=", ir::Op::Ge},
        {"&&", ir::Op::LogAnd}, {"||", ir::Op::LogOr}, {"^^", ir::Op::LogXor},
    };
    for (const auto &[s, o] : table)
        if (op == s) return o;
    return ir::Op::Add;
}

NodePtr Sema::emptyString(SourceLoc loc) {
    auto n = mk(NodeKind::String, loc, types_->stringType());
    return n;
}

std::string Sema::describe(const TypeRef &t) const {
    if (!t) return "void";
    return typeName(t);
}

NodePtr Sema::constant(int64_t v, TypeRef t, SourceLoc loc) {
    auto n = mk(NodeKind::Const, loc, t);
    n->value = normalize(v, t);
    return n;
}

// DTrace folds constant expressions in 64 bits whatever their type:
// (1 << 63) - 1 is INT64_MAX as an argument; a store still cuts it to the
// type's size.
NodePtr Sema::foldedConstant(int64_t v, TypeRef t, SourceLoc loc) {
    auto n = mk(NodeKind::Const, loc, t);
    n->value = v;
    return n;
}

NodePtr Sema::integerConstant(const frontend::Expr &e) {
    uint64_t v = e.intValue;
    if (e.isChar)
        return constant(static_cast<int64_t>(v), types_->intType(),
                        e.loc); // 'c' is an int, as in C
    struct Candidate {
        TypeRef type;
        bool decimalOk;
    };
    std::vector<TypeRef> order;
    bool hexOct = !e.isDecimal;
    if (e.isUnsigned) {
        if (e.longCount == 0)
            order = {types_->uintType(), types_->ulongType(), types_->ulonglongType()};
        else if (e.longCount == 1)
            order = {types_->ulongType(), types_->ulonglongType()};
        else
            order = {types_->ulonglongType()};
    } else if (e.longCount == 0) {
        if (hexOct)
            order = {types_->intType(),   types_->uintType(),     types_->longType(),
                     types_->ulongType(), types_->longlongType(), types_->ulonglongType()};
        else
            order = {types_->intType(), types_->longType(), types_->longlongType(),
                     types_->ulonglongType()};
    } else if (e.longCount == 1) {
        order = {types_->longType(), types_->ulongType(), types_->longlongType(),
                 types_->ulonglongType()};
    } else {
        order = {types_->longlongType(), types_->ulonglongType()};
    }
    for (const TypeRef &t : order) {
        uint64_t max = t->isSigned ? (t->size == 8 ? INT64_MAX : (1ull << (t->size * 8 - 1)) - 1)
                                   : (t->size == 8 ? UINT64_MAX : (1ull << (t->size * 8)) - 1);
        if (v <= max) return constant(static_cast<int64_t>(v), t, e.loc);
    }
    fail("D_INT_OFLOW", e.loc, "constant " + e.text + " results in integer overflow");
}

// D's usual arithmetic conversions have no integer promotions: char +
// char is char (DTrace computes in 64 bits and narrows to the result type).
TypeRef Sema::promote(const TypeRef &t) const {
    auto s = stripTypedefs(t);
    if (s && s->kind == TypeKind::Enum) return types_->intType();
    return t;
}

TypeRef Sema::arithmeticResult(const TypeRef &a0, const TypeRef &b0) const {
    TypeRef a = promote(a0), b = promote(b0);
    auto sa = stripTypedefs(a), sb = stripTypedefs(b);
    if (sameType(a, b)) return a;
    if (sa->size != sb->size) return sa->size > sb->size ? a : b;
    // Same size: unsigned wins.
    if (!sa->isSigned) return a;
    if (!sb->isSigned) return b;
    return a;
}

NodePtr Sema::convert(NodePtr n, TypeRef to) {
    if (!to || !n->type) return n;
    // A pointer converted to another pointer type still points to alloca'd
    // memory if it did.
    if (isPointer(n->type) && isPointer(to) && stripTypedefs(n->type)->isDPtr)
        to = types_->withDPtr(to);
    if (typeName(n->type) == typeName(to)) {
        n->type = to;
        return n;
    }
    auto st = stripTypedefs(to);
    bool scalarTarget = st && (st->kind == TypeKind::Integer || st->kind == TypeKind::Enum ||
                               st->kind == TypeKind::Pointer);
    if (n->isConstant() && scalarTarget) {
        n->value = normalize(n->value, to);
        n->type = to;
        return n;
    }
    if (sameType(n->type, to) || (isPointer(n->type) && isPointer(to))) {
        // Same representation; keep the node, retype it.
        if (n->kind != NodeKind::Var && n->kind != NodeKind::ArrayElem &&
            n->kind != NodeKind::Member && n->kind != NodeKind::Deref) {
            n->type = to;
            return n;
        }
    }
    SourceLoc loc = n->loc;
    auto c = mk(NodeKind::Cast, loc, to);
    c->kids.push_back(std::move(n));
    return c;
}

// Folds constant operands of unary, binary and conditional nodes.
NodePtr Sema::fold(NodePtr n) {
    auto allConst = [&] {
        for (auto &k : n->kids)
            if (!k->isConstant()) return false;
        return !n->kids.empty();
    };
    if (!allConst() || !isScalar(n->type)) return n;
    if (n->kind == NodeKind::Unary) {
        int64_t a = n->kids[0]->value;
        int64_t r = 0;
        switch (n->op) {
        case ir::Op::Neg: r = static_cast<int64_t>(0ull - static_cast<uint64_t>(a)); break;
        case ir::Op::BitNot: r = ~a; break;
        case ir::Op::LogNot: r = !a; break;
        default: return n;
        }
        return foldedConstant(r, n->type, n->loc);
    }
    if (n->kind == NodeKind::Binary) {
        const TypeRef &ot = n->kids[0]->type;
        bool uns = isUnsignedType(ot) || isUnsignedType(n->kids[1]->type);
        uint64_t ua = static_cast<uint64_t>(n->kids[0]->value),
                 ub = static_cast<uint64_t>(n->kids[1]->value);
        int64_t a = n->kids[0]->value, b = n->kids[1]->value;
        int64_t r = 0;
        switch (n->op) {
        case ir::Op::Add: r = static_cast<int64_t>(ua + ub); break;
        case ir::Op::Sub: r = static_cast<int64_t>(ua - ub); break;
        case ir::Op::Mul: r = static_cast<int64_t>(ua * ub); break;
        case ir::Op::Div:
        case ir::Op::Mod:
            if (b == 0) fail("D_DIV_ZERO", n->loc, "expression contains division by zero");
            if (uns)
                r = static_cast<int64_t>(n->op == ir::Op::Div ? ua / ub : ua % ub);
            else if (a == INT64_MIN && b == -1)
                r = n->op == ir::Op::Div ? a : 0;
            else
                r = n->op == ir::Op::Div ? a / b : a % b;
            break;
        case ir::Op::And: r = a & b; break;
        case ir::Op::Or: r = a | b; break;
        case ir::Op::Xor: r = a ^ b; break;
        case ir::Op::Shl: r = static_cast<int64_t>(ua << (ub & 63)); break;
        case ir::Op::Shr: r = uns ? static_cast<int64_t>(ua >> (ub & 63)) : a >> (ub & 63); break;
        case ir::Op::Eq: r = a == b; break;
        case ir::Op::Ne: r = a != b; break;
        case ir::Op::Lt: r = uns ? ua < ub : a < b; break;
        case ir::Op::Le: r = uns ? ua <= ub : a <= b; break;
        case ir::Op::Gt: r = uns ? ua > ub : a > b; break;
        case ir::Op::Ge: r = uns ? ua >= ub : a >= b; break;
        case ir::Op::LogAnd: r = a && b; break;
        case ir::Op::LogOr: r = a || b; break;
        case ir::Op::LogXor: r = !a != !b; break;
        default: return n;
        }
        return foldedConstant(r, n->type, n->loc);
    }
    if (n->kind == NodeKind::Conditional) {
        NodePtr pick = std::move(n->kids[n->kids[0]->value ? 1 : 2]);
        pick->type = n->type;
        pick->value = normalize(pick->value, n->type);
        return pick;
    }
    if (n->kind == NodeKind::Cast) {
        n->kids[0]->value = normalize(n->kids[0]->value, n->type);
        n->kids[0]->type = n->type;
        return std::move(n->kids[0]);
    }
    return n;
}

bool Sema::assignable(const TypeRef &to, const ir::Node &from) const {
    const TypeRef &ft = from.type;
    if (!to || !ft) return false;
    if (isVoid(ft)) return false;
    if (isInteger(to) && isInteger(ft)) return true;
    if (isString(to) && (isPointer(ft) || isInteger(ft)) && from.isConstant() && from.value == 0)
        return true; // NULL
    if (isString(to))
        return isString(ft) ||
               (isPointer(ft) && stripTypedefs(stripTypedefs(ft)->target) &&
                stripTypedefs(stripTypedefs(ft)->target)->isChar()) ||
               (isArray(ft) && stripTypedefs(stripTypedefs(ft)->target)->isChar());
    if (isPointer(to)) {
        if (isPointer(ft)) return true;
        // A string's characters may be reached through a char pointer.
        if (isString(ft))
            return stripTypedefs(stripTypedefs(to)->target) &&
                   stripTypedefs(stripTypedefs(to)->target)->isChar();
        if (isArray(ft)) return true;
        return isInteger(ft) && from.isConstant() && from.value == 0;
    }
    if (isInteger(to) && isPointer(ft)) return false;
    if (isStructOrUnion(to) || isArray(to)) return sameType(to, ft);
    if (isArithmetic(to) && isArithmetic(ft)) return true;
    return false;
}

void Sema::checkAssignable(const TypeRef &to, const ir::Node &from, const std::string &op,
                           SourceLoc loc) {
    if (!assignable(to, from))
        fail("D_OP_INCOMPAT", loc,
             "operands have incompatible types: \"" + describe(to) + "\" " + op + " \"" +
                 describe(from.type) + "\"");
}

// ---------------------------------------------------------------- dispatch

NodePtr Sema::expr(const frontend::Expr &e) {
    NestingGuard guard(depth_, e.loc); // inlines expand into deeper trees than parsed
    switch (e.kind) {
    case ExprKind::Integer: return integerConstant(e);
    case ExprKind::String: {
        auto n = mk(NodeKind::String, e.loc, types_->stringType());
        n->str = e.text.substr(0, options_.strsize); // a D string holds at most strsize bytes
        return n;
    }
    case ExprKind::Identifier: return identifier(e, false);
    case ExprKind::Macro: return macro(e);
    case ExprKind::Aggregation: {
        auto n = mk(NodeKind::AggregationRef, e.loc, aggregationType());
        n->str = e.name;
        return n;
    }
    case ExprKind::SelfVar:
    case ExprKind::ThisVar: return dynamicVar(e, false);
    case ExprKind::Unary: return unary(e);
    case ExprKind::PreIncrement:
    case ExprKind::PreDecrement:
    case ExprKind::PostIncrement:
    case ExprKind::PostDecrement: return incdec(e);
    case ExprKind::Binary: return binary(e);
    case ExprKind::Assign: return assign(e);
    case ExprKind::Conditional: return conditional(e);
    case ExprKind::Comma: {
        NodePtr a = expr(*e.args[0]);
        NodePtr b = expr(*e.args[1]);
        auto n = mk(NodeKind::Comma, e.loc, b->type);
        n->kids.push_back(std::move(a));
        n->kids.push_back(std::move(b));
        return n;
    }
    case ExprKind::Cast: return cast(e);
    case ExprKind::SizeofType: {
        TypeRef t = resolveTypeName(*e.typeName);
        auto s = stripTypedefs(t);
        if (isVoid(t) || isFunction(t) || (s && !s->complete && !s->btfId))
            fail("D_SIZEOF_TYPE", e.loc, "cannot apply sizeof to an operand of unknown size");
        if (s && !s->complete) t = types_->complete(t);
        return constant(static_cast<int64_t>(typeSize(t)), types_->ulongType(), e.loc);
    }
    case ExprKind::SizeofExpr: {
        NodePtr n = expr(*e.args[0]);
        if (n->kind == NodeKind::Member && n->bitSize)
            fail("D_SIZEOF_BITFIELD", e.loc, "cannot apply sizeof to a bit-field");
        if (isVoid(n->type) || isFunction(n->type))
            fail("D_SIZEOF_TYPE", e.loc, "cannot apply sizeof to an operand of unknown size");
        // A string literal is a char array of its own length, as in C.
        if (n->kind == NodeKind::String)
            return constant(static_cast<int64_t>(n->str.size() + 1), types_->ulongType(), e.loc);
        return constant(static_cast<int64_t>(typeSize(n->type)), types_->ulongType(), e.loc);
    }
    case ExprKind::Stringof: {
        NodePtr n = expr(*e.args[0]);
        if (isString(n->type)) return n;
        if (!isScalar(n->type))
            fail("D_STRINGOF_TYPE", e.loc, "stringof( ) operand must be a scalar or string");
        auto c = mk(NodeKind::Cast, e.loc, types_->stringType());
        c->kids.push_back(std::move(n));
        return c;
    }
    case ExprKind::Offsetof: {
        TypeRef t = types_->complete(resolveTypeName(*e.typeName));
        auto st = stripTypedefs(t);
        if (!isStructOrUnion(t) || (st && !st->complete && !st->btfId))
            fail("D_OFFSETOF_TYPE", e.loc, "offsetof operand must be a struct or union type");
        auto m = findMember(t, e.name);
        if (!m) fail("D_UNKNOWN", e.loc, e.name + " is not a member of " + typeName(t));
        if (m->bitSize)
            fail("D_OFFSETOF_BITFIELD", e.loc, "cannot take offset of a bit-field: " + e.name);
        return constant(static_cast<int64_t>(m->offsetBits / 8), types_->ulongType(), e.loc);
    }
    case ExprKind::Xlate: return translatedValue(e);
    case ExprKind::Call: return call(e);
    case ExprKind::Index: return index(e, false);
    case ExprKind::Member:
    case ExprKind::Arrow: return member(e);
    }
    fail("D_UNKNOWN", e.loc, "unsupported expression");
}

// ---------------------------------------------------------------- names

TypeRef Sema::parseTypeString(std::string_view text) {
    std::string s(text);
    int pointers = 0;
    while (!s.empty() && (s.back() == '*' || s.back() == ' ')) {
        if (s.back() == '*') ++pointers;
        s.pop_back();
    }
    bool isConst = false;
    if (s.rfind("const ", 0) == 0) {
        isConst = true;
        s = s.substr(6);
    }
    TypeRef t;
    if (s.rfind("struct ", 0) == 0) {
        t = types_->tagged(TypeKind::Struct, s.substr(7));
        if (!t) t = types_->declareTag(TypeKind::Struct, s.substr(7));
    } else if (s.rfind("union ", 0) == 0) {
        t = types_->tagged(TypeKind::Union, s.substr(6));
        if (!t) t = types_->declareTag(TypeKind::Union, s.substr(6));
    } else if (s.rfind("enum ", 0) == 0) {
        t = types_->tagged(TypeKind::Enum, s.substr(5));
        if (!t) t = types_->intType();
    } else if (s == "string") {
        t = types_->stringType();
    } else if (s == "void") {
        t = types_->voidType();
    } else {
        // C integer spellings.
        bool isUnsigned = false, isChar = false, isShort = false, explicitSigned = false;
        int longs = 0;
        bool allWords = true;
        size_t i = 0;
        while (i < s.size()) {
            size_t j = s.find(' ', i);
            if (j == std::string::npos) j = s.size();
            std::string w = s.substr(i, j - i);
            if (w == "unsigned")
                isUnsigned = true;
            else if (w == "signed")
                explicitSigned = true;
            else if (w == "char")
                isChar = true;
            else if (w == "short")
                isShort = true;
            else if (w == "long")
                ++longs;
            else if (w == "int") {
            } else
                allWords = false;
            i = j + 1;
        }
        if (allWords)
            t = types_->integer(isChar, isShort, longs, isUnsigned, explicitSigned);
        else
            t = types_->named(s);
        if (!t) t = types_->longType();
    }
    if (isConst) t = types_->withConst(t);
    for (int i = 0; i < pointers; ++i) t = types_->pointerTo(t);
    return t;
}

NodePtr Sema::identifier(const frontend::Expr &e, bool forAssignment) {
    const std::string &name = e.name;
    if (name.find('`') != std::string::npos) return kernelSymbol(e);
    if (!bindings_.empty()) {
        bool bound = false;
        NodePtr b = boundIdentifier(name, e.loc, bound);
        if (bound) return b;
    }
    if (isLibraryIdentifier(name) && !inlines_.count(name) && !globals_.count(name))
        loadTranslatorLibrary();
    if (const BuiltinVarInfo *b = findBuiltinVar(name)) {
        auto n = mk(NodeKind::BuiltinVar, e.loc, parseTypeString(b->typeName));
        n->builtin = b->builtin;
        n->value = b->argIndex;
        return n;
    }
    if (name == "args") fail("D_IDENT_BADREF", e.loc, "args[ ] may not be referenced as scalar");
    if (auto it = inlines_.find(name); it != inlines_.end()) {
        NodePtr v = expr(*it->second.value);
        return convert(std::move(v), it->second.type);
    }
    if (auto it = enumerators_.find(name); it != enumerators_.end())
        return constant(it->second.second, it->second.first, e.loc);
    if (ir::Variable *v = findVariable(ir::Scope::Global, name)) {
        if (v->isAssoc())
            fail("D_IDENT_BADREF", e.loc,
                 "associative array '" + name + "' may not be referenced as scalar");
        auto n = mk(NodeKind::Var, e.loc, variableType(*v));
        n->var = v;
        return n;
    }
    if (forAssignment) return nullptr;
    fail("D_IDENT_UNDEF", e.loc, "failed to resolve " + name + ": Unknown variable name");
}

NodePtr Sema::macro(const frontend::Expr &e) {
    const std::string &m = e.name; // "$1", "$$1", "$pid"
    bool asString = m.size() > 1 && m[1] == '$';
    std::string body = m.substr(asString ? 2 : 1);
    if (!body.empty() && std::isdigit(static_cast<unsigned char>(body[0]))) {
        size_t idx = macroArgumentIndex(body);
        std::optional<std::string> value;
        if (idx < ctx_.macroArgs.size()) value = ctx_.macroArgs[idx];
        if (!value) {
            if (!options_.defaultargs)
                fail("D_MACRO_UNDEF", e.loc, "macro argument " + m + " is not defined");
            value = asString ? "" : "0";
        }
        if (asString) {
            auto n = mk(NodeKind::String, e.loc, types_->stringType());
            n->str = *value;
            return n;
        }
        // $N is an integer when it looks like one, else it is D source:
        // an identifier (or a string if quoted).
        const std::string &v = *value;
        char *end = nullptr;
        errno = 0;
        unsigned long long num = std::strtoull(v.c_str(), &end, 0);
        if (!v.empty() && end && *end == '\0' && errno == 0 &&
            (std::isdigit(static_cast<unsigned char>(v[0])))) {
            frontend::Expr ie(ExprKind::Integer, e.loc);
            ie.intValue = num;
            ie.isDecimal = v.size() < 2 || v[0] != '0';
            ie.text = v;
            return integerConstant(ie);
        }
        if (!v.empty() && v[0] == '-' && v.size() > 1 &&
            std::isdigit(static_cast<unsigned char>(v[1]))) {
            long long sn = std::strtoll(v.c_str(), &end, 0);
            if (end && *end == '\0') return constant(sn, types_->intType(), e.loc);
        }
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
            auto n = mk(NodeKind::String, e.loc, types_->stringType());
            n->str = v.substr(1, v.size() - 2);
            return n;
        }
        frontend::Expr id(ExprKind::Identifier, e.loc);
        id.name = v;
        return identifier(id, false);
    }
    auto intConst = [&](int64_t v) { return constant(v, types_->intType(), e.loc); };
    if (body == "pid") return intConst(getpid());
    if (body == "ppid") return intConst(getppid());
    if (body == "uid") return intConst(getuid());
    if (body == "gid") return intConst(getgid());
    if (body == "euid") return intConst(geteuid());
    if (body == "egid") return intConst(getegid());
    if (body == "pgid") return intConst(getpgid(0));
    if (body == "sid") return intConst(getsid(0));
    if (body == "projid" || body == "taskid") return intConst(0);
    // $target is 0 when no process was grabbed or started, as in DTrace.
    if (body == "target") return intConst(ctx_.targetPid ? *ctx_.targetPid : 0);
    fail("D_MACRO_UNDEF", e.loc, "macro " + m + " is not defined");
}

NodePtr Sema::dynamicVar(const frontend::Expr &e, bool forAssignment) {
    ir::Scope scope = e.kind == ExprKind::SelfVar ? ir::Scope::ThreadLocal : ir::Scope::ClauseLocal;
    ir::Variable *v = findVariable(scope, e.name);
    if (!v) {
        if (forAssignment) return nullptr;
        std::string spelled = (scope == ir::Scope::ThreadLocal ? "self->" : "this->") + e.name;
        fail("D_VAR_UNDEF", e.loc, spelled + " has not yet been declared or assigned");
    }
    if (v->isAssoc())
        fail("D_IDENT_BADREF", e.loc,
             "associative array '" + e.name + "' may not be referenced as scalar");
    auto n = mk(NodeKind::Var, e.loc, variableType(*v));
    n->var = v;
    return n;
}

// A variable's type as read: pointers it holds are alloca'd if it was
// assigned alloca'd memory.
TypeRef Sema::variableType(const ir::Variable &v) const {
    if (v.alloca == ir::Variable::Alloca::Yes) return types_->withDPtr(v.type);
    return v.type;
}

// D keeps alloca'd and other pointers apart: a variable holds one kind.
void Sema::trackAlloca(ir::Variable &v, const ir::Node &value, SourceLoc loc) {
    if (!isPointer(value.type)) return;
    if (value.kind == NodeKind::Conditional) {
        bool a = isPointer(value.kids[1]->type) && stripTypedefs(value.kids[1]->type)->isDPtr;
        bool b = isPointer(value.kids[2]->type) && stripTypedefs(value.kids[2]->type)->isDPtr;
        bool nullA = value.kids[1]->isConstant() && value.kids[1]->value == 0;
        bool nullB = value.kids[2]->isConstant() && value.kids[2]->value == 0;
        if (a != b && !nullA && !nullB)
            fail("D_ALLOCA_INCOMPAT", loc,
                 "ternary conditional with alloca and non-alloca branches cannot be assigned to a "
                 "variable");
    }
    if (value.isConstant() && value.value == 0) return; // NULL goes anywhere
    bool dptr = stripTypedefs(value.type)->isDPtr;
    auto want = dptr ? ir::Variable::Alloca::Yes : ir::Variable::Alloca::No;
    if (v.alloca != ir::Variable::Alloca::Unknown && v.alloca != want)
        fail("D_ALLOCA_INCOMPAT", loc,
             v.name +
                 ": cannot reuse the same identifier for both alloca and non-alloca allocations");
    v.alloca = want;
}

// ---------------------------------------------------------------- operators

NodePtr Sema::unary(const frontend::Expr &e) {
    const std::string &op = e.op;
    if (op == "&") {
        NodePtr x = expr(*e.args[0]);
        if (x->kind == NodeKind::AggregationRef)
            fail("D_ADDROF_VAR", e.loc, "cannot take address of dynamic variable");
        if (x->kind == NodeKind::Var && x->var->scope != ir::Scope::Global)
            fail("D_ADDROF_VAR", e.loc, "cannot take address of dynamic variable");
        if (x->kind == NodeKind::ArrayElem)
            fail("D_ADDROF_VAR", e.loc, "cannot take address of dynamic variable");
        if (x->kind == NodeKind::Member && x->bitSize)
            fail("D_ADDROF_BITFIELD", e.loc, "cannot take address of bit-field");
        if (x->kind != NodeKind::Deref && x->kind != NodeKind::Member && x->kind != NodeKind::Var &&
            x->kind != NodeKind::Element)
            fail("D_ADDROF_LVAL", e.loc, "unacceptable operand for unary & operator");
        if (x->kind == NodeKind::Var)
            fail("D_ADDROF_VAR", e.loc, "cannot take address of dynamic variable");
        if (x->kind == NodeKind::Deref) {
            NodePtr p = std::move(x->kids[0]);
            return p;
        }
        auto n = mk(NodeKind::AddrOf, e.loc, types_->pointerTo(x->type));
        n->kids.push_back(std::move(x));
        return n;
    }
    NodePtr x = expr(*e.args[0]);
    if (op == "*") {
        if (!isPointer(x->type) && !isArray(x->type))
            fail("D_DEREF_NONPTR", e.loc, "cannot dereference non-pointer type");
        TypeRef target = stripTypedefs(x->type)->target;
        if (isVoid(target)) fail("D_DEREF_VOID", e.loc, "cannot dereference pointer to void");
        if (isFunction(target))
            fail("D_DEREF_FUNC", e.loc, "cannot dereference pointer to function");
        auto st = stripTypedefs(target);
        if (st && !st->complete && st->btfId) target = types_->complete(target);
        auto n = mk(NodeKind::Deref, e.loc, target);
        n->userAddress = stripTypedefs(x->type)->isUserland;
        n->scratch = stripTypedefs(x->type)->isDPtr;
        n->kids.push_back(std::move(x));
        return n;
    }
    requireValue(*x, op);
    if (op == "!") {
        if (!isScalar(x->type))
            fail("D_OP_SCALAR", e.loc, "operator ! requires an operand of scalar type");
        auto n = mk(NodeKind::Unary, e.loc, types_->intType());
        n->op = ir::Op::LogNot;
        n->kids.push_back(std::move(x));
        return fold(std::move(n));
    }
    if (op == "~") {
        if (!isInteger(x->type))
            fail("D_OP_INT", e.loc, "operator ~ requires an operand of integral type");
        TypeRef t = promote(x->type);
        auto n = mk(NodeKind::Unary, e.loc, t);
        n->op = ir::Op::BitNot;
        n->kids.push_back(convert(std::move(x), t));
        return fold(std::move(n));
    }
    // unary + and -
    if (!isArithmetic(x->type))
        fail("D_OP_ARITH", e.loc, "operator " + op + " requires an operand of arithmetic type");
    TypeRef t = promote(x->type);
    if (op == "+") return convert(std::move(x), t);
    auto n = mk(NodeKind::Unary, e.loc, t);
    n->op = ir::Op::Neg;
    n->kids.push_back(convert(std::move(x), t));
    return fold(std::move(n));
}

void Sema::requireValue(const ir::Node &n, const std::string &op) {
    if (isVoid(n.type) || n.kind == NodeKind::AggregationRef)
        fail("D_OP_VOID", n.loc, "operator " + op + " requires an operand that is not void");
}

NodePtr Sema::binaryNode(ir::Op op, NodePtr a, NodePtr b, SourceLoc loc,
                         const std::string &spelling) {
    // An aggregation has no value in an expression.
    if (a->kind == NodeKind::AggregationRef || b->kind == NodeKind::AggregationRef)
        fail("D_OP_INCOMPAT", loc,
             "operands have incompatible types: \"" +
                 (a->kind == NodeKind::AggregationRef ? std::string("aggregation")
                                                      : describe(a->type)) +
                 "\" " + spelling + " \"" +
                 (b->kind == NodeKind::AggregationRef ? std::string("aggregation")
                                                      : describe(b->type)) +
                 "\"");
    requireValue(*a, spelling);
    requireValue(*b, spelling);
    if (isLogical(op)) {
        if (!isScalar(a->type) || !isScalar(b->type))
            fail("D_OP_SCALAR", loc, "operator " + spelling + " requires operands of scalar type");
        auto n = mk(NodeKind::Binary, loc, types_->intType());
        n->op = op;
        n->kids.push_back(std::move(a));
        n->kids.push_back(std::move(b));
        return fold(std::move(n));
    }
    if (isComparison(op)) {
        auto n = mk(NodeKind::Binary, loc, types_->intType());
        n->op = op;
        if (isString(a->type) || isString(b->type)) {
            auto strLike = [](const TypeRef &t) {
                if (isString(t)) return true;
                auto s = stripTypedefs(t);
                return s && (s->kind == TypeKind::Pointer || s->kind == TypeKind::Array) &&
                       stripTypedefs(s->target) && stripTypedefs(s->target)->isChar();
            };
            // Comparing a string with NULL tests for NULL or "" (a string
            // set to NULL holds "").
            if (isString(b->type) && a->isConstant() && a->value == 0) std::swap(a, b);
            if (isString(a->type) && b->isConstant() && b->value == 0 &&
                (op == ir::Op::Eq || op == ir::Op::Ne)) {
                n->kids.push_back(std::move(a));
                n->kids.push_back(std::move(b));
                return n;
            }
            if (!strLike(a->type) || !strLike(b->type))
                fail("D_OP_INCOMPAT", loc,
                     "operands have incompatible types: \"" + describe(a->type) + "\" " + spelling +
                         " \"" + describe(b->type) + "\"");
            if (!isString(a->type)) a = convert(std::move(a), types_->stringType());
            if (!isString(b->type)) b = convert(std::move(b), types_->stringType());
            n->kids.push_back(std::move(a));
            n->kids.push_back(std::move(b));
            return n;
        }
        if (isArithmetic(a->type) && isArithmetic(b->type)) {
            TypeRef t = arithmeticResult(a->type, b->type);
            a = convert(std::move(a), t);
            b = convert(std::move(b), t);
        } else if (!(isScalar(a->type) && isScalar(b->type))) {
            fail("D_OP_INCOMPAT", loc,
                 "operands have incompatible types: \"" + describe(a->type) + "\" " + spelling +
                     " \"" + describe(b->type) + "\"");
        }
        n->kids.push_back(std::move(a));
        n->kids.push_back(std::move(b));
        return fold(std::move(n));
    }
    bool integral = op == ir::Op::And || op == ir::Op::Or || op == ir::Op::Xor ||
                    op == ir::Op::Shl || op == ir::Op::Shr || op == ir::Op::Mod;
    if (integral && (!isInteger(a->type) || !isInteger(b->type)))
        fail("D_OP_INT", loc, "operator " + spelling + " requires operands of integral type");
    // A string plus an integer: the string from that character on.
    if (op == ir::Op::Add &&
        ((isString(a->type) && isInteger(b->type)) || (isInteger(a->type) && isString(b->type)))) {
        if (isString(b->type)) std::swap(a, b);
        auto n = mk(NodeKind::Binary, loc, types_->stringType());
        n->op = ir::Op::Add;
        n->kids.push_back(std::move(a));
        n->kids.push_back(convert(std::move(b), types_->longType()));
        return n;
    }
    // Pointer arithmetic.
    if ((op == ir::Op::Add || op == ir::Op::Sub) && (isPointer(a->type) || isPointer(b->type))) {
        if (isPointer(a->type) && isPointer(b->type) && op == ir::Op::Sub) {
            auto sz = typeSize(stripTypedefs(a->type)->target);
            auto diff = mk(NodeKind::Binary, loc, types_->longType());
            diff->op = ir::Op::Sub;
            diff->kids.push_back(std::move(a));
            diff->kids.push_back(std::move(b));
            if (sz <= 1) return diff;
            auto div = mk(NodeKind::Binary, loc, types_->longType());
            div->op = ir::Op::Div;
            div->kids.push_back(std::move(diff));
            div->kids.push_back(constant(static_cast<int64_t>(sz), types_->longType(), loc));
            return div;
        }
        if (isPointer(b->type)) {
            if (op == ir::Op::Sub)
                fail("D_OP_INCOMPAT", loc,
                     "operands have incompatible types: \"" + describe(a->type) + "\" - \"" +
                         describe(b->type) + "\"");
            std::swap(a, b);
        }
        if (!isInteger(b->type) || isVoid(stripTypedefs(a->type)->target))
            fail("D_OP_INCOMPAT", loc,
                 "operands have incompatible types: \"" + describe(a->type) + "\" " + spelling +
                     " \"" + describe(b->type) + "\"");
        uint64_t sz = typeSize(stripTypedefs(a->type)->target);
        b = convert(std::move(b), types_->longType());
        if (sz != 1) {
            auto mul = mk(NodeKind::Binary, loc, types_->longType());
            mul->op = ir::Op::Mul;
            mul->kids.push_back(std::move(b));
            mul->kids.push_back(constant(static_cast<int64_t>(sz), types_->longType(), loc));
            b = fold(std::move(mul));
        }
        TypeRef pt = a->type;
        auto n = mk(NodeKind::Binary, loc, pt);
        n->op = op;
        n->kids.push_back(std::move(a));
        n->kids.push_back(std::move(b));
        return fold(std::move(n));
    }
    if (!isArithmetic(a->type) || !isArithmetic(b->type))
        fail("D_OP_INCOMPAT", loc,
             "operands have incompatible types: \"" + describe(a->type) + "\" " + spelling + " \"" +
                 describe(b->type) + "\"");
    TypeRef t;
    if (op == ir::Op::Shl || op == ir::Op::Shr) {
        t = promote(a->type);
        b = convert(std::move(b), promote(b->type));
    } else {
        t = arithmeticResult(a->type, b->type);
        b = convert(std::move(b), t);
    }
    a = convert(std::move(a), t);
    if ((op == ir::Op::Div || op == ir::Op::Mod) && b->isConstant() && b->value == 0)
        fail("D_DIV_ZERO", loc, "expression contains division by zero");
    auto n = mk(NodeKind::Binary, loc, t);
    n->op = op;
    n->kids.push_back(std::move(a));
    n->kids.push_back(std::move(b));
    return fold(std::move(n));
}

NodePtr Sema::binary(const frontend::Expr &e) {
    NodePtr a = expr(*e.args[0]);
    NodePtr b = expr(*e.args[1]);
    return binaryNode(binaryOperator(e.op), std::move(a), std::move(b), e.loc, e.op);
}

NodePtr Sema::conditional(const frontend::Expr &e) {
    NodePtr c = expr(*e.args[0]);
    if (!isScalar(c->type))
        fail("D_OP_SCALAR", e.loc, "operator ?: expression must be of scalar type");
    NodePtr a = expr(*e.args[1]);
    NodePtr b = expr(*e.args[2]);
    TypeRef t;
    if (isArithmetic(a->type) && isArithmetic(b->type)) {
        t = arithmeticResult(a->type, b->type);
        a = convert(std::move(a), t);
        b = convert(std::move(b), t);
    } else if (isString(a->type) && isString(b->type)) {
        t = a->type;
    } else if (isPointer(a->type) && (isPointer(b->type) || (b->isConstant() && b->value == 0))) {
        t = a->type;
        b = convert(std::move(b), t);
    } else if (isPointer(b->type) && a->isConstant() && a->value == 0) {
        t = b->type;
        a = convert(std::move(a), t);
    } else if (sameType(a->type, b->type) && !isVoid(a->type)) {
        t = a->type;
    } else {
        fail("D_OP_INCOMPAT", e.loc, "operator ?: operands must have compatible types");
    }
    auto n = mk(NodeKind::Conditional, e.loc, t);
    n->kids.push_back(std::move(c));
    n->kids.push_back(std::move(a));
    n->kids.push_back(std::move(b));
    return fold(std::move(n));
}

NodePtr Sema::cast(const frontend::Expr &e) {
    TypeRef t = resolveTypeName(*e.typeName);
    NodePtr x = expr(*e.args[0]);
    if (isVoid(t)) {
        auto n = mk(NodeKind::Cast, e.loc, t);
        n->kids.push_back(std::move(x));
        return n;
    }
    requireValue(*x, "cast");
    if (x->translated)
        fail("D_CAST_INVAL", e.loc,
             "invalid cast expression: \"pointer to translated data\" to \"" + describe(t) + "\"");
    if (isScalar(t) && (isScalar(x->type) || isArray(x->type) || isString(x->type))) {
        if (isInteger(t) && isString(x->type))
            fail("D_CAST_INVAL", e.loc,
                 "invalid cast expression: \"string\" to \"" + describe(t) + "\"");
        if (isPointer(t) && isPointer(x->type) && stripTypedefs(x->type)->isDPtr)
            t = types_->withDPtr(t);
        auto n = mk(NodeKind::Cast, e.loc, t);
        n->kids.push_back(std::move(x));
        return fold(std::move(n));
    }
    if (isString(t) && (isString(x->type) || isScalar(x->type))) {
        auto n = mk(NodeKind::Cast, e.loc, t);
        n->kids.push_back(std::move(x));
        return n;
    }
    if (sameType(t, x->type)) return x;
    fail("D_CAST_INVAL", e.loc,
         "invalid cast expression: \"" + describe(x->type) + "\" to \"" + describe(t) + "\"");
}

NodePtr Sema::member(const frontend::Expr &e) {
    bool arrow = e.kind == ExprKind::Arrow;
    if (const frontend::Expr *x = findXlate(*e.args[0]))
        return translatedMember(*x, e.name, arrow, e.loc);
    NodePtr base = expr(*e.args[0]);
    if (arrow) {
        if (!isPointer(base->type))
            fail("D_OP_PTR", e.loc, "operator -> must be applied to a pointer");
        TypeRef target = stripTypedefs(base->type)->target;
        if (!isStructOrUnion(target))
            fail("D_OP_SOU", e.loc,
                 "operator -> cannot be applied to pointer to type \"" + describe(target) +
                     "\"; must be applied to a struct or union pointer");
        auto st = stripTypedefs(target);
        if (!st->complete) {
            if (!st->btfId)
                fail("D_OP_INCOMPLETE", e.loc,
                     "operator -> cannot be applied to a forward declaration: no " +
                         typeName(target) + " definition is available");
            target = types_->complete(target);
        }
        auto d = mk(NodeKind::Deref, e.loc, target);
        d->userAddress = stripTypedefs(base->type)->isUserland;
        d->scratch = stripTypedefs(base->type)->isDPtr;
        d->kids.push_back(std::move(base));
        base = std::move(d);
    } else if (!isStructOrUnion(base->type)) {
        fail("D_OP_SOU", e.loc,
             "operator . cannot be applied to type \"" + describe(base->type) +
                 "\"; must be applied to a struct or union");
    }
    auto m = findMember(base->type, e.name);
    if (!m)
        fail("D_TYPE_MEMBER", e.loc,
             e.name + " is not a member of " + typeName(stripTypedefs(base->type)));
    TypeRef mt = m->type;
    auto ms = stripTypedefs(mt);
    if (ms && !ms->complete && ms->btfId &&
        (ms->kind == TypeKind::Struct || ms->kind == TypeKind::Union))
        mt = types_->complete(mt);
    auto n = mk(NodeKind::Member, e.loc, mt);
    n->offsetBits = m->offsetBits;
    n->bitSize = m->bitSize;
    n->kids.push_back(std::move(base));
    return n;
}

// a[i] for associative arrays, args[], arrays and pointers.
NodePtr Sema::index(const frontend::Expr &e, bool forAssignment) {
    const frontend::Expr &base = *e.args[0];
    size_t nkeys = e.args.size() - 1;
    if (base.kind == ExprKind::Identifier && base.name == "args") {
        if (nkeys != 1) fail("D_ARGS_IDX", e.loc, "args[ ] requires exactly one subscript");
        NodePtr i = expr(*e.args[1]);
        if (!isInteger(i->type)) {
            std::string proto = "int";
            protoArgError("args", 1, proto, i->type, e.loc);
        }
        if (i->isConstant()) {
            int64_t idx = i->value;
            const auto *probe = currentProbes_.empty() ? nullptr : currentProbes_.front();
            const std::vector<std::string> noArgs;
            const std::vector<std::string> &argTypes =
                probe ? catalog_.argumentTypes(*probe) : noArgs;
            size_t nargs = argTypes.size();
            if (idx < 0 || static_cast<size_t>(idx) >= nargs || idx > 9)
                fail("D_ARGS_IDX", e.loc,
                     "index " + std::to_string(idx) + " is out of range for " +
                         (probe ? probe->fullName() : std::string("probe")) + " args[ ]");
            TypeRef at = parseTypeString(argTypes[static_cast<size_t>(idx)]);
            // A mapped probe's argument is a D expression over its hook's.
            if (static_cast<size_t>(idx) < probe->argExprs.size() &&
                !probe->argExprs[static_cast<size_t>(idx)].empty()) {
                NodePtr v = probeExpression(probe->argExprs[static_cast<size_t>(idx)], e.loc);
                if (isString(at) || (isPointer(at) && isPointer(v->type))) return v;
                return convert(std::move(v), at);
            }
            auto n = mk(NodeKind::BuiltinVar, e.loc, types_->int64Type());
            n->builtin = ir::Builtin::Arg;
            n->value = idx;
            return convert(std::move(n), at);
        }
        fail("D_ARGS_IDX", e.loc, "args[ ] index must be a constant");
    }
    bool isAssocBase = base.kind == ExprKind::SelfVar || base.kind == ExprKind::ThisVar ||
                       base.kind == ExprKind::Identifier;
    if (isAssocBase && base.kind == ExprKind::Identifier) {
        // Not an associative array if it names something else.
        if (findBuiltinVar(base.name) || inlines_.count(base.name) || enumerators_.count(base.name))
            isAssocBase = false;
        else if (ir::Variable *v = findVariable(ir::Scope::Global, base.name); v && !v->isAssoc())
            isAssocBase = false;
    }
    if (isAssocBase && base.kind != ExprKind::Identifier) {
        ir::Scope sc =
            base.kind == ExprKind::SelfVar ? ir::Scope::ThreadLocal : ir::Scope::ClauseLocal;
        ir::Variable *v = findVariable(sc, base.name);
        if (sc == ir::Scope::ClauseLocal && (!v || v->isAssoc()))
            fail("D_ARR_LOCAL", e.loc,
                 "local variables may not be used as associative arrays: " + base.name);
        if (v && !v->isAssoc()) isAssocBase = false;
    }
    if (isAssocBase) {
        ir::Scope sc = base.kind == ExprKind::SelfVar ? ir::Scope::ThreadLocal : ir::Scope::Global;
        // DTrace passes a tuple in eight registers.
        constexpr size_t kMaxTupleKeys = 8;
        if (nkeys > kMaxTupleKeys)
            fail("D_TUPLE_OVERFLOW", SourceLoc{}, "Insufficient tuple registers to generate code");
        std::vector<NodePtr> keys;
        for (size_t i = 1; i < e.args.size(); ++i) {
            NodePtr k = expr(*e.args[i]);
            if (isVoid(k->type) || k->kind == NodeKind::AggregationRef)
                fail("D_PROTO_ARG", k->loc,
                     base.name + "[ ] key #" + std::to_string(i) + " is incompatible");
            keys.push_back(std::move(k));
        }
        ir::Variable *v = findVariable(sc, base.name);
        if (!v) {
            if (!forAssignment)
                fail("D_IDENT_UNDEF", base.loc,
                     "failed to resolve " + base.name + ": Unknown variable name");
            return nullptr; // the caller creates it once the value type is known
        }
        if (v->keys.size() != keys.size())
            fail("D_PROTO_LEN", e.loc,
                 base.name + "[ ] prototype mismatch: " + std::to_string(keys.size()) + " key" +
                     (keys.size() == 1 ? "" : "s") + " passed, " + std::to_string(v->keys.size()) +
                     " expected");
        for (size_t i = 0; i < keys.size(); ++i) {
            const TypeRef &kt = v->keys[i];
            bool ok = (isInteger(kt) && isInteger(keys[i]->type)) ||
                      (isString(kt) && isString(keys[i]->type)) ||
                      (isPointer(kt) && isPointer(keys[i]->type)) || sameType(kt, keys[i]->type);
            if (!ok)
                fail("D_PROTO_ARG", keys[i]->loc,
                     base.name + "[ ] key #" + std::to_string(i + 1) +
                         " is incompatible with prototype:\n\tprototype: " + describe(kt) +
                         "\n\t      key: " + describe(keys[i]->type));
            if (isInteger(kt)) keys[i] = convert(std::move(keys[i]), kt);
        }
        auto n = mk(NodeKind::ArrayElem, e.loc, v->type);
        n->var = v;
        n->kids = std::move(keys);
        return n;
    }
    // Arrays and pointers.
    NodePtr b = expr(base);
    if (nkeys != 1 && b->kind == NodeKind::Var)
        fail("D_ARR_BADREF", e.loc,
             "cannot access scalar " + b->var->name + " as an associative array");
    if (nkeys != 1) fail("D_SYNTAX", e.loc, "array subscript requires exactly one index");
    NodePtr i = expr(*e.args[1]);
    if (b->kind == NodeKind::Var && !isArray(b->type) && !isPointer(b->type) && !isString(b->type))
        fail("D_ARR_BADREF", e.loc,
             "cannot access scalar " + b->var->name + " as an associative array");
    if (!isInteger(i->type)) fail("D_PROTO_ARG", e.loc, "array subscript must be an integer");
    if (isArray(b->type)) {
        auto at = stripTypedefs(b->type);
        // A zero-length array is C's flexible array member: unbounded.
        if (i->isConstant() && at->count != 0 &&
            (i->value < 0 || static_cast<uint64_t>(i->value) >= at->count))
            fail("D_ARR_BOUNDS", e.loc,
                 "index outside array bounds: " + std::to_string(i->value) + ", max is " +
                     std::to_string(at->count));
        auto n = mk(NodeKind::Element, e.loc, at->target);
        n->kids.push_back(std::move(b));
        n->kids.push_back(convert(std::move(i), types_->longType()));
        return n;
    }
    if (isPointer(b->type)) {
        NodePtr addr = binaryNode(ir::Op::Add, std::move(b), std::move(i), e.loc, "+");
        TypeRef target = stripTypedefs(addr->type)->target;
        auto d = mk(NodeKind::Deref, e.loc, types_->complete(target));
        d->userAddress = stripTypedefs(addr->type)->isUserland;
        d->scratch = stripTypedefs(addr->type)->isDPtr;
        d->kids.push_back(std::move(addr));
        return d;
    }
    if (isString(b->type)) {
        // D lets a string be indexed like a char array.
        auto n = mk(NodeKind::Element, e.loc, types_->charType());
        n->kids.push_back(std::move(b));
        n->kids.push_back(convert(std::move(i), types_->longType()));
        return n;
    }
    fail("D_OP_ARRPTR", e.loc, "operator [ ] may not be applied to an operand of this type");
}

// `sym or mod`sym: the kernel object at the symbol's address, typed from
// BTF where the kernel describes it.
ir::NodePtr Sema::kernelSymbol(const frontend::Expr &e) {
    std::string sym = e.name.substr(e.name.find('`') + 1);
    auto ks = kernel::KernelSymbols::instance().byName(sym);
    std::optional<TypeRef> t = types_->kernelVariable(sym);
    if (!ks) fail("D_IDENT_UNDEF", e.loc, "failed to resolve " + e.name + ": Unknown symbol name");
    TypeRef type;
    if (t)
        type = *t;
    else if (ks->type == 't' || ks->type == 'T')
        type = types_->function(types_->intType(), {}, true);
    else
        type = types_->intType();
    auto addr = mk(NodeKind::Const, e.loc, types_->pointerTo(type));
    addr->value = static_cast<int64_t>(ks->address);
    auto n = mk(NodeKind::Deref, e.loc, type);
    n->kids.push_back(std::move(addr));
    return n;
}

TypeRef Sema::aggregationType() {
    if (!aggregationType_) {
        auto t = std::make_shared<Type>();
        t->kind = TypeKind::Void;
        t->name = "aggregation";
        aggregationType_ = t;
    }
    return aggregationType_;
}

} // namespace dtrace::sema
