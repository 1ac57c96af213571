#include "providers/tracepoints.h"

#include <dirent.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace dtrace::providers {

namespace {

std::string readFile(const std::string &path) {
    std::ifstream in(path);
    if (!in) return {};
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// "offset:8" in a field line: the number after key, or -1.
long long fieldNumber(std::string_view line, std::string_view key) {
    size_t at = line.find(key);
    if (at == std::string_view::npos) return -1;
    return std::strtoll(std::string(line.substr(at + key.size())).c_str(), nullptr, 10);
}

// The D type an argument of this field has: scalars and pointers keep the
// kernel's spelling (resolved through BTF, or as an integer of their size);
// arrays and dynamic arrays are the address of their first element.
std::string argumentType(const TracepointField &f, std::string_view element) {
    if (f.array || f.dataLoc || f.relLoc) {
        std::string e(trim(element));
        if (e.rfind("const ", 0) == 0) e = e.substr(6);
        if (e == "char" || e == "unsigned char" || e == "signed char") return "char *";
        if (e.empty()) return "uint8_t *";
        return e + " *";
    }
    return f.type;
}

} // namespace

const std::string &tracefsRoot() {
    static const std::string root = [] {
        // The tests' made-up tracefs.
        if (const char *fake = std::getenv("_DTRACE_TRACEFS")) return std::string(fake);
        for (const char *r : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}) {
            struct stat st {};
            if (stat((std::string(r) + "/events").c_str(), &st) == 0 && S_ISDIR(st.st_mode))
                return std::string(r);
        }
        return std::string();
    }();
    return root;
}

std::vector<std::pair<std::string, std::string>> availableTracepoints() {
    std::vector<std::pair<std::string, std::string>> out;
    if (tracefsRoot().empty()) return out;
    std::istringstream in(readFile(tracefsRoot() + "/available_events"));
    std::string line;
    while (std::getline(in, line)) {
        size_t colon = line.find(':');
        if (colon == std::string::npos) continue;
        out.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    }
    return out;
}

std::vector<std::string> subsystemTracepoints(std::string_view subsystem) {
    std::vector<std::string> out;
    if (tracefsRoot().empty() || subsystem.find('/') != std::string_view::npos ||
        subsystem == "." || subsystem == "..")
        return out;
    std::string dir = tracefsRoot() + "/events/" + std::string(subsystem);
    DIR *d = opendir(dir.c_str());
    if (!d) return out;
    while (dirent *e = readdir(d)) {
        if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
        out.emplace_back(e->d_name);
    }
    closedir(d);
    return out;
}

TracepointFormat parseTracepointFormat(std::string_view text) {
    TracepointFormat fmt;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        if (line.rfind("ID:", 0) == 0) {
            fmt.id = static_cast<uint32_t>(fieldNumber(line, "ID:"));
            continue;
        }
        size_t f = line.find("field:");
        if (f == std::string_view::npos) continue;
        size_t semi = line.find(';', f);
        if (semi == std::string_view::npos) continue;
        std::string_view decl = trim(line.substr(f + 6, semi - f - 6));
        TracepointField field;
        field.offset = static_cast<uint32_t>(fieldNumber(line, "offset:"));
        field.size = static_cast<uint32_t>(fieldNumber(line, "size:"));
        field.isSigned = fieldNumber(line, "signed:") == 1;
        if (decl.rfind("__data_loc ", 0) == 0) {
            field.dataLoc = true;
            decl.remove_prefix(11);
        } else if (decl.rfind("__rel_loc ", 0) == 0) {
            field.relLoc = true;
            decl.remove_prefix(10);
        }
        std::string_view element;
        if (field.dataLoc || field.relLoc) {
            // "char[] name": the bound is on the type.
            size_t sp = decl.find_last_of(' ');
            if (sp == std::string_view::npos) continue;
            field.name = std::string(decl.substr(sp + 1));
            field.type = std::string(trim(decl.substr(0, sp)));
            element = trim(decl.substr(0, decl.find('[')));
        } else {
            // The name is the last word, perhaps with a bound: "comm[16]".
            size_t bracket = decl.find('[');
            std::string_view head =
                trim(bracket == std::string_view::npos ? decl : decl.substr(0, bracket));
            size_t sp = head.find_last_of(" *");
            if (sp == std::string_view::npos) continue;
            field.name = std::string(head.substr(sp + 1));
            element = trim(head.substr(0, sp + 1));
            field.type = std::string(element);
            if (bracket != std::string_view::npos) {
                field.array = true;
                field.type += " " + std::string(decl.substr(bracket));
            }
        }
        if (field.name.rfind("common_", 0) == 0) continue;
        field.argType = argumentType(field, element);
        fmt.fields.push_back(std::move(field));
    }
    return fmt;
}

std::optional<TracepointFormat> readTracepointFormat(std::string_view subsystem,
                                                     std::string_view event) {
    if (tracefsRoot().empty()) return std::nullopt;
    std::string text = readFile(tracefsRoot() + "/events/" + std::string(subsystem) + "/" +
                                std::string(event) + "/format");
    if (text.empty()) return std::nullopt;
    return parseTracepointFormat(text);
}

} // namespace dtrace::providers
