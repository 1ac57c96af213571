// Semantic analysis of actions: printf and its kin, printa, trace, print,
// setopt, stack(), speculation, exit, the aggregation actions and the rules
// on which may follow which in a clause.
#include "sema/builtins.h"
#include "sema/sema.h"
#include "sema/sema_internal.h"

namespace dtrace::sema {

using frontend::ExprKind;
using ir::NodeKind;
using ir::NodePtr;

// String literals keep \\ and \? (as DTrace's do); a format decodes them.
std::string decodeFormatEscapes(const std::string &s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '\\' || s[i + 1] == '?')) {
            out += s[++i];
            continue;
        }
        out += s[i];
    }
    return out;
}

PrintfArgType Sema::printfArgType(const ir::Node &n) const {
    PrintfArgType a;
    a.name = describe(n.type);
    auto s = stripTypedefs(n.type);
    if (n.kind == NodeKind::AggregationRef) {
        a.kind = PrintfArgType::Kind::Aggregation;
        a.name = "aggregation";
        return a;
    }
    if (!s) {
        a.kind = PrintfArgType::Kind::Void;
        return a;
    }
    a.size = static_cast<unsigned>(s->size);
    a.isSigned = s->isSigned;
    if (isStack(s)) {
        a.kind = PrintfArgType::Kind::Stack;
        a.symbol = s->symbolForm != 0;
        return a;
    }
    switch (s->kind) {
    case TypeKind::Integer:
    case TypeKind::Enum: a.kind = PrintfArgType::Kind::Integer; break;
    case TypeKind::Pointer: a.kind = PrintfArgType::Kind::Pointer; break;
    case TypeKind::String: a.kind = PrintfArgType::Kind::String; break;
    case TypeKind::Float: a.kind = PrintfArgType::Kind::Float; break;
    case TypeKind::Void: a.kind = PrintfArgType::Kind::Void; break;
    case TypeKind::Struct: a.kind = PrintfArgType::Kind::Struct; break;
    case TypeKind::Union: a.kind = PrintfArgType::Kind::Union; break;
    case TypeKind::Array: a.kind = PrintfArgType::Kind::Array; break;
    default: a.kind = PrintfArgType::Kind::Other; break;
    }
    return a;
}

// printf(fmt, ...) and the actions that take a printf format (system).
ir::StmtPtr Sema::analyzePrintf(const frontend::Expr &call) {
    const std::string &fn = call.name;
    checkArgCount(fn, call.args.size(), 1, SIZE_MAX, call.loc);
    const frontend::Expr &fmtExpr = *call.args[0];
    if (fmtExpr.kind != ExprKind::String) {
        NodePtr f = expr(fmtExpr);
        if (isString(f->type))
            fail("D_PRINTF_ARG_FMT", call.loc,
                 fn +
                     "( ) argument #1 is incompatible with prototype:\n\tprototype: string "
                     "constant\n\t argument: " +
                     describe(f->type));
        protoArgError(fn, 1, "string", f->type, call.loc);
    }
    if (fmtExpr.text.empty() && fn != "freopen") // freopen(""): back to stdout
        fail("D_PRINTF_FMT_EMPTY", call.loc, fn + "( ) format string is empty");
    auto st = mkStmt(fn == "printf"    ? ir::StmtKind::Printf
                     : fn == "freopen" ? ir::StmtKind::Freopen
                                       : ir::StmtKind::System,
                     call.loc);
    st->format = decodeFormatEscapes(fmtExpr.text);
    // The arguments are checked before the format, as DTrace cooks them first.
    std::vector<PrintfArgType> types;
    for (size_t i = 1; i < call.args.size(); ++i) {
        NodePtr a = expr(*call.args[i]);
        // A char array prints as the string it holds.
        if (auto at = stripTypedefs(a->type); at && at->kind == TypeKind::Array &&
                                              stripTypedefs(at->target) &&
                                              stripTypedefs(at->target)->isChar())
            a = convert(std::move(a), types_->stringType());
        types.push_back(printfArgType(*a));
        st->args.push_back(std::move(a));
    }
    auto parsed = program::parseFormat(st->format, fn);
    if (auto *err = std::get_if<program::FormatError>(&parsed))
        fail(err->tag.c_str(), call.loc, err->message);
    st->parsedFormat = std::get<program::ParsedFormat>(std::move(parsed));
    if (auto err = checkArguments(st->parsedFormat, types, fn))
        fail(err->tag.c_str(), call.loc, err->message);
    return st;
}

