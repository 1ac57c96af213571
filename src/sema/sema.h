// Semantic analysis: resolves names, types every expression, checks actions
// and subroutine prototypes, matches probe descriptions, and produces the
// IR. Errors are DTrace's, with their D_ tags.
#pragma once

#include "frontend/ast.h"
#include "providers/catalog.h"
#include "sema/ir.h"
#include "sema/library.h"
#include "sema/printf_check.h"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace dtrace::sema {

// What the command line tells the compiler.
struct CompileContext {
    std::vector<std::string> macroArgs;   // $0 (script name), $1, ...
    std::optional<int> targetPid;         // $target (-p or -c)
    bool allowZeroMatches = false;        // -Z
    std::vector<std::string> libraryDirs; // -L, searched before the installed D library
};

// Where an identifier could resolve in D's global scope.
struct BuiltinVarInfo {
    const char *name;
    ir::Builtin builtin;
    int argIndex;
    const char *typeName; // D type: "int", "string", "uint64_t", "struct task_struct *"
};
const BuiltinVarInfo *findBuiltinVar(std::string_view name);
// The number of a macro argument ($12 -> 12); one too large to be an
// argument's (more digits than any argv) counts as SIZE_MAX.
size_t macroArgumentIndex(std::string_view digits);
// The operator a spelling names ("+" ... "^^").
ir::Op binaryOperator(const std::string &op);
std::string decodeFormatEscapes(const std::string &s);

class Sema {
  public:
    Sema(program::Options options, providers::ProbeCatalog &catalog, CompileContext ctx);

    // Analyses one program (-s script or -n description); returns how many
    // probes it enabled. Programs share variables, as in one DTrace session.
    size_t analyzeSource(const frontend::Program &prog);
    ir::Program finish();
    void setMacroArguments(std::vector<std::string> args) { ctx_.macroArgs = std::move(args); }

    const program::Options &options() const { return options_; }

    // Answers the parser's question: is this name a type?
    bool isTypeName(std::string_view name, bool consultKernel = true) const;
    TypeTable &types() { return *types_; }
    // The C spellings of a USDT probe's parameter types (for dtrace -h).
    std::vector<std::string> parameterTypes(const frontend::ProviderProbe &probe);

  private:
    int depth_ = 0; // of expr() and analyzeStatement() (NestingGuard)
    // Top level.
    void applyPragmas(const frontend::Program &prog);
    void checkPragmaTarget(const frontend::Program &prog, SourceLoc loc, const char *pragma,
                           const std::string &name);
    void declare(const frontend::Declaration &d);
    void declareInline(const frontend::Declaration &d);
    void analyzeClause(const frontend::Clause &c);
    void analyzeEnabling(const frontend::Clause &c,
                         const std::vector<const providers::Probe *> &probes,
                         const std::string &description);
    ir::NodePtr probeExpression(const std::string &text, SourceLoc loc);
    const frontend::Expr &parseProbeExpression(const std::string &text);
    const frontend::Expr *probeArgumentSource(const frontend::Expr &e);
    void declareIncremented(const frontend::Clause &c);
    std::vector<const providers::Probe *> matchProbes(const frontend::ProbeSpecText &spec,
                                                      std::string &expanded);

    // Types.
    TypeRef resolveDeclSpec(const frontend::DeclSpec &spec, SourceLoc loc);
    void checkParameterNames(const std::vector<std::shared_ptr<frontend::TypeName>> &params,
                             const char *kind, SourceLoc loc);
    TypeRef applyDeclarator(TypeRef base, const frontend::Declarator &d,
                            std::vector<TypeRef> *assocKeys);
    TypeRef resolveTypeName(const frontend::TypeName &t);
    TypeRef defineStruct(const frontend::DeclSpec &spec, SourceLoc loc);
    TypeRef defineEnum(const frontend::DeclSpec &spec, SourceLoc loc);
    int64_t constantValue(const frontend::Expr &e, const char *tag, const std::string &msg);

    // Statements.
    void analyzeStatements(const std::vector<frontend::StmtPtr> &in, std::vector<ir::StmtPtr> &out);
    ir::StmtPtr analyzeStatement(const frontend::Stmt &s);
    ir::StmtPtr analyzeCallStatement(const frontend::Expr &call);
    ir::StmtPtr analyzeAggregation(const frontend::Expr &assign);
    ir::StmtPtr analyzePrintf(const frontend::Expr &call);
    ir::StmtPtr analyzePrinta(const frontend::Expr &call);

