#include "sema/library.h"

#include "frontend/diagnostics.h"
#include "frontend/lexer.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <sys/utsname.h>

namespace dtrace::sema {

namespace fs = std::filesystem;
using frontend::Lexer;
using frontend::Token;
using frontend::TokenKind;

LibraryIndex::LibraryIndex(std::vector<std::string> directories) : dirs_(std::move(directories)) {}

std::optional<std::string> LibraryIndex::defaultDirectory() {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return std::nullopt;
    for (const fs::path &candidate :
         {exe.parent_path() / "lib" / "dtrace", exe.parent_path().parent_path() / "lib" / "dtrace"})
        if (fs::is_directory(candidate, ec)) return candidate.string();
    return std::nullopt;
}

namespace {

// "6.2" as (6, 2); nothing for a name that is not a kernel version.
std::optional<std::pair<int, int>> kernelVersion(std::string_view s) {
    int major = 0, minor = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), major);
    if (ec != std::errc() || p == s.data() + s.size() || *p != '.') return std::nullopt;
    auto [q, ec2] = std::from_chars(p + 1, s.data() + s.size(), minor);
    if (ec2 != std::errc()) return std::nullopt;
    return std::pair{major, minor};
}

std::pair<int, int> runningKernelVersion() {
    struct utsname u {};
    if (uname(&u) == 0)
        if (auto v = kernelVersion(u.release)) return *v;
    return {0, 0};
}

// The .d files of a directory, sorted.
std::vector<fs::path> libraryFiles(const fs::path &dir) {
    std::error_code ec;
    std::vector<fs::path> paths;
    for (const auto &entry : fs::directory_iterator(dir, ec))
        if (entry.path().extension() == ".d" && entry.is_regular_file(ec))
            paths.push_back(entry.path());
    std::sort(paths.begin(), paths.end());
    return paths;
}

} // namespace

void LibraryIndex::scan() const {
    if (scanned_) return;
    scanned_ = true;
    std::set<std::string> seen;
    const auto running = runningKernelVersion();
    for (const std::string &dir : dirs_) {
        std::error_code ec;
        // Definitions that depend on the kernel's structures live in
        // subdirectories named for the first kernel version they fit
        // ("6.2"): the highest not above the running kernel's hides the
        // same file names at the top.
        std::optional<std::pair<std::pair<int, int>, fs::path>> versioned;
        for (const auto &entry : fs::directory_iterator(dir, ec))
            if (entry.is_directory(ec))
                if (auto v = kernelVersion(entry.path().filename().string());
                    v && *v <= running && (!versioned || versioned->first < *v))
                    versioned = {{*v, entry.path()}};
        std::vector<fs::path> paths;
        if (versioned) paths = libraryFiles(versioned->second);
        for (fs::path &p : libraryFiles(dir)) paths.push_back(std::move(p));
        for (const fs::path &p : paths) {
            std::string name = p.filename().string();
            if (!seen.insert(name).second) continue; // hidden by an earlier directory
            std::ifstream in(p);
            std::ostringstream text;
            text << in.rdbuf();
            auto f = std::make_unique<LibraryFile>();
            f->name = name;
            f->path = p.string();
            f->text = text.str();
            files_.push_back(std::move(f));
        }
    }
    for (const auto &f : files_) index(*f);
}

