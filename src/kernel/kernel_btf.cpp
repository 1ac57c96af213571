#include "kernel/kernel_btf.h"

#include <bpf/btf.h>

#include <cstdlib>
#include <memory>

namespace dtrace::kernel {

const struct btf *vmlinuxBtf() {
    struct Free {
        void operator()(struct btf *b) const { btf__free(b); }
    };
    // libbpf 1.x returns NULL (errno set) when there is none. The tests'
    // made-up kernel comes from _DTRACE_VMLINUX_BTF (raw BTF).
    static const std::unique_ptr<struct btf, Free> btf([]() -> struct btf * {
        if (const char *path = std::getenv("_DTRACE_VMLINUX_BTF")) return btf__parse_raw(path);
        return btf__load_vmlinux_btf();
    }());
    return btf.get();
}

namespace {

// C's names for BTF's integers, which pahole spells as GCC does
// ("long unsigned int").
std::string integerName(const struct btf_type *t, const char *name) {
    uint32_t enc = btf_int_encoding(t);
    bool isSigned = enc & BTF_INT_SIGNED;
    if (enc & BTF_INT_BOOL) return "_Bool";
    switch (t->size) {
    case 1:
        return std::string(name) == "char" ? "char" : isSigned ? "signed char" : "unsigned char";
    case 2: return isSigned ? "short" : "unsigned short";
    case 4: return isSigned ? "int" : "unsigned int";
    case 8:
        return std::string(name).find("long long") != std::string::npos
                   ? (isSigned ? "long long" : "unsigned long long")
                   : (isSigned ? "long" : "unsigned long");
    default: return isSigned ? "int64_t" : "uint64_t"; // __int128: its low half
    }
}

} // namespace

std::string btfTypeName(const struct btf *btf, unsigned id) {
    auto *b = const_cast<struct btf *>(btf); // libbpf's getters are const in spirit
    std::string qualifiers;
    for (int depth = 0; depth < 32; ++depth) {
        if (id == 0) return qualifiers + "void";
        const struct btf_type *t = btf__type_by_id(b, id);
        if (!t) return "uint64_t";
        const char *name = btf__name_by_offset(b, t->name_off);
        bool named = name && *name;
        switch (btf_kind(t)) {
        case BTF_KIND_INT: return qualifiers + integerName(t, named ? name : "");
        case BTF_KIND_FLOAT:
        case BTF_KIND_TYPEDEF:
            if (named) return qualifiers + name;
            return "uint64_t";
        case BTF_KIND_STRUCT:
        case BTF_KIND_UNION:
        case BTF_KIND_ENUM:
        case BTF_KIND_ENUM64: {
            if (!named) return "uint64_t";
            const char *tag = btf_kind(t) == BTF_KIND_STRUCT  ? "struct "
                              : btf_kind(t) == BTF_KIND_UNION ? "union "
                                                              : "enum ";
            return qualifiers + tag + name;
        }
        case BTF_KIND_CONST: qualifiers = "const "; break;
        case BTF_KIND_VOLATILE:
        case BTF_KIND_RESTRICT:
        case BTF_KIND_TYPE_TAG: break;
        case BTF_KIND_PTR: {
            const struct btf_type *to = btf__type_by_id(b, t->type);
            // Skip the qualifiers of what it points at to see what it is.
            unsigned target = t->type;
            while (to && (btf_kind(to) == BTF_KIND_CONST || btf_kind(to) == BTF_KIND_VOLATILE ||
                          btf_kind(to) == BTF_KIND_RESTRICT || btf_kind(to) == BTF_KIND_TYPE_TAG)) {
                target = to->type;
                to = btf__type_by_id(b, target);
            }
            if (!to || target == 0) return btfTypeName(btf, t->type) + " *";
            int kind = btf_kind(to);
            bool anonymous = to->name_off == 0 || !*btf__name_by_offset(b, to->name_off);
            if (kind == BTF_KIND_FUNC_PROTO || kind == BTF_KIND_PTR || kind == BTF_KIND_ARRAY ||
                (anonymous && kind != BTF_KIND_INT && kind != BTF_KIND_FLOAT))
                return kind == BTF_KIND_PTR ? btfTypeName(btf, t->type) + "*" : "void *";
            return btfTypeName(btf, t->type) + " *";
        }
        default: return "uint64_t";
        }
        id = t->type;
    }
    return "uint64_t";
}

namespace {

// The struct or union a type id names, through typedefs and qualifiers.
const struct btf_type *aggregate(const struct btf *btf, unsigned id) {
    for (int depth = 0; depth < 32 && id != 0; ++depth) {
        const struct btf_type *t = btf__type_by_id(btf, id);
        if (!t) return nullptr;
        if (btf_is_composite(t)) return t;
        if (!btf_is_typedef(t) && !btf_is_mod(t)) return nullptr;
        id = t->type;
    }
    return nullptr;
}

// The bit offset of `name` in t, looking into anonymous members too.
std::optional<uint32_t> findMember(const struct btf *btf, const struct btf_type *t,
                                   std::string_view name, unsigned *typeId) {
    const struct btf_member *m = btf_members(t);
    for (uint16_t i = 0; i < btf_vlen(t); ++i, ++m) {
        const char *n = btf__name_by_offset(btf, m->name_off);
        uint32_t at = btf_member_bit_offset(t, i);
        if (n && *n) {
            if (name != n) continue;
            *typeId = m->type;
            return at;
        }
        if (const struct btf_type *inner = aggregate(btf, m->type))
            if (auto below = findMember(btf, inner, name, typeId)) return at + *below;
    }
    return std::nullopt;
}

} // namespace

std::optional<uint32_t> memberBitOffset(const struct btf *btf, std::string_view structName,
                                        std::string_view path) {
    if (!btf) return std::nullopt;
    int id = btf__find_by_name_kind(btf, std::string(structName).c_str(), BTF_KIND_STRUCT);
    if (id <= 0) return std::nullopt;
    const struct btf_type *t = btf__type_by_id(btf, static_cast<unsigned>(id));
    uint32_t offset = 0;
    while (t) {
        size_t dot = path.find('.');
        unsigned memberType = 0;
        auto at = findMember(btf, t, path.substr(0, dot), &memberType);
        if (!at) return std::nullopt;
        offset += *at;
        if (dot == std::string_view::npos) return offset;
        path.remove_prefix(dot + 1);
        t = aggregate(btf, memberType);
    }
    return std::nullopt;
}

} // namespace dtrace::kernel
