// Translators: `translator T < I name > { member = expr; ... };` and
// `xlate<T>(e)`. A translated member is the member's expression with the
// input name bound to the xlate argument, analysed where it is used, so
// `xlate<T>(e).m` costs no more than the expression itself. A whole
// translated struct is built in alloca'd scratch memory.
#include "frontend/diagnostics.h"
#include "frontend/parser.h"
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

// Whether an xlate argument of type `arg` may use a translator whose input
// type is `input`: the same type, any integer for an integer, or pointers to
// the same type (qualifiers and typedefs aside).
bool inputMatches(const TypeRef &input, const TypeRef &arg) {
    if (sameType(input, arg)) return true;
    if (isInteger(input) && isInteger(arg)) return true;
    if (isPointer(input) && isPointer(arg))
        return sameType(stripTypedefs(input)->target, stripTypedefs(arg)->target);
    return false;
}

} // namespace

void Sema::defineTranslator(const frontend::Translator &t) {
    TypeRef out = resolveTypeName(t.output);
    if (!isStructOrUnion(out))
        fail("D_XLATE_SOU", t.endLoc, "translator output type must be a struct or union");
    auto so = stripTypedefs(out);
    if (!so->complete && !so->btfId)
        fail("D_XLATE_SOU", t.endLoc, "incomplete struct/union/enum " + typeName(so));
    out = types_->complete(out);
    TypeRef in = resolveTypeName(t.input);
    for (const auto &x : translators_)
        if (sameType(x.output, out) && sameType(x.input, in))
            fail("D_XLATE_REDECL", t.endLoc,
                 "translator from " + describe(in) + " to " + describe(out) +
                     " has already been declared");
    TranslatorDef def;
    def.output = out;
    def.input = in;
    def.inputName = t.inputName;
    for (const auto &m : t.members) {
        auto member = findMember(out, m.name);
        if (!member)
            fail("D_XLATE_MEMB", t.endLoc,
                 "translator member " + m.name + " is not a member of " + typeName(so));
        // Check the member's expression against a placeholder input.
        bindings_.push_back({t.inputName, nullptr, in, bindings_.size()});
        NodePtr v = expr(*m.value);
        bindings_.pop_back();
        bool ok = assignable(member->type, *v) ||
                  (isArray(member->type) && (isArray(v->type) || isString(v->type)));
        if (!ok)
            fail("D_XLATE_INCOMPAT", t.endLoc,
                 "translator member " + m.name + " definition uses incompatible types: \"" +
                     describe(member->type) + "\" = \"" + describe(v->type) + "\"");
        def.members[m.name] = m.value.get();
    }
    translators_.push_back(std::move(def));
}

// The xlate expression an expression stands for, seen through inlines
// (curpsinfo is an inline of one).
const frontend::Expr *Sema::findXlate(const frontend::Expr &e) {
    if (e.kind == ExprKind::Xlate) return &e;
    // args[i] of a proc probe is a translated task.
    if (const frontend::Expr *src = probeArgumentSource(e)) return findXlate(*src);
    if (e.kind == ExprKind::Identifier) {
        bool bound = false;
        for (const auto &b : bindings_)
            if (b.name == e.name) bound = true;
        if (bound) return nullptr;
        loadLibraryIdentifier(e.name);
        auto it = inlines_.find(e.name);
        if (it != inlines_.end() && it->second.value) return findXlate(*it->second.value);
    }
    return nullptr;
}

// Whether a translator turns `from` into `to`, or into what `to` points to.
bool Sema::translatorExists(const TypeRef &from, const TypeRef &to) const {
    TypeRef output = stripTypedefs(to);
    if (isPointer(output)) output = output->target;
    for (const TranslatorDef &t : translators_)
        if (sameType(t.output, output) && inputMatches(t.input, from)) return true;
    return false;
}

