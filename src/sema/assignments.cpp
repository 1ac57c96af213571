// Semantic analysis of assignments: lvalues, =, the compound assignment
// operators, ++ and --, and the first assignment that declares a variable.
#include "sema/builtins.h"
#include "sema/sema.h"

namespace dtrace::sema {

using frontend::ExprKind;
using ir::NodeKind;
using ir::NodePtr;

namespace {

NodePtr mk(NodeKind k, SourceLoc loc, TypeRef t) {
    return std::make_unique<ir::Node>(k, loc, std::move(t));
}

} // namespace

// ---------------------------------------------------------------- lvalues

NodePtr Sema::lvalue(const frontend::Expr &e, const char *op) {
    NodePtr n = expr(e);
    if (n->kind == NodeKind::BuiltinVar)
        fail("D_OP_WRITE", e.loc,
             std::string("operator ") + op + " can only be applied to a writable variable");
    bool ok = n->kind == NodeKind::Var || n->kind == NodeKind::ArrayElem ||
              n->kind == NodeKind::Deref || n->kind == NodeKind::Member ||
              n->kind == NodeKind::Element;
    if (n->kind == NodeKind::Element && isString(n->kids[0]->type)) ok = false;
    if (!ok)
        fail("D_OP_LVAL", e.loc,
             std::string("operator ") + op + " requires modifiable lvalue as an operand");
    if (n->type && n->type->isConst)
        fail("D_OP_LVAL", e.loc,
             std::string("operator ") + op + " requires modifiable lvalue as an operand");
    return n;
}

NodePtr Sema::assign(const frontend::Expr &e) {
    const frontend::Expr &lhs = *e.args[0];
    const std::string &op = e.op;
    if (lhs.kind == ExprKind::Aggregation ||
        (lhs.kind == ExprKind::Index && lhs.args[0]->kind == ExprKind::Aggregation))
        fail("D_AGG_FUNC", e.loc,
             "aggregations may only be assigned the result of an aggregating function");
    // A first assignment declares the variable with the value's type.
    if (op == "=") {
        NodePtr target;
        if (lhs.kind == ExprKind::Identifier)
            target = identifier(lhs, true);
        else if (lhs.kind == ExprKind::SelfVar || lhs.kind == ExprKind::ThisVar)
            target = dynamicVar(lhs, true);
        else if (lhs.kind == ExprKind::Index)
            target = index(lhs, true);
        else
            target = lvalue(lhs, "=");
        NodePtr value = expr(*e.args[1]);
        if (!target) {
            if (isVoid(value->type) || value->kind == NodeKind::AggregationRef)
                fail("D_OP_INCOMPAT", e.loc,
                     "operands have incompatible types: \"int\" = \"void\"");
            TypeRef vt = value->type;
            if (isArray(vt) && stripTypedefs(stripTypedefs(vt)->target)->isChar())
                vt = types_->stringType();
            if (lhs.kind == ExprKind::Identifier) {
                ir::Variable *v = createVariable(ir::Scope::Global, lhs.name, vt, lhs.loc);
                trackAlloca(*v, *value, e.loc);
                target = mk(NodeKind::Var, lhs.loc, variableType(*v));
                target->var = v;
            } else if (lhs.kind == ExprKind::Index) {
                const frontend::Expr &base = *lhs.args[0];
                ir::Scope sc =
                    base.kind == ExprKind::SelfVar ? ir::Scope::ThreadLocal : ir::Scope::Global;
                std::vector<NodePtr> keys;
                std::vector<TypeRef> keyTypes;
                for (size_t i = 1; i < lhs.args.size(); ++i) {
                    NodePtr k = expr(*lhs.args[i]);
                    if (isVoid(k->type))
                        fail("D_PROTO_ARG", k->loc, "associative array key is void");
                    TypeRef kt = isInteger(k->type) ? promote(k->type) : k->type;
                    if (isArray(kt)) kt = types_->stringType();
                    keyTypes.push_back(kt);
                    keys.push_back(convert(std::move(k), kt));
                }
                ir::Variable *v = createVariable(sc, base.name, vt, lhs.loc);
                v->keys = keyTypes;
                v->isArrayDecl = true;
                target = mk(NodeKind::ArrayElem, lhs.loc, vt);
                target->var = v;
                target->kids = std::move(keys);
            } else {
                ir::Scope sc =
                    lhs.kind == ExprKind::SelfVar ? ir::Scope::ThreadLocal : ir::Scope::ClauseLocal;
                ir::Variable *v = createVariable(sc, lhs.name, vt, lhs.loc);
                trackAlloca(*v, *value, e.loc);
                target = mk(NodeKind::Var, lhs.loc, variableType(*v));
                target->var = v;
            }
        } else {
            if (target->kind == NodeKind::BuiltinVar)
                fail("D_OP_WRITE", e.loc, "operator = can only be applied to a writable variable");
            if (target->kind != NodeKind::Var && target->kind != NodeKind::ArrayElem &&
                target->kind != NodeKind::Deref && target->kind != NodeKind::Member &&
                target->kind != NodeKind::Element)
                fail("D_OP_LVAL", e.loc, "operator = requires modifiable lvalue as an operand");
            if ((isArray(target->type) || isFunction(target->type)) && !isString(target->type))
                fail("D_OP_ARRFUN", e.loc,
                     "operator = may not be applied to operand of type \"" +
                         describe(target->type) + "\"");
            // Assigning 0 to a dynamic variable deletes it, whatever its type.
            bool dynamic =
                target->kind == NodeKind::ArrayElem ||
                (target->kind == NodeKind::Var && target->var->scope == ir::Scope::ThreadLocal);
            bool deletes = dynamic && value->isConstant() && isInteger(value->type) &&
                           value->value == 0 && !isScalar(target->type);
            if (!deletes) checkAssignable(target->type, *value, "=", e.loc);
        }
        if (target->kind == NodeKind::Var) {
            trackAlloca(*target->var, *value, e.loc);
            target->type = variableType(*target->var);
        }
        if (isInteger(target->type) || isPointer(target->type))
            value = convert(std::move(value), target->type);
        else if (isString(target->type) && value->isConstant() && value->value == 0 &&
                 (target->kind == NodeKind::ArrayElem || target->kind == NodeKind::Var))
            // Deletes a dynamic element; another variable holds NULL.
            value = constant(0, types_->voidPtrType(), value->loc);
        else if (isString(target->type) && value->isConstant() && value->value == 0)
            value = emptyString(value->loc); // a NULL string is the empty string
        else if (isString(target->type) && !isString(value->type))
            value = convert(std::move(value), types_->stringType());
        auto n = mk(NodeKind::Assign, e.loc, target->type);
        n->kids.push_back(std::move(target));
        n->kids.push_back(std::move(value));
        return n;
    }
    // Compound assignment: the variable must exist.
    if (lhs.kind == ExprKind::Identifier && !findBuiltinVar(lhs.name) &&
        !findVariable(ir::Scope::Global, lhs.name) && !inlines_.count(lhs.name) &&
        !enumerators_.count(lhs.name))
        fail("D_VAR_UNDEF", lhs.loc, lhs.name + " has not yet been declared or assigned");
    NodePtr target = lvalue(lhs, op.c_str());
    NodePtr value = expr(*e.args[1]);
    std::string binop = op.substr(0, op.size() - 1);
    // Pointer arithmetic needs the size of what the pointer points to.
    if ((op == "+=" || op == "-=") && isPointer(target->type)) {
        TypeRef to = stripTypedefs(target->type)->target;
        if (isVoid(to) || isFunction(to))
            fail("D_OP_VFPTR", e.loc,
                 "operator " + op + " requires left-hand scalar operand of known size");
    }
    if (isVoid(value->type) || !isScalar(target->type) || !(isScalar(value->type)))
        fail("D_OP_INCOMPAT", e.loc,
             "operands have incompatible types: \"" + describe(target->type) + "\" " + op + " \"" +
                 describe(value->type) + "\"");
    auto n = mk(NodeKind::Assign, e.loc, target->type);
    n->op = binaryOperator(binop);
    n->str = binop;
    // The value is combined in codegen as target (op) value, then converted.
    if (isInteger(target->type)) {
        if ((n->op == ir::Op::Div || n->op == ir::Op::Mod) && value->isConstant() &&
            value->value == 0)
            fail("D_DIV_ZERO", e.loc, "expression contains division by zero");
        value = convert(std::move(value), arithmeticResult(target->type, value->type));
    } else {
        value = convert(std::move(value), types_->longType());
        uint64_t sz = typeSize(stripTypedefs(target->type)->target);
        if (sz > 1) {
            auto mul = mk(NodeKind::Binary, e.loc, types_->longType());
            mul->op = ir::Op::Mul;
            mul->kids.push_back(std::move(value));
            mul->kids.push_back(constant(static_cast<int64_t>(sz), types_->longType(), e.loc));
            value = fold(std::move(mul));
        }
    }
    n->kids.push_back(std::move(target));
    n->kids.push_back(std::move(value));
    return n;
}

NodePtr Sema::incdec(const frontend::Expr &e) {
    bool inc = e.kind == ExprKind::PreIncrement || e.kind == ExprKind::PostIncrement;
    bool post = e.kind == ExprKind::PostIncrement || e.kind == ExprKind::PostDecrement;
    const char *op = inc ? "++" : "--";
    const frontend::Expr &x = *e.args[0];
    NodePtr target;
    // ++ on a variable never seen before declares it as an int.
    if (x.kind == ExprKind::Identifier && !findBuiltinVar(x.name) &&
        !findVariable(ir::Scope::Global, x.name) && !inlines_.count(x.name) &&
        !enumerators_.count(x.name)) {
        ir::Variable *v = createVariable(ir::Scope::Global, x.name, types_->int64Type(), x.loc);
        target = mk(NodeKind::Var, x.loc, v->type);
        target->var = v;
    } else if ((x.kind == ExprKind::SelfVar || x.kind == ExprKind::ThisVar) &&
               !findVariable(x.kind == ExprKind::SelfVar ? ir::Scope::ThreadLocal
                                                         : ir::Scope::ClauseLocal,
                             x.name)) {
        ir::Variable *v = createVariable(x.kind == ExprKind::SelfVar ? ir::Scope::ThreadLocal
                                                                     : ir::Scope::ClauseLocal,
                                         x.name, types_->int64Type(), x.loc);
        target = mk(NodeKind::Var, x.loc, v->type);
        target->var = v;
    } else if (x.kind == ExprKind::Index && x.args[0]->kind != ExprKind::Aggregation) {
        target = index(x, true);
        if (!target) {
            // Create the array: int values, keys as given.
            const frontend::Expr &base = *x.args[0];
            ir::Scope sc =
                base.kind == ExprKind::SelfVar ? ir::Scope::ThreadLocal : ir::Scope::Global;
            std::vector<NodePtr> keys;
            std::vector<TypeRef> keyTypes;
            for (size_t i = 1; i < x.args.size(); ++i) {
                NodePtr k = expr(*x.args[i]);
                TypeRef kt = isInteger(k->type) ? promote(k->type) : k->type;
                keyTypes.push_back(kt);
                keys.push_back(convert(std::move(k), kt));
            }
            ir::Variable *v = createVariable(sc, base.name, types_->int64Type(), x.loc);
            v->keys = keyTypes;
            v->isArrayDecl = true;
            target = mk(NodeKind::ArrayElem, x.loc, v->type);
            target->var = v;
            target->kids = std::move(keys);
        }
    } else {
        if (x.kind == ExprKind::Macro || x.kind == ExprKind::Integer)
            fail("D_OP_LVAL", e.loc,
                 std::string("operator ") + op + " requires modifiable lvalue as an operand");
        target = lvalue(x, op);
    }
    if (!isScalar(target->type))
        fail("D_OP_SCALAR", e.loc,
             std::string("operator ") + op + " requires operand of scalar type");
    if (isPointer(target->type)) {
        TypeRef to = stripTypedefs(target->type)->target;
        if (isVoid(to) || isFunction(to))
            fail("D_OP_VFPTR", e.loc,
                 std::string("operator ") + op + " requires an operand of known size");
    }
    auto n = mk(NodeKind::IncDec, e.loc, target->type);
    int64_t step = 1;
    if (isPointer(target->type))
        step = static_cast<int64_t>(
            std::max<uint64_t>(1, typeSize(stripTypedefs(target->type)->target)));
    n->value = inc ? step : -step;
    n->isPostfix = post;
    n->kids.push_back(std::move(target));
    return n;
}

} // namespace dtrace::sema

namespace dtrace::sema {} // namespace dtrace::sema