namespace {
enum ActionFlag : unsigned {
    kDataRecorded = 1,
    kAggregated = 2,
    kSpeculated = 4,
    kCommitted = 8,
};
} // namespace

// DTrace's rules: a speculative clause records data and nothing else; a
// committing clause commits what was recorded elsewhere.
void Sema::noteAction(ActionClass a, SourceLoc loc) {
    unsigned &f = clauseActions_;
    switch (a) {
    case ActionClass::Commit:
        if (f & (kDataRecorded | kAggregated))
            fail("D_COMM_DREC", loc, "commit( ) may not follow data-recording action(s)");
        f |= kCommitted;
        return;
    case ActionClass::Discard: return;
    case ActionClass::Speculate:
        if (f & kSpeculated) fail("D_SPEC_SPEC", loc, "speculate( ) may not follow speculate( )");
        if (f & kCommitted) fail("D_SPEC_COMM", loc, "speculate( ) may not follow commit( )");
        if (f & (kDataRecorded | kAggregated))
            fail("D_SPEC_DREC", loc, "speculate( ) may not follow data-recording action(s)");
        f |= kSpeculated;
        return;
    case ActionClass::Aggregating:
        if (f & kCommitted) fail("D_AGG_COMM", loc, "aggregating actions may not follow commit( )");
        if (f & kSpeculated)
            fail("D_AGG_SPEC", loc, "aggregating actions may not follow speculate( )");
        f |= kAggregated;
        return;
    case ActionClass::Destructive:
        if (f & kSpeculated)
            fail("D_ACT_SPEC", loc, "destructive actions may not follow speculate( )");
        return;
    case ActionClass::Exit:
        if (f & kSpeculated) fail("D_EXIT_SPEC", loc, "exit( ) may not follow speculate( )");
        [[fallthrough]];
    case ActionClass::DataRecording:
        if (f & kCommitted)
            fail("D_DREC_COMM", loc, "data-recording actions may not follow commit( )");
        if (!(f & kSpeculated)) f |= kDataRecorded;
        return;
    }
}