const Sema::TranslatorDef &Sema::lookupTranslator(const frontend::Expr &xlate, TypeRef &outType) {
    const frontend::TypeName &tn = *xlate.typeName;
    outType = resolveTypeName(tn);
    TypeRef target = isPointer(outType) ? stripTypedefs(outType)->target : outType;
    if (!isStructOrUnion(target))
        fail("D_XLATE_SOU", xlate.loc,
             "translator output type must be a struct or union: " + describe(outType));
    NodePtr arg = expr(*xlate.args[0]);
    for (const auto &t : translators_)
        if (sameType(t.output, target) && inputMatches(t.input, arg->type)) return t;
    // The D library's translators to the type, loaded on first use.
    using Base = frontend::DeclSpec::Base;
    size_t known = translators_.size();
    if (tn.spec.base == Base::Named) loadLibraryTranslators(tn.spec.name);
    if (tn.spec.base == Base::Struct) loadLibraryTranslators("struct " + tn.spec.name);
    if (tn.spec.base == Base::Union) loadLibraryTranslators("union " + tn.spec.name);
    for (size_t i = known; i < translators_.size(); ++i)
        if (sameType(translators_[i].output, target) &&
            inputMatches(translators_[i].input, arg->type))
            return translators_[i];
    fail("D_XLATE_NONE", xlate.loc,
         "translator does not exist: " + describe(arg->type) + " -> " + describe(target));
}

NodePtr Sema::translateMemberValue(const TranslatorDef &t, const std::string &member,
                                   const frontend::Expr *arg, SourceLoc loc) {
    auto m = findMember(t.output, member);
    if (!m)
        fail("D_TYPE_MEMBER", loc,
             member + " is not a member of " + typeName(stripTypedefs(t.output)));
    auto it = t.members.find(member);
    if (it == t.members.end())
        fail("D_XLATE_NOCONV", loc, "translator does not define conversion for member: " + member);
    bindings_.push_back({t.inputName, arg, nullptr, bindings_.size()});
    NodePtr v = expr(*it->second);
    bindings_.pop_back();
    if (isInteger(m->type) || isPointer(m->type)) v = convert(std::move(v), m->type);
    return v;
}

NodePtr Sema::translatedMember(const frontend::Expr &xlate, const std::string &member, bool arrow,
                               SourceLoc loc) {
    TypeRef outType;
    const TranslatorDef &t = lookupTranslator(xlate, outType);
    if (arrow && !isPointer(outType))
        fail("D_OP_PTR", loc, "operator -> must be applied to a pointer");
    if (!arrow && isPointer(outType))
        fail("D_OP_SOU", loc,
             "operator . cannot be applied to type \"" + describe(outType) +
                 "\"; must be applied to a struct or union");
    return translateMemberValue(t, member, xlate.args[0].get(), loc);
}

