// The D type system: C's types plus `string`, with typedefs, structs,
// unions, enums, pointers, arrays and functions. Types are shared,
// immutable once complete; kernel types are imported from BTF on demand.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct btf;

namespace dtrace::sema {

enum class TypeKind {
    Void,
    Integer,
    Float,
    Pointer,
    Array,
    Struct,
    Union,
    Enum,
    Function,
    String,
    Typedef
};

struct Type;
using TypeRef = std::shared_ptr<const Type>;

struct Member {
    std::string name;
    TypeRef type;
    uint64_t offsetBits = 0;
    unsigned bitSize = 0; // non-zero for a bit-field
};

struct Enumerator {
    std::string name;
    int64_t value = 0;
};

struct Type {
    TypeKind kind = TypeKind::Void;
    std::string name;  // "int", typedef name, struct/union/enum tag
    uint64_t size = 0; // bytes
    unsigned align = 1;
    bool isSigned = false;
    bool isConst = false;
    bool isUserland = false; // pointer into user space
    bool isDPtr = false;     // pointer into D's scratch memory (alloca)
    // stack() and ustack() values: arrays of program counters (a ustack
    // starts with the process ID).
    enum class Stack : uint8_t { None, Kernel, User } stack = Stack::None;
    // func/sym/mod and their user forms: a one-frame stack shown as the
    // function's name (1) or its module's (2).
    uint8_t symbolForm = 0;
    TypeRef target;     // pointee, element, typedef target, return type
    uint64_t count = 0; // array elements
    std::vector<Member> members;
    std::vector<Enumerator> enumerators;
    std::vector<TypeRef> params;
    bool varargs = false;
    bool complete = true; // false for a forward-declared struct/union/enum
    int btfId = 0;        // kernel type it came from, if any
    bool isChar() const {
        return kind == TypeKind::Integer && size == 1 && name.find("char") != std::string::npos;
    }
};

// Type predicates see through typedefs.
TypeRef stripTypedefs(TypeRef t);
bool isInteger(const TypeRef &t); // integers and enums
bool isPointer(const TypeRef &t);
bool isArithmetic(const TypeRef &t);
bool isScalar(const TypeRef &t); // integer, enum, pointer
bool isString(const TypeRef &t);
bool isVoid(const TypeRef &t);
bool isStructOrUnion(const TypeRef &t);
bool isArray(const TypeRef &t);
// An array of char, which D takes for a string where it wants one.
bool isCharArray(const TypeRef &t);
bool isFunction(const TypeRef &t);
bool isSignedInt(const TypeRef &t);
bool isStack(const TypeRef &t);
uint64_t typeSize(const TypeRef &t);
// The C spelling of a type: "int", "char *", "struct foo", "int [4]".
std::string typeName(const TypeRef &t);
// The same type, typedefs aside.
bool sameType(const TypeRef &a, const TypeRef &b);
// Member lookup, searching anonymous members too.
std::optional<Member> findMember(const TypeRef &structType, std::string_view name);

class BtfTypes;

// All the types one compilation knows: C and D built-ins, the program's own
// declarations and, when asked for, the kernel's (from BTF).
class TypeTable {
  public:
    TypeTable();
    ~TypeTable();

    TypeRef voidType() const { return void_; }
    TypeRef intType() const { return int_; }
    TypeRef uintType() const { return uint_; }
    TypeRef longType() const { return long_; }
    TypeRef ulongType() const { return ulong_; }
    TypeRef longlongType() const { return longlong_; }
    TypeRef ulonglongType() const { return ulonglong_; }
    TypeRef charType() const { return char_; }
    TypeRef ucharType() const { return uchar_; }
    TypeRef shortType() const { return short_; }
    TypeRef ushortType() const { return ushort_; }
    TypeRef stringType() const { return string_; }
    // D strings hold up to strsize characters (the strsize option).
    void setStringSize(uint64_t n);
    TypeRef voidPtrType() const { return voidPtr_; }
    TypeRef int64Type() const { return named("int64_t"); }
    TypeRef uint64Type() const { return named("uint64_t"); }

    // An integer type from C's specifiers (short, long count, unsigned).
    TypeRef integer(bool isChar, bool isShort, int longCount, bool isUnsigned,
                    bool explicitSigned) const;
    TypeRef pointerTo(TypeRef t, bool userland = false) const;
    TypeRef arrayOf(TypeRef t, uint64_t count) const;
    // The value of stack(frames) or ustack(frames).
    TypeRef stackType(bool user, uint64_t frames, uint8_t symbolForm = 0) const;
    TypeRef withConst(TypeRef t) const;
    // The same pointer type, marked as pointing into D scratch memory.
    TypeRef withDPtr(const TypeRef &t) const;
    TypeRef function(TypeRef ret, std::vector<TypeRef> params, bool varargs) const;

    // Typedef names (D's own, the program's, then the kernel's).
    TypeRef named(std::string_view name) const;
    bool isTypedefName(std::string_view name, bool consultKernel) const;
    void addTypedef(const std::string &name, TypeRef t);

    // struct/union/enum tags: the program's, then the kernel's.
    TypeRef tagged(TypeKind kind, std::string_view tag) const;
    // Declares (or returns the existing) struct/union/enum for a tag; the
    // caller completes it with define().
    std::shared_ptr<Type> declareTag(TypeKind kind, const std::string &tag);
    bool tagDefinedByProgram(TypeKind kind, std::string_view tag) const;

    // A kernel object's type (for `sym and &`sym): from BTF variables.
    std::optional<TypeRef> kernelVariable(std::string_view name) const;
    // Completes a kernel struct that was imported as a forward reference.
    TypeRef complete(const TypeRef &t) const;

    BtfTypes &btf() const;
    bool kernelTypesAvailable() const;

  private:
    TypeRef makeInt(const char *name, uint64_t size, bool isSigned);

    TypeRef void_, char_, uchar_, short_, ushort_, int_, uint_, long_, ulong_, longlong_,
        ulonglong_, string_, voidPtr_, schar_;
    std::map<std::string, TypeRef, std::less<>> typedefs_;
    std::map<std::string, std::shared_ptr<Type>, std::less<>> structs_, unions_, enums_;
    mutable std::unique_ptr<BtfTypes> btf_;
};

// Kernel types from /sys/kernel/btf/vmlinux, loaded on first use and
// converted to D types on demand.
class BtfTypes {
  public:
    explicit BtfTypes(const TypeTable &table);
    ~BtfTypes();
    bool available();
    std::optional<TypeRef> typedefNamed(std::string_view name);
    std::optional<TypeRef> tagged(TypeKind kind, std::string_view name);
    std::optional<TypeRef> variable(std::string_view name);
    TypeRef typeById(int id, bool completeStructs);
    struct ::btf *raw();

  private:
    void load();
    void buildIndex();
    std::optional<int> find(std::string_view name, int kind);

    const TypeTable &table_;
    bool tried_ = false;
    struct ::btf *btf_ = nullptr;
    // Names (viewing BTF's own string section) to the ids of the struct,
    // union, enum, typedef and variable of that name: hashed, as the
    // kernel has ~100,000 named types and start-up time matters.
    struct NamedIds {
        int ids[5] = {0, 0, 0, 0, 0};
    };
    std::unordered_map<std::string_view, NamedIds> index_;
    int scans_ = 0;
    std::map<int, TypeRef> shallow_; // structs imported without members
    std::map<int, TypeRef> full_;
};

} // namespace dtrace::sema