ir::StmtPtr Sema::analyzeCallStatement(const frontend::Expr &call) {
    const std::string &fn = call.name;
    const FunctionInfo *f = findFunction(fn);
    size_t max = f->maxArgs < 0 ? SIZE_MAX : static_cast<size_t>(f->maxArgs);
    if (fn == "freopen") {
        // freopen(fmt, ...): later output goes to the file it names ("" goes
        // back to standard output). Destructive: it writes files.
        if (call.args.empty()) checkArgCount(fn, 0, 1, max, call.loc);
        const frontend::Expr &path = *call.args[0];
        if (path.kind == ExprKind::String && call.args.size() == 1 &&
            (path.text == "." || path.text == ".."))
            fail("D_FREOPEN_INVALID", call.loc,
                 fn + "( ) argument #1 cannot be \"" + path.text + "\"");
        auto st = analyzePrintf(call);
        if (!options_.destructive) st->needsDestructive = true;
        noteAction(ActionClass::Destructive, call.loc);
        return st;
    }
    if (fn == "pcap") {
        // pcap(packet, protocol): its arguments are checked as DTrace checks
        // them; capturing packets is not built yet.
        checkArgCount(fn, call.args.size(), 2, 2, call.loc);
        NodePtr packet = expr(*call.args[0]);
        if (!isPointer(packet->type) && !isInteger(packet->type))
            protoArgError(fn, 1, "void *", packet->type, call.loc);
        NodePtr protocol = expr(*call.args[1]);
        if (!isInteger(protocol->type)) protoArgError(fn, 2, "int", protocol->type, call.loc);
        fail("D_UNSUPPORTED", call.loc, fn + "( ) is not supported yet");
    }
    if (fn == "tracemem") {
        // tracemem(address, size[, shown]): size bytes recorded, shown (at
        // most size) printed as DTrace's hex dump.
        checkArgCount(fn, call.args.size(), 2, 3, call.loc);
        NodePtr address = expr(*call.args[0]);
        if (!isPointer(address->type) && !isInteger(address->type))
            protoArgError(fn, 1, "void *", address->type, call.loc);
        NodePtr size = expr(*call.args[1]);
        if (!isInteger(size->type) || !size->isConstant() || size->value <= 0)
            fail("D_TRACEMEM_ADDR", call.loc,
                 fn + "( ) argument #2 must be a non-zero positive integer constant");
        if (size->value > 4096)
            fail("D_TRACEMEM_SIZE", call.loc, fn + "( ) size is at most 4096 bytes in dtrace");
        auto st = mkStmt(ir::StmtKind::Tracemem, call.loc);
        st->params.push_back(size->value);
        if (call.args.size() > 2) {
            NodePtr shown = expr(*call.args[2]);
            if (!isInteger(shown->type)) protoArgError(fn, 3, "int64_t", shown->type, call.loc);
            st->args.push_back(convert(std::move(shown), types_->int64Type()));
        }
        st->expr = std::move(address);
        noteAction(ActionClass::DataRecording, call.loc);
        return st;
    }
    if (fn == "ftruncate") {
        checkArgCount(fn, call.args.size(), 0, 0, call.loc);
        auto st = mkStmt(ir::StmtKind::Ftruncate, call.loc);
        noteAction(ActionClass::DataRecording, call.loc);
        return st;
    }
    if (fn == "printf" || fn == "system") {
        if (call.args.empty()) checkArgCount(fn, 0, 1, max, call.loc);
        auto st = analyzePrintf(call);
        if (fn == "system" && !options_.destructive) st->needsDestructive = true;
        noteAction(fn == "system" ? ActionClass::Destructive : ActionClass::DataRecording,
                   call.loc);
        return st;
    }
    checkArgCount(fn, call.args.size(), static_cast<size_t>(f->minArgs), max, call.loc);
    if (fn == "printa") {
        auto st = analyzePrinta(call);
        noteAction(ActionClass::DataRecording, call.loc);
        return st;
    }
    if (fn == "normalize" || fn == "denormalize" || fn == "clear" || fn == "trunc")
        return analyzeAggregationAction(call);
    if (fn == "print") {
        // print(p): the object p points to, with its type, as DTrace shows it.
        NodePtr x = expr(*call.args[0]);
        if (!isPointer(x->type) || x->kind == NodeKind::AggregationRef)
            protoArgError(fn, 1, "void *", x->type, call.loc);
        TypeRef target = stripTypedefs(x->type)->target;
        auto st = stripTypedefs(target);
        if (st && !st->complete && st->btfId) target = types_->complete(target);
        if (typeSize(target) == 0)
            fail("D_PRINT_SIZE", call.loc,
                 fn + "( ) argument #1 reference has type '" + typeName(target) +
                     "' with size 0; cannot print( ) it.");
        noteAction(ActionClass::DataRecording, call.loc);
        auto s = mkStmt(ir::StmtKind::Print, call.loc);
        s->expr = std::move(x);
        return s;
    }
    if (fn == "setopt") {
        // setopt(name[, value]): the consumer sets the option when it reads
        // the record (only options that may change while tracing).
        auto st = mkStmt(ir::StmtKind::SetOption, call.loc);
        for (size_t i = 0; i < call.args.size(); ++i) {
            const frontend::Expr &a = *call.args[i];
            if (a.kind != ExprKind::String) {
                NodePtr n = expr(a);
                protoArgError(fn, static_cast<int>(i + 1), "char *", n->type, call.loc);
            }
            (i == 0 ? st->format : st->str) = decodeFormatEscapes(a.text);
        }
        st->hasFormat = call.args.size() > 1;
        noteAction(ActionClass::DataRecording, call.loc);
        return st;
    }
    if (fn == "func" || fn == "sym" || fn == "mod" || fn == "ufunc" || fn == "usym" ||
        fn == "umod" || fn == "uaddr") {
        noteAction(ActionClass::DataRecording, call.loc);
        auto st = mkStmt(ir::StmtKind::Trace, call.loc);
        st->expr = symbolValue(call);
        return st;
    }
    if (fn == "stack" || fn == "ustack" || fn == "jstack") {
        noteAction(ActionClass::DataRecording, call.loc);
        auto st = mkStmt(ir::StmtKind::Trace, call.loc);
        st->expr = stackValue(call);
        return st;
    }
    if (fn == "speculate" || fn == "commit" || fn == "discard") {
        NodePtr x = expr(*call.args[0]);
        if (!isInteger(x->type) || x->kind == NodeKind::AggregationRef)
            protoArgError(fn, 1, "int", x->type, call.loc);
        noteAction(fn == "speculate" ? ActionClass::Speculate
                   : fn == "commit"  ? ActionClass::Commit
                                     : ActionClass::Discard,
                   call.loc);
        auto st = mkStmt(fn == "speculate" ? ir::StmtKind::Speculate
                         : fn == "commit"  ? ir::StmtKind::Commit
                                           : ir::StmtKind::Discard,
                         call.loc);
        st->expr = convert(std::move(x), types_->int64Type());
        out_.usesSpeculation = true;
        return st;
    }
    if (fn == "trace") {
        NodePtr x = expr(*call.args[0]);
        if (x->kind == NodeKind::AggregationRef)
            fail("D_TRACE_DYN", call.loc, "trace( ) may not be applied to a dynamic expression");
        if (isVoid(x->type))
            fail("D_TRACE_VOID", call.loc, "trace( ) may not be applied to a void expression");
        noteAction(ActionClass::DataRecording, call.loc);
        auto st = mkStmt(ir::StmtKind::Trace, call.loc);
        st->expr = std::move(x);
        return st;
    }
    if (fn == "exit") {
        NodePtr x = expr(*call.args[0]);
        if (!isInteger(x->type) || x->kind == NodeKind::AggregationRef)
            protoArgError(fn, 1, "int", x->type, call.loc);
        noteAction(ActionClass::Exit, call.loc);
        auto st = mkStmt(ir::StmtKind::Exit, call.loc);
        st->expr = convert(std::move(x), types_->intType());
        return st;
    }
    if (fn == "breakpoint" || fn == "panic") {
        // Destructive twice over: without -w refused like the others, with
        // it refused on Linux, where there is no debugger to drop into and
        // crashing the kernel is not a tracer's business.
        noteAction(ActionClass::Destructive, call.loc);
        auto st = mkStmt(ir::StmtKind::Expr, call.loc);
        if (options_.destructive)
            fail("D_UNSUPPORTED", call.loc,
                 fn + "( ) is not available on Linux: " +
                     (fn == "panic" ? "dtrace does not crash the kernel"
                                    : "there is no kernel debugger to stop in"));
        st->expr = constant(0, types_->intType(), call.loc);
        st->needsDestructive = true;
        return st;
    }
    if (fn == "copyout" || fn == "copyoutstr" || fn == "raise" || fn == "stop" || fn == "chill") {
        // Destructive actions with subroutine prototypes; refused at
        // enable time without -w.
        std::vector<NodePtr> args;
        for (const auto &a : call.args) args.push_back(expr(*a));
        noteAction(ActionClass::Destructive, call.loc);
        auto st = mkStmt(ir::StmtKind::Expr, call.loc);
        st->expr = subroutine(call, std::move(args));
        if (!options_.destructive) st->needsDestructive = true;
        return st;
    }
    // Check the arguments even of actions we cannot run yet.
    for (const auto &a : call.args) (void)expr(*a);
    fail("D_UNSUPPORTED", call.loc, fn + "( ) is not supported yet");
}