// A whole translated struct: each defined member stored into a zeroed
// scratch buffer, then the buffer (or its address for xlate<T *>).
NodePtr Sema::translatedValue(const frontend::Expr &xlate) {
    TypeRef outType;
    const TranslatorDef &t = lookupTranslator(xlate, outType);
    TypeRef structType = types_->complete(t.output);
    uint64_t size = typeSize(structType);
    SourceLoc loc = xlate.loc;
    std::string tmpName = "%xlate" + std::to_string(++xlateTemps_);
    TypeRef ptrType = types_->withDPtr(types_->pointerTo(structType));
    ir::Variable *tmp =
        createVariable(ir::Scope::ClauseLocal, tmpName, types_->pointerTo(structType), loc);
    tmp->alloca = ir::Variable::Alloca::Yes;
    auto var = [&] {
        auto v = mk(NodeKind::Var, loc, ptrType);
        v->var = tmp;
        return v;
    };
    std::vector<NodePtr> seq;
    // tmp = alloca(size)
    auto alloc = mk(NodeKind::Call, loc, ptrType);
    alloc->subr = ir::Subr::Alloca;
    alloc->translated = true; // scratch memory of its own (codegen)
    alloc->kids.push_back(constant(static_cast<int64_t>(size), types_->ulongType(), loc));
    auto init = mk(NodeKind::Assign, loc, ptrType);
    init->kids.push_back(var());
    init->kids.push_back(std::move(alloc));
    seq.push_back(std::move(init));
    for (const Member &m : stripTypedefs(structType)->members) {
        bool scalar = isScalar(m.type);
        if (!scalar && !isArray(m.type)) continue;
        auto it = t.members.find(m.name);
        if (it == t.members.end() && !scalar) continue;
        NodePtr value = it == t.members.end()
                            ? constant(0, m.type, loc)
                            : translateMemberValue(t, m.name, xlate.args[0].get(), loc);
        auto deref = mk(NodeKind::Deref, loc, structType);
        deref->scratch = true;
        deref->kids.push_back(var());
        auto target = mk(NodeKind::Member, loc, m.type);
        target->offsetBits = m.offsetBits;
        target->bitSize = m.bitSize;
        target->kids.push_back(std::move(deref));
        if (isArray(m.type)) {
            // A char array member is copied as a string of its size.
            if (!isString(value->type) && !isArray(value->type)) continue;
            auto copy = mk(NodeKind::Call, loc, types_->voidType());
            copy->subr = ir::Subr::Bcopy;
            auto src = std::move(value);
            if (isArray(src->type)) {
                auto addr =
                    mk(NodeKind::AddrOf, loc, types_->pointerTo(stripTypedefs(src->type)->target));
                addr->kids.push_back(std::move(src));
                src = std::move(addr);
            }
            auto dst = mk(NodeKind::AddrOf, loc,
                          types_->withDPtr(types_->pointerTo(stripTypedefs(m.type)->target)));
            dst->kids.push_back(std::move(target));
            copy->kids.push_back(std::move(src));
            copy->kids.push_back(std::move(dst));
            copy->kids.push_back(
                constant(static_cast<int64_t>(typeSize(m.type)), types_->ulongType(), loc));
            seq.push_back(std::move(copy));
            continue;
        }
        auto store = mk(NodeKind::Assign, loc, m.type);
        store->kids.push_back(std::move(target));
        store->kids.push_back(convert(std::move(value), m.type));
        seq.push_back(std::move(store));
    }
    NodePtr result;
    if (isPointer(outType)) {
        result = var();
    } else {
        result = mk(NodeKind::Deref, loc, structType);
        result->scratch = true;
        result->kids.push_back(var());
    }
    seq.push_back(std::move(result));
    // Comma is binary: chain the steps left to right.
    NodePtr chain = std::move(seq.front());
    for (size_t i = 1; i < seq.size(); ++i) {
        auto c = mk(NodeKind::Comma, loc, seq[i]->type);
        c->kids.push_back(std::move(chain));
        c->kids.push_back(std::move(seq[i]));
        chain = std::move(c);
    }
    chain->translated = isPointer(outType);
    return chain;
}

// An identifier that names a translator's input inside a member's
// expression: the xlate argument, analysed in the scope of the xlate.
NodePtr Sema::boundIdentifier(std::string_view name, SourceLoc loc, bool &found) {
    found = false;
    for (size_t i = bindings_.size(); i-- > 0;) {
        if (bindings_[i].name != name) continue;
        found = true;
        Binding b = bindings_[i];
        if (!b.argument) {
            auto n = mk(NodeKind::BuiltinVar, loc, b.placeholder);
            n->builtin = ir::Builtin::Arg;
            return n;
        }
        std::vector<Binding> saved(bindings_.begin() + static_cast<std::ptrdiff_t>(b.outerDepth),
                                   bindings_.end());
        bindings_.resize(b.outerDepth);
        NodePtr v = expr(*b.argument);
        bindings_.insert(bindings_.end(), saved.begin(), saved.end());
        return v;
    }
    return nullptr;
}

} // namespace dtrace::sema
