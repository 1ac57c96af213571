// The typed IR: what semantic analysis hands to the code generator. Every
// node has its D type; names are resolved to variables, built-ins and
// subroutines; probe descriptions are resolved to probes.
#pragma once

#include "frontend/diagnostics.h"
#include "program/decode.h"
#include "program/options.h"
#include "program/stability.h"
#include "providers/probe.h"
#include "sema/types.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dtrace::ir {

using sema::TypeRef;

enum class Scope { Global, ThreadLocal, ClauseLocal };

struct Variable {
    std::string name;
    Scope scope = Scope::Global;
    TypeRef type;              // the value's type (null until first assigned)
    std::vector<TypeRef> keys; // non-empty for an associative array
    int id = 0;                // unique within its scope
    bool declared = false;     // declared explicitly (vs. by first assignment)
    bool isArrayDecl = false;  // declared as an associative array
    enum class Alloca { Unknown, Yes, No } alloca = Alloca::Unknown; // holds alloca'd pointers?
    SourceLoc loc;
    bool isAssoc() const { return isArrayDecl || !keys.empty(); }
};

enum class Builtin {
    Arg, // arg0..arg9 (index in Node::value)
    Pid,
    Ppid,
    Tid,
    Uid,
    Gid,
    Execname,
    Execargs,
    Timestamp,
    Vtimestamp,
    Walltimestamp,
    Cpu,
    Id,
    Epid,
    Probeprov,
    Probemod,
    Probefunc,
    Probename,
    Errno,
    Curthread,
    Caller,
    Ucaller,
    Stackdepth,
    Ustackdepth,
    Ipl,
};

// The aggregating functions and actions, as the decode tables name them.
using program::AggFunc;
using program::AggregationActionKind;
using program::llquantizeLayout;
using program::LlquantizeLayout;

struct Aggregation {
    std::string name; // "@" for the anonymous one, else "@name"
    int id = 0;
    AggFunc func = AggFunc::Count;
    std::vector<TypeRef> keys;
    TypeRef argType;
    std::vector<int64_t>
        params; // lquantize: base, limit, step; llquantize: factor, low, high, nsteps
    SourceLoc loc;
};

enum class Op {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    And,
    Or,
    Xor,
    Shl,
    Shr,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    LogAnd,
    LogOr,
    LogXor,
    Neg,
    LogNot,
    BitNot,
};

enum class NodeKind {
    Const,          // integer constant: value
    String,         // string literal: str
    Var,            // a variable: var (scalar value, or the storage of an aggregate)
    ArrayElem,      // associative array element: var, kids = keys
    BuiltinVar,     // builtin (+ value for Arg)
    ArgN,           // args[i] with a run-time index: kids[0]
    Unary,          // op, kids[0]
    Binary,         // op, kids[0], kids[1] (arithmetic, bitwise, comparison, logical)
    Conditional,    // kids[0] ? kids[1] : kids[2]
    Cast,           // kids[0] converted to type
    Deref,          // the object kids[0] points to (kernel memory)
    AddrOf,         // &kids[0]
    Member,         // kids[0]'s member at offset (bits) with bitSize
    Assign,         // kids[0] = kids[1]; op set for compound assignment
    IncDec,         // kids[0] ++/--: value = +1/-1, isPostfix
    Call,           // subroutine: subr, kids = arguments
    Comma,          // kids[0], kids[1]
    Element,        // kids[0][kids[1]] of an array (or a string's character)
    AggregationRef, // @name as a value (printa, trace errors): str
};

enum class Subr {
    None,
    Strlen,
    Strjoin,
    Rand,
    Substr,
    Strchr,
    Strrchr,
    Strstr,
    Index,
    Rindex,
    Strtok,
    Toupper,
    Tolower,
    Lltostr,
    Basename,
    Dirname,
    Htons,
    Htonl,
    Htonll,
    Getmajor,
    Getminor,
    Alloca,
    Bcopy,
    Copyin,
    Copyinto,
    Copyinstr,
    Cleanpath,
    Progenyof,
    Cpuinfo, // __cpuinfo(cpu): the address of the CPU's cpuinfo_t
    DPath,
    DMountpoint, // the mount point of a struct path's file system
    Copyout,
    Copyoutstr,
    Raise,
    Stop,
    Chill,
    InetNtoa,
    InetNtoa6,
    InetNtop,
    LinkNtop,
    Speculation, // speculation(): a free speculative buffer's ID, or 0
    Stack,       // stack(n), ustack(n): value = the frames
    Uregs,       // uregs[i]: the current thread's user register i (pt_regs order)
};