// stack([frames]), ustack([frames[, strsize]]), jstack(): the frames as a
// value, checked as DTrace checks them.
NodePtr Sema::stackValue(const frontend::Expr &call) {
    const std::string &fn = call.name;
    bool user = fn != "stack";
    auto constantArg = [&](size_t i, const char *tag, bool zeroOk) -> std::optional<int64_t> {
        if (call.args.size() <= i) return std::nullopt;
        NodePtr n = expr(*call.args[i]);
        if (!isInteger(n->type) || n->kind == NodeKind::AggregationRef)
            protoArgError(fn, static_cast<int>(i + 1), "uint32_t", n->type, call.loc);
        if (!n->isConstant() || n->value < 0 || (!zeroOk && n->value == 0))
            fail(tag, call.loc,
                 fn + "( ) argument #" + std::to_string(i + 1) + " must be a " +
                     (zeroOk ? "positive" : "non-zero positive") + " integer constant");
        return n->value;
    };
    auto frames = constantArg(0, user ? "D_USTACK_FRAMES" : "D_STACK_SIZE", false);
    if (user) (void)constantArg(1, "D_USTACK_STRSIZE", true);
    uint64_t n = frames           ? static_cast<uint64_t>(*frames)
                 : fn == "stack"  ? options_.stackframes
                 : fn == "ustack" ? options_.ustackframes
                                  : options_.jstackframes;
    n = std::min<uint64_t>(std::max<uint64_t>(n, 1), options_.maxframes);
    auto node = mk(NodeKind::Call, call.loc, types_->stackType(user, n));
    node->subr = ir::Subr::Stack;
    node->value = static_cast<int64_t>(n);
    return node;
}

