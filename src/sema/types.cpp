#include "sema/types.h"

#include "kernel/kernel_btf.h"

#include <bpf/btf.h>
#include <cstdio>
#include <cstdlib>

#include <cstring>

namespace dtrace::sema {

TypeRef stripTypedefs(TypeRef t) {
    while (t && t->kind == TypeKind::Typedef) t = t->target;
    return t;
}

bool isInteger(const TypeRef &t) {
    auto s = stripTypedefs(t);
    return s && (s->kind == TypeKind::Integer || s->kind == TypeKind::Enum);
}
bool isPointer(const TypeRef &t) {
    auto s = stripTypedefs(t);
    return s && s->kind == TypeKind::Pointer;
}
bool isArithmetic(const TypeRef &t) {
    auto s = stripTypedefs(t);
    return s && (s->kind == TypeKind::Integer || s->kind == TypeKind::Enum ||
                 s->kind == TypeKind::Float);
}
bool isScalar(const TypeRef &t) {
    return isInteger(t) || isPointer(t);
}
bool isString(const TypeRef &t) {
    auto s = stripTypedefs(t);
    return s && s->kind == TypeKind::String;
}
bool isVoid(const TypeRef &t) {
    auto s = stripTypedefs(t);
    return s && s->kind == TypeKind::Void;
}
bool isStructOrUnion(const TypeRef &t) {
    auto s = stripTypedefs(t);
    return s && (s->kind == TypeKind::Struct || s->kind == TypeKind::Union);
}
bool isArray(const TypeRef &t) {
    auto s = stripTypedefs(t);
    return s && s->kind == TypeKind::Array;
}
bool isCharArray(const TypeRef &t) {
    auto s = stripTypedefs(t);
    if (!s || s->kind != TypeKind::Array) return false;
    auto e = stripTypedefs(s->target);
    return e && e->isChar();
}
bool isFunction(const TypeRef &t) {
    auto s = stripTypedefs(t);
    return s && s->kind == TypeKind::Function;
}
bool isSignedInt(const TypeRef &t) {
    auto s = stripTypedefs(t);
    return s && (s->kind == TypeKind::Integer || s->kind == TypeKind::Enum) && s->isSigned;
}
uint64_t typeSize(const TypeRef &t) {
    auto s = stripTypedefs(t);
    return s ? s->size : 0;
}

namespace {

// C declarator spelling: prefix (base) and suffix pieces around a name.
void spell(const TypeRef &t, std::string &prefix, std::string &suffix) {
    if (!t) {
        prefix = "<unknown>";
        return;
    }
    switch (t->kind) {
    case TypeKind::Pointer: {
        TypeRef target = t->target;
        auto ts = stripTypedefs(target);
        if (ts && (ts->kind == TypeKind::Array || ts->kind == TypeKind::Function)) {
            suffix = "(*)" + suffix;
            spell(target, prefix, suffix);
            return;
        }
        spell(target, prefix, suffix);
        prefix += prefix.empty() || prefix.back() == '*' ? "*" : " *";
        return;
    }
    case TypeKind::Array: {
        suffix += " [" + std::to_string(t->count) + "]";
        spell(t->target, prefix, suffix);
        return;
    }
    case TypeKind::Function: {
        std::string params = "(";
        for (size_t i = 0; i < t->params.size(); ++i) {
            if (i) params += ", ";
            params += typeName(t->params[i]);
        }
        if (t->varargs) params += t->params.empty() ? "..." : ", ...";
        params += ")";
        suffix += params;
        spell(t->target, prefix, suffix);
        return;
    }
    // An anonymous one is spelled with an empty tag ("struct "), as DTrace
    // spells it.
    case TypeKind::Struct: prefix = "struct " + t->name; break;
    case TypeKind::Union: prefix = "union " + t->name; break;
    case TypeKind::Enum: prefix = "enum " + t->name; break;
    default: prefix = t->name; break;
    }
    if (t->isConst) prefix = "const " + prefix;
}

} // namespace

bool sameType(const TypeRef &a, const TypeRef &b) {
    return typeName(stripTypedefs(a)) == typeName(stripTypedefs(b));
}

bool isStack(const TypeRef &t) {
    auto s = stripTypedefs(t);
    return s && s->stack != Type::Stack::None;
}

std::string typeName(const TypeRef &t) {
    if (isStack(t)) return stripTypedefs(t)->name;
    std::string prefix, suffix;
    spell(t, prefix, suffix);
    if (suffix.empty()) return prefix;
    if (suffix[0] == '(') return prefix + " " + suffix;
    return prefix + suffix;
}

std::optional<Member> findMember(const TypeRef &structType, std::string_view name) {
    auto s = stripTypedefs(structType);
    if (!s) return std::nullopt;
    for (const Member &m : s->members) {
        if (m.name == name) return m;
        if (m.name.empty() && isStructOrUnion(m.type)) {
            if (auto inner = findMember(m.type, name)) {
                inner->offsetBits += m.offsetBits;
                return inner;
            }
        }
    }
    return std::nullopt;
}

// ---------------------------------------------------------------- TypeTable

TypeRef TypeTable::makeInt(const char *name, uint64_t size, bool isSigned) {
    auto t = std::make_shared<Type>();
    t->kind = TypeKind::Integer;
    t->name = name;
    t->size = size;
    t->align = static_cast<unsigned>(size);
    t->isSigned = isSigned;
    return t;
}

TypeTable::TypeTable() {
    auto v = std::make_shared<Type>();
    v->kind = TypeKind::Void;
    v->name = "void";
    v->size = 0;
    void_ = v;
    char_ = makeInt("char", 1, true);
    schar_ = makeInt("signed char", 1, true);
    uchar_ = makeInt("unsigned char", 1, false);
    short_ = makeInt("short", 2, true);
    ushort_ = makeInt("unsigned short", 2, false);
    int_ = makeInt("int", 4, true);
    uint_ = makeInt("unsigned int", 4, false);
    long_ = makeInt("long", 8, true);
    ulong_ = makeInt("unsigned long", 8, false);
    longlong_ = makeInt("long long", 8, true);
    ulonglong_ = makeInt("unsigned long long", 8, false);
    auto s = std::make_shared<Type>();
    s->kind = TypeKind::String;
    s->name = "string";
    s->size = 256;
    string_ = s;
    voidPtr_ = pointerTo(void_);

    auto td = [&](const char *name, TypeRef target) {
        auto t = std::make_shared<Type>();
        t->kind = TypeKind::Typedef;
        t->name = name;
        t->target = target;
        t->size = target->size;
        t->align = target->align;
        t->isSigned = target->isSigned;
        typedefs_[name] = t;
    };
    // D's built-in typedefs (those of Oracle's DTrace for Linux).
    td("int8_t", schar_);
    td("int16_t", short_);
    td("int32_t", int_);
    td("int64_t", longlong_);
    td("intptr_t", long_);
    td("uint8_t", uchar_);
    td("uint16_t", ushort_);
    td("uint32_t", uint_);
    td("uint64_t", ulonglong_);
    td("uintptr_t", ulong_);
    td("ipaddr_t", uint_); // an IPv4 address, as inet_ntoa takes it
    td("pid_t", int_);
    td("uchar_t", uchar_);
    td("ushort_t", ushort_);
    td("uint_t", uint_);
    td("ulong_t", ulong_);
    td("u_longlong_t", ulonglong_);
    td("longlong_t", longlong_);
    td("size_t", ulong_);
    td("ssize_t", long_);
    td("ptrdiff_t", long_);
    td("off_t", long_);
    td("loff_t", longlong_);
    td("caddr_t", pointerTo(char_));
    td("id_t", int_);
    td("pid_t", int_);
    td("uid_t", uint_);
    td("gid_t", uint_);
    td("dev_t", ulong_);
    td("zoneid_t", int_);
    td("taskid_t", int_);
    td("projid_t", int_);
    td("processorid_t", int_);
    td("psetid_t", int_);
    td("chipid_t", int_);
    td("lgrp_id_t", int_);
    td("poolid_t", int_);
    td("ctid_t", int_);
    td("hrtime_t", longlong_);
    td("time_t", long_);
    td("clock_t", long_);
    td("boolean_t", int_);
    td("major_t", uint_);
    td("minor_t", uint_);
    td("mode_t", uint_);
    td("nlink_t", uint_);
    td("ino_t", ulong_);
    td("key_t", int_);
    td("daddr_t", long_);
}

// Types refer to each other through shared pointers, and a struct may hold
// a pointer to itself: clearing every struct's and union's members breaks
// those cycles, so that the types are freed.
TypeTable::~TypeTable() {
    for (auto *tags : {&structs_, &unions_, &enums_})
        for (auto &[name, t] : *tags) t->members.clear();
}

void TypeTable::setStringSize(uint64_t n) {
    auto s = std::make_shared<Type>(*string_);
    s->size = n;
    string_ = s;
}

TypeRef TypeTable::integer(bool isChar, bool isShort, int longCount, bool isUnsigned,
                           bool explicitSigned) const {
    if (isChar) return isUnsigned ? uchar_ : explicitSigned ? schar_ : char_;
    if (isShort) return isUnsigned ? ushort_ : short_;
    if (longCount == 1) return isUnsigned ? ulong_ : long_;
    if (longCount >= 2) return isUnsigned ? ulonglong_ : longlong_;
    return isUnsigned ? uint_ : int_;
}

TypeRef TypeTable::pointerTo(TypeRef t, bool userland) const {
    auto p = std::make_shared<Type>();
    p->kind = TypeKind::Pointer;
    p->size = 8;
    p->align = 8;
    p->target = std::move(t);
    p->isUserland = userland;
    return p;
}

TypeRef TypeTable::arrayOf(TypeRef t, uint64_t count) const {
    auto a = std::make_shared<Type>();
    a->kind = TypeKind::Array;
    a->count = count;
    a->size = typeSize(t) * count;
    a->align = stripTypedefs(t) ? stripTypedefs(t)->align : 1;
    a->target = std::move(t);
    return a;
}

TypeRef TypeTable::stackType(bool user, uint64_t frames, uint8_t symbolForm) const {
    auto a = std::make_shared<Type>(*arrayOf(uint64Type(), frames + (user ? 1 : 0)));
    a->symbolForm = symbolForm;
    a->stack = user ? Type::Stack::User : Type::Stack::Kernel;
    a->name = "stack"; // DTrace calls every kind of stack "stack"
    return a;
}

TypeRef TypeTable::withConst(TypeRef t) const {
    if (!t || t->isConst) return t;
    auto c = std::make_shared<Type>(*t);
    c->isConst = true;
    return c;
}

TypeRef TypeTable::withDPtr(const TypeRef &t) const {
    auto s = stripTypedefs(t);
    if (!s || s->kind != TypeKind::Pointer || s->isDPtr) return t;
    auto p = std::make_shared<Type>(*s);
    p->isDPtr = true;
    return p;
}

TypeRef TypeTable::function(TypeRef ret, std::vector<TypeRef> params, bool varargs) const {
    auto f = std::make_shared<Type>();
    f->kind = TypeKind::Function;
    f->target = std::move(ret);
    f->params = std::move(params);
    f->varargs = varargs;
    f->size = 0;
    return f;
}

TypeRef TypeTable::named(std::string_view name) const {
    auto it = typedefs_.find(name);
    if (it != typedefs_.end()) return it->second;
    if (auto k = btf().typedefNamed(name)) return *k;
    return nullptr;
}

bool TypeTable::isTypedefName(std::string_view name, bool consultKernel) const {
    if (typedefs_.count(name)) return true;
    return consultKernel && btf().typedefNamed(name).has_value();
}

void TypeTable::addTypedef(const std::string &name, TypeRef target) {
    auto t = std::make_shared<Type>();
    t->kind = TypeKind::Typedef;
    t->name = name;
    t->target = target;
    t->size = typeSize(target);
    auto s = stripTypedefs(target);
    t->align = s ? s->align : 1;
    t->isSigned = s && s->isSigned;
    typedefs_[name] = t;
}

TypeRef TypeTable::tagged(TypeKind kind, std::string_view tag) const {
    const auto &m = kind == TypeKind::Struct  ? structs_
                    : kind == TypeKind::Union ? unions_
                                              : enums_;
    auto it = m.find(tag);
    if (it != m.end()) return it->second;
    if (auto k = btf().tagged(kind, tag)) return *k;
    return nullptr;
}

std::shared_ptr<Type> TypeTable::declareTag(TypeKind kind, const std::string &tag) {
    auto &m = kind == TypeKind::Struct ? structs_ : kind == TypeKind::Union ? unions_ : enums_;
    if (!tag.empty()) {
        auto it = m.find(tag);
        if (it != m.end()) return it->second;
    }
    auto t = std::make_shared<Type>();
    t->kind = kind;
    t->name = tag;
    t->complete = false;
    if (!tag.empty()) m[tag] = t;
    return t;
}

bool TypeTable::tagDefinedByProgram(TypeKind kind, std::string_view tag) const {
    const auto &m = kind == TypeKind::Struct  ? structs_
                    : kind == TypeKind::Union ? unions_
                                              : enums_;
    auto it = m.find(tag);
    return it != m.end() && it->second->complete;
}

std::optional<TypeRef> TypeTable::kernelVariable(std::string_view name) const {
    return btf().variable(name);
}

TypeRef TypeTable::complete(const TypeRef &t) const {
    if (!t || t->complete || !t->btfId) return t;
    return btf().typeById(t->btfId, true);
}

BtfTypes &TypeTable::btf() const {
    if (!btf_) btf_ = std::make_unique<BtfTypes>(*this);
    return *btf_;
}

bool TypeTable::kernelTypesAvailable() const {
    return btf().available();
}

// ----------------------------------------------------------------- BtfTypes

BtfTypes::BtfTypes(const TypeTable &table) : table_(table) {}

BtfTypes::~BtfTypes() {
    // As in ~TypeTable: break the cycles between kernel types. The types
    // were made here (non-const); the cache holds them as const.
    for (auto *cache : {&shallow_, &full_})
        for (auto &[id, t] : *cache) const_cast<Type &>(*t).members.clear();
}

void BtfTypes::load() {
    if (tried_) return;
    tried_ = true;
    // Shared with the providers; libbpf only reads it. The name index is
    // built only once a program looks up many names (see find()).
    btf_ = const_cast<struct ::btf *>(kernel::vmlinuxBtf());
}

bool BtfTypes::available() {
    load();
    return btf_ != nullptr;
}

struct ::btf *BtfTypes::raw() {
    load();
    return btf_;
}

namespace {

// The slot of a BTF kind in BtfTypes::NamedIds, or -1.
int kindSlot(int kind) {
    switch (kind) {
    case BTF_KIND_STRUCT: return 0;
    case BTF_KIND_UNION: return 1;
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64: return 2;
    case BTF_KIND_TYPEDEF: return 3;
    case BTF_KIND_VAR: return 4;
    default: return -1;
    }
}

} // namespace

void BtfTypes::buildIndex() {
    unsigned n = btf__type_cnt(btf_);
    index_.reserve(n / 2);
    for (unsigned id = 1; id < n; ++id) {
        const struct btf_type *t = btf__type_by_id(btf_, id);
        int slot = kindSlot(btf_kind(t));
        if (slot < 0 || t->name_off == 0) continue;
        const char *name = btf__name_by_offset(btf_, t->name_off);
        if (!name || !*name) continue;
        int &entry = index_[std::string_view(name)].ids[slot];
        if (entry == 0) entry = static_cast<int>(id); // the first of a name, as before
    }
}

std::optional<int> BtfTypes::find(std::string_view name, int kind) {
    load();
    if (!btf_) return std::nullopt;
    // The first few lookups scan the kernel's types (a fraction of a
    // millisecond each); a program that looks up more pays once for a
    // hashed index of the names.
    constexpr int kScansBeforeIndex = 8;
    if (index_.empty() && ++scans_ <= kScansBeforeIndex) {
        std::string n(name);
        int id = btf__find_by_name_kind(btf_, n.c_str(), kind);
        if (id <= 0 && kind == BTF_KIND_ENUM)
            id = btf__find_by_name_kind(btf_, n.c_str(), BTF_KIND_ENUM64);
        if (id <= 0) return std::nullopt;
        return id;
    }
    if (index_.empty()) buildIndex();
    int slot = kindSlot(kind);
    auto it = index_.find(name);
    if (slot < 0 || it == index_.end() || it->second.ids[slot] == 0) return std::nullopt;
    return it->second.ids[slot];
}

std::optional<TypeRef> BtfTypes::typedefNamed(std::string_view name) {
    auto id = find(name, BTF_KIND_TYPEDEF);
    if (!id) return std::nullopt;
    return typeById(*id, false);
}

std::optional<TypeRef> BtfTypes::tagged(TypeKind kind, std::string_view name) {
    int k = kind == TypeKind::Struct  ? BTF_KIND_STRUCT
            : kind == TypeKind::Union ? BTF_KIND_UNION
                                      : BTF_KIND_ENUM;
    auto id = find(name, k);
    if (!id) return std::nullopt;
    return typeById(*id, true);
}

std::optional<TypeRef> BtfTypes::variable(std::string_view name) {
    auto id = find(name, BTF_KIND_VAR);
    if (!id) return std::nullopt;
    const struct btf_type *t = btf__type_by_id(btf_, *id);
    return typeById(static_cast<int>(t->type), true);
}

TypeRef BtfTypes::typeById(int id, bool completeStructs) {
    load();
    if (!btf_) return table_.voidType();
    if (id == 0) return table_.voidType();
    if (auto it = full_.find(id); it != full_.end()) return it->second;
    if (!completeStructs)
        if (auto it = shallow_.find(id); it != shallow_.end()) return it->second;

    const struct btf_type *bt = btf__type_by_id(btf_, id);
    if (!bt) return table_.voidType();
    const char *cname = btf__name_by_offset(btf_, bt->name_off);
    std::string name = cname ? cname : "";
    auto t = std::make_shared<Type>();
    t->btfId = id;
    t->name = name;
    switch (btf_kind(bt)) {
    case BTF_KIND_INT: {
        uint32_t enc = btf_int_encoding(bt);
        t->kind = TypeKind::Integer;
        t->size = bt->size;
        t->align = static_cast<unsigned>(bt->size);
        t->isSigned = (enc & BTF_INT_SIGNED) != 0;
        if (name == "_Bool") t->isSigned = false;
        break;
    }
    case BTF_KIND_FLOAT:
        t->kind = TypeKind::Float;
        t->size = bt->size;
        t->align = static_cast<unsigned>(bt->size);
        break;
    case BTF_KIND_PTR: {
        // Pointed-to structs come in without members until used.
        TypeRef target = typeById(static_cast<int>(bt->type), false);
        t->kind = TypeKind::Pointer;
        t->size = 8;
        t->align = 8;
        t->target = target;
        t->name.clear();
        break;
    }
    case BTF_KIND_ARRAY: {
        const struct btf_array *a = btf_array(bt);
        TypeRef elem = typeById(static_cast<int>(a->type), true);
        t->kind = TypeKind::Array;
        t->count = a->nelems;
        t->target = elem;
        t->size = typeSize(elem) * a->nelems;
        auto se = stripTypedefs(elem);
        t->align = se ? se->align : 1;
        break;
    }
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION: {
        t->kind = btf_kind(bt) == BTF_KIND_STRUCT ? TypeKind::Struct : TypeKind::Union;
        t->size = bt->size;
        t->align = 8;
        if (!completeStructs) {
            t->complete = false;
            shallow_[id] = t;
            return t;
        }
        // Register before members so self-references through pointers end.
        full_[id] = t;
        const struct btf_member *m = btf_members(bt);
        unsigned maxAlign = 1;
        for (unsigned i = 0; i < btf_vlen(bt); ++i) {
            Member mem;
            const char *mn = btf__name_by_offset(btf_, m[i].name_off);
            mem.name = mn ? mn : "";
            mem.type = typeById(static_cast<int>(m[i].type), true);
            mem.offsetBits = btf_member_bit_offset(bt, i);
            mem.bitSize = btf_member_bitfield_size(bt, i);
            auto ms = stripTypedefs(mem.type);
            if (ms && ms->align > maxAlign) maxAlign = ms->align;
            t->members.push_back(std::move(mem));
        }
        t->align = maxAlign;
        return t;
    }
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64: {
        t->kind = TypeKind::Enum;
        t->size = bt->size;
        t->align = static_cast<unsigned>(bt->size);
        t->isSigned = true;
        if (btf_kind(bt) == BTF_KIND_ENUM) {
            const struct btf_enum *e = btf_enum(bt);
            for (unsigned i = 0; i < btf_vlen(bt); ++i)
                t->enumerators.push_back({btf__name_by_offset(btf_, e[i].name_off), e[i].val});
        } else {
            const struct btf_enum64 *e = btf_enum64(bt);
            for (unsigned i = 0; i < btf_vlen(bt); ++i)
                t->enumerators.push_back({btf__name_by_offset(btf_, e[i].name_off),
                                          static_cast<int64_t>(btf_enum64_value(&e[i]))});
        }
        break;
    }
    case BTF_KIND_FWD:
        t->kind = btf_kflag(bt) ? TypeKind::Union : TypeKind::Struct;
        t->complete = false;
        t->btfId = 0;
        break;
    case BTF_KIND_TYPEDEF: {
        TypeRef target = typeById(static_cast<int>(bt->type), completeStructs);
        t->kind = TypeKind::Typedef;
        t->target = target;
        t->size = typeSize(target);
        auto st = stripTypedefs(target);
        t->align = st ? st->align : 1;
        t->isSigned = st && st->isSigned;
        if (!completeStructs && st && !st->complete) {
            shallow_[id] = t;
            return t;
        }
        break;
    }
    case BTF_KIND_VOLATILE:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_TYPE_TAG: return typeById(static_cast<int>(bt->type), completeStructs);
    case BTF_KIND_CONST:
        return table_.withConst(typeById(static_cast<int>(bt->type), completeStructs));
    case BTF_KIND_FUNC_PROTO: {
        const struct btf_param *p = btf_params(bt);
        std::vector<TypeRef> params;
        bool varargs = false;
        for (unsigned i = 0; i < btf_vlen(bt); ++i) {
            if (p[i].type == 0) {
                varargs = true;
                continue;
            }
            params.push_back(typeById(static_cast<int>(p[i].type), false));
        }
        return table_.function(typeById(static_cast<int>(bt->type), false), std::move(params),
                               varargs);
    }
    default: return table_.voidType();
    }
    full_[id] = t;
    return t;
}

} // namespace dtrace::sema
