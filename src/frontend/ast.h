// The D abstract syntax tree, as the parser builds it: no types, no symbols
// resolved. Semantic analysis turns it into the typed IR (sema/ir.h).
#pragma once

#include "frontend/diagnostics.h"

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace dtrace::frontend {

struct Expr;
struct TypeName;
struct StructBody;
struct EnumBody;
using ExprPtr = std::unique_ptr<Expr>;
using TypeNamePtr = std::unique_ptr<TypeName>;

// Declaration specifiers: storage class, qualifiers and the base type.
struct DeclSpec {
    enum class Storage { None, Auto, Register, Static, Extern, Typedef, Self, This };
    enum class Base { None, Void, Char, Int, Float, Double, String, Named, Struct, Union, Enum };

    Storage storage = Storage::None;
    bool isConst = false;
    bool isVolatile = false;
    bool isRestrict = false;
    Base base = Base::None;
    int longCount = 0;
    bool isShort = false;
    bool isSigned = false;
    bool isUnsigned = false;
    std::string name; // typedef name, or struct/union/enum tag (may be empty)
    std::shared_ptr<StructBody> structBody;
    std::shared_ptr<EnumBody> enumBody;
    SourceLoc loc;
    SourceLoc bodyLoc; // the body's opening brace
};

struct Param;

// One step in building a declarator's type from the base type outwards.
struct Derivation {
    enum class Kind { Pointer, Array, Assoc, Function };
    Kind kind = Kind::Pointer;
    bool isConst = false;                        // pointer qualifiers
    std::shared_ptr<Expr> size;                  // Array: dimension (null for [])
    std::vector<std::shared_ptr<TypeName>> keys; // Assoc: key types
    std::vector<std::shared_ptr<Param>> params;  // Function
    bool varargs = false;
};

struct Declarator {
    std::string name; // empty for an abstract declarator
    SourceLoc loc;
    std::vector<Derivation> derivs;    // applied in order to the base type
    std::shared_ptr<Expr> bitWidth;    // struct members only
    std::shared_ptr<Expr> initializer; // inline only
};

struct TypeName {
    DeclSpec spec;
    Declarator decl;
    SourceLoc loc;
};

struct Param {
    DeclSpec spec;
    Declarator decl;
};

struct StructMember {
    DeclSpec spec;
    Declarator decl;
};

struct StructBody {
    std::vector<StructMember> members;
    SourceLoc loc;
};

struct Enumerator {
    std::string name;
    std::shared_ptr<Expr> value;
    SourceLoc loc;
};

struct EnumBody {
    std::vector<Enumerator> values;
};

enum class ExprKind {
    Integer,
    String,
    Identifier,  // also scoped kernel symbols: mod`sym, `sym
    Macro,       // $1, $$1, $pid, $target, ...
    Aggregation, // a bare @name used as a value (trace(@a), printa(@a))
    SelfVar,     // self->name
    ThisVar,     // this->name
    Unary,       // op: - + ! ~ * &
    PreIncrement,
    PreDecrement,
    PostIncrement,
    PostDecrement,
    Binary, // op: arithmetic, bitwise, relational, && || ^^
    Assign, // op: = += -= ...
    Conditional,
    Comma,
    Cast,
    SizeofType,
    SizeofExpr,
    Stringof,
    Offsetof, // typeName + name (member)
    Xlate,    // typeName + args[0]
    Call,     // name + args
    Index,    // args[0] is the base, args[1..] the subscripts
    Member,   // args[0] . name
    Arrow,    // args[0] -> name
};

struct Expr {
    ExprKind kind = ExprKind::Integer;
    SourceLoc loc;
    std::string op;   // operator spelling
    std::string name; // identifier, macro, member, function, aggregation name
    uint64_t intValue = 0;
    bool isUnsigned = false; // integer constant suffixes
    int longCount = 0;
    bool isDecimal = true;
    bool isChar = false;
    std::string text; // integer spelling, or the string literal's value
    std::vector<ExprPtr> args;
    TypeNamePtr typeName;

    Expr(ExprKind k, SourceLoc l) : kind(k), loc(l) {}
};

enum class StmtKind { Expr, If, Block, Empty };

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;

struct Stmt {
    StmtKind kind = StmtKind::Empty;
    SourceLoc loc;
    ExprPtr expr;              // Expr: the expression; If: the condition
    std::vector<StmtPtr> body; // Block, If: then-branch
    std::vector<StmtPtr> elseBody;
    bool hasElse = false;
};

struct ProbeSpecText {
    std::string text; // as written, e.g. "syscall::read:entry", "tick-1s"
    SourceLoc loc;
};

struct Clause {
    std::vector<ProbeSpecText> probes;
    ExprPtr predicate;
    std::vector<StmtPtr> body;
    SourceLoc loc;
    SourceLoc endLoc; // the closing brace
};

// A declaration at the top level: `int x;`, `self int y;`, `struct s {...};`,
// `typedef ...;`, `inline int c = 3;`.
struct Declaration {
    DeclSpec spec;
    std::vector<Declarator> declarators;
    bool isInline = false;
    // A C function definition from an included header (static inline
    // helpers in <endian.h> ...): parsed past and otherwise ignored.
    bool isCFunction = false;
    SourceLoc loc;
};

struct TranslatorMember {
    std::string name;
    ExprPtr value;
    SourceLoc loc;
};

struct Translator {
    TypeName output;
    TypeName input;
    std::string inputName;
    std::vector<TranslatorMember> members;
    SourceLoc loc;
    SourceLoc endLoc; // the closing brace: DTrace reports declaration errors there
};

struct ProviderProbe {
    std::string name;
    std::vector<std::shared_ptr<Param>> params;
    std::vector<std::shared_ptr<Param>> xlatedParams; // probe p(a) : (b)
    SourceLoc loc;
};

struct ProviderDef {
    std::string name;
    std::vector<ProviderProbe> probes;
    SourceLoc loc;
};

using TopLevel = std::variant<Clause, Declaration, Translator, ProviderDef>;

struct PragmaLine {
    SourceLoc loc;
    std::vector<std::string> words; // after "#pragma": "D", "option", "quiet"
};

struct Program {
    std::vector<TopLevel> items;
    std::vector<PragmaLine> pragmas;
    int endLine = 1; // the line at the end of the input
};

} // namespace dtrace::frontend
