// Semantic analysis of clauses: probe matching, predicates, statements,
// actions, aggregations and subroutine calls.
#include "frontend/parser.h"
#include "sema/builtins.h"
#include "sema/sema.h"

#include <cctype>
#include <functional>
#include <set>
#include <unistd.h>

namespace dtrace::sema {

using frontend::ExprKind;
using ir::NodeKind;
using ir::NodePtr;

namespace {

NodePtr mk(NodeKind k, SourceLoc loc, TypeRef t) {
    return std::make_unique<ir::Node>(k, loc, std::move(t));
}

ir::StmtPtr mkStmt(ir::StmtKind k, SourceLoc loc) {
    auto s = std::make_unique<ir::Stmt>();
    s->kind = k;
    s->loc = loc;
    return s;
}

} // namespace

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

// ------------------------------------------------------------------ probes

std::vector<const providers::Probe *> Sema::matchProbes(const frontend::ProbeSpecText &spec,
                                                        std::string &expanded) {
    // Macro variables may appear in probe descriptions: pid$target:::.
    std::string text;
    const std::string &s = spec.text;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '$' || i + 1 >= s.size()) {
            text += s[i];
            continue;
        }
        size_t j = i + 1;
        bool digits = std::isdigit(static_cast<unsigned char>(s[j]));
        while (j < s.size() &&
               (digits ? std::isdigit(static_cast<unsigned char>(s[j]))
                       : (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')))
            ++j;
        std::string name = s.substr(i + 1, j - i - 1);
        if (name.empty()) {
            text += s[i];
            continue;
        }
        std::string value;
        if (digits) {
            size_t idx = macroArgumentIndex(name);
            if (idx < ctx_.macroArgs.size())
                value = ctx_.macroArgs[idx];
            else if (options_.defaultargs)
                value = "0";
            else
                fail("D_MACRO_UNDEF", spec.loc, "macro argument $" + name + " is not defined");
        } else if (name == "target") {
            value = std::to_string(ctx_.targetPid ? *ctx_.targetPid : 0);
        } else if (name == "pid") {
            value = std::to_string(getpid());
        } else if (name == "ppid") {
            value = std::to_string(getppid());
        } else if (name == "uid") {
            value = std::to_string(getuid());
        } else if (name == "gid") {
            value = std::to_string(getgid());
        } else {
            fail("D_MACRO_UNDEF", spec.loc, "macro $" + name + " is not defined");
        }
        text += value;
        i = j - 1;
    }
    providers::ProbeDescription desc;
    if (!providers::parseProbeDescription(text, desc))
        fail("D_PDESC_INVAL", spec.loc,
             "invalid probe description \"" + text + "\": Overspecified probe description");
    expanded = desc.text();
    auto probes = catalog_.match(desc);
    if (probes.empty() && !catalog_.matchError().empty())
        fail("D_PROC_BADPID", spec.loc, catalog_.matchError());
    if (probes.empty() && !ctx_.allowZeroMatches)
        fail("D_PDESC_ZERO", spec.loc,
             "probe description " + expanded + " does not match any probes");
    return probes;
}

// DTrace creates a variable as soon as it reads `x++` in a clause, so
// the predicate may use a variable the body increments.
void Sema::declareIncremented(const frontend::Clause &c) {
    std::set<std::string> assigned;
    std::function<void(const frontend::Expr &)> walk = [&](const frontend::Expr &e) {
        if (e.kind == ExprKind::Assign && e.op == "=" && e.args[0]->kind != ExprKind::Index) {
            for (const auto &a : e.args) walk(*a);
            const frontend::Expr &t = *e.args[0];
            assigned.insert((t.kind == ExprKind::SelfVar   ? "self->"
                             : t.kind == ExprKind::ThisVar ? "this->"
                                                           : "") +
                            t.name);
            return;
        }
        bool incdec = e.kind == ExprKind::PreIncrement || e.kind == ExprKind::PostIncrement ||
                      e.kind == ExprKind::PreDecrement || e.kind == ExprKind::PostDecrement;
        if (incdec) {
            const frontend::Expr &x = *e.args[0];
            std::string key = (x.kind == ExprKind::SelfVar   ? "self->"
                               : x.kind == ExprKind::ThisVar ? "this->"
                                                             : "") +
                              x.name;
            if (assigned.count(key)) return;
            if (x.kind == ExprKind::Identifier && !findBuiltinVar(x.name) &&
                !findVariable(ir::Scope::Global, x.name) && !inlines_.count(x.name) &&
                !enumerators_.count(x.name) && x.name.find('`') == std::string::npos)
                createVariable(ir::Scope::Global, x.name, types_->int64Type(), x.loc);
            if (x.kind == ExprKind::SelfVar && !findVariable(ir::Scope::ThreadLocal, x.name))
                createVariable(ir::Scope::ThreadLocal, x.name, types_->int64Type(), x.loc);
            if (x.kind == ExprKind::ThisVar && !findVariable(ir::Scope::ClauseLocal, x.name))
                createVariable(ir::Scope::ClauseLocal, x.name, types_->int64Type(), x.loc);
        }
        for (const auto &a : e.args) walk(*a);
    };
    std::function<void(const std::vector<frontend::StmtPtr> &)> stmts = [&](const auto &body) {
        for (const auto &s : body) {
            if (s->expr) walk(*s->expr);
            stmts(s->body);
            stmts(s->elseBody);
        }
    };
    if (c.predicate) walk(*c.predicate);
    stmts(c.body);
}

void Sema::analyzeClause(const frontend::Clause &c) {
    for (const auto &spec : c.probes) {
        std::string expanded;
        auto probes = matchProbes(spec, expanded);
        // A probe of a provider whose probes have arguments and conditions
        // of their own (proc, sched, io ...): its clause is compiled for it
        // alone, as DTrace makes an enabling per probe.
        std::vector<std::vector<const providers::Probe *>> groups(1);
        for (const auto *p : probes) {
            if (p->owner->separateEnabling(*p))
                groups.push_back({p});
            else
                groups.front().push_back(p);
        }
        if (groups.front().empty() && groups.size() > 1) groups.erase(groups.begin());
        for (const auto &group : groups) analyzeEnabling(c, group, expanded);
    }
    currentProbes_.clear();
}

void Sema::analyzeEnabling(const frontend::Clause &c,
                           const std::vector<const providers::Probe *> &probes,
                           const std::string &description) {
    ir::Clause out;
    out.index = clauseCount_++;
    out.probes = probes;
    out.loc = c.loc;
    out.description = description;
    out.source = sourceCount_;
    currentProbes_ = probes;
    clauseActions_ = 0;
    declareIncremented(c);
    NodePtr filter;
    if (probes.size() == 1 && !probes.front()->filter.empty())
        filter = probeExpression(probes.front()->filter, c.loc);
    if (c.predicate) {
        inPredicate_ = true;
        NodePtr p = expr(*c.predicate);
        inPredicate_ = false;
        if (!isScalar(p->type) || p->kind == NodeKind::AggregationRef)
            fail("D_PRED_SCALAR", c.endLoc, "predicate result must be of scalar type");
        out.predicate = std::move(p);
    }
    if (filter) {
        if (out.predicate) {
            auto both = mk(NodeKind::Binary, c.loc, types_->intType());
            both->op = ir::Op::LogAnd;
            both->kids.push_back(std::move(filter));
            both->kids.push_back(std::move(out.predicate));
            out.predicate = std::move(both);
        } else {
            out.predicate = std::move(filter);
        }
    }
    analyzeStatements(c.body, out.body);
    for (const auto *p : probes) enabled_.insert(p);
    out_.clauses.push_back(std::move(out));
}

// A D expression a provider defines (a mapped probe's condition or one of
// its arguments), over the hook's arguments arg0..
const frontend::Expr &Sema::parseProbeExpression(const std::string &text) {
    if (text.find("xlate") != std::string::npos) loadTranslatorLibrary();
    probeExpressions_.push_back(frontend::Parser(text, [this](std::string_view n, bool kernel) {
                                    return isTypeName(n, kernel);
                                }).parseStandaloneExpression());
    return *probeExpressions_.back();
}

NodePtr Sema::probeExpression(const std::string &text, SourceLoc loc) {
    NodePtr n = expr(parseProbeExpression(text));
    n->loc = loc;
    return n;
}

// The D expression behind a mapped probe's args[i], if it has one.
const frontend::Expr *Sema::probeArgumentSource(const frontend::Expr &e) {
    if (e.kind != frontend::ExprKind::Index || e.args.size() != 2) return nullptr;
    const frontend::Expr &base = *e.args[0], &sub = *e.args[1];
    if (base.kind != frontend::ExprKind::Identifier || base.name != "args" ||
        sub.kind != frontend::ExprKind::Integer || currentProbes_.empty())
        return nullptr;
    const providers::Probe *p = currentProbes_.front();
    if (sub.intValue >= p->argExprs.size()) return nullptr;
    const std::string &text = p->argExprs[sub.intValue];
    if (text.empty()) return nullptr;
    auto [it, fresh] = parsedProbeExpressions_.try_emplace(text, nullptr);
    if (fresh) it->second = &parseProbeExpression(text);
    return it->second;
}

// -------------------------------------------------------------- statements

void Sema::analyzeStatements(const std::vector<frontend::StmtPtr> &in,
                             std::vector<ir::StmtPtr> &out) {
    for (const auto &s : in) {
        if (s->kind == frontend::StmtKind::Empty) continue;
        if (s->kind == frontend::StmtKind::Block) {
            analyzeStatements(s->body, out);
            continue;
        }
        if (auto st = analyzeStatement(*s)) out.push_back(std::move(st));
    }
}

ir::StmtPtr Sema::analyzeStatement(const frontend::Stmt &s) {
    NestingGuard guard(depth_, s.loc);
    if (s.kind == frontend::StmtKind::If) {
        auto st = mkStmt(ir::StmtKind::If, s.loc);
        st->expr = expr(*s.expr);
        if (!isScalar(st->expr->type))
            fail("D_IF_SCALAR", s.expr->loc, "if condition must be of scalar type");
        analyzeStatements(s.body, st->thenBody);
        analyzeStatements(s.elseBody, st->elseBody);
        return st;
    }
    const frontend::Expr &e = *s.expr;
    if (e.kind == ExprKind::Call) {
        const FunctionInfo *f = findFunction(e.name);
        if (f && f->kind == FunctionKind::Action) return analyzeCallStatement(e);
        if (f && f->kind == FunctionKind::Aggregating)
            fail("D_CG_EXPR", e.loc,
                 e.name + "( ) may not be called from a D expression (D program context "
                          "required)");
    }
    if (e.kind == ExprKind::Aggregation)
        fail("D_AGG_NULL", e.loc, "expression has null effect: " + e.name);
    if (e.kind == ExprKind::Assign && e.args[0]->kind == ExprKind::Index &&
        e.args[0]->args[0]->kind == ExprKind::Index &&
        e.args[0]->args[0]->args[0]->kind == ExprKind::Aggregation)
        fail("D_AGG_MDIM", e.loc,
             "multi-dimensional indexing is not supported for aggregations: " +
                 e.args[0]->args[0]->args[0]->name);
    if (e.kind == ExprKind::Assign &&
        (e.args[0]->kind == ExprKind::Aggregation ||
         (e.args[0]->kind == ExprKind::Index && e.args[0]->args[0]->kind == ExprKind::Aggregation)))
        return analyzeAggregation(e);
    auto st = mkStmt(ir::StmtKind::Expr, s.loc);
    st->expr = expr(e);
    return st;
}

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
        fn == "umod") {
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
// the function (or module) it is in; a one-frame stack underneath.
NodePtr Sema::symbolValue(const frontend::Expr &call) {
    const std::string &fn = call.name;
    checkArgCount(fn, call.args.size(), 1, 1, call.loc);
    NodePtr address = expr(*call.args[0]);
    if (!isInteger(address->type) && !isPointer(address->type))
        protoArgError(fn, 1, "uint64_t", address->type, call.loc);
    bool user = fn[0] == 'u';
    uint8_t form = fn.ends_with("mod") ? 2 : 1;
    auto node = mk(NodeKind::Call, call.loc, types_->stackType(user, 1, form));
    node->subr = ir::Subr::Stack;
    node->value = 1;
    node->kids.push_back(convert(std::move(address), types_->uint64Type()));
    return node;
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

// lquantize(value, base, limit[, step[, increment]]): DTrace's bounds.
void Sema::checkLquantize(const std::string &fn, ir::Stmt &st, SourceLoc loc) {
    if (st.params.size() < 3) st.params.push_back(1); // the default step
    int64_t base = st.params[0], limit = st.params[1], step = st.params[2];
    if (base < INT32_MIN || base > INT32_MAX)
        fail("D_LQUANT_BASEVAL", loc, fn + "( ) argument #2 must be a 32-bit quantity");
    if (limit < INT32_MIN || limit > INT32_MAX)
        fail("D_LQUANT_LIMVAL", loc, fn + "( ) argument #3 must be a 32-bit quantity");
    if (limit <= base)
        fail("D_LQUANT_MISMATCH", loc,
             fn + "( ) base (argument #2) must be less than limit (argument #3)");
    if (step == 0)
        fail("D_LQUANT_STEPTYPE", loc, fn + "( ) argument #4 must be a non-zero constant");
    if (step < 0 || step > UINT16_MAX)
        fail("D_LQUANT_STEPVAL", loc, fn + "( ) argument #4 must be a 16-bit quantity");
    int64_t levels = (limit - base) / step;
    if (levels == 0)
        fail("D_LQUANT_STEPLARGE", loc,
             fn + "( ) step (argument #4) too large (must be <= (limit - base))");
    if (levels > UINT16_MAX)
        fail("D_LQUANT_STEPSMALL", loc,
             fn + "( ) step (argument #4) too small (must be >= (limit - base) / 65535)");
    // Each CPU's buckets live in one map value, at most 32 KiB.
    if (levels + 2 > 4094)
        fail("D_LQUANT_STEPSMALL", loc,
             fn + "( ) has " + std::to_string(levels) +
                 " levels; dtrace supports at most 4092 (raise the step)");
}

// llquantize(value, factor, low, high, steps[, increment]): DTrace's bounds.
void Sema::checkLlquantize(const std::string &fn, ir::Stmt &st, SourceLoc loc) {
    int64_t factor = st.params[0], low = st.params[1], high = st.params[2], steps = st.params[3];
    if (factor < 2 || factor > UINT16_MAX)
        fail("D_LLQUANT_FACTORVAL", loc,
             fn + "( ) factor (argument #2) must be between 2 and 65535");
    if (low < 0 || low > UINT16_MAX)
        fail("D_LLQUANT_LMAGVAL", loc,
             fn + "( ) lower magnitude (argument #3) must be between 0 and 65535");
    if (high < low)
        fail("D_LLQUANT_HMAGVAL", loc,
             fn + "( ) high magnitude (argument #4) must be at least the lower magnitude");
    if (high > UINT16_MAX)
        fail("D_LLQUANT_HMAGVAL", loc,
             fn + "( ) high magnitude (argument #4) must be less than 65536");
    if (steps < 0)
        fail("D_LLQUANT_STEPTYPE", loc, fn + "( ) argument #5 must be a positive constant");
    if (steps == 0 || steps > UINT16_MAX)
        fail("D_LLQUANT_STEPVAL", loc,
             fn + "( ) linear steps per magnitude (argument #5) must be between 1 and 65535");
    // The buckets must line up with the first order of magnitude: its end
    // (factor^(low+1)) and the steps divide one another.
    __int128 end = 1;
    for (int64_t m = 0; m <= low && end <= INT64_MAX; ++m) end *= factor;
    if (end <= INT64_MAX && end % steps != 0 && steps % end != 0)
        fail("D_LLQUANT_STEPVAL", loc,
             fn + "( ) linear steps per magnitude (argument #5) must evenly divide, or be a "
                  "multiple of, the factor (argument #2) to the power of the lower magnitude "
                  "(argument #3) plus one");
    if ((ir::llquantizeLayout(st.params).buckets() + 1) * 8 > 32768)
        fail("D_LLQUANT_STEPVAL", loc,
             fn + "( ) has too many buckets for dtrace (at most 4093): fewer steps or magnitudes");
}

ir::StmtPtr Sema::analyzeAggregation(const frontend::Expr &assign) {
    const frontend::Expr &lhs = *assign.args[0];
    const frontend::Expr &rhs = *assign.args[1];
    if (assign.op != "=")
        fail("D_AGG_FUNC", assign.loc,
             "aggregations may only be assigned the result of an aggregating function");
    const frontend::Expr &aggExpr = lhs.kind == ExprKind::Aggregation ? lhs : *lhs.args[0];
    std::string name = aggExpr.name;
    if (rhs.kind == ExprKind::Call && !findFunction(rhs.name))
        fail("D_FUNC_UNDEF", rhs.loc,
             "failed to resolve " + rhs.name + ": Unknown aggregating function name");
    if (rhs.kind != ExprKind::Call || !findFunction(rhs.name) ||
        findFunction(rhs.name)->kind != FunctionKind::Aggregating)
        fail("D_AGG_FUNC", assign.loc,
             name + " must be assigned the result of an aggregating function");
    const FunctionInfo *f = findFunction(rhs.name);
    checkArgCount(rhs.name, rhs.args.size(), static_cast<size_t>(f->minArgs),
                  static_cast<size_t>(f->maxArgs), rhs.loc);
    noteAction(ActionClass::Aggregating, assign.loc);
    auto st = mkStmt(ir::StmtKind::Aggregate, assign.loc);
    std::vector<TypeRef> keyTypes;
    if (lhs.kind == ExprKind::Index) {
        for (size_t i = 1; i < lhs.args.size(); ++i) {
            NodePtr k = expr(*lhs.args[i]);
            // Keys are values: not void, not an aggregation, not a pointer
            // to translated (dynamic) data.
            if (isVoid(k->type) || k->kind == NodeKind::AggregationRef || k->translated)
                fail("D_KEY_TYPE", k->loc,
                     "invalid key #" + std::to_string(i) + " for " + name + ": " +
                         (k->kind == NodeKind::AggregationRef ? std::string("aggregation")
                                                              : describe(k->type)));
            keyTypes.push_back(k->type);
            st->keys.push_back(std::move(k));
        }
    }
    ir::AggFunc func = ir::AggFunc::Count;
    const std::string &fn = rhs.name;
    if (fn == "count")
        func = ir::AggFunc::Count;
    else if (fn == "sum")
        func = ir::AggFunc::Sum;
    else if (fn == "avg")
        func = ir::AggFunc::Avg;
    else if (fn == "min")
        func = ir::AggFunc::Min;
    else if (fn == "max")
        func = ir::AggFunc::Max;
    else if (fn == "stddev")
        func = ir::AggFunc::Stddev;
    else if (fn == "quantize")
        func = ir::AggFunc::Quantize;
    else if (fn == "lquantize")
        func = ir::AggFunc::Lquantize;
    else if (fn == "llquantize")
        func = ir::AggFunc::Llquantize;
    for (size_t i = 0; i < rhs.args.size(); ++i) {
        NodePtr a = expr(*rhs.args[i]);
        // The value, then the constant parameters (lquantize: base, limit,
        // step), then an optional increment.
        size_t constants = func == ir::AggFunc::Lquantize    ? 3
                           : func == ir::AggFunc::Llquantize ? 4
                                                             : 0;
        bool isIncrement =
            i > constants && (func == ir::AggFunc::Quantize || func == ir::AggFunc::Lquantize ||
                              func == ir::AggFunc::Llquantize);
        if (i == 0 || isIncrement) {
            if (i == 0 && isString(a->type))
                fail("D_AGG_SCALAR", rhs.loc, fn + "( ) requires a scalar value");
            if (!isScalar(a->type) || a->kind == NodeKind::AggregationRef)
                protoArgError(fn, static_cast<int>(i + 1), "int64_t", a->type, rhs.loc);
            a = convert(std::move(a), types_->int64Type());
            st->args.push_back(std::move(a));
        } else {
            if (!a->isConstant())
                fail(func == ir::AggFunc::Lquantize    ? (i == 1   ? "D_LQUANT_BASETYPE"
                                                          : i == 2 ? "D_LQUANT_LIMTYPE"
                                                                   : "D_LQUANT_STEPTYPE")
                     : func == ir::AggFunc::Llquantize ? (i == 1   ? "D_LLQUANT_FACTORTYPE"
                                                          : i == 2 ? "D_LLQUANT_LMAGTYPE"
                                                          : i == 3 ? "D_LLQUANT_HMAGTYPE"
                                                                   : "D_LLQUANT_STEPTYPE")
                                                       : "D_LQUANT_CONST",
                     rhs.loc,
                     fn + "( ) argument #" + std::to_string(i + 1) + " must be a constant");
            st->params.push_back(a->value);
        }
    }
    if (func == ir::AggFunc::Lquantize) checkLquantize(fn, *st, rhs.loc);
    if (func == ir::AggFunc::Llquantize) checkLlquantize(fn, *st, rhs.loc);
    ir::Aggregation *agg;
    if (auto it = aggs_.find(name); it != aggs_.end()) {
        agg = it->second;
        if (agg->func != func)
            fail("D_AGG_REDEF", assign.loc,
                 "aggregation redefined: " + name + "\n\t current: " + fn +
                     "( )\n\tprevious: different aggregating function");
        if (agg->keys.size() != keyTypes.size())
            fail("D_AGG_REDEF", assign.loc, "aggregation redefined: " + name);
        if (func == ir::AggFunc::Llquantize) {
            static const char *const tags[] = {"D_LLQUANT_MATCHFACTOR", "D_LLQUANT_MATCHLMAG",
                                               "D_LLQUANT_MATCHHMAG", "D_LLQUANT_MATCHSTEPS"};
            static const char *const what[] = {
                "factor (argument #2)", "lower magnitude (argument #3)",
                "high magnitude (argument #4)", "linear steps per magnitude (argument #5)"};
            for (size_t i = 0; i < 4; ++i)
                if (agg->params.at(i) != st->params.at(i))
                    fail(tags[i], rhs.loc,
                         fn + "( ) " + what[i] + " doesn't match previous declaration: expected " +
                             std::to_string(agg->params[i]) + ", found " +
                             std::to_string(st->params[i]));
        }
        if (func == ir::AggFunc::Lquantize) {
            static const char *const tags[] = {"D_LQUANT_MATCHBASE", "D_LQUANT_MATCHLIM",
                                               "D_LQUANT_MATCHSTEP"};
            static const char *const what[] = {"base (argument #2)", "limit (argument #3)",
                                               "step (argument #4)"};
            for (size_t i = 0; i < 3; ++i)
                if (agg->params.at(i) != st->params.at(i))
                    fail(tags[i], rhs.loc,
                         fn + "( ) " + what[i] + " doesn't match previous declaration: expected " +
                             std::to_string(agg->params[i]) + ", found " +
                             std::to_string(st->params[i]));
        }
    } else {
        auto a = std::make_unique<ir::Aggregation>();
        a->name = name;
        a->id = static_cast<int>(out_.aggregations.size());
        a->func = func;
        a->keys = keyTypes;
        a->params = st->params;
        a->loc = assign.loc;
        agg = a.get();
        aggs_[name] = agg;
        out_.aggregations.push_back(std::move(a));
    }
    st->agg = agg;
    return st;
}

// A call in an expression: subroutines have values; actions are void.
NodePtr Sema::call(const frontend::Expr &e) {
    const FunctionInfo *f = findFunction(e.name);
    if (!f) fail("D_IDENT_UNDEF", e.loc, "failed to resolve " + e.name + ": Unknown function name");
    size_t max = f->maxArgs < 0 ? SIZE_MAX : static_cast<size_t>(f->maxArgs);
    checkArgCount(e.name, e.args.size(), static_cast<size_t>(f->minArgs), max, e.loc);
    if (f->kind == FunctionKind::Aggregating)
        fail("D_AGG_FUNC", e.loc, e.name + "( ) may only be used as the value of an aggregation");
    // stack() and ustack() are values too: aggregation keys.
    if (e.name == "stack" || e.name == "ustack" || e.name == "jstack") return stackValue(e);
    if (e.name == "func" || e.name == "sym" || e.name == "mod" || e.name == "ufunc" ||
        e.name == "usym" || e.name == "umod")
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
