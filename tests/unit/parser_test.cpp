// The parser: D's grammar and DTrace's syntax error messages.
#include "compile_helpers.h"

#include <gtest/gtest.h>

using dtrace::test::compile;
using dtrace::test::errorOf;
namespace fe = dtrace::frontend;

namespace {

fe::Program parse(const std::string &src) {
    fe::Parser p(src, [](std::string_view n, bool) { return n == "uint64_t"; });
    return p.parseProgram();
}

std::string parseError(const std::string &src) {
    try {
        parse(src);
    } catch (const dtrace::CompileError &e) {
        return e.tag() + " line " + std::to_string(e.loc().line) + ": " + e.message();
    }
    return "";
}

} // namespace

TEST(Parser, ClauseWithSeveralDescriptionsPredicateAndBody) {
    auto prog = parse("BEGIN, syscall::read:entry\n/pid == 1/\n{ x = 1; trace(x) }");
    ASSERT_EQ(prog.items.size(), 1u);
    const auto &c = std::get<fe::Clause>(prog.items[0]);
    ASSERT_EQ(c.probes.size(), 2u);
    EXPECT_EQ(c.probes[1].text, "syscall::read:entry");
    ASSERT_TRUE(c.predicate);
    EXPECT_EQ(c.predicate->kind, fe::ExprKind::Binary);
    EXPECT_EQ(c.body.size(), 2u); // the last statement may omit its semicolon
}

TEST(Parser, CPrecedence) {
    auto prog = parse("BEGIN { x = 1 + 2 * 3 << 1 == 14 && 1 || 0 ^^ 1; }");
    const auto &c = std::get<fe::Clause>(prog.items[0]);
    const fe::Expr &assign = *c.body[0]->expr;
    ASSERT_EQ(assign.kind, fe::ExprKind::Assign);
    const fe::Expr &rhs = *assign.args[1];
    EXPECT_EQ(rhs.op, "||"); // lowest
    EXPECT_EQ(rhs.args[1]->op, "^^");
    EXPECT_EQ(rhs.args[0]->op, "&&");
    EXPECT_EQ(rhs.args[0]->args[0]->op, "==");
    EXPECT_EQ(rhs.args[0]->args[0]->args[0]->op, "<<");
}

TEST(Parser, DeclarationsAndCasts) {
    auto prog = parse("self int x; this string s; int a[4]; int t[int, string];\n"
                      "struct foo { int a; char b : 3; };\n"
                      "BEGIN { y = (uint64_t)(char)-1; z = sizeof (struct foo); }");
    ASSERT_EQ(prog.items.size(), 6u);
    const auto &t = std::get<fe::Declaration>(prog.items[3]);
    ASSERT_EQ(t.declarators[0].derivs.size(), 1u);
    EXPECT_EQ(t.declarators[0].derivs[0].kind, fe::Derivation::Kind::Assoc);
    EXPECT_EQ(t.declarators[0].derivs[0].keys.size(), 2u);
}

TEST(Parser, DTraceSyntaxErrors) {
    EXPECT_EQ(parseError("BEGIN\n{\n\ttrace(epid));\n}"),
              "D_SYNTAX line 3: extra ) in input stream");
    EXPECT_EQ(parseError("BEGIN\n{\n\ttrace(args[0]]);\n}"),
              "D_SYNTAX line 3: extra ] in input stream");
    EXPECT_EQ(parseError("BEGIN\n{\n\ttrace(epid);\n"),
              "D_SYNTAX line 4: syntax error near end of input");
    EXPECT_EQ(parseError("BEGIN\n{\n\ti */= i;\n}"), "D_SYNTAX line 3: syntax error near \"/=\"");
    EXPECT_EQ(parseError("profile-1\nint i;\n{}"),
              "D_SYNTAX line 1: expected predicate and/or actions following probe description");
    EXPECT_EQ(parseError("BEGIN\n/rand(/\n{\n}"),
              "D_SYNTAX line 3: closing ) expected in predicate before /");
    EXPECT_EQ(parseError("int i = 0;"), "D_SYNTAX line 1: syntax error near \"=\"");
}

TEST(Parser, IfElseStatements) {
    auto prog = parse("BEGIN { if (x) { a = 1; } else if (y) b = 2; else { c = 3; } }");
    const auto &c = std::get<fe::Clause>(prog.items[0]);
    ASSERT_EQ(c.body.size(), 1u);
    EXPECT_EQ(c.body[0]->kind, fe::StmtKind::If);
    EXPECT_TRUE(c.body[0]->hasElse);
    ASSERT_EQ(c.body[0]->elseBody.size(), 1u);
    EXPECT_EQ(c.body[0]->elseBody[0]->kind, fe::StmtKind::If);
}

TEST(Parser, TranslatorsAndProviders) {
    auto prog = parse("struct in { int a; }; struct out { int b; };\n"
                      "translator struct out < struct in *p > { b = p->a; };\n"
                      "provider myprov { probe go(int, char *); };");
    ASSERT_EQ(prog.items.size(), 4u);
    const auto &t = std::get<fe::Translator>(prog.items[2]);
    EXPECT_EQ(t.inputName, "p");
    EXPECT_EQ(t.members.size(), 1u);
    const auto &p = std::get<fe::ProviderDef>(prog.items[3]);
    EXPECT_EQ(p.probes[0].params.size(), 2u);
}
