// Semantic analysis: types, names, prototypes and DTrace's error messages.
#include "compile_helpers.h"

#include <gtest/gtest.h>

using dtrace::test::compile;
using dtrace::test::errorOf;
namespace ir = dtrace::ir;

TEST(Sema, UndefinedVariable) {
    EXPECT_EQ(errorOf("BEGIN\n{\n\texit(x);\n}"),
              "D_IDENT_UNDEF line 3: failed to resolve x: Unknown variable name");
}

TEST(Sema, ActionPrototypes) {
    EXPECT_EQ(errorOf("BEGIN { exit(); }"),
              "D_PROTO_LEN line 1: exit( ) prototype mismatch: 0 args passed, 1 expected");
    EXPECT_EQ(errorOf("BEGIN { trace(1, 2); }"),
              "D_PROTO_LEN line 1: trace( ) prototype mismatch: 2 args passed, 1 expected");
    EXPECT_EQ(errorOf("BEGIN { exit(\"\"); }"),
              "D_PROTO_ARG line 1: exit( ) argument #1 is incompatible with "
              "prototype:\n\tprototype: int\n\t argument: string");
    EXPECT_EQ(errorOf("BEGIN { trace(exit(0)); }"),
              "D_TRACE_VOID line 1: trace( ) may not be applied to a void expression");
    EXPECT_EQ(errorOf("BEGIN { @a = count(); trace(@a); }"),
              "D_TRACE_DYN line 1: trace( ) may not be applied to a dynamic expression");
}

TEST(Sema, WritingBuiltinsIsRefused) {
    EXPECT_EQ(errorOf("BEGIN { pid = 1; }"),
              "D_OP_WRITE line 1: operator = can only be applied to a writable variable");
    EXPECT_EQ(errorOf("BEGIN { $pid++; }"),
              "D_OP_LVAL line 1: operator ++ requires modifiable lvalue as an operand");
}

TEST(Sema, IncompatibleAssignment) {
    EXPECT_EQ(errorOf("int x;\nBEGIN { x = \"dummy\"; }"),
              "D_OP_INCOMPAT line 2: operands have incompatible types: \"int\" = \"string\"");
}

TEST(Sema, ConstantFoldingAndDivisionByZero) {
    auto c = compile("BEGIN { x = (2 + 3) * 4; }");
    ASSERT_EQ(c->error, "");
    const ir::Node &assign = *c->ir.clauses[0].body[0]->expr;
    ASSERT_EQ(assign.kids[1]->kind, ir::NodeKind::Const);
    EXPECT_EQ(assign.kids[1]->value, 20);
    EXPECT_EQ(errorOf("BEGIN { x = 1 / 0; }"),
              "D_DIV_ZERO line 1: expression contains division by zero");
}

TEST(Sema, IntegerConstantTypesFollowC) {
    auto c = compile("BEGIN { a = 1; b = 0x80000000; c = 5000000000; d = -1ul; e = (char)0x1ff; }");
    ASSERT_EQ(c->error, "");
    auto typeOf = [&](size_t i) {
        return dtrace::sema::typeName(c->ir.clauses[0].body[i]->expr->type);
    };
    EXPECT_EQ(typeOf(0), "int");
    EXPECT_EQ(typeOf(1), "unsigned int");
    EXPECT_EQ(typeOf(2), "long");
    EXPECT_EQ(typeOf(3), "unsigned long");
    EXPECT_EQ(typeOf(4), "char");
    EXPECT_EQ(c->ir.clauses[0].body[4]->expr->kids[1]->value, -1);
}

TEST(Sema, ProbeDescriptionsMustMatch) {
    EXPECT_EQ(errorOf("#pragma D option quiet\nBEGIN:tick-1\n{\n}"),
              "D_PDESC_ZERO line 2: probe description ::BEGIN:tick-1 does not match any probes");
    EXPECT_EQ(errorOf("profile-1us { }"),
              "D_PDESC_ZERO line 1: probe description :::profile-1us does not match any probes");
}

TEST(Sema, EachDescriptionIsItsOwnClause) {
    auto c = compile("BEGIN, END { trace(1); } BEGIN { trace(2); }");
    ASSERT_EQ(c->error, "");
    ASSERT_EQ(c->ir.clauses.size(), 3u);
    EXPECT_EQ(c->ir.clauses[2].index, 2);
}