// Reads a file's top-level names: what follows `inline` up to its `=` or
// parameter list, what a typedef ends with, tags defined with a body,
// enumerators, and the output of each translator.
void LibraryIndex::index(const LibraryFile &cf) const {
    auto &f = const_cast<LibraryFile &>(cf);
    std::vector<Token> toks;
    try {
        Lexer lx(f.text);
        for (;;) {
            Token t = lx.next(Lexer::Mode::Expression);
            if (t.kind == TokenKind::End) break;
            toks.push_back(std::move(t));
        }
        for (const auto &p : lx.pragmas())
            if (p.words.size() == 4 && p.words[1] == "depends_on" && p.words[2] == "library")
                f.dependsOn.push_back(p.words[3]);
    } catch (const CompileError &e) {
        throw Error("failed to read D library file " + f.path + ": line " +
                    std::to_string(e.loc().line) + ": " + e.message());
    }
    auto isIdent = [&](size_t i) {
        return i < toks.size() && toks[i].kind == TokenKind::Identifier;
    };
    int brace = 0;
    for (size_t i = 0; i < toks.size(); ++i) {
        const Token &t = toks[i];
        if (t.is("{")) ++brace;
        if (t.is("}")) --brace;
        if (t.is("struct") || t.is("union") || t.is("enum")) {
            if (isIdent(i + 1) && i + 2 < toks.size() && toks[i + 2].is("{"))
                tags_.emplace(t.text + " " + toks[i + 1].text, &f);
            if (t.is("enum")) {
                size_t j = i + 1;
                while (j < toks.size() && !toks[j].is("{") && !toks[j].is(";")) ++j;
                if (j < toks.size() && toks[j].is("{")) {
                    // Enumerators: each name after the { or a comma.
                    int depth = 0;
                    for (size_t k = j; k < toks.size(); ++k) {
                        if (toks[k].is("(") || toks[k].is("{")) ++depth;
                        if (toks[k].is(")") || toks[k].is("}")) {
                            if (--depth == 0) break;
                        }
                        if (depth == 1 && (toks[k].is("{") || toks[k].is(",")) && isIdent(k + 1))
                            identifiers_.emplace(toks[k + 1].text, &f);
                    }
                }
            }
            continue;
        }
        if (brace != 0) continue;
        if (t.is("inline")) {
            std::string name;
            int paren = 0;
            for (size_t j = i + 1; j < toks.size(); ++j) {
                if (toks[j].is("(")) ++paren;
                if (toks[j].is(")")) --paren;
                if (paren == 0 && (toks[j].is("=") || toks[j].is("["))) break;
                if (toks[j].kind == TokenKind::Identifier) name = toks[j].text;
            }
            if (!name.empty()) identifiers_.emplace(name, &f);
        } else if (t.is("typedef")) {
            std::string name;
            int depth = 0;
            for (size_t j = i + 1; j < toks.size(); ++j) {
                if (toks[j].is("{") || toks[j].is("[") || toks[j].is("(")) ++depth;
                if (toks[j].is("}") || toks[j].is("]") || toks[j].is(")")) --depth;
                if (depth == 0 && toks[j].is(";")) break;
                if (depth == 0 && toks[j].kind == TokenKind::Identifier) name = toks[j].text;
            }
            if (!name.empty()) types_.emplace(name, &f);
        } else if (t.is("translator")) {
            std::string out;
            for (size_t j = i + 1; j < toks.size() && !toks[j].is("<"); ++j)
                out += (out.empty() ? "" : " ") + toks[j].text;
            translators_.emplace(out, &f);
        }
    }
}

const LibraryFile *LibraryIndex::definingIdentifier(std::string_view name) const {
    scan();
    auto it = identifiers_.find(name);
    return it == identifiers_.end() ? nullptr : it->second;
}

const LibraryFile *LibraryIndex::definingType(std::string_view name) const {
    scan();
    auto it = types_.find(name);
    return it == types_.end() ? nullptr : it->second;
}

const LibraryFile *LibraryIndex::definingTag(std::string_view kindAndTag) const {
    scan();
    auto it = tags_.find(kindAndTag);
    return it == tags_.end() ? nullptr : it->second;
}

std::vector<const LibraryFile *> LibraryIndex::translatingTo(std::string_view output) const {
    scan();
    std::vector<const LibraryFile *> out;
    auto [b, e] = translators_.equal_range(output);
    for (auto it = b; it != e; ++it) out.push_back(it->second);
    return out;
}

const LibraryFile *LibraryIndex::byName(std::string_view fileName) const {
    scan();
    for (const auto &f : files_)
        if (f->name == fileName) return f.get();
    return nullptr;
}

} // namespace dtrace::sema