struct Node;
using NodePtr = std::unique_ptr<Node>;

struct Node {
    NodeKind kind = NodeKind::Const;
    SourceLoc loc;
    TypeRef type;
    int64_t value = 0;
    std::string str;
    Variable *var = nullptr;
    Builtin builtin = Builtin::Arg;
    Op op = Op::Add;
    Subr subr = Subr::None;
    bool isPostfix = false;
    bool userAddress = false; // Deref of a user-space pointer
    bool scratch = false;     // Deref of a pointer into alloca'd scratch memory
    bool translated = false;  // a pointer to translated data (xlate<T *>), which may not be cast
    uint64_t offsetBits = 0;
    unsigned bitSize = 0;
    std::vector<NodePtr> kids;

    Node(NodeKind k, SourceLoc l, TypeRef t) : kind(k), loc(l), type(std::move(t)) {}
    bool isConstant() const { return kind == NodeKind::Const; }
};

enum class StmtKind {
    Expr,      // evaluate for side effects
    Trace,     // trace(expr)
    Printf,    // printf(fmt, args)
    Exit,      // exit(expr)
    Aggregate, // @agg[keys] = func(args)
    If,
    System,            // system(fmt, args)
    Printa,            // printa([fmt,] @a, ...)
    Speculate,         // speculate(id): the clause's record goes to speculation id
    Commit,            // commit(id)
    Discard,           // discard(id)
    AggregationAction, // normalize, denormalize, clear, trunc: aggs[0], expr (the factor or count)
    Print,             // print(expr): the pointer, then what it points to
    Freopen,           // freopen(fmt, args): output to the file named (printf-style)
    Ftruncate,         // ftruncate(): empty the output file
    Tracemem,          // tracemem(expr = address, params[0] = size[, args[0] = bytes to show])
    SetOption,         // setopt(format = the name[, str = the value]); hasFormat: a value was given
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;

struct Stmt {
    StmtKind kind = StmtKind::Expr;
    SourceLoc loc;
    NodePtr expr;                // Expr, Trace, Exit, If (condition)
    std::vector<NodePtr> args;   // Printf values; Aggregate function arguments
    std::vector<NodePtr> keys;   // Aggregate keys
    std::vector<int64_t> params; // constant arguments (lquantize ...)
    Aggregation *agg = nullptr;
    std::vector<Aggregation *> aggs; // printa
    AggregationActionKind aggAction = AggregationActionKind::Clear;
    bool hasFormat = false;
    bool needsDestructive = false; // refused at enable time without -w
    std::string format;
    std::string str; // setopt's value
    program::ParsedFormat parsedFormat;
    std::vector<StmtPtr> thenBody, elseBody;
};

struct Clause {
    int index = 0; // DTrace's dt_clause_N
    std::vector<const providers::Probe *> probes;
    NodePtr predicate;
    std::vector<StmtPtr> body;
    SourceLoc loc;
    std::string description; // the probe description as written
    int source = 0;          // which -s/-n program it came from
    // DTrace's stability attributes of its probe description and of its
    // statements and predicate (for -v).
    program::Attributes descriptionAttributes, statementAttributes, argumentAttributes;
    bool unstableDescription = false; // matched an unstable set of probes
};

struct Program {
    std::vector<Clause> clauses;
    std::vector<std::unique_ptr<Variable>> variables;
    std::vector<std::unique_ptr<Aggregation>> aggregations;
    program::Options options;
    std::unique_ptr<sema::TypeTable> types;
    size_t matchedProbes = 0; // distinct probes enabled, for "matched N probes"
    bool usesSpeculation = false;
};

} // namespace dtrace::ir
