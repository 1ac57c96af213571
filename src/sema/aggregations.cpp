// Semantic analysis of aggregating statements (@a[keys] = count() ...) and
// of lquantize() and llquantize()'s bounds.
#include "sema/builtins.h"
#include "sema/sema.h"
#include "sema/sema_internal.h"

namespace dtrace::sema {

using frontend::ExprKind;
using ir::NodeKind;
using ir::NodePtr;

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
            // A char array keys by the string it holds (as printa's %s and
            // the default output then show it).
            if (isCharArray(k->type)) {
                auto c = mk(NodeKind::Cast, k->loc, types_->stringType());
                c->kids.push_back(std::move(k));
                k = std::move(c);
            }
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
            if (isIncrement && (!isScalar(a->type) || a->kind == NodeKind::AggregationRef))
                fail("D_PROTO_ARG", rhs.loc,
                     fn + "( ) increment value (argument #" + std::to_string(i + 1) +
                         ") must be of scalar type");
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

} // namespace dtrace::sema
