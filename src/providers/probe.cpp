#include "providers/probe.h"
#include "providers/provider.h"

namespace dtrace::providers {

bool parseProbeDescription(std::string_view text, ProbeDescription &out) {
    std::vector<std::string> fields(1);
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '\\' && i + 1 < text.size()) {
            fields.back() += c;
            fields.back() += text[++i];
        } else if (c == ':') {
            fields.emplace_back();
        } else {
            fields.back() += c;
        }
    }
    if (fields.size() > 4) return false;
    // Fields are right-aligned: "a:b" is function a, name b.
    while (fields.size() < 4) fields.insert(fields.begin(), std::string());
    out.provider = fields[0];
    out.module = fields[1];
    out.function = fields[2];
    out.name = fields[3];
    return true;
}

bool hasGlob(std::string_view p) {
    return p.find_first_of("*?[\\") != std::string_view::npos;
}

bool globMatch(std::string_view p, std::string_view s) {
    size_t pi = 0, si = 0;
    size_t starP = std::string_view::npos, starS = 0;
    while (si < s.size()) {
        if (pi < p.size()) {
            char c = p[pi];
            if (c == '*') {
                starP = pi++;
                starS = si;
                continue;
            }
            if (c == '?') {
                ++pi;
                ++si;
                continue;
            }
            if (c == '[') {
                size_t j = pi + 1;
                bool negate = j < p.size() && (p[j] == '!' || p[j] == '^');
                if (negate) ++j;
                bool matched = false;
                bool first = true;
                while (j < p.size() && (first || p[j] != ']')) {
                    first = false;
                    char lo = p[j];
                    if (j + 2 < p.size() && p[j + 1] == '-' && p[j + 2] != ']') {
                        if (s[si] >= lo && s[si] <= p[j + 2]) matched = true;
                        j += 3;
                    } else {
                        if (s[si] == lo) matched = true;
                        ++j;
                    }
                }
                if (j < p.size() && matched != negate) {
                    pi = j + 1;
                    ++si;
                    continue;
                }
            } else if (c == '\\' && pi + 1 < p.size()) {
                if (p[pi + 1] == s[si]) {
                    pi += 2;
                    ++si;
                    continue;
                }
            } else if (c == s[si]) {
                ++pi;
                ++si;
                continue;
            }
        }
        if (starP == std::string_view::npos) return false;
        pi = starP + 1;
        si = ++starS;
    }
    while (pi < p.size() && p[pi] == '*') ++pi;
    return pi == p.size();
}

bool fieldMatches(const std::string &pattern, const std::string &value) {
    return pattern.empty() || globMatch(pattern, value);
}

bool couldName(const std::string &pattern, std::string_view chars) {
    return hasGlob(pattern) || pattern.empty() ||
           pattern.find_first_not_of(chars) == std::string::npos;
}

bool Provider::matches(const ProbeDescription &d, const Probe &p) const {
    return fieldMatches(d.provider, p.provider) && fieldMatches(d.module, p.module) &&
           fieldMatches(d.function, p.function) && fieldMatches(d.name, p.name);
}

void Provider::resolve(Probe &p) const {
    p.resolved = true;
}

} // namespace dtrace::providers
