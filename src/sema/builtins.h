// The names D predefines: actions, subroutines and aggregating functions.
#pragma once

#include <string_view>

namespace dtrace::sema {

enum class FunctionKind { Action, Subroutine, Aggregating };

struct FunctionInfo {
    const char *name;
    FunctionKind kind;
    int minArgs;
    int maxArgs; // -1: no limit
    bool destructive = false;
};

const FunctionInfo *findFunction(std::string_view name);

} // namespace dtrace::sema
