// Semantic analysis of postfix expressions: member access (. and ->) and
// subscripts (associative arrays, args[], arrays, pointers and strings).
#include "sema/sema.h"
#include "sema/sema_internal.h"

namespace dtrace::sema {

using frontend::ExprKind;
using ir::NodeKind;
using ir::NodePtr;

NodePtr Sema::member(const frontend::Expr &e) {
    bool arrow = e.kind == ExprKind::Arrow;
    // A member name that is an integer constant's (an enumerator, or an
    // inline of one) is that constant to DTrace, not a name.
    bool constantName = enumerators_.count(e.name) != 0;
    if (auto it = inlines_.find(e.name); it != inlines_.end() && it->second.params.empty() &&
                                         it->second.value && isInteger(it->second.type))
        constantName = constantName || it->second.value->kind == ExprKind::Integer;
    if (constantName)
        fail("D_OP_IDENT", e.loc,
             std::string("operator ") + (arrow ? "->" : ".") +
                 " must be followed by an identifier");
    // fds[fd].fi_name: an inline with parameters, bound while its value
    // (often a translation) is analysed.
    InlineCall call(*this, *e.args[0]);
    const frontend::Expr &baseExpr = call.value ? *call.value : *e.args[0];
    if (const frontend::Expr *x = findXlate(baseExpr))
        return translatedMember(*x, e.name, arrow, e.loc);
    NodePtr base = expr(baseExpr);
    if (call.value) base = convert(std::move(base), call.type);
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

// uregs[R_*]: a user register of the current thread, by a constant index
// (regs.d names them). Those struct pt_regs saves are read from it; the
// segment registers and bases from the thread's own state.
NodePtr Sema::userRegister(const frontend::Expr &e) {
    size_t nkeys = e.args.size() - 1;
    if (nkeys != 1)
        fail("D_PROTO_LEN", e.loc,
             "uregs[ ] prototype mismatch: " + std::to_string(nkeys) + " args passed, 1 expected");
    NodePtr i = expr(*e.args[1]);
    if (!i->isConstant() || !isInteger(i->type))
        fail("D_PROTO_ARG", e.loc,
             "uregs[ ] argument #1 is incompatible with prototype:\n\tprototype: integer "
             "constant\n\t "
             "argument: " +
                 describe(i->type));
    // <sys/reg.h>: FS_BASE (21) and after are not in pt_regs.
    static constexpr const char *kThreadRegisters[] = {
        "curthread->thread.fsbase", "curthread->thread.gsbase",  "curthread->thread.ds",
        "curthread->thread.es",     "curthread->thread.fsindex", "curthread->thread.gsindex"};
    if (i->value < 0 || i->value > 26)
        fail("D_REGS_IDX", e.loc,
             "index " + std::to_string(i->value) + " is out of range for array uregs");
    if (i->value >= 21)
        return convert(probeExpression(kThreadRegisters[i->value - 21], e.loc),
                       types_->ulongType());
    auto n = mk(NodeKind::Call, e.loc, types_->ulongType());
    n->subr = ir::Subr::Uregs;
    n->kids.push_back(std::move(i));
    return n;
}

// a[i] for associative arrays, args[], arrays and pointers.
NodePtr Sema::index(const frontend::Expr &e, bool forAssignment) {
    if (InlineCall call(*this, e); call.value) {
        if (forAssignment)
            fail("D_OP_LVAL", e.loc, "operator = requires modifiable lvalue as an operand");
        return convert(expr(*call.value), call.type);
    }
    const frontend::Expr &base = *e.args[0];
    size_t nkeys = e.args.size() - 1;
    if (base.kind == ExprKind::Identifier && base.name == "args") {
        if (nkeys != 1) fail("D_ARGS_IDX", e.loc, "args[ ] requires exactly one subscript");
        NodePtr i = expr(*e.args[1]);
        if (!isInteger(i->type)) {
            std::string proto = "int";
            protoArgError("args", 1, proto, i->type, e.loc);
        }
        if (!inClause_)
            fail("D_ARGS_NONE", e.loc, "args[ ] may not be referenced outside of a probe clause");
        if (currentProbes_.empty())
            fail("D_ARGS_MULTI", e.loc,
                 "args[ ] may not be referenced because probe description " + currentDescription_ +
                     " matches an unstable set of probes");
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
    if (base.kind == ExprKind::Identifier && base.name == "uregs") return userRegister(e);
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

} // namespace dtrace::sema