TEST(Sema, MacroArguments) {
    auto c = compile("BEGIN { x = $1 + 1; y = $$2; }", {"41", "text"});
    ASSERT_EQ(c->error, "");
    EXPECT_EQ(c->ir.clauses[0].body[0]->expr->kids[1]->value, 42);
    EXPECT_EQ(c->ir.clauses[0].body[1]->expr->kids[1]->str, "text");
    EXPECT_EQ(errorOf("BEGIN { x = $3; }"),
              "D_MACRO_UNDEF line 1: macro argument $3 is not defined");
}

TEST(Sema, PrintfFormatIsChecked) {
    EXPECT_EQ(errorOf("BEGIN { printf(\"%d %d\", 1, 2, 3); }"),
              "D_PRINTF_ARG_EXTRA line 1: printf( ) prototype mismatch: only 2 arguments required "
              "by this format string");
    EXPECT_EQ(errorOf("BEGIN { printf(\"\"); }"),
              "D_PRINTF_FMT_EMPTY line 1: printf( ) format string is empty");
}

TEST(Sema, StructsAndMembers) {
    auto c = compile(
        "struct s { char a; int b; short c : 4; short d : 4; };\n"
        "struct s v;\nBEGIN { v.b = 1; x = sizeof (struct s); y = offsetof(struct s, b); }");
    ASSERT_EQ(c->error, "");
    EXPECT_EQ(c->ir.clauses[0].body[1]->expr->kids[1]->value, 12);
    EXPECT_EQ(c->ir.clauses[0].body[2]->expr->kids[1]->value, 4);
    EXPECT_EQ(errorOf("struct s { int a; };\nstruct s v;\nBEGIN { v.nope = 1; }"),
              "D_TYPE_MEMBER line 3: nope is not a member of struct s");
}

TEST(Sema, AssociativeArrayKeysAreChecked) {
    EXPECT_EQ(errorOf("BEGIN { a[1, \"x\"] = 1; a[2] = 3; }"),
              "D_PROTO_LEN line 1: a[ ] prototype mismatch: 1 key passed, 2 expected");
}

TEST(Sema, PredicateMustBeScalar) {
    EXPECT_EQ(errorOf("int a[4];\nBEGIN\n/a/\n{\n}"),
              "D_PRED_SCALAR line 5: predicate result must be of scalar type");
}

// stringof takes scalars, pointers and char arrays (DTrace's strcompat),
// and says what else it was given in DTrace's words.
// A cast to string takes what stringof() takes: a char array is the
// string it holds; a struct is no string.
TEST(Sema, CharArraysCastToString) {
    EXPECT_EQ(dtrace::test::errorOf("BEGIN { x = (string)curthread->comm; }"), "");
    EXPECT_EQ(dtrace::test::errorOf("BEGIN { x = (string)curthread->se; }"),
              "D_CAST_INVAL line 1: invalid cast expression: \"struct sched_entity\" to "
              "\"string\"");
}

TEST(Sema, StringofTakesCharArraysAndRefusesStructs) {
    EXPECT_EQ(dtrace::test::errorOf("BEGIN { x = stringof(curthread->comm); }"), "");
    EXPECT_EQ(dtrace::test::errorOf("BEGIN { x = stringof(1); y = stringof(curthread); }"), "");
    EXPECT_EQ(dtrace::test::errorOf("BEGIN { x = stringof(curthread->se); }"),
              "D_STRINGOF_TYPE line 1: cannot apply stringof to a value of type struct "
              "sched_entity");
}

// An inline with parameters stands for its value with each parameter bound
// to the argument given; the arguments must match its prototype.
TEST(Sema, InlinesWithParameters) {
    EXPECT_EQ(dtrace::test::errorOf("inline int twice[int x] = x * 2;\n"
                                    "BEGIN { y = twice[3] + twice[pid]; }"),
              "");
    EXPECT_EQ(dtrace::test::errorOf("inline int twice[int x] = x * 2;\nBEGIN { y = twice[1, 2]; }"),
              "D_PROTO_LEN line 2: twice[ ] prototype mismatch: 2 args passed, 1 expected");
    EXPECT_EQ(dtrace::test::errorOf("inline int twice[int x] = x * 2;\nBEGIN { y = twice; }"),
              "D_IDENT_BADREF line 2: twice[ ] may not be referenced as scalar");
    EXPECT_EQ(dtrace::test::errorOf("inline int twice[int x] = x * 2;\nBEGIN { twice[1] = 2; }"),
              "D_OP_LVAL line 2: operator = requires modifiable lvalue as an operand");
    // The library's fds[] is one.
    EXPECT_EQ(dtrace::test::errorOf("BEGIN { s = fds[0].fi_pathname; }"), "");
}

