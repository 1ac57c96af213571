// DTrace's options (-x name=value, #pragma D option, and the flags that
// stand for them): names, value syntax and defaults.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace dtrace::sema {

class Options {
  public:
    Options();

    // Sets an option. value is empty for a bare name ("quiet"). Returns an
    // error message in DTrace's words when the name or value is invalid.
    // fromProgram: set by #pragma (some options are refused there).
    std::optional<std::string> set(std::string_view name, std::optional<std::string_view> value,
                                   bool fromProgram);

    bool isSet(std::string_view name) const;
    // Set by the user (-x, #pragma, setopt), not left at its default.
    bool chosen(std::string_view name) const { return chosen_.count(name) != 0; }
    bool flag(std::string_view name) const;
    // Sizes in bytes, counts, and times in nanoseconds.
    uint64_t number(std::string_view name) const;
    std::string text(std::string_view name) const;

    // Frequently used, named for readability.
    bool quiet() const { return flag("quiet"); }
    uint64_t strsize() const { return number("strsize"); }
    bool destructive() const { return flag("destructive"); }

  private:
    std::optional<std::string> assign(std::string_view name, std::optional<std::string_view> value,
                                      bool fromProgram);
    std::map<std::string, std::string, std::less<>> values_; // canonical text
    std::set<std::string, std::less<>> chosen_;
    std::map<std::string, uint64_t, std::less<>> numbers_;
};

} // namespace dtrace::sema
