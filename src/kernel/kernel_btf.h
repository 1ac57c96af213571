// The running kernel's BTF (/sys/kernel/btf/vmlinux), loaded once per
// process and shared by everything that reads it: D's kernel types, the
// fbt provider's functions, the rawtp provider's raw tracepoints.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct btf;

namespace dtrace::kernel {

// Null when the kernel has no BTF. _DTRACE_VMLINUX_BTF names a raw BTF
// file to use instead (the tests' made-up kernel).
const struct btf *vmlinuxBtf();

// The C spelling of BTF type id, as a declaration of that type without a
// name ("struct file *", "const char *", "unsigned long"). What D cannot
// spell as a probe argument (function pointers, anonymous aggregates
// behind a pointer) becomes "void *".
std::string btfTypeName(const struct btf *btf, unsigned id);

// Where a member of a kernel struct lies, in bits from the struct's start,
// following a dotted path through nested structs ("bi_iter.bi_sector") and
// anonymous members; nullopt when the BTF has no such struct or member.
// What a provider's own BPF code reads of a kernel object, natively.
std::optional<uint32_t> memberBitOffset(const struct btf *btf, std::string_view structName,
                                        std::string_view path);

} // namespace dtrace::kernel
