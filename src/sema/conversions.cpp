// Semantic analysis: constants, D's arithmetic conversions, conversions
// between types, constant folding and what may be assigned to what.
#include "sema/sema.h"
#include "sema/sema_internal.h"

namespace dtrace::sema {

using ir::NodeKind;
using ir::NodePtr;

namespace {

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

} // namespace

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

} // namespace dtrace::sema