// func(pc), sym(pc), mod(pc) and ufunc, usym, umod: the address, shown as
// the function (or module) it is in; uaddr: with its offset in the
// function. A one-frame stack underneath.
NodePtr Sema::symbolValue(const frontend::Expr &call) {
    const std::string &fn = call.name;
    checkArgCount(fn, call.args.size(), 1, 1, call.loc);
    NodePtr address = expr(*call.args[0]);
    if (!isInteger(address->type) && !isPointer(address->type))
        protoArgError(fn, 1, "uint64_t", address->type, call.loc);
    bool user = fn[0] == 'u';
    uint8_t form = fn.ends_with("mod") ? 2 : fn == "uaddr" ? 3 : 1;
    auto node = mk(NodeKind::Call, call.loc, types_->stackType(user, 1, form));
    node->subr = ir::Subr::Stack;
    node->value = 1;
    node->kids.push_back(convert(std::move(address), types_->uint64Type()));
    return node;
}

// An element of an aggregation that no statement gives a value (printa(@a[1])).
void Sema::failIfUndefinedAggregation(const frontend::Expr &a, const char *tag) {
    if (a.kind != ExprKind::Index || a.args[0]->kind != ExprKind::Aggregation) return;
    const std::string &name = a.args[0]->name;
    if (aggs_.count(name)) return;
    fail(tag, a.loc,
         "undefined aggregation: " + (name.empty() || name[0] != '@' ? "@" + name : name));
}

// normalize(@a, n), denormalize(@a), clear(@a), trunc(@a[, n]): done by
// the consumer when it reads the record, in order with the other output.
ir::StmtPtr Sema::analyzeAggregationAction(const frontend::Expr &call) {
    const std::string &fn = call.name;
    std::string tag = fn == "normalize"     ? "D_NORMALIZE_AGGARG"
                      : fn == "denormalize" ? "D_NORMALIZE_AGGARG"
                      : fn == "clear"       ? "D_CLEAR_AGGARG"
                                            : "D_TRUNC_AGGARG";
    const frontend::Expr &a = *call.args[0];
    std::string undefinedTag = fn == "clear"   ? "D_CLEAR_AGGBAD"
                               : fn == "trunc" ? "D_TRUNC_AGGBAD"
                                               : "D_NORMALIZE_AGGBAD";
    failIfUndefinedAggregation(a, undefinedTag.c_str());
    if (a.kind != ExprKind::Aggregation) {
        const FunctionInfo *af = a.kind == ExprKind::Call ? findFunction(a.name) : nullptr;
        if (af && af->kind == FunctionKind::Aggregating)
            fail(tag.c_str(), call.loc,
                 fn +
                     "( ) argument #1 is incompatible with prototype:\n\tprototype: "
                     "aggregation\n\t argument: " +
                     a.name + "( )");
        NodePtr n = expr(a);
        fail(tag.c_str(), call.loc,
             fn +
                 "( ) argument #1 is incompatible with prototype:\n\tprototype: "
                 "aggregation\n\t argument: " +
                 describe(n->type));
    }
    auto it = aggs_.find(a.name);
    if (it == aggs_.end())
        fail(tag.c_str(), a.loc, a.name + " is not an aggregation defined before " + fn + "( )");
    auto st = mkStmt(ir::StmtKind::AggregationAction, call.loc);
    st->aggs.push_back(it->second);
    st->aggAction = fn == "normalize"     ? ir::AggregationActionKind::Normalize
                    : fn == "denormalize" ? ir::AggregationActionKind::Denormalize
                    : fn == "clear"       ? ir::AggregationActionKind::Clear
                                          : ir::AggregationActionKind::Trunc;
    if (call.args.size() > 1) {
        NodePtr n = expr(*call.args[1]);
        if (!isInteger(n->type) || n->kind == NodeKind::AggregationRef)
            protoArgError(fn, 2, "uint64_t", n->type, call.loc);
        st->expr = convert(std::move(n), types_->int64Type());
    }
    noteAction(ActionClass::DataRecording, call.loc);
    return st;
}

