// Loading the D library (library.h) as a program uses its names, and
// inlines with parameters (the library's fds[]).
#include "frontend/diagnostics.h"
#include "frontend/parser.h"
#include "sema/builtins.h"
#include "sema/sema.h"

namespace dtrace::sema {

using frontend::ExprKind;

const LibraryIndex &Sema::library() const {
    if (!libraryIndex_) {
        // -L directories first, then -xlibdir, then the installed library
        // (-xsyslibdir moves it; -xnolibs leaves it out).
        std::vector<std::string> dirs = ctx_.libraryDirs;
        if (!options_.libdir.empty()) dirs.push_back(options_.libdir);
        if (!options_.syslibdir.empty())
            dirs.push_back(options_.syslibdir);
        else if (auto d = LibraryIndex::defaultDirectory(); d && !options_.nolibs)
            dirs.push_back(*d);
        libraryIndex_ = std::make_unique<LibraryIndex>(std::move(dirs));
    }
    return *libraryIndex_;
}

void Sema::loadLibraryFile(const LibraryFile &f) {
    if (!loadedLibraryFiles_.insert(&f).second) return;
    for (const std::string &dep : f.dependsOn)
        if (const LibraryFile *d = library().byName(dep)) loadLibraryFile(*d);
    // The library's declarations are trusted: translators and inlines are
    // recorded, and checked only where a program uses them.
    try {
        auto prog = std::make_unique<frontend::Program>(
            frontend::Parser(f.text, [this](std::string_view n, bool kernel) {
                return isTypeName(n, kernel);
            }).parseProgram());
        for (const auto &item : prog->items) {
            if (const auto *d = std::get_if<frontend::Declaration>(&item)) {
                if (d->isInline) {
                    const auto &decl = d->declarators.front();
                    inlines_[decl.name] = inlineDefinition(*d);
                } else {
                    declare(*d);
                }
            } else if (const auto *t = std::get_if<frontend::Translator>(&item)) {
                TranslatorDef def;
                def.output = types_->complete(resolveTypeName(t->output));
                def.input = resolveTypeName(t->input);
                def.inputName = t->inputName;
                for (const auto &m : t->members) def.members[m.name] = m.value.get();
                translators_.push_back(std::move(def));
            }
        }
        library_.push_back(std::move(prog));
    } catch (const CompileError &e) {
        throw Error("failed to compile D library file " + f.path + ": line " +
                    std::to_string(e.loc().line) + ": " + e.message());
    }
}

bool Sema::loadLibraryIdentifier(std::string_view name) {
    if (findBuiltinVar(name) || inlines_.count(name) || enumerators_.count(name) ||
        globals_.count(name))
        return false;
    const LibraryFile *f = library().definingIdentifier(name);
    if (!f || loadedLibraryFiles_.count(f)) return false;
    loadLibraryFile(*f);
    return true;
}

bool Sema::loadLibraryType(std::string_view name) {
    if (types_->isTypedefName(name, false)) return false;
    const LibraryFile *f = library().definingType(name);
    if (!f || loadedLibraryFiles_.count(f)) return false;
    loadLibraryFile(*f);
    return true;
}

bool Sema::loadLibraryTag(std::string_view kindAndTag) {
    const LibraryFile *f = library().definingTag(kindAndTag);
    if (!f || loadedLibraryFiles_.count(f)) return false;
    loadLibraryFile(*f);
    return true;
}

void Sema::loadLibraryTranslators(std::string_view output) {
    for (const LibraryFile *f : library().translatingTo(output)) loadLibraryFile(*f);
}

// An inline's type and value; one declared with parameters (its
// declarator ends in [type name, ...]) takes them as arguments.
Sema::InlineDef Sema::inlineDefinition(const frontend::Declaration &d) {
    TypeRef base = resolveDeclSpec(d.spec, d.loc);
    frontend::Declarator decl = d.declarators.front();
    InlineDef def;
    def.value = d.declarators.front().initializer.get();
    if (!decl.derivs.empty() && decl.derivs.back().kind == frontend::Derivation::Kind::Assoc) {
        for (const auto &key : decl.derivs.back().keys) {
            if (key->decl.name.empty())
                fail("D_DECL_PARMNAME", key->loc,
                     "inline " + decl.name + " parameters must be named");
            frontend::Declarator unnamed = key->decl;
            unnamed.name.clear();
            def.params.emplace_back(
                key->decl.name,
                applyDeclarator(resolveDeclSpec(key->spec, key->loc), unnamed, nullptr));
        }
        decl.derivs.pop_back();
    }
    def.type = applyDeclarator(base, decl, nullptr);
    return def;
}

Sema::InlineCall::InlineCall(Sema &sema, const frontend::Expr &e)
    : sema_(sema), depth_(sema.bindings_.size()) {
    if (e.kind != ExprKind::Index || e.args[0]->kind != ExprKind::Identifier) return;
    const std::string &name = e.args[0]->name;
    for (const auto &b : sema.bindings_)
        if (b.name == name) return; // a translator's input or a parameter
    sema.loadLibraryIdentifier(name);
    auto it = sema.inlines_.find(name);
    if (it == sema.inlines_.end() || it->second.params.empty()) return;
    const InlineDef &def = it->second;
    size_t passed = e.args.size() - 1;
    if (passed != def.params.size())
        fail("D_PROTO_LEN", e.loc,
             name + "[ ] prototype mismatch: " + std::to_string(passed) + " arg" +
                 (passed == 1 ? "" : "s") + " passed, " + std::to_string(def.params.size()) +
                 " expected");
    for (size_t i = 0; i < passed; ++i) {
        ir::NodePtr a = sema.expr(*e.args[i + 1]);
        if (!sema.assignable(def.params[i].second, *a))
            fail("D_PROTO_ARG", e.loc,
                 name + "[ ] argument #" + std::to_string(i + 1) +
                     " is incompatible with prototype:\n\tprototype: " +
                     sema.describe(def.params[i].second) +
                     "\n\t argument: " + sema.describe(a->type));
    }
    // Each argument is analysed where the call stands (outside the
    // parameters bound here).
    for (size_t i = 0; i < passed; ++i)
        sema.bindings_.push_back({def.params[i].first, e.args[i + 1].get(), nullptr, depth_});
    value = def.value;
    type = def.type;
}

Sema::InlineCall::~InlineCall() {
    sema_.bindings_.erase(sema_.bindings_.begin() + static_cast<std::ptrdiff_t>(depth_),
                          sema_.bindings_.end());
}

} // namespace dtrace::sema
