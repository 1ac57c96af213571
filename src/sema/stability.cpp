// Stability attributes of a clause, as DTrace's compiler weighs them: the
// probe description's (from its provider's attributes, part by part) and
// the statements' (the lowest attribute of anything they use). -x amin
// refuses a program with an attribute below the minimum, naming the first
// thing that is; -v reports each program's minimum.
#include "sema/builtins.h"
#include "sema/sema.h"

#include <algorithm>
#include <array>

namespace dtrace::sema {

using frontend::ExprKind;
using program::Attributes;
using program::kStableCommon;

namespace {

// Subroutines DTrace documents as Evolving (the rest are Stable).
bool evolvingSubroutine(std::string_view name) {
    static constexpr std::array<std::string_view, 17> kEvolving{"d_path",
                                                                "ddi_pathname",
                                                                "getmajor",
                                                                "getminor",
                                                                "htonl",
                                                                "htonll",
                                                                "htons",
                                                                "ntohl",
                                                                "ntohll",
                                                                "ntohs",
                                                                "mutex_owned",
                                                                "mutex_owner",
                                                                "mutex_type_adaptive",
                                                                "mutex_type_spin",
                                                                "rw_iswriter",
                                                                "rw_read_held",
                                                                "rw_write_held"};
    return std::find(kEvolving.begin(), kEvolving.end(), name) != kEvolving.end();
}

// A probe description's part is a glob when it is empty or has a glob
// character.
bool globPart(std::string_view part) {
    return part.empty() || part.find_first_of("*?[]\\") != std::string_view::npos;
}

} // namespace

std::optional<Attributes> Sema::minimumAttributes() const {
    if (!options_.chosen("amin")) return std::nullopt;
    return program::parseAttributes(options_.amin);
}

void Sema::checkMinimumAttributes(const Attributes &a, const std::string &what,
                                  SourceLoc loc) const {
    auto minimum = minimumAttributes();
    if (minimum && !suspendMinimum_ && a.below(*minimum))
        fail("D_ATTR_MIN", loc,
             "attributes for " + what + " (" + program::attributesText(a) +
                 ") are less than predefined minimum");
}

program::ProviderAttributes Sema::providerAttributes(const providers::Provider &p) const {
    if (auto it = pragmaProviderAttributes_.find(std::string(p.name()));
        it != pragmaProviderAttributes_.end())
        return it->second;
    return p.attributes();
}

// DTrace's rule: a description whose provider is a glob weighs as an
// unstable one; otherwise its provider's attributes for each part it
// names exactly (globs and empty parts left out).
Attributes Sema::descriptionAttributes(const std::string &description,
                                       const std::vector<const providers::Probe *> &probes) {
    providers::ProbeDescription d;
    unstableDescription_ = false;
    if (!providers::parseProbeDescription(description, d) || probes.empty()) {
        contextAttributes_ = program::kUnstableProvider;
        return program::kUnstableCommonAttrs;
    }
    program::ProviderAttributes matched = providerAttributes(*probes.front()->owner);
    contextAttributes_ = matched;
    // Several probes matched by a glob over a part their provider keeps
    // stable (or over providers whose arguments are unstable) are an
    // unstable set: the description weighs as unstable.
    using program::Stability;
    unstableDescription_ =
        probes.size() > 1 &&
        ((matched.arguments.data < Stability::Evolving && globPart(d.provider)) ||
         (matched.module.name >= Stability::Evolving && globPart(d.module)) ||
         (matched.function.name >= Stability::Evolving && globPart(d.function)) ||
         (matched.name.name >= Stability::Evolving && globPart(d.name)));
    if (unstableDescription_) {
        contextAttributes_ = program::kUnstableProvider;
        return program::kUnstableCommonAttrs;
    }
    program::ProviderAttributes source =
        globPart(d.provider) ? program::kUnstableProvider : matched;
    contextAttributes_.arguments = source.arguments;
    Attributes a = source.provider;
    if (!globPart(d.module)) a = program::lowest(a, source.module);
    if (!globPart(d.function)) a = program::lowest(a, source.function);
    if (!globPart(d.name)) a = program::lowest(a, source.name);
    return a;
}

Attributes Sema::typeAttributes(const frontend::TypeName &t, SourceLoc loc) {
    TypeRef type = resolveTypeName(t);
    // Types of the kernel's (from BTF, seen through pointers, arrays and
    // typedefs) are private; D's and C's are stable.
    bool kernel = false;
    for (TypeRef base = type; base && !kernel;) {
        TypeRef plain = stripTypedefs(base);
        kernel = base->btfId != 0 || (plain && plain->btfId != 0);
        bool derived =
            plain && (plain->kind == TypeKind::Pointer || plain->kind == TypeKind::Array);
        base = derived ? plain->target : nullptr;
    }
    Attributes a = kernel ? program::kPrivateUnknownAttrs : kStableCommon;
    checkMinimumAttributes(a, "type " + typeName(type), loc);
    return a;
}

Attributes Sema::identifierAttributes(const std::string &name, SourceLoc loc, bool isArray) {
    Attributes a = kStableCommon;
    std::string what;
    if (name.find('`') != std::string::npos) {
        a = program::kPrivateUnknownAttrs;
        what = "symbol " + name;
    } else if (name == "args") {
        a = contextAttributes_.arguments;
        what = "associative array args";
    } else if (const BuiltinVarInfo *b = findBuiltinVar(name)) {
        switch (b->builtin) {
        case ir::Builtin::Curthread: a = program::kStablePrivateCommon; break;
        case ir::Builtin::Probeprov: a = contextAttributes_.provider; break;
        case ir::Builtin::Probemod: a = contextAttributes_.module; break;
        case ir::Builtin::Probefunc: a = contextAttributes_.function; break;
        case ir::Builtin::Probename: a = contextAttributes_.name; break;
        default: break;
        }
        what = "scalar " + name;
    } else if (auto it = inlines_.find(name); it != inlines_.end()) {
        // The program's own inlines weigh their values (or what a pragma
        // gives them); the D library's are stable.
        if (auto p = pragmaAttributes_.find(name); p != pragmaAttributes_.end())
            a = p->second;
        else if (programInlines_.count(name) && it->second.value &&
                 it->second.value->kind != ExprKind::Integer)
            a = program::lowest(kStableCommon, inlineAttributes(name, *it->second.value));
        what =
            std::string(isArray || !it->second.params.empty() ? "associative array " : "scalar ") +
            name;
    } else {
        if (auto p = pragmaAttributes_.find(name); p != pragmaAttributes_.end()) a = p->second;
        what = std::string(isArray ? "associative array " : "scalar ") + name;
    }
    a = program::lowest(kStableCommon, a);
    checkMinimumAttributes(a, what, loc);
    return a;
}

Attributes Sema::inlineAttributes(const std::string &name, const frontend::Expr &value) {
    if (auto it = inlineAttributeCache_.find(name); it != inlineAttributeCache_.end())
        return it->second;
    inlineAttributeCache_[name] = kStableCommon; // a recursive use weighs nothing more
    Attributes a = attributesOf(value);
    inlineAttributeCache_[name] = a;
    return a;
}

Attributes Sema::translatorAttributes(const frontend::Expr &xlate) {
    TypeRef out;
    const TranslatorDef *def = nullptr;
    try {
        def = &lookupTranslator(xlate, out);
    } catch (const CompileError &) {
        return kStableCommon;
    }
    if (auto it = translatorAttributeCache_.find(def); it != translatorAttributeCache_.end())
        return it->second;
    // The lowest of its members' expressions, over the input's name (itself
    // stable); the D library's translators are held to no minimum.
    translatorAttributeCache_[def] = program::kHighest;
    Attributes a = program::kHighest;
    bool outer = suspendMinimum_;
    suspendMinimum_ = true;
    translatorInput_.push_back(def->inputName);
    try {
        for (const auto &[name, member] : def->members)
            if (member) a = program::lowest(a, attributesOf(*member));
    } catch (...) {
        translatorInput_.pop_back();
        suspendMinimum_ = outer;
        throw;
    }
    translatorInput_.pop_back();
    suspendMinimum_ = outer;
    translatorAttributeCache_[def] = a;
    return a;
}

Attributes Sema::attributesOf(const frontend::Expr &e) {
    auto operatorAttributes = [&](Attributes a, const std::string &op) {
        checkMinimumAttributes(a, "operator " + op, e.loc);
        return a;
    };
    auto lowestOfArgs = [&](size_t from) {
        Attributes a = kStableCommon;
        for (size_t i = from; i < e.args.size(); ++i)
            if (e.args[i]) a = program::lowest(a, attributesOf(*e.args[i]));
        return a;
    };
    switch (e.kind) {
    case ExprKind::Integer:
    case ExprKind::String:
    case ExprKind::Macro:
    case ExprKind::Offsetof: return kStableCommon;
    case ExprKind::Aggregation: {
        Attributes a = kStableCommon;
        checkMinimumAttributes(a, "aggregation " + e.name, e.loc);
        return a;
    }
    case ExprKind::SelfVar:
    case ExprKind::ThisVar: {
        Attributes a = kStableCommon;
        checkMinimumAttributes(a, "scalar " + e.name, e.loc);
        return a;
    }
    case ExprKind::Identifier:
        if (std::find(translatorInput_.begin(), translatorInput_.end(), e.name) !=
            translatorInput_.end())
            return kStableCommon;
        return identifierAttributes(e.name, e.loc, false);
    case ExprKind::Unary:
    case ExprKind::PreIncrement:
    case ExprKind::PreDecrement:
    case ExprKind::PostIncrement:
    case ExprKind::PostDecrement:
    case ExprKind::SizeofExpr:
    case ExprKind::Stringof: {
        Attributes a = lowestOfArgs(0);
        std::string op = e.kind == ExprKind::SizeofExpr ? "sizeof"
                         : e.kind == ExprKind::Stringof ? "stringof"
                         : e.kind == ExprKind::Unary    ? e.op
                         : e.kind == ExprKind::PreIncrement || e.kind == ExprKind::PostIncrement
                             ? "++"
                             : "--";
        return operatorAttributes(a, op);
    }
    case ExprKind::Binary:
    case ExprKind::Assign:
    case ExprKind::Comma:
        return operatorAttributes(lowestOfArgs(0), e.kind == ExprKind::Comma ? "," : e.op);
    case ExprKind::Conditional: return operatorAttributes(lowestOfArgs(0), "?");
    case ExprKind::Cast: {
        Attributes a = e.typeName ? typeAttributes(*e.typeName, e.loc) : kStableCommon;
        return operatorAttributes(program::lowest(a, lowestOfArgs(0)), "(");
    }
    case ExprKind::SizeofType:
        return e.typeName ? typeAttributes(*e.typeName, e.loc) : kStableCommon;
    case ExprKind::Xlate:
        return operatorAttributes(program::lowest(lowestOfArgs(0), translatorAttributes(e)),
                                  "xlate");
    case ExprKind::Call: {
        Attributes a = lowestOfArgs(0);
        const FunctionInfo *f = findFunction(e.name);
        Attributes own = f && f->kind == FunctionKind::Subroutine && evolvingSubroutine(e.name)
                             ? program::kEvolvingCommonAttrs
                             : kStableCommon;
        const char *kind = !f                                     ? "function "
                           : f->kind == FunctionKind::Action      ? "tracing function "
                           : f->kind == FunctionKind::Aggregating ? "aggregating function "
                                                                  : "function ";
        checkMinimumAttributes(own, kind + e.name + "( )", e.loc);
        return program::lowest(a, own);
    }
    case ExprKind::Index: {
        if (e.args.empty() || !e.args[0]) return kStableCommon;
        const frontend::Expr &base = *e.args[0];
        if (base.kind == ExprKind::Identifier) {
            bool array = base.name == "args" || base.name == "uregs" || globals_.count(base.name) ||
                         inlines_.count(base.name) || !findBuiltinVar(base.name);
            if (array && base.name.find('`') == std::string::npos) {
                Attributes a = identifierAttributes(base.name, base.loc, true);
                return program::lowest(a, lowestOfArgs(1));
            }
        }
        if (base.kind == ExprKind::SelfVar || base.kind == ExprKind::ThisVar ||
            base.kind == ExprKind::Aggregation)
            return program::lowest(attributesOf(base), lowestOfArgs(1));
        return operatorAttributes(lowestOfArgs(0), "[");
    }
    case ExprKind::Member:
    case ExprKind::Arrow:
        // A member weighs as what it is a member of.
        return e.args.empty() || !e.args[0] ? kStableCommon : attributesOf(*e.args[0]);
    }
    return kStableCommon;
}

void Sema::statementAttributes(const frontend::Stmt &s, Attributes &into) {
    switch (s.kind) {
    case frontend::StmtKind::Expr:
        if (s.expr) into = program::lowest(into, attributesOf(*s.expr));
        break;
    case frontend::StmtKind::If:
        if (s.expr) into = program::lowest(into, attributesOf(*s.expr));
        for (const auto &b : s.body)
            if (b) statementAttributes(*b, into);
        for (const auto &b : s.elseBody)
            if (b) statementAttributes(*b, into);
        break;
    case frontend::StmtKind::Block:
        for (const auto &b : s.body)
            if (b) statementAttributes(*b, into);
        break;
    case frontend::StmtKind::Empty: break;
    }
}

void Sema::clauseAttributes(const frontend::Clause &c, const std::string &description,
                            const std::vector<const providers::Probe *> &probes, ir::Clause &out) {
    out.descriptionAttributes = descriptionAttributes(description, probes);
    out.argumentAttributes = contextAttributes_.arguments;
    out.unstableDescription = unstableDescription_;
    checkMinimumAttributes(out.descriptionAttributes, "clause", c.loc);
    Attributes a = kStableCommon;
    try {
        for (const auto &s : c.body)
            if (s) statementAttributes(*s, a);
    } catch (CompileError &e) {
        if (e.region().empty()) e.setRegion("action list");
        throw;
    }
    try {
        if (c.predicate) a = program::lowest(a, attributesOf(*c.predicate));
    } catch (CompileError &e) {
        if (e.region().empty()) e.setRegion("predicate");
        throw;
    }
    out.statementAttributes = a;
    contextAttributes_ = {kStableCommon, kStableCommon, kStableCommon, kStableCommon,
                          kStableCommon};
}

} // namespace dtrace::sema
