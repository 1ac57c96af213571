// Semantic analysis of clauses: probe matching, enablings, predicates and
// statements (actions.cpp, aggregations.cpp and calls.cpp hold what they call).
#include "frontend/parser.h"
#include "sema/builtins.h"
#include "sema/sema.h"
#include "sema/sema_internal.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>
#include <unistd.h>

namespace dtrace::sema {

using frontend::ExprKind;
using ir::NodeKind;
using ir::NodePtr;

// ------------------------------------------------------------------ probes

std::vector<const providers::Probe *> Sema::matchProbes(const frontend::ProbeSpecText &spec,
                                                        std::string &expanded) {
    // A number is a probe ID, as `dtrace -l` numbers probes (the session
    // lists every probe first when a program may name one).
    const std::string &s = spec.text;
    if (providers::ProbeCatalog::isProbeId(s)) {
        std::string why;
        const providers::Probe *p = catalog_.byListedId(s, why);
        if (!p)
            fail("D_PDESC_INVAL", spec.loc,
                 why == "No such probe" ? "invalid probe identifier " + s + ": " + why : why);
        frontend::ProbeSpecText named{p->provider + ":" + p->module + ":" + p->function + ":" +
                                          p->name,
                                      spec.loc};
        return matchProbes(named, expanded);
    }
    // Macro variables may appear in probe descriptions: pid$target:::.
    std::string text;
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
                value = '0'; // a char: GCC 12 wrongly warns (-Wrestrict) of "0" (its bug 105329)
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
        fail(catalog_.matchErrorTag().c_str(), spec.loc, catalog_.matchError());
    if (probes.empty() && !ctx_.allowZeroMatches) {
        std::string why = catalog_.whyNoProbes(desc);
        fail("D_PDESC_ZERO", spec.loc,
             "probe description " + expanded + " does not match any probes" +
                 (why.empty() ? "" : ": " + why));
    }
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
    currentDescription_ = description;
    clauseActions_ = 0;
    struct InClause {
        bool &flag;
        explicit InClause(bool &f) : flag(f) { flag = true; }
        ~InClause() { flag = false; }
    } inClause(inClause_);
    declareIncremented(c);
    NodePtr filter;
    if (probes.size() == 1 && !probes.front()->filter.empty())
        filter = probeExpression(probes.front()->filter, c.loc);
    // An error says which part of the clause it is in.
    auto inRegion = [](const char *region, auto &&analyse) {
        try {
            analyse();
        } catch (CompileError &e) {
            if (e.region().empty()) e.setRegion(region);
            throw;
        }
    };
    if (c.predicate) {
        inRegion("predicate", [&] {
            inPredicate_ = true;
            NodePtr p = expr(*c.predicate);
            inPredicate_ = false;
            if (!isScalar(p->type) || p->kind == NodeKind::AggregationRef)
                fail("D_PRED_SCALAR", c.endLoc, "predicate result must be of scalar type");
            out.predicate = std::move(p);
        });
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
    inRegion("action list", [&] { analyzeStatements(c.body, out.body); });
    clauseAttributes(c, description, probes, out);
    for (const auto *p : probes) enabled_.insert(p);
    out_.clauses.push_back(std::move(out));
}

// A D expression a provider defines (a mapped probe's condition or one of
// its arguments), over the hook's arguments arg0..
const frontend::Expr &Sema::parseProbeExpression(const std::string &text) {
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

} // namespace dtrace::sema
