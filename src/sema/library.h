// The D library: files of D declarations (errno.d, procfs.d, io.d, ...)
// that give every program DTrace's constants, types, translators and
// inlines. They live in a directory installed with the binary (found
// beside it in a build tree), after any the command line adds (-L,
// -xlibdir). A file is compiled only when a program first uses a name it
// defines, so start-up pays for what a script uses: the index reads only
// the top-level names of each file.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dtrace::sema {

struct LibraryFile {
    std::string name; // "procfs.d"
    std::string path;
    std::string text;
    std::vector<std::string> dependsOn; // #pragma D depends_on library X.d
};

class LibraryIndex {
  public:
    // Directories in search order; a file name found in an earlier one
    // hides the same name in later ones.
    explicit LibraryIndex(std::vector<std::string> directories);

    // The file defining an identifier (an inline or enumerator), a type
    // name (a typedef), a struct/union/enum tag ("struct foo"), or a
    // translator to a type (its spelling: "psinfo_t", "struct foo").
    const LibraryFile *definingIdentifier(std::string_view name) const;
    const LibraryFile *definingType(std::string_view name) const;
    const LibraryFile *definingTag(std::string_view kindAndTag) const;
    std::vector<const LibraryFile *> translatingTo(std::string_view output) const;
    const LibraryFile *byName(std::string_view fileName) const;
    const std::vector<std::string> &directories() const { return dirs_; }

    // The directory the library is installed in: lib/dtrace beside the
    // binary (build tree) or ../lib/dtrace from it (installed).
    static std::optional<std::string> defaultDirectory();

  private:
    void scan() const;
    void index(const LibraryFile &f) const;
    std::vector<std::string> dirs_;
    mutable bool scanned_ = false;
    mutable std::vector<std::unique_ptr<LibraryFile>> files_;
    mutable std::map<std::string, const LibraryFile *, std::less<>> identifiers_, types_, tags_;
    mutable std::multimap<std::string, const LibraryFile *, std::less<>> translators_;
};

} // namespace dtrace::sema