    // Expressions.
    ir::NodePtr expr(const frontend::Expr &e);
    ir::NodePtr identifier(const frontend::Expr &e, bool forAssignment);
    ir::NodePtr macro(const frontend::Expr &e);
    ir::NodePtr kernelSymbol(const frontend::Expr &e);
    void checkMacros(const frontend::Program &prog);
    ir::NodePtr unary(const frontend::Expr &e);
    ir::NodePtr binary(const frontend::Expr &e);
    ir::NodePtr assign(const frontend::Expr &e);
    ir::NodePtr incdec(const frontend::Expr &e);
    ir::NodePtr conditional(const frontend::Expr &e);
    ir::NodePtr cast(const frontend::Expr &e);
    ir::NodePtr index(const frontend::Expr &e, bool forAssignment);
    ir::NodePtr userRegister(const frontend::Expr &e);
    // A call of an action (trace(), printf() ...), which has no value.
    static bool isActionCall(const frontend::Expr &e);
    // A value of D's dynamic type: an aggregation or translated data.
    static bool isDynamic(const ir::Node &n);
    ir::NodePtr member(const frontend::Expr &e);
    ir::NodePtr call(const frontend::Expr &e);
    ir::NodePtr subroutine(const frontend::Expr &e, std::vector<ir::NodePtr> args);
    ir::NodePtr dynamicVar(const frontend::Expr &e, bool forAssignment);
    ir::NodePtr lvalue(const frontend::Expr &e, const char *op);

    // Stability attributes (stability.cpp).
    std::optional<program::Attributes> minimumAttributes() const;
    void checkMinimumAttributes(const program::Attributes &a, const std::string &what,
                                SourceLoc loc) const;
    program::ProviderAttributes providerAttributes(const providers::Provider &p) const;
    program::Attributes descriptionAttributes(const std::string &description,
                                              const std::vector<const providers::Probe *> &probes);
    program::Attributes typeAttributes(const frontend::TypeName &t, SourceLoc loc);
    program::Attributes identifierAttributes(const std::string &name, SourceLoc loc,
                                             bool isArray);
    program::Attributes inlineAttributes(const std::string &name, const frontend::Expr &value);
    program::Attributes translatorAttributes(const frontend::Expr &xlate);
    program::Attributes attributesOf(const frontend::Expr &e);
    void statementAttributes(const frontend::Stmt &s, program::Attributes &into);
    void clauseAttributes(const frontend::Clause &c, const std::string &description,
                          const std::vector<const providers::Probe *> &probes, ir::Clause &out);
    void applyAttributesPragma(const frontend::Program &prog, const frontend::PragmaLine &p);

    // Translators (translators.cpp).
    void defineTranslator(const frontend::Translator &t);
    bool translatorExists(const TypeRef &from, const TypeRef &to) const;
    // Provider definitions (provider_definitions.cpp).
    void checkProviderDefinition(const frontend::ProviderDef &def);
    const frontend::Expr *findXlate(const frontend::Expr &e);
    struct TranslatorDef;
    const TranslatorDef &lookupTranslator(const frontend::Expr &xlate, TypeRef &outType);
    ir::NodePtr translatedMember(const frontend::Expr &xlate, const std::string &member, bool arrow,
                                 SourceLoc loc);
    ir::NodePtr translatedValue(const frontend::Expr &xlate);
    ir::NodePtr boundIdentifier(std::string_view name, SourceLoc loc, bool &found);
    ir::NodePtr translateMemberValue(const TranslatorDef &t, const std::string &member,
                                     const frontend::Expr *arg, SourceLoc loc);
    // The D library (library.h): a file is loaded when a name it defines
    // is first used; each returns whether it loaded one.
    const LibraryIndex &library() const;
    void loadLibraryFile(const LibraryFile &f);
    bool loadLibraryIdentifier(std::string_view name);
    bool loadLibraryType(std::string_view name);
    bool loadLibraryTag(std::string_view kindAndTag);
    void loadLibraryTranslators(std::string_view output);
    // name[args] of an inline with parameters: its value with each
    // parameter bound to its argument while the scope lives.
    class InlineCall {
      public:
        InlineCall(Sema &sema, const frontend::Expr &e);
        ~InlineCall();
        InlineCall(const InlineCall &) = delete;
        InlineCall &operator=(const InlineCall &) = delete;
        const frontend::Expr *value = nullptr; // null: e is no such call
        TypeRef type;

      private:
        Sema &sema_;
        size_t depth_;
    };

    ir::NodePtr binaryNode(ir::Op op, ir::NodePtr a, ir::NodePtr b, SourceLoc loc,
                           const std::string &spelling);
    void requireValue(const ir::Node &n, const std::string &op);
    TypeRef parseTypeString(std::string_view text);
    TypeRef aggregationType();
    PrintfArgType printfArgType(const ir::Node &n) const;
    ir::NodePtr convert(ir::NodePtr n, TypeRef to);
    ir::NodePtr constant(int64_t v, TypeRef t, SourceLoc loc);
    ir::NodePtr foldedConstant(int64_t v, TypeRef t, SourceLoc loc);
    ir::NodePtr emptyString(SourceLoc loc);
    TypeRef variableType(const ir::Variable &v) const;
    void trackAlloca(ir::Variable &v, const ir::Node &value, SourceLoc loc);
    ir::NodePtr integerConstant(const frontend::Expr &e);
    ir::NodePtr fold(ir::NodePtr n);
    TypeRef arithmeticResult(const TypeRef &a, const TypeRef &b) const;
    TypeRef promote(const TypeRef &t) const;
    bool assignable(const TypeRef &to, const ir::Node &from) const;
    void checkAssignable(const TypeRef &to, const ir::Node &from, const std::string &op,
                         SourceLoc loc);
    void checkArgCount(std::string_view name, size_t passed, size_t min, size_t max, SourceLoc loc,
                       const char *noun = "arg");
    [[noreturn]] void protoArgError(std::string_view fn, int argno, const std::string &proto,
                                    const TypeRef &arg, SourceLoc loc);
    std::string describe(const TypeRef &t) const;

