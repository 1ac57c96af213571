// Semantic analysis of the top level: pragmas, declarations, types,
// inlines, and the walk over clauses.
#include "sema/builtins.h"
#include "sema/sema.h"
#include "sema/sema_internal.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <set>

namespace dtrace::sema {

using frontend::DeclSpec;
using frontend::Derivation;

namespace {

// D's predefined integer constants (besides the fault types, from the
// ABI's table).
struct NamedConstant {
    const char *name;
    int64_t value;
};
constexpr NamedConstant kConstants[] = {
    // Address families and link types for inet_ntop and link_ntop.
    {"AF_INET", 2},
    {"AF_INET6", 10},
    {"ARPHRD_ETHER", 1},
    {"ARPHRD_INFINIBAND", 32},
};

} // namespace

size_t macroArgumentIndex(std::string_view digits) {
    size_t v = 0;
    for (char c : digits) {
        if (!std::isdigit(static_cast<unsigned char>(c))) break;
        if (v > (SIZE_MAX - 9) / 10) return SIZE_MAX;
        v = v * 10 + static_cast<size_t>(c - '0');
    }
    return v;
}

// Whether /proc/modules lists a kernel module.
bool kernelModuleLoaded(const std::string &name) {
    std::ifstream in("/proc/modules");
    std::string line;
    while (std::getline(in, line))
        if (line.compare(0, name.size() + 1, name + " ") == 0) return true;
    return false;
}

Sema::Sema(program::Options options, providers::ProbeCatalog &catalog, CompileContext ctx)
    : options_(std::move(options)), catalog_(catalog), ctx_(std::move(ctx)),
      types_(std::make_unique<TypeTable>()) {
    for (const NamedConstant &c : kConstants) enumerators_[c.name] = {types_->intType(), c.value};
    for (const program::FaultName &f : program::kFaultNames)
        enumerators_[std::string(f.name)] = {types_->intType(), program::faultCode(f.fault)};
    enumerators_["NULL"] = {types_->intType(),
                            0}; // as in C, a plain 0 that converts to any pointer
}

bool Sema::isTypeName(std::string_view name, bool consultKernel) const {
    // Kernel typedefs are consulted only for names D does not know, so a
    // program that uses none of them never loads BTF.
    if (types_->isTypedefName(name, false) || library().definingType(name)) return true;
    if (findBuiltinVar(name) || globals_.count(name) || inlines_.count(name) ||
        enumerators_.count(name))
        return false;
    return consultKernel && types_->isTypedefName(name, true);
}

// "#pragma D attributes" and "#pragma D binding" apply to an identifier the
// program itself declares: one defined before it (built in, by the D
// library or by an earlier program) is out of reach, and one never declared
// leaves the pragma unused.
void Sema::checkPragmaTarget(const frontend::Program &prog, SourceLoc loc, const char *pragma,
                             const std::string &name) {
    if (findBuiltinVar(name) || findFunction(name) || globals_.count(name) ||
        inlines_.count(name) || library().definingIdentifier(name))
        fail("D_PRAGMA_SCOPE", loc,
             std::string("#pragma ") + pragma +
                 " cannot modify entity defined outside program scope");
    using Storage = frontend::DeclSpec::Storage;
    for (const auto &item : prog.items)
        if (const auto *d = std::get_if<frontend::Declaration>(&item))
            if (d->spec.storage != Storage::Typedef && d->spec.storage != Storage::Self &&
                d->spec.storage != Storage::This)
                for (const auto &decl : d->declarators)
                    if (decl.name == name) return;
    fail("D_PRAGMA_UNUSED", loc, std::string("unused #pragma ") + pragma);
}

void Sema::applyPragmas(const frontend::Program &prog) {
    for (const auto &p : prog.pragmas) {
        if (p.words.size() < 2) continue; // "#pragma D" alone
        const std::string &what = p.words[1];
        if (what == "option") {
            for (size_t i = 2; i < p.words.size(); ++i) {
                const std::string &w = p.words[i];
                size_t eq = w.find('=');
                std::string name = w.substr(0, eq);
                std::optional<std::string> value;
                if (eq != std::string::npos) value = w.substr(eq + 1);
                auto err = options_.set(
                    name, value ? std::optional<std::string_view>(*value) : std::nullopt, true);
                if (err) {
                    std::string msg = "failed to set option '" + name + "'";
                    if (value) msg += " to '" + *value + "'";
                    fail("D_PRAGMA_OPTSET", p.loc, msg + ": " + *err);
                }
            }
        } else if (what == "attributes") {
            applyAttributesPragma(prog, p);
        } else if (what == "binding") {
            if (p.words.size() != 4)
                fail("D_PRAGMA_MALFORM", p.loc, "malformed #pragma binding <version> <ident>");
            checkPragmaTarget(prog, p.loc, "binding", p.words[3]);
        } else if (what == "error") {
            std::string msg = "#error: ";
            for (size_t i = 2; i < p.words.size(); ++i) msg += p.words[i] + " ";
            fail("D_PRAGERR", p.loc, msg);
        } else if (what == "depends_on") {
            // A program may require a provider or a kernel module.
            if (p.words.size() != 4)
                fail("D_PRAGMA_MALFORM", p.loc, "malformed #pragma depends_on <class> <name>");
            const std::string &kind = p.words[2], &name = p.words[3];
            if (kind == "provider") {
                providers::ProbeDescription d{name, "", "", ""};
                if (catalog_.list(d).empty())
                    fail("D_PRAGMA_DEPEND", p.loc, "program requires provider " + name);
            } else if (kind == "module") {
                if (name != "vmlinux" && !kernelModuleLoaded(name))
                    fail("D_PRAGMA_DEPEND", p.loc, "program requires module " + name);
            } else if (kind != "library") {
                fail("D_PRAGMA_INVAL", p.loc,
                     "invalid class " + kind + " specified by #pragma depends_on");
            }
        } else if (what == "stability" || what == "ident" || what == "line") {
            // Accepted; libraries and stability are not modelled yet.
        } else {
            fail("D_PRAGMA_INVAL", p.loc, "invalid #pragma D directive: " + what);
        }
    }
}

// DTrace substitutes macro arguments while reading the program, so an
// undefined $N is reported before any other semantic error.
void Sema::checkMacros(const frontend::Program &prog) {
    std::set<unsigned long> referenced;
    std::function<void(const frontend::Expr &)> walkExpr = [&](const frontend::Expr &e) {
        if (e.kind == frontend::ExprKind::Macro) {
            std::string body = e.name.substr(e.name.size() > 1 && e.name[1] == '$' ? 2 : 1);
            if (!body.empty() && std::isdigit(static_cast<unsigned char>(body[0]))) {
                referenced.insert(macroArgumentIndex(body));
                if (macroArgumentIndex(body) >= ctx_.macroArgs.size() && !options_.defaultargs)
                    fail("D_MACRO_UNDEF", e.loc, "macro argument " + e.name + " is not defined");
            }
        }
        for (const auto &a : e.args) walkExpr(*a);
    };
    std::function<void(const std::vector<frontend::StmtPtr> &)> walkStmts =
        [&](const std::vector<frontend::StmtPtr> &body) {
            for (const auto &s : body) {
                if (s->expr) walkExpr(*s->expr);
                walkStmts(s->body);
                walkStmts(s->elseBody);
            }
        };
    for (const auto &item : prog.items) {
        if (const auto *c = std::get_if<frontend::Clause>(&item)) {
            // $1 in a probe description counts as a use.
            for (const auto &p : c->probes)
                for (size_t i = p.text.find('$'); i != std::string::npos;
                     i = p.text.find('$', i + 1)) {
                    size_t j = i + 1;
                    if (j < p.text.size() && p.text[j] == '$') ++j;
                    if (j < p.text.size() && std::isdigit(static_cast<unsigned char>(p.text[j])))
                        referenced.insert(macroArgumentIndex(p.text.substr(j)));
                }
            if (c->predicate) walkExpr(*c->predicate);
            walkStmts(c->body);
        } else if (const auto *d = std::get_if<frontend::Declaration>(&item);
                   d && d->isInline) {
            // An inline's value uses its arguments too.
            for (const auto &decl : d->declarators)
                if (decl.initializer) walkExpr(*decl.initializer);
        }
    }
    // As in DTrace, an argument no program text uses is an error (unless
    // -x argref says arguments need not be used).
    if (!options_.argref)
        for (size_t i = 1; i < ctx_.macroArgs.size(); ++i)
            if (!referenced.count(i))
                fail("D_MACRO_UNUSED", SourceLoc{prog.endLine},
                     "extraneous argument '" + ctx_.macroArgs[i] + "' ($" + std::to_string(i) +
                         " is not referenced)");
}

size_t Sema::analyzeSource(const frontend::Program &prog) {
    applyPragmas(prog);
    checkMacros(prog);
    types_->setStringSize(options_.strsize);
    bool anyClause = false;
    for (const auto &item : prog.items) {
        if (const auto *d = std::get_if<frontend::Declaration>(&item)) {
            if (d->isInline)
                declareInline(*d);
            else
                declare(*d);
        } else if (const auto *c = std::get_if<frontend::Clause>(&item)) {
            anyClause = true;
            analyzeClause(*c);
        } else if (const auto *t = std::get_if<frontend::Translator>(&item)) {
            defineTranslator(*t);
        } else if (const auto *def = std::get_if<frontend::ProviderDef>(&item)) {
            // USDT provider definitions make probes only for -h and -G.
            checkProviderDefinition(*def);
        }
    }
    if (!anyClause && prog.items.empty() && !options_.empty)
        fail("D_EMPTY", SourceLoc{prog.endLine}, "empty D program translation unit");
    ++sourceCount_;
    return countSourceProbes(sourceCount_ - 1);
}

size_t Sema::countSourceProbes(int source) const {
    // DTrace counts each clause's matches (BEGIN twice is two probes).
    size_t n = 0;
    for (const auto &c : out_.clauses)
        if (c.source == source) n += c.probes.size();
    return n;
}

ir::Program Sema::finish() {
    out_.options = options_;
    out_.types = std::move(types_);
    out_.matchedProbes = enabled_.size();
    types_ = std::make_unique<TypeTable>();
    return std::move(out_);
}

// -------------------------------------------------------------------- types

int64_t Sema::constantValue(const frontend::Expr &e, const char *tag, const std::string &msg) {
    ir::NodePtr n = expr(e);
    if (!n->isConstant() || !isInteger(n->type)) fail(tag, e.loc, msg);
    return n->value;
}

TypeRef Sema::defineEnum(const frontend::DeclSpec &spec, SourceLoc loc) {
    if (!spec.enumBody) {
        TypeRef t = types_->tagged(TypeKind::Enum, spec.name);
        if (t) return t;
        return types_->declareTag(TypeKind::Enum, spec.name);
    }
    if (!spec.name.empty() && types_->tagDefinedByProgram(TypeKind::Enum, spec.name))
        fail("D_DECL_TYPERED", spec.bodyLoc.line ? spec.bodyLoc : loc,
             "type redeclared: enum " + spec.name);
    auto t = types_->declareTag(TypeKind::Enum, spec.name);
    int64_t next = 0;
    std::vector<Enumerator> values;
    for (const auto &e : spec.enumBody->values) {
        if (enumerators_.count(e.name) || globals_.count(e.name))
            fail("D_DECL_IDRED", e.loc, "identifier redeclared: " + e.name);
        int64_t v = next;
        if (e.value) {
            v = constantValue(*e.value, "D_DECL_ENCONST",
                              "enumerator '" + e.name +
                                  "' must be assigned to an integral constant expression");
        }
        if (v > INT32_MAX || v < INT32_MIN)
            fail("D_DECL_ENOFLOW", e.loc,
                 "enumerator '" + e.name + "' value overflows INT_MAX (2147483647)");
        values.push_back({e.name, v});
        // Later enumerators may use this one, as in C.
        enumerators_[e.name] = {t, v};
        next = v + 1;
    }
    t->enumerators = values;
    t->size = 4;
    t->align = 4;
    t->isSigned = true;
    t->complete = true;
    for (const auto &v : values) enumerators_[v.name] = {t, v.value};
    return t;
}

TypeRef Sema::defineStruct(const frontend::DeclSpec &spec, SourceLoc loc) {
    TypeKind kind = spec.base == DeclSpec::Base::Struct ? TypeKind::Struct : TypeKind::Union;
    const char *kw = kind == TypeKind::Struct ? "struct " : "union ";
    if (!spec.structBody) {
        // A scoped tag (struct D`s, struct vmlinux`task_struct) names the same
        // type: D's own and the kernel's types share one name space here.
        std::string name = spec.name;
        if (auto q = name.rfind('`'); q != std::string::npos) name = name.substr(q + 1);
        TypeRef t = types_->tagged(kind, name);
        if ((!t || (!t->complete && !t->btfId)) && loadLibraryTag(kw + name))
            t = types_->tagged(kind, name);
        if (t) return t;
        return types_->declareTag(kind, name);
    }
    if (!spec.name.empty() && types_->tagDefinedByProgram(kind, spec.name))
        fail("D_DECL_TYPERED", spec.bodyLoc.line ? spec.bodyLoc : loc,
             "type redeclared: " + std::string(kw) + spec.name);
    auto t = types_->declareTag(kind, spec.name);
    uint64_t offsetBits = 0, sizeBits = 0;
    unsigned maxAlign = 1;
    std::vector<Member> members;
    for (const auto &m : spec.structBody->members) {
        TypeRef base = resolveDeclSpec(m.spec, m.decl.loc);
        declaringMember_ = true;
        TypeRef mt;
        try {
            mt = applyDeclarator(base, m.decl, nullptr);
        } catch (...) {
            declaringMember_ = false;
            throw;
        }
        declaringMember_ = false;
        auto ms = stripTypedefs(mt);
        if (isVoid(mt) || isFunction(mt))
            fail("D_DECL_VOIDOBJ", m.decl.loc, "cannot have void member: " + m.decl.name);
        if (ms && (ms->kind == TypeKind::Struct || ms->kind == TypeKind::Union) && !ms->complete &&
            !ms->btfId)
            fail("D_DECL_INCOMPLETE", m.decl.loc,
                 "incomplete struct/union/enum " + typeName(mt) + ": " + m.decl.name);
        if (ms && ms->btfId && !ms->complete) {
            mt = types_->complete(mt);
            ms = stripTypedefs(mt);
        }
        unsigned align = ms ? std::max(1u, ms->align) : 1;
        uint64_t size = typeSize(mt);
        Member mem;
        mem.name = m.decl.name;
        mem.type = mt;
        if (m.decl.bitWidth) {
            if (!isInteger(mt))
                fail("D_DECL_BFTYPE", m.decl.loc,
                     "invalid type for bit-field: " +
                         (m.decl.name.empty() ? std::string("(anon)") : m.decl.name));
            int64_t w =
                constantValue(*m.decl.bitWidth, "D_DECL_BFCONST",
                              "positive integral constant expression expected as bit-field size");
            if (w < 0 || (w == 0 && !m.decl.name.empty()))
                fail("D_DECL_BFCONST", m.decl.loc,
                     "positive integral constant expression expected as bit-field size");
            if (static_cast<uint64_t>(w) > size * 8)
                fail("D_DECL_BFSIZE", m.decl.loc,
                     "bit-field size exceeds its type: " + m.decl.name);
            uint64_t unit = size * 8;
            uint64_t pos = kind == TypeKind::Union ? 0 : offsetBits;
            if (w == 0) {
                offsetBits = (offsetBits + unit - 1) / unit * unit;
                continue;
            }
            if (pos / unit != (pos + w - 1) / unit) pos = (pos + unit - 1) / unit * unit;
            mem.offsetBits = pos;
            mem.bitSize = static_cast<unsigned>(w);
            if (kind == TypeKind::Struct) offsetBits = pos + w;
            sizeBits = std::max(sizeBits, pos + w);
        } else {
            uint64_t pos = kind == TypeKind::Union
                               ? 0
                               : (offsetBits + align * 8 - 1) / (align * 8) * (align * 8);
            mem.offsetBits = pos;
            if (kind == TypeKind::Struct) offsetBits = pos + size * 8;
            sizeBits = std::max(sizeBits, pos + size * 8);
        }
        maxAlign = std::max(maxAlign, align);
        for (const auto &prev : members)
            if (!prev.name.empty() && prev.name == mem.name)
                fail("D_DECL_IDRED", m.decl.loc, "identifier redeclared: " + mem.name);
        members.push_back(std::move(mem));
    }
    uint64_t bytes = (sizeBits + 7) / 8;
    bytes = (bytes + maxAlign - 1) / maxAlign * maxAlign;
    t->members = std::move(members);
    t->size = bytes;
    t->align = maxAlign;
    t->complete = true;
    return t;
}

TypeRef Sema::resolveDeclSpec(const DeclSpec &s, SourceLoc loc) {
    TypeRef t;
    bool intMods = s.isShort || s.longCount > 0 || s.isSigned || s.isUnsigned;
    switch (s.base) {
    case DeclSpec::Base::None:
    case DeclSpec::Base::Int:
        if (s.isShort && s.longCount)
            fail("D_UNKNOWN", loc, "failed to resolve type short long : Unknown type name");
        t = types_->integer(false, s.isShort, s.longCount, s.isUnsigned, s.isSigned);
        break;
    case DeclSpec::Base::Char:
        if (s.isShort || s.longCount)
            fail("D_DECL_CHARATTR", loc,
                 "invalid type declaration: short and long may not be used with char type");
        t = types_->integer(true, false, 0, s.isUnsigned, s.isSigned);
        break;
    case DeclSpec::Base::Void:
        if (intMods)
            fail("D_DECL_VOIDATTR", loc,
                 "invalid type declaration: attributes may not be used with void type");
        t = types_->voidType();
        break;
    case DeclSpec::Base::Float:
    case DeclSpec::Base::Double: {
        if (s.isSigned || s.isUnsigned || s.isShort)
            fail(
                "D_DECL_SIGNINT", loc,
                "invalid type declaration: signed and unsigned may only be used with integer type");
        auto f = std::make_shared<Type>();
        f->kind = TypeKind::Float;
        bool isDouble = s.base == DeclSpec::Base::Double;
        f->name = isDouble ? (s.longCount ? "long double" : "double") : "float";
        f->size = isDouble ? (s.longCount ? 16 : 8) : 4;
        f->align = static_cast<unsigned>(std::min<uint64_t>(f->size, 16));
        if (!isDouble && s.longCount)
            fail("D_DECL_LONGINT", loc,
                 "invalid type declaration: long and long long may only be used with integer or "
                 "floating-point type");
        t = f;
        break;
    }
    case DeclSpec::Base::String:
    case DeclSpec::Base::Named:
    case DeclSpec::Base::Struct:
    case DeclSpec::Base::Union:
    case DeclSpec::Base::Enum:
        if (s.isSigned || s.isUnsigned)
            fail(
                "D_DECL_SIGNINT", loc,
                "invalid type declaration: signed and unsigned may only be used with integer type");
        if (s.isShort || s.longCount)
            fail("D_DECL_LONGINT", s.structBody ? s.structBody->loc : loc,
                 "invalid type declaration: long and long long may only be used with integer or "
                 "floating-point type");
        if (s.base == DeclSpec::Base::String) {
            t = types_->stringType();
        } else if (s.base == DeclSpec::Base::Named) {
            t = types_->named(s.name);
            if (!t && loadLibraryType(s.name)) t = types_->named(s.name);
            if (!t)
                fail("D_TYPE_ERR", loc, "failed to resolve type " + s.name + ": Unknown type name");
        } else if (s.base == DeclSpec::Base::Enum) {
            t = defineEnum(s, loc);
        } else {
            t = defineStruct(s, loc);
        }
        break;
    }
    if (s.isConst) t = types_->withConst(t);
    return t;
}

TypeRef Sema::applyDeclarator(TypeRef base, const frontend::Declarator &d,
                              std::vector<TypeRef> *assocKeys) {
    TypeRef t = std::move(base);
    for (size_t i = 0; i < d.derivs.size(); ++i) {
        const Derivation &dv = d.derivs[i];
        switch (dv.kind) {
        case Derivation::Kind::Pointer:
            t = types_->pointerTo(t);
            if (dv.isConst) t = types_->withConst(t);
            break;
        case Derivation::Kind::Array: {
            // extern int a[]; declares a kernel array of unknown bound.
            if (!dv.size && externDeclaration_) {
                t = types_->arrayOf(t, 0);
                break;
            }
            if (!dv.size)
                fail("D_DECL_ARRNULL", d.loc,
                     "array declaration requires array dimension or tuple signature: " + d.name);
            int64_t n = constantValue(*dv.size, "D_DECL_ARRSUB",
                                      "positive integral constant expression or tuple signature "
                                      "expected as array declaration subscript");
            if (n <= 0)
                fail("D_DECL_ARRSUB", d.loc,
                     "positive integral constant expression or tuple signature expected as array "
                     "declaration subscript");
            if (static_cast<uint64_t>(n) > UINT32_MAX)
                fail("D_DECL_ARRBIG", d.loc, "array dimension too big");
            t = types_->arrayOf(t, static_cast<uint64_t>(n));
            break;
        }
        case Derivation::Kind::Assoc: {
            if (i + 1 != d.derivs.size())
                fail("D_DECL_DYNOBJ", d.loc, "cannot declare array of associative arrays");
            if (declaringMember_)
                fail("D_DECL_DYNOBJ", d.loc, "cannot have dynamic member: " + d.name);
            if (!assocKeys)
                fail("D_DECL_ARRSUB", d.loc,
                     "positive integral constant expression or tuple signature expected as array "
                     "declaration subscript");
            checkParameterNames(dv.keys, "array", d.loc);
            for (const auto &k : dv.keys) {
                if (k->spec.storage != DeclSpec::Storage::None)
                    fail("D_DECL_PARMCLASS", d.loc,
                         "inappropriate storage class for function or associative array parameter");
                assocKeys->push_back(resolveTypeName(*k));
            }
            break;
        }
        case Derivation::Kind::Function: {
            std::vector<TypeRef> params;
            for (size_t p = 0; p < dv.params.size(); ++p) {
                const auto &prm = dv.params[p];
                if (prm->spec.storage != DeclSpec::Storage::None)
                    fail("D_DECL_PARMCLASS", d.loc,
                         "inappropriate storage class for function or associative array parameter");
                for (const auto &pd : prm->decl.derivs)
                    if (pd.kind == Derivation::Kind::Assoc)
                        fail("D_DECL_PROTO_TYPE", d.loc,
                             "function prototype may not use parameter of type dynamic variable: " +
                                 prm->decl.name + ", parameter #" + std::to_string(p + 1));
                TypeRef pt = applyDeclarator(resolveDeclSpec(prm->spec, d.loc), prm->decl, nullptr);
                if (isVoid(pt)) {
                    if (dv.params.size() != 1)
                        fail("D_DECL_PROTO_VOID", d.loc, "void must be sole parameter");
                    if (!prm->decl.name.empty())
                        fail("D_DECL_PROTO_NAME", d.loc,
                             "void parameter may not have a name: " + prm->decl.name);
                    continue;
                }
                for (size_t q = 0; q < p; ++q)
                    if (!prm->decl.name.empty() && dv.params[q]->decl.name == prm->decl.name)
                        fail("D_DECL_PROTO_FORM", d.loc,
                             "parameter is already declared in function prototype: " +
                                 prm->decl.name + ", parameter #" + std::to_string(p + 1));
                params.push_back(pt);
            }
            t = types_->function(t, std::move(params), dv.varargs);
            break;
        }
        }
    }
    return t;
}

// A parameter named twice in a prototype (an array's, a function's).
void Sema::checkParameterNames(const std::vector<std::shared_ptr<frontend::TypeName>> &params,
                               const char *kind, SourceLoc loc) {
    for (size_t p = 0; p < params.size(); ++p)
        for (size_t q = 0; q < p; ++q)
            if (!params[p]->decl.name.empty() && params[q]->decl.name == params[p]->decl.name)
                fail("D_DECL_PROTO_FORM", loc,
                     std::string("parameter is already declared in ") + kind + " prototype: " +
                         params[p]->decl.name + ", parameter #" + std::to_string(p + 1));
}

TypeRef Sema::resolveTypeName(const frontend::TypeName &tn) {
    TypeRef base = resolveDeclSpec(tn.spec, tn.loc);
    return applyDeclarator(base, tn.decl, nullptr);
}

std::vector<std::string> Sema::parameterTypes(const frontend::ProviderProbe &probe) {
    std::vector<std::string> out;
    for (const auto &param : probe.params)
        out.push_back(typeName(
            applyDeclarator(resolveDeclSpec(param->spec, probe.loc), param->decl, nullptr)));
    return out;
}

// ---------------------------------------------------------- declarations

ir::Variable *Sema::findVariable(ir::Scope scope, std::string_view name) {
    auto &m = scope == ir::Scope::Global        ? globals_
              : scope == ir::Scope::ThreadLocal ? tls_
                                                : locals_;
    auto it = m.find(name);
    return it == m.end() ? nullptr : it->second;
}

ir::Variable *Sema::createVariable(ir::Scope scope, const std::string &name, TypeRef type,
                                   SourceLoc loc) {
    auto v = std::make_unique<ir::Variable>();
    v->name = name;
    v->scope = scope;
    v->type = std::move(type);
    v->loc = loc;
    auto &m = scope == ir::Scope::Global        ? globals_
              : scope == ir::Scope::ThreadLocal ? tls_
                                                : locals_;
    v->id = static_cast<int>(m.size());
    ir::Variable *raw = v.get();
    m[name] = raw;
    out_.variables.push_back(std::move(v));
    return raw;
}

void Sema::declare(const frontend::Declaration &d) {
    using Storage = DeclSpec::Storage;
    if (d.isCFunction) return; // D has no functions of its own: a header's are ignored
    if (d.spec.storage == Storage::Auto || d.spec.storage == Storage::Register ||
        d.spec.storage == Storage::Static)
        fail("D_DECL_BADCLASS", d.loc, "specified storage class not appropriate in D");
    TypeRef base = resolveDeclSpec(d.spec, d.loc);
    if (d.declarators.empty()) {
        bool definesSomething =
            d.spec.structBody || d.spec.enumBody ||
            ((d.spec.base == DeclSpec::Base::Struct || d.spec.base == DeclSpec::Base::Union ||
              d.spec.base == DeclSpec::Base::Enum) &&
             !d.spec.name.empty());
        if (!definesSomething) fail("D_DECL_USELESS", d.loc, "useless declaration");
        return;
    }
    for (const auto &decl : d.declarators) {
        std::vector<TypeRef> keys;
        externDeclaration_ = d.spec.storage == Storage::Extern;
        TypeRef t = applyDeclarator(base, decl, &keys);
        externDeclaration_ = false;
        bool isAssoc = !decl.derivs.empty() && decl.derivs.back().kind == Derivation::Kind::Assoc;
        if (d.spec.storage == Storage::Typedef) {
            if (types_->isTypedefName(decl.name, false) &&
                typeName(types_->named(decl.name)) != typeName(t))
                fail("D_DECL_IDRED", decl.loc, "identifier redefined: " + decl.name);
            types_->addTypedef(decl.name, t);
            continue;
        }
        if (d.spec.storage == Storage::Extern) continue; // kernel symbols come from BTF
        ir::Scope scope = d.spec.storage == Storage::Self   ? ir::Scope::ThreadLocal
                          : d.spec.storage == Storage::This ? ir::Scope::ClauseLocal
                                                            : ir::Scope::Global;
        if (scope == ir::Scope::ClauseLocal && isAssoc)
            fail("D_DECL_LOCASSC", decl.loc,
                 "associative arrays may not be declared as local variables: " + decl.name);
        if (isFunction(t)) continue; // prototypes declare nothing we store
        if (isVoid(t)) fail("D_DECL_VOIDOBJ", decl.loc, "cannot have void object: " + decl.name);
        auto st = stripTypedefs(t);
        if (st && (st->kind == TypeKind::Struct || st->kind == TypeKind::Union) && !st->complete) {
            if (st->btfId)
                t = types_->complete(t);
            else
                fail("D_DECL_INCOMPLETE", decl.loc,
                     "incomplete struct/union/enum " + typeName(t) + ": " + decl.name);
        }
        if (scope == ir::Scope::Global &&
            (findBuiltinVar(decl.name) || enumerators_.count(decl.name) ||
             inlines_.count(decl.name)))
            fail("D_DECL_IDRED", decl.loc, "identifier redeclared: " + decl.name);
        if (ir::Variable *old = findVariable(scope, decl.name)) {
            if (old->declared && (typeName(old->type) != typeName(t) || old->isAssoc() != isAssoc))
                fail("D_DECL_IDRED", decl.loc, "identifier redeclared: " + decl.name);
            continue;
        }
        ir::Variable *v = createVariable(scope, decl.name, t, decl.loc);
        v->declared = true;
        v->isArrayDecl = isAssoc;
        v->keys = std::move(keys);
    }
}

void Sema::declareInline(const frontend::Declaration &d) {
    const auto &decl = d.declarators.front();
    loadLibraryIdentifier(decl.name); // a redefinition of the library's is refused
    InlineDef def = inlineDefinition(d);
    TypeRef t = def.type;
    programInlines_.insert(decl.name);
    if (inlines_.count(decl.name))
        fail("D_DECL_IDRED", decl.loc,
             "identifier redefined: " + decl.name +
                 "\n\t current: inline definition\n\tprevious: " +
                 (isArray(inlines_.at(decl.name).type) ? "array inline" : "scalar inline"));
    if (globals_.count(decl.name) || findBuiltinVar(decl.name))
        fail("D_DECL_IDRED", decl.loc, "identifier redeclared: " + decl.name);
    // Parameters are typed placeholders while the value is checked.
    size_t depth = bindings_.size();
    for (const auto &[name, type] : def.params) bindings_.push_back({name, nullptr, type, depth});
    struct Unbind {
        std::vector<Binding> &b;
        size_t depth;
        ~Unbind() { b.erase(b.begin() + static_cast<std::ptrdiff_t>(depth), b.end()); }
    } unbind{bindings_, depth};
    if (const frontend::Expr *x = findXlate(*decl.initializer)) {
        // A translated value is built where the inline is used.
        TypeRef outType;
        lookupTranslator(*x, outType);
        if (!sameType(t, outType) && !(isPointer(t) && isPointer(outType)))
            fail("D_OP_INCOMPAT", decl.loc,
                 "inline " + decl.name + " definition uses incompatible types: \"" + describe(t) +
                     "\" = \"" + describe(outType) + "\"");
        inlines_[decl.name] = std::move(def);
        return;
    }
    ir::NodePtr value = expr(*decl.initializer);
    if (!assignable(t, *value))
        fail("D_OP_INCOMPAT", decl.loc,
             "inline " + decl.name + " definition uses incompatible types: \"" + describe(t) +
                 "\" = \"" + describe(value->type) + "\"");
    inlines_[decl.name] = std::move(def);
}

// "#pragma D attributes <attributes> <ident>" gives one of the program's
// identifiers its stability attributes; "... provider <name> <part>" a
// part of a provider's (for the clauses that follow).
void Sema::applyAttributesPragma(const frontend::Program &prog, const frontend::PragmaLine &p) {
    bool ofProvider = p.words.size() >= 4 && p.words[3] == "provider";
    if (p.words.size() < 4 || (ofProvider && p.words.size() < 6))
        fail("D_PRAGMA_MALFORM", p.loc, "malformed #pragma attributes <attributes> <ident>");
    auto a = program::parseAttributes(p.words[2]);
    if (!a) fail("D_PRAGMA_INVAL", p.loc, "invalid attributes specified by #pragma attributes");
    if (!ofProvider) {
        checkPragmaTarget(prog, p.loc, "attributes", p.words[3]);
        pragmaAttributes_[p.words[3]] = *a;
        return;
    }
    const std::string &provider = p.words[4], &part = p.words[5];
    auto probes = catalog_.match({provider, "", "", ""});
    if (probes.empty()) fail("D_PRAGMA_UNUSED", p.loc, "unused #pragma attributes");
    program::ProviderAttributes attrs = providerAttributes(*probes.front()->owner);
    program::Attributes *target = part == "provider"   ? &attrs.provider
                                  : part == "module"   ? &attrs.module
                                  : part == "function" ? &attrs.function
                                  : part == "name"     ? &attrs.name
                                  : part == "args"     ? &attrs.arguments
                                                       : nullptr;
    // (DTrace's message names the two the other way round.)
    if (!target)
        fail("D_PRAGMA_INVAL", p.loc,
             "invalid component \"" + provider + "\" in attribute #pragma for provider " + part);
    *target = *a;
    pragmaProviderAttributes_[provider] = attrs;
}

} // namespace dtrace::sema