// printa([format,] @a, @b, ...): print aggregations, joined by key.
ir::StmtPtr Sema::analyzePrinta(const frontend::Expr &call) {
    auto st = mkStmt(ir::StmtKind::Printa, call.loc);
    size_t first = 0;
    if (call.args[0]->kind == ExprKind::String) {
        st->hasFormat = true;
        st->format = decodeFormatEscapes(call.args[0]->text);
        first = 1;
        if (call.args.size() < 2)
            fail("D_PRINTA_PROTO", call.loc,
                 "printa( ) prototype mismatch: 1 args passed, 2 expected");
    }
    std::vector<PrintfArgType> types;
    for (size_t i = first; i < call.args.size(); ++i) {
        const frontend::Expr &a = *call.args[i];
        failIfUndefinedAggregation(a, "D_PRINTA_AGGBAD");
        if (a.kind != ExprKind::Aggregation) {
            NodePtr n = expr(a);
            fail("D_PRINTA_AGGARG", call.loc,
                 "printa( ) argument #" + std::to_string(i + 1) +
                     " is incompatible with prototype:\n\tprototype: aggregation\n\t argument: " +
                     describe(n->type));
        }
        auto it = aggs_.find(a.name);
        if (it == aggs_.end())
            fail("D_PRINTA_AGGARG", a.loc,
                 a.name + " is not an aggregation defined before printa( )");
        ir::Aggregation *agg = it->second;
        std::vector<PrintfArgType> keys;
        for (const auto &k : agg->keys) {
            ir::Node kn(NodeKind::Const, a.loc, k);
            keys.push_back(printfArgType(kn));
        }
        types.push_back(PrintfArgType::aggregation(keys, agg->func != ir::AggFunc::Count));
        // Aggregations printed together are joined by key: their keys must
        // match the first's.
        if (!st->aggs.empty()) {
            const ir::Aggregation &first = *st->aggs.front();
            auto bare = [](const std::string &n) {
                return n.empty() || n[0] != '@' ? n : n.substr(1);
            };
            if (agg->keys.size() != first.keys.size())
                fail("D_PRINTA_AGGKEY", call.loc,
                     "printa( ): " + agg->name + "[ ] and " + first.name +
                         "[ ] have different numbers of keys");
            for (size_t k = 0; k < agg->keys.size(); ++k)
                if (!sameType(agg->keys[k], first.keys[k]) &&
                    !(isInteger(agg->keys[k]) && isInteger(first.keys[k])))
                    fail("D_PRINTA_AGGPROTO", call.loc,
                         "printa( ): " + agg->name + "[ ] key #" + std::to_string(k + 1) +
                             " is incompatible with " + first.name + ":\n      " +
                             bare(first.name) + " key #" + std::to_string(k + 1) + ": " +
                             describe(first.keys[k]) + "\n      " + bare(agg->name) + " key #" +
                             std::to_string(k + 1) + ": " + describe(agg->keys[k]));
        }
        st->aggs.push_back(agg);
    }
    if (st->hasFormat) {
        auto parsed = program::parseFormat(st->format, "printa");
        if (auto *err = std::get_if<program::FormatError>(&parsed))
            fail(err->tag.c_str(), call.loc, err->message);
        st->parsedFormat = std::get<program::ParsedFormat>(std::move(parsed));
        if (auto err = checkArguments(st->parsedFormat, types, "printa"))
            fail(err->tag.c_str(), call.loc, err->message);
    }
    return st;
}

} // namespace dtrace::sema
