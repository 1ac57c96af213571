// Semantic analysis of D expressions: the dispatch on an expression's kind,
// and names (identifiers, macros, dynamic variables, kernel symbols).
#include "kernel/kernel_symbols.h"
#include "sema/builtins.h"
#include "sema/sema.h"
#include "sema/sema_internal.h"

#include <cctype>

namespace dtrace::sema {

using frontend::ExprKind;
using ir::NodeKind;
using ir::NodePtr;

NodePtr Sema::emptyString(SourceLoc loc) {
    auto n = mk(NodeKind::String, loc, types_->stringType());
    return n;
}

std::string Sema::describe(const TypeRef &t) const {
    if (!t) return "void";
    return typeName(t);
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
        if (isActionCall(*e.args[0]) || isActionCall(*e.args[1]))
            fail("D_OP_ACT", e.loc, "operator , operands cannot be actions");
        NodePtr a = expr(*e.args[0]);
        NodePtr b = expr(*e.args[1]);
        if (isDynamic(*a) || isDynamic(*b))
            fail("D_OP_DYN", e.loc, "operator , operands cannot be of dynamic type");
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
        // Scalars, pointers and what D takes for a string (char arrays).
        if (!isScalar(n->type) && !isCharArray(n->type))
            fail("D_STRINGOF_TYPE", e.loc,
                 "cannot apply stringof to a value of type " + describe(n->type));
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
    loadLibraryIdentifier(name);
    if (const BuiltinVarInfo *b = findBuiltinVar(name)) {
        auto n = mk(NodeKind::BuiltinVar, e.loc, parseTypeString(b->typeName));
        n->builtin = b->builtin;
        n->value = b->argIndex;
        return n;
    }
    if (name == "args" || name == "uregs")
        fail("D_IDENT_BADREF", e.loc, name + "[ ] may not be referenced as scalar");
    if (auto it = inlines_.find(name); it != inlines_.end()) {
        if (!it->second.params.empty())
            fail("D_IDENT_BADREF", e.loc, name + "[ ] may not be referenced as scalar");
        NodePtr v = convert(expr(*it->second.value), it->second.type);
        v->loc = e.loc; // errors about the value name where it is used
        return v;
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
    // Solaris's built-in variables that Linux has nothing for.
    if (name == "zonename")
        fail("D_IDENT_UNDEF", e.loc,
             "failed to resolve zonename: zonename is not available on Linux: it has no Solaris "
             "zones");
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
        // A number too large for 64 bits (its sign aside).
        if (errno == ERANGE && end && *end == '\0') {
            size_t digits = v.find_first_not_of("+-");
            fail("D_MACRO_OFLOW", e.loc,
                 "macro argument " + m + " constant " +
                     v.substr(digits == std::string::npos ? 0 : digits) +
                     " results in integer overflow");
        }
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

// `sym or mod`sym: the kernel object at the symbol's address, typed from
// BTF where the kernel describes it.
ir::NodePtr Sema::kernelSymbol(const frontend::Expr &e) {
    if (size_t user = e.name.find("``"); user != std::string::npos) {
        std::string module = e.name.substr(0, user), sym = e.name.substr(user + 2);
        if (module == "vmlinux" || kernelModuleLoaded(module))
            fail("D_SYM_BADREF", e.loc,
                 "kernel module '" + module + "' symbol '" + sym +
                     "' may not be referenced as a user symbol");
        fail("D_IDENT_UNDEF", e.loc,
             "failed to resolve " + e.name + ": user symbols are not available on Linux");
    }
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
