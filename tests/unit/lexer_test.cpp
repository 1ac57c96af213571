// The D lexer: tokens, probe descriptions at the top level, control lines,
// and DTrace's lexical errors.
#include "frontend/lexer.h"

#include <gtest/gtest.h>

using dtrace::CompileError;
using dtrace::frontend::Lexer;
using dtrace::frontend::Token;
using dtrace::frontend::TokenKind;

namespace {

std::vector<Token> lexAll(std::string_view src, Lexer::Mode mode = Lexer::Mode::Expression) {
    Lexer lx(src);
    std::vector<Token> out;
    for (;;) {
        Token t = lx.next(mode);
        if (t.kind == TokenKind::End) break;
        out.push_back(t);
    }
    return out;
}

std::string errorTag(std::string_view src, int *line = nullptr) {
    try {
        lexAll(src);
    } catch (const CompileError &e) {
        if (line) *line = e.loc().line;
        return e.tag() + ": " + e.message();
    }
    return "";
}

} // namespace

TEST(Lexer, IntegersInEveryBase) {
    auto t = lexAll("42 0x2a 052 7ul 3LL");
    ASSERT_EQ(t.size(), 5u);
    EXPECT_EQ(t[0].intValue, 42u);
    EXPECT_EQ(t[1].intValue, 42u);
    EXPECT_FALSE(t[1].isDecimal);
    EXPECT_EQ(t[2].intValue, 42u);
    EXPECT_TRUE(t[3].isUnsigned);
    EXPECT_EQ(t[3].longCount, 1);
    EXPECT_EQ(t[4].longCount, 2);
}

TEST(Lexer, InvalidOctalDigitIsReported) {
    EXPECT_EQ(errorTag("0128"), "D_INT_DIGIT: constant 0128 contains invalid digit 8");
}

TEST(Lexer, IntegerOverflowIsReported) {
    EXPECT_EQ(errorTag("0x12345678123456781"),
              "D_INT_OFLOW: constant 0x12345678123456781 results in integer overflow");
}

TEST(Lexer, StringEscapesAreDecoded) {
    auto t = lexAll(R"("a\tb\n\x41\101\\")");
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t[0].kind, TokenKind::String);
    // DTrace keeps \\ (and \?) in string literals; printf formats decode them.
    EXPECT_EQ(t[0].text, "a\tb\nAA\\\\");
}

TEST(Lexer, NewlineInStringIsReportedOnTheNextLine) {
    int line = 0;
    EXPECT_EQ(errorTag("x = \"hello\nthere\";", &line),
              "D_STR_NL: newline encountered in string literal");
    EXPECT_EQ(line, 2);
}

TEST(Lexer, CharacterConstantIsAnInteger) {
    auto t = lexAll("'a'");
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t[0].kind, TokenKind::Integer);
    EXPECT_EQ(t[0].intValue, 97u);
}

TEST(Lexer, LongestPunctuationWins) {
    auto t = lexAll("a >>= b->c ^^ d");
    ASSERT_EQ(t.size(), 7u);
    EXPECT_TRUE(t[1].is(">>="));
    EXPECT_TRUE(t[3].is("->"));
    EXPECT_TRUE(t[5].is("^^"));
}

TEST(Lexer, MacrosAggregationsAndScopedNames) {
    auto t = lexAll("$1 $$2 $target @counts @ vmlinux`jiffies `max_pfn");
    ASSERT_EQ(t.size(), 7u);
    EXPECT_EQ(t[0].kind, TokenKind::Macro);
    EXPECT_EQ(t[0].text, "$1");
    EXPECT_EQ(t[1].text, "$$2");
    EXPECT_EQ(t[2].text, "$target");
    EXPECT_EQ(t[3].kind, TokenKind::Aggregation);
    EXPECT_EQ(t[3].text, "@counts");
    EXPECT_EQ(t[4].text, "@");
    EXPECT_EQ(t[5].kind, TokenKind::Identifier);
    EXPECT_EQ(t[5].text, "vmlinux`jiffies");
    EXPECT_EQ(t[6].text, "`max_pfn");
}

TEST(Lexer, ProbeDescriptionsAtTheTopLevel) {
    auto t = lexAll("syscall::read:entry tick-10ms BEGIN,END int", Lexer::Mode::Program);
    ASSERT_GE(t.size(), 4u);
    EXPECT_EQ(t[0].kind, TokenKind::ProbeSpec);
    EXPECT_EQ(t[0].text, "syscall::read:entry");
    EXPECT_EQ(t[1].kind, TokenKind::ProbeSpec);
    EXPECT_EQ(t[1].text, "tick-10ms");
    EXPECT_EQ(t[2].kind, TokenKind::ProbeSpec);
    EXPECT_EQ(t[2].text, "BEGIN");
}

TEST(Lexer, KeywordsAreNotProbeDescriptions) {
    Lexer lx("self int x;");
    Token t = lx.next(Lexer::Mode::Program);
    EXPECT_EQ(t.kind, TokenKind::Keyword);
    EXPECT_EQ(t.text, "self");
}

TEST(Lexer, PredicateEndsAtSlashBeforeBrace) {
    Lexer lx("x / 2 /\n{");
    EXPECT_EQ(lx.next(Lexer::Mode::Expression, true).kind, TokenKind::Identifier);
    Token div = lx.next(Lexer::Mode::Expression, true);
    EXPECT_EQ(div.kind, TokenKind::Punct);
    lx.next(Lexer::Mode::Expression, true);
    Token end = lx.next(Lexer::Mode::Expression, true);
    EXPECT_EQ(end.kind, TokenKind::EndPredicate);
    EXPECT_EQ(end.loc.line, 2); // DTrace read ahead to the brace
}

TEST(Lexer, PragmasAreCollected) {
    Lexer lx("#pragma D option quiet\n#pragma D option strsize=16\nBEGIN");
    Token t = lx.next(Lexer::Mode::Program);
    EXPECT_EQ(t.text, "BEGIN");
    EXPECT_EQ(t.loc.line, 3);
    ASSERT_EQ(lx.pragmas().size(), 2u);
    EXPECT_EQ(lx.pragmas()[1].words, (std::vector<std::string>{"D", "option", "strsize=16"}));
}

TEST(Lexer, LineDirectivesRenumber) {
    Lexer lx("# 40 \"file.d\"\nBEGIN");
    Token t = lx.next(Lexer::Mode::Program);
    EXPECT_EQ(t.loc.line, 40);
}

TEST(Lexer, UnterminatedCommentIsReported) {
    int line = 0;
    EXPECT_EQ(errorTag("/* no end\n", &line),
              "D_SYNTAX: end-of-file encountered before matching */");
    EXPECT_EQ(line, 2);
}

TEST(Lexer, UnterminatedControlLineIsReported) {
    EXPECT_EQ(errorTag("x;\n#pragma"),
              "D_SYNTAX: end-of-file encountered before end of control line");
}

// DTrace discards an interpreter line wherever it stands: scripts put a
// comment block or a blank line above "#!/usr/sbin/dtrace -s".
TEST(Lexer, InterpreterLinesAreIgnoredOnAnyLine) {
    Lexer lx("/* about */\n\n#!/usr/sbin/dtrace -qs\n  #!/usr/sbin/dtrace -s\nBEGIN");
    Token t = lx.next(Lexer::Mode::Program);
    EXPECT_EQ(t.text, "BEGIN");
    EXPECT_EQ(t.loc.line, 5);
    EXPECT_TRUE(lx.pragmas().empty());
}
