// The kernel's functions (fbt) and raw tracepoints (rawtp) as its BTF
// describes them: which there are, and the C types of their arguments.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dtrace::providers {

struct KernelFunction {
    std::string_view name; // in BTF's string section, which lives as long as dtrace
    unsigned btfId = 0;    // its BTF_KIND_FUNC
};

// vmlinux's functions that fbt offers: BTF's functions, less those ftrace
// cannot trace when tracefs says which it can (available_filter_functions).
// Read once.
const std::vector<KernelFunction> &kernelFunctions();
std::optional<KernelFunction> kernelFunction(std::string_view name);

// A function's parameter types and its return type ("void": none).
struct FunctionSignature {
    std::vector<std::string> parameters;
    std::string returnType = "void";
    bool variadic = false;      // ends in "...", which trampolines refuse
    bool structByValue = false; // a struct or union passed or returned by value
};
FunctionSignature functionSignature(unsigned btfId);

// The raw tracepoints BTF declares (btf_trace_NAME typedefs), and the
// types of a raw tracepoint's arguments (the prototype's, after its
// leading context pointer).
std::vector<std::string_view> rawTracepointNames();
bool rawTracepointExists(std::string_view name);
std::vector<std::string> rawTracepointArgTypes(std::string_view name);

} // namespace dtrace::providers