// uregs[] takes a constant index among the registers regs.d names.
TEST(Sema, UregsTakesAConstantRegisterIndex) {
    EXPECT_EQ(dtrace::test::errorOf("BEGIN { x = uregs[R_PC] + uregs[R_GS]; }"), "");
    EXPECT_EQ(dtrace::test::errorOf("BEGIN { x = uregs[99]; }"),
              "D_REGS_IDX line 1: index 99 is out of range for array uregs");
    EXPECT_EQ(dtrace::test::errorOf("BEGIN { x = uregs[pid]; }"),
              "D_PROTO_ARG line 1: uregs[ ] argument #1 is incompatible with prototype:\n"
              "\tprototype: integer constant\n\t argument: pid_t");
    EXPECT_EQ(dtrace::test::errorOf("BEGIN { x = uregs; }"),
              "D_IDENT_BADREF line 1: uregs[ ] may not be referenced as scalar");
}

// DTrace's diagnostics for misused operators, calls, declarations and
// args[], each in its own words and tag.
TEST(Sema, DiagnosticsOfTheReference) {
    struct Case {
        const char *program, *error;
    };
    const Case cases[] = {
        {"BEGIN { 1(); }", "D_FUNC_IDENT line 1: function designator is not of function type"},
        {"struct a { struct b x; };\nBEGIN { (1)(2); }",
         "D_DECL_INCOMPLETE line 1: incomplete struct/union/enum struct b: x"},
        {"BEGIN { (1)(2); }", "D_FUNC_IDENT line 1: function designator is not of function type"},
        // A cast's errors are at the line of the token after it.
        {"BEGIN {\n x = (int)\n \"a\"\n}",
         "D_CAST_INVAL line 4: invalid cast expression: \"string\" to \"int\""},
        {"BEGIN {\n x = -\n \"a\"\n}",
         "D_OP_ARITH line 4: operator - requires an operand of arithmetic type"},
        // A second body is an error at its brace, before the body is read.
        {"struct s { int a; };\nstruct s\n{\n int b\n};",
         "D_DECL_TYPERED line 3: type redeclared: struct s"},
        {"BEGIN { @ = quantize(1, \"a\"); }",
         "D_PROTO_ARG line 1: quantize( ) increment value (argument #2) must be of scalar type"},
        {"BEGIN { trace(zonename); }",
         "D_IDENT_UNDEF line 1: failed to resolve zonename: zonename is not available on Linux: "
         "it has no Solaris zones"},
        {"BEGIN { timestamp(); }",
         "D_FUNC_IDKIND line 1: scalar 'timestamp' may not be referenced as a function"},
        {"BEGIN { args(); }",
         "D_FUNC_IDKIND line 1: associative array 'args' may not be referenced as a function"},
        {"inline int foo = 1;\nBEGIN { trace(curthread->foo); }",
         "D_OP_IDENT line 2: operator -> must be followed by an identifier"},
        {"BEGIN { p = (void *)0; p++; }",
         "D_OP_VFPTR line 1: operator ++ requires an operand of known size"},
        {"BEGIN { p = (void *)0; p += 1; }",
         "D_OP_VFPTR line 1: operator += requires left-hand scalar operand of known size"},
        {"BEGIN { curthread->comm = \"x\"; }",
         "D_OP_ARRFUN line 1: operator = may not be applied to operand of type \"char [16]\""},
        {"BEGIN { @a = count(); trace((@a, 1)); }",
         "D_OP_DYN line 1: operator , operands cannot be of dynamic type"},
        {"BEGIN { @a = count(); trace(1 ? @a : 2); }",
         "D_OP_DYN line 1: operator ?: operands cannot be of dynamic type"},
        {"BEGIN { (trace(1), 2); }", "D_OP_ACT line 1: operator , operands cannot be actions"},
        {"BEGIN { 1 ? trace(1) : trace(2); }",
         "D_OP_ACT line 1: action cannot be used in a conditional context"},
        {"BEGIN { trace('a\n); }", "D_CHR_NL line 2: newline encountered in character constant"},
        {"inline int x = args[0];",
         "D_ARGS_NONE line 1: args[ ] may not be referenced outside of a probe clause"},
        {"int a[4294967296];", "D_DECL_ARRBIG line 1: array dimension too big"},
        {"int x[5][int];", "D_DECL_DYNOBJ line 1: cannot declare array of associative arrays"},
        {"struct s { int a[int]; };", "D_DECL_DYNOBJ line 1: cannot have dynamic member: a"},
        {"int f(void x);", "D_DECL_PROTO_NAME line 1: void parameter may not have a name: x"},
        {"int f(int x, int x);", "D_DECL_PROTO_FORM line 1: parameter is already declared in "
                                 "function prototype: x, parameter #2"},
        {"BEGIN { printa(@a[1]); }", "D_PRINTA_AGGBAD line 1: undefined aggregation: @a"},
        {"provider p1 { probe q(); };",
         "D_PROV_BADNAME line 1: provider name may not end with a digit: p1"},
        {"provider p { probe q(); probe q(); };", "D_PROV_PRDUP line 1: probe redeclared: p:::q"},
        {"provider p { probe q__start(); probe q__start(); };",
         "D_PROV_PRDUP line 1: probe redeclared: p:::q-start"},
        {"provider p { probe q(int a) : (char *a); };",
         "D_PROV_PRXLATOR line 1: translator for p:::q output argument #1 from int to char * is "
         "not defined"},
        {"provider p { probe q(int); };\nprovider p { probe q(char); };",
         "D_PROV_INCOMPAT line 2: probe p:::q output prototype argument #1 mismatch:\n"
         "\t current: char\n\tprevious: int"},
        {"provider p { probe q(int); };\nprovider p { probe q(int, int); };",
         "D_PROV_INCOMPAT line 2: probe p:::q output prototype mismatch:\n"
         "\t current: 2 args\n\tprevious: 1 arg"},
        {"provider p { probe q(); };\nprovider p { probe r(); };",
         "D_PROV_INCOMPAT line 2: provider interface mismatch: p\n"
         "\t current: probe p:::r defined\n\tprevious: probe p:::r not defined"},
        {"#pragma D attributes Stable/Stable/Common timestamp\nBEGIN { }",
         "D_PRAGMA_SCOPE line 1: #pragma attributes cannot modify entity defined outside "
         "program scope"},
        {"#pragma D binding \"1.0\" EPERM\nBEGIN { }",
         "D_PRAGMA_SCOPE line 1: #pragma binding cannot modify entity defined outside program "
         "scope"},
        {"BEGIN { }\n#pragma D attributes Evolving/Evolving/Common foo\n",
         "D_PRAGMA_UNUSED line 2: unused #pragma attributes"},
        {"BEGIN { trace(vmlinux``max_pfn); }",
         "D_SYM_BADREF line 1: kernel module 'vmlinux' symbol 'max_pfn' may not be referenced "
         "as a user symbol"},
        {"BEGIN { clear(@a[1]); }", "D_CLEAR_AGGBAD line 1: undefined aggregation: @a"},
        {"BEGIN { trunc(@b[1], 2); }", "D_TRUNC_AGGBAD line 1: undefined aggregation: @b"},
        {"BEGIN { normalize(@c[1], 2); }", "D_NORMALIZE_AGGBAD line 1: undefined aggregation: @c"},
    };
    for (const Case &c : cases) EXPECT_EQ(dtrace::test::errorOf(c.program), c.error) << c.program;
    // What the program declares itself, its pragmas may name; a provider
    // may map an output argument to its input by name or translate it.
    EXPECT_EQ(dtrace::test::errorOf("int foo;\n#pragma D attributes Evolving/Evolving/Common foo\n"
                                    "#pragma D binding \"1.0\" bar\ninline int bar = 3;\n"
                                    "BEGIN { }"),
              "");
    EXPECT_EQ(dtrace::test::errorOf("provider p { probe q(int a, char *b) : (char *b, long a); };\n"
                                    "BEGIN { }"),
              "");
    EXPECT_EQ(dtrace::test::compile("BEGIN { trace($1); }", {"99999999999999999999"})->error,
              "D_MACRO_OFLOW line 1: macro argument $1 constant 99999999999999999999 results in "
              "integer overflow");
}
