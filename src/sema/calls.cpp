// Semantic analysis of calls in expressions: subroutines and their
// prototypes, and the prototype checks actions share.
#include "sema/builtins.h"
#include "sema/sema.h"
#include "sema/sema_internal.h"

namespace dtrace::sema {

using frontend::ExprKind;
using ir::NodeKind;
using ir::NodePtr;

void Sema::checkArgCount(std::string_view name, size_t passed, size_t min, size_t max,
                         SourceLoc loc, const char *noun) {
    if (passed >= min && passed <= max) return;
    std::string msg = std::string(name) + "( ) prototype mismatch: " + std::to_string(passed) +
                      " " + noun + (passed == 1 ? "" : "s") + " passed, ";
    if (min == max)
        msg += std::to_string(min) + " expected";
    else if (passed < min)
        msg += "at least " + std::to_string(min) + " expected";
    else
        msg += "at most " + std::to_string(max) + " expected";
    fail("D_PROTO_LEN", loc, msg);
}

void Sema::protoArgError(std::string_view fn, int argno, const std::string &proto,
                         const TypeRef &arg, SourceLoc loc) {
    fail("D_PROTO_ARG", loc,
         std::string(fn) + "( ) argument #" + std::to_string(argno) +
             " is incompatible with prototype:\n\tprototype: " + proto +
             "\n\t argument: " + describe(arg));
}

bool Sema::isActionCall(const frontend::Expr &e) {
    if (e.kind != ExprKind::Call) return false;
    const FunctionInfo *f = findFunction(e.name);
    return f && f->kind == FunctionKind::Action && e.name != "stack" && e.name != "ustack" &&
           e.name != "jstack" && e.name != "func" && e.name != "sym" && e.name != "mod" &&
           e.name != "ufunc" && e.name != "usym" && e.name != "umod" && e.name != "uaddr";
}

bool Sema::isDynamic(const ir::Node &n) {
    return n.kind == NodeKind::AggregationRef || n.translated;
}

// A call in an expression: subroutines have values; actions are void.
NodePtr Sema::call(const frontend::Expr &e) {
    if (e.name.empty()) fail("D_FUNC_IDENT", e.loc, "function designator is not of function type");
    const FunctionInfo *f = findFunction(e.name);
    if (!f) {
        // A name that is something else may not be called.
        loadLibraryIdentifier(e.name);
        const char *kind = nullptr;
        if (e.name == "args" || e.name == "uregs")
            kind = "associative array";
        else if (ir::Variable *v = findVariable(ir::Scope::Global, e.name))
            kind = v->isAssoc() ? "associative array" : "scalar";
        else if (findBuiltinVar(e.name) || inlines_.count(e.name))
            kind = "scalar";
        else if (enumerators_.count(e.name))
            kind = "enumerator";
        if (kind)
            fail("D_FUNC_IDKIND", e.loc,
                 std::string(kind) + " '" + e.name + "' may not be referenced as a function");
        fail("D_IDENT_UNDEF", e.loc, "failed to resolve " + e.name + ": Unknown function name");
    }
    size_t max = f->maxArgs < 0 ? SIZE_MAX : static_cast<size_t>(f->maxArgs);
    checkArgCount(e.name, e.args.size(), static_cast<size_t>(f->minArgs), max, e.loc);
    if (f->kind == FunctionKind::Aggregating)
        fail("D_AGG_FUNC", e.loc, e.name + "( ) may only be used as the value of an aggregation");
    // stack() and ustack() are values too: aggregation keys.
    if (e.name == "stack" || e.name == "ustack" || e.name == "jstack") return stackValue(e);
    if (e.name == "func" || e.name == "sym" || e.name == "mod" || e.name == "ufunc" ||
        e.name == "usym" || e.name == "umod" || e.name == "uaddr")
        return symbolValue(e);
    std::vector<NodePtr> args;
    for (const auto &a : e.args) args.push_back(expr(*a));
    if (f->kind == FunctionKind::Action) {
        auto n = mk(NodeKind::Call, e.loc, types_->voidType());
        n->kids = std::move(args);
        return n;
    }
    return subroutine(e, std::move(args));
}

namespace {

// A subroutine's prototype: D's built-in functions.
struct SubroutineProto {
    const char *name;
    ir::Subr subr;
    const char *returns;
    std::vector<const char *> params; // "char *" means any string
};

const std::vector<SubroutineProto> &subroutineTable() {
    static const std::vector<SubroutineProto> table = {
        {"strlen", ir::Subr::Strlen, "size_t", {"char *"}},
        {"strjoin", ir::Subr::Strjoin, "string", {"char *", "char *"}},
        {"rand", ir::Subr::Rand, "int", {}},
        {"substr", ir::Subr::Substr, "string", {"char *", "int", "int"}},
        {"strchr", ir::Subr::Strchr, "string", {"char *", "char"}},
        {"strrchr", ir::Subr::Strrchr, "string", {"char *", "char"}},
        {"strstr", ir::Subr::Strstr, "string", {"char *", "char *"}},
        {"index", ir::Subr::Index, "int", {"char *", "char *", "int"}},
        {"rindex", ir::Subr::Rindex, "int", {"char *", "char *", "int"}},
        {"strtok", ir::Subr::Strtok, "string", {"char *", "char *"}},
        {"toupper", ir::Subr::Toupper, "string", {"char *"}},
        {"tolower", ir::Subr::Tolower, "string", {"char *"}},
        {"lltostr", ir::Subr::Lltostr, "string", {"int64_t", "int"}},
        {"basename", ir::Subr::Basename, "string", {"char *"}},
        {"dirname", ir::Subr::Dirname, "string", {"char *"}},
        {"htons", ir::Subr::Htons, "uint16_t", {"uint16_t"}},
        {"ntohs", ir::Subr::Htons, "uint16_t", {"uint16_t"}},
        {"htonl", ir::Subr::Htonl, "uint32_t", {"uint32_t"}},
        {"ntohl", ir::Subr::Htonl, "uint32_t", {"uint32_t"}},
        {"htonll", ir::Subr::Htonll, "uint64_t", {"uint64_t"}},
        {"ntohll", ir::Subr::Htonll, "uint64_t", {"uint64_t"}},
        {"getmajor", ir::Subr::Getmajor, "uint32_t", {"dev_t"}},
        {"getminor", ir::Subr::Getminor, "uint32_t", {"dev_t"}},
        {"progenyof", ir::Subr::Progenyof, "int", {"pid_t"}},
        {"__cpuinfo", ir::Subr::Cpuinfo, "uintptr_t", {"int"}},
        {"copyin", ir::Subr::Copyin, "void *", {"uintptr_t", "size_t"}},
        {"copyinstr", ir::Subr::Copyinstr, "string", {"uintptr_t", "size_t"}},
        {"copyinto", ir::Subr::Copyinto, "void", {"uintptr_t", "size_t", "alloca"}},
        {"alloca", ir::Subr::Alloca, "void *", {"size_t"}},
        {"bcopy", ir::Subr::Bcopy, "void", {"void *", "alloca", "size_t"}},
        {"copyout", ir::Subr::Copyout, "void", {"void *", "uintptr_t", "size_t"}},
        {"copyoutstr", ir::Subr::Copyoutstr, "void", {"char *", "uintptr_t", "size_t"}},
        {"raise", ir::Subr::Raise, "void", {"int"}},
        {"stop", ir::Subr::Stop, "void", {}},
        {"chill", ir::Subr::Chill, "void", {"int"}},
        {"cleanpath", ir::Subr::Cleanpath, "string", {"char *"}},
        {"inet_ntoa", ir::Subr::InetNtoa, "string", {"void *"}},
        {"inet_ntoa6", ir::Subr::InetNtoa6, "string", {"void *", "int"}},
        {"inet_ntop", ir::Subr::InetNtop, "string", {"int", "void *"}},
        {"link_ntop", ir::Subr::LinkNtop, "string", {"int", "void *"}},
        {"mutex_owned", ir::Subr::None, "int", {"struct mutex *"}},
        {"mutex_owner", ir::Subr::None, "struct task_struct *", {"struct mutex *"}},
        {"mutex_type_adaptive", ir::Subr::None, "int", {"struct mutex *"}},
        {"mutex_type_spin", ir::Subr::None, "int", {"struct mutex *"}},
        {"rw_iswriter", ir::Subr::None, "int", {"rwlock_t *"}},
        {"rw_read_held", ir::Subr::None, "int", {"rwlock_t *"}},
        {"rw_write_held", ir::Subr::None, "int", {"rwlock_t *"}},
        {"d_path", ir::Subr::DPath, "string", {"void *"}},
        {"__d_mountpoint", ir::Subr::DMountpoint, "string", {"void *"}},
        {"speculation", ir::Subr::Speculation, "int", {}},
    };
    return table;
}

} // namespace

NodePtr Sema::subroutine(const frontend::Expr &e, std::vector<NodePtr> args) {
    const SubroutineProto *proto = nullptr;
    for (const auto &p : subroutineTable())
        if (e.name == p.name) proto = &p;
    if (!proto) fail("D_UNSUPPORTED", e.loc, e.name + "( ) is not supported yet");
    for (size_t i = 0; i < args.size() && i < proto->params.size(); ++i) {
        std::string_view want = proto->params[i];
        NodePtr &a = args[i];
        TypeRef t = a->type;
        bool ok;
        if (want == "alloca") {
            ok = isPointer(t) && stripTypedefs(t)->isDPtr;
            if (!ok && (isPointer(t) || isString(t)))
                fail("D_PROTO_ARG", e.loc,
                     e.name + "( ) argument #" + std::to_string(i + 1) +
                         " is incompatible with prototype:\n\tprototype: alloca pointer\n\t "
                         "argument: non-alloca pointer");
            want = "void *";
        } else if (want == "char *") {
            // NULL is an int 0; as a string argument it is a NULL pointer.
            if (a->isConstant() && a->value == 0 && isInteger(t) &&
                !(proto->subr == ir::Subr::Strtok && i == 0))
                a = constant(0, types_->voidPtrType(), a->loc), t = a->type;
            bool nullOk =
                proto->subr == ir::Subr::Strtok && i == 0 && a->isConstant() && a->value == 0;
            auto st = stripTypedefs(t);
            bool charArray = st && st->kind == TypeKind::Array && stripTypedefs(st->target) &&
                             stripTypedefs(st->target)->isChar();
            ok = nullOk || isString(t) || isPointer(t) || charArray;
            if (ok && !nullOk && !isString(t)) a = convert(std::move(a), types_->stringType());
        } else if (want.back() == '*') {
            ok = isPointer(t) || isArray(t) || (isInteger(t) && a->isConstant() && a->value == 0) ||
                 (want == "void *" && isString(t));
        } else if (want == "uintptr_t") {
            ok = isInteger(t) || isPointer(t);
        } else {
            ok = isInteger(t) && a->kind != NodeKind::AggregationRef;
            if (ok) a = convert(std::move(a), parseTypeString(want));
        }
        if (!ok || isVoid(t))
            protoArgError(e.name, static_cast<int>(i + 1), std::string(want), t, e.loc);
    }
    if (proto->subr == ir::Subr::None)
        fail("D_UNSUPPORTED", e.loc, e.name + "( ) is not supported yet");
    if (proto->subr == ir::Subr::Alloca || proto->subr == ir::Subr::Copyin) {
        // Scratch memory is bounded by scratchsize: a constant request
        // beyond it is refused now.
        const ir::Node &size = *args[proto->subr == ir::Subr::Alloca ? 0 : 1];
        uint64_t scratch = options_.scratchsize;
        if (size.isConstant() && static_cast<uint64_t>(size.value) > scratch)
            fail("D_ALLOCA_SIZE", e.loc,
                 e.name + "(" + std::to_string(static_cast<uint64_t>(size.value)) +
                     ") size larger than scratchsize " + std::to_string(scratch));
    }
    if (proto->subr == ir::Subr::InetNtoa6) {
        // The address is a struct in6_addr; the strict flag a constant.
        const TypeRef &t = args[0]->type;
        auto target = isPointer(t) ? stripTypedefs(stripTypedefs(t)->target) : nullptr;
        bool in6 =
            target && target->kind == TypeKind::Struct && typeName(target) == "struct in6_addr";
        if (!in6 && !(args[0]->isConstant() && args[0]->value == 0))
            protoArgError(e.name, 1, "struct in6_addr *", t, e.loc);
        if (args.size() > 1 && !args[1]->isConstant())
            fail("D_PROTO_ARG", e.loc,
                 e.name +
                     "( ) argument #2 is incompatible with prototype:\n\tprototype: integer "
                     "constant\n\t argument: " +
                     describe(args[1]->type));
    }
    if (proto->subr == ir::Subr::Speculation) out_.usesSpeculation = true;
    TypeRef ret = parseTypeString(proto->returns);
    if (proto->subr == ir::Subr::Alloca || proto->subr == ir::Subr::Copyin)
        ret = types_->withDPtr(ret);
    auto n = mk(NodeKind::Call, e.loc, ret);
    n->subr = proto->subr;
    n->kids = std::move(args);
    return n;
}

} // namespace dtrace::sema
