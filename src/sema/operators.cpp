// Semantic analysis of D's operators: unary, binary (with string and pointer
// arithmetic), the conditional ?: and casts.
#include "sema/sema.h"
#include "sema/sema_internal.h"

namespace dtrace::sema {

using frontend::ExprKind;
using ir::NodeKind;
using ir::NodePtr;

namespace {

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
    ir::Op op = binaryOperator(e.op);
    // An enum compared with a name: the name is looked for among the
    // enum's enumerators, and one that is a global variable too is
    // ambiguous.
    const frontend::Expr &rhs = *e.args[1];
    if (isComparison(op) && rhs.kind == ExprKind::Identifier) {
        TypeRef lt = stripTypedefs(a->type);
        if (lt && lt->kind == TypeKind::Enum && !lt->complete) lt = types_->complete(lt);
        if (lt && lt->kind == TypeKind::Enum)
            for (const Enumerator &en : lt->enumerators) {
                if (en.name != rhs.name) continue;
                if (ir::Variable *v = findVariable(ir::Scope::Global, rhs.name))
                    fail("D_IDENT_AMBIG", e.loc,
                         "ambiguous use of operator " + e.op + ": " + rhs.name + " is both a " +
                             typeName(a->type) + " enum tag and a global " +
                             (v->isAssoc() ? "associative array" : "scalar"));
                break;
            }
    }
    NodePtr b = expr(rhs);
    return binaryNode(op, std::move(a), std::move(b), e.loc, e.op);
}

NodePtr Sema::conditional(const frontend::Expr &e) {
    NodePtr c = expr(*e.args[0]);
    if (!isScalar(c->type))
        fail("D_OP_SCALAR", e.loc, "operator ?: expression must be of scalar type");
    // Actions have no value to choose.
    if (isActionCall(*e.args[1]) || isActionCall(*e.args[2]))
        fail("D_OP_ACT", e.loc, "action cannot be used in a conditional context");
    NodePtr a = expr(*e.args[1]);
    NodePtr b = expr(*e.args[2]);
    if (isDynamic(*a) || isDynamic(*b))
        fail("D_OP_DYN", e.loc, "operator ?: operands cannot be of dynamic type");
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
    // A char array casts to the string it holds, as stringof() takes it.
    if (isString(t) && (isString(x->type) || isScalar(x->type) || isCharArray(x->type))) {
        auto n = mk(NodeKind::Cast, e.loc, t);
        n->kids.push_back(std::move(x));
        return n;
    }
    if (sameType(t, x->type)) return x;
    fail("D_CAST_INVAL", e.loc,
         "invalid cast expression: \"" + describe(x->type) + "\" to \"" + describe(t) + "\"");
}

} // namespace dtrace::sema