    ir::Variable *findVariable(ir::Scope scope, std::string_view name);
    ir::Variable *createVariable(ir::Scope scope, const std::string &name, TypeRef type,
                                 SourceLoc loc);

    program::Options options_;
    providers::ProbeCatalog &catalog_;
    CompileContext ctx_;
    std::unique_ptr<TypeTable> types_;
    ir::Program out_;
    std::map<std::string, ir::Variable *, std::less<>> globals_, tls_, locals_;
    std::map<std::string, ir::Aggregation *, std::less<>> aggs_;
    std::map<std::string, std::pair<TypeRef, int64_t>, std::less<>> enumerators_;
    struct InlineDef {
        TypeRef type;
        const frontend::Expr *value;
        // An inline with parameters (`inline fileinfo_t fds[int fd] = ...`).
        std::vector<std::pair<std::string, TypeRef>> params;
    };
    InlineDef inlineDefinition(const frontend::Declaration &d);
    std::map<std::string, InlineDef, std::less<>> inlines_;
    std::set<const providers::Probe *> enabled_;
    int clauseCount_ = 0;
    // The kinds of action seen so far in the clause, for DTrace's rules on
    // what may follow speculate() and commit().
    enum class ActionClass {
        DataRecording,
        Exit,
        Aggregating,
        Destructive,
        Speculate,
        Commit,
        Discard
    };
    unsigned clauseActions_ = 0;
    void noteAction(ActionClass a, SourceLoc loc);
    void checkLquantize(const std::string &fn, ir::Stmt &st, SourceLoc loc);
    void checkLlquantize(const std::string &fn, ir::Stmt &st, SourceLoc loc);
    ir::StmtPtr analyzeAggregationAction(const frontend::Expr &call);
    void failIfUndefinedAggregation(const frontend::Expr &a, const char *tag);
    ir::NodePtr stackValue(const frontend::Expr &call);
    ir::NodePtr symbolValue(const frontend::Expr &call);
    // The probes of the clause being analysed (for args[] types).
    std::vector<const providers::Probe *> currentProbes_;
    bool inPredicate_ = false;
    bool inClause_ = false;
    bool declaringMember_ = false;   // applying a struct or union member's declarator            //
                                     // analysing a clause (args[] has a probe)
    std::string currentDescription_; // the clause's probe description, as given
    bool externDeclaration_ = false; // extern arrays may omit their bound
    TypeRef aggregationType_;
    struct TranslatorDef {
        TypeRef output; // a struct or union
        TypeRef input;
        std::string inputName;
        std::map<std::string, const frontend::Expr *, std::less<>> members;
    };
    std::vector<TranslatorDef> translators_;
    struct DeclaredProbe {
        std::string name; // "::q"
        std::vector<TypeRef> input, output;
        bool hasOutput = false;
        SourceLoc loc;
    };
    std::map<std::string, std::vector<DeclaredProbe>, std::less<>> declaredProviders_;
    // Translator input names in scope while a member's expression is
    // analysed: bound to the xlate argument (re-analysed where it is used),
    // or to a typed placeholder when a declaration is checked.
    struct Binding {
        std::string name;
        const frontend::Expr *argument = nullptr;
        TypeRef placeholder;
        size_t outerDepth = 0;
    };
    std::vector<Binding> bindings_;
    // Stability: the matched provider's attributes while a clause is
    // weighed (its probe* variables and args[]), what #pragma D attributes
    // gave the program's identifiers and providers, the program's own
    // inlines, and what inlines and translators were found to weigh.
    program::ProviderAttributes contextAttributes_{program::kStableCommon, program::kStableCommon,
                                                   program::kStableCommon, program::kStableCommon,
                                                   program::kStableCommon};
    std::map<std::string, program::Attributes, std::less<>> pragmaAttributes_;
    std::map<std::string, program::ProviderAttributes, std::less<>> pragmaProviderAttributes_;
    std::set<std::string, std::less<>> programInlines_;
    std::map<std::string, program::Attributes, std::less<>> inlineAttributeCache_;
    std::map<const TranslatorDef *, program::Attributes> translatorAttributeCache_;
    std::vector<std::string> translatorInput_;
    bool suspendMinimum_ = false;
    bool unstableDescription_ = false;
    int xlateTemps_ = 0;
    mutable std::unique_ptr<LibraryIndex> libraryIndex_;
    std::set<const LibraryFile *> loadedLibraryFiles_;
    std::vector<std::unique_ptr<frontend::Program>> library_; // D library sources kept alive
    std::map<std::string, const frontend::Expr *> parsedProbeExpressions_;
    std::vector<frontend::ExprPtr> probeExpressions_; // providers' D, kept alive
    int sourceCount_ = 0;
    size_t countSourceProbes(int source) const;
};

} // namespace dtrace::sema
