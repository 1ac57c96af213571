// D's built-in variables and the prototypes of its actions and subroutines.
#include "sema/builtins.h"
#include "sema/sema.h"

#include <array>

namespace dtrace::sema {

namespace {

constexpr std::array kBuiltinVars = {
    BuiltinVarInfo{"arg0", ir::Builtin::Arg, 0, "int64_t"},
    BuiltinVarInfo{"arg1", ir::Builtin::Arg, 1, "int64_t"},
    BuiltinVarInfo{"arg2", ir::Builtin::Arg, 2, "int64_t"},
    BuiltinVarInfo{"arg3", ir::Builtin::Arg, 3, "int64_t"},
    BuiltinVarInfo{"arg4", ir::Builtin::Arg, 4, "int64_t"},
    BuiltinVarInfo{"arg5", ir::Builtin::Arg, 5, "int64_t"},
    BuiltinVarInfo{"arg6", ir::Builtin::Arg, 6, "int64_t"},
    BuiltinVarInfo{"arg7", ir::Builtin::Arg, 7, "int64_t"},
    BuiltinVarInfo{"arg8", ir::Builtin::Arg, 8, "int64_t"},
    BuiltinVarInfo{"arg9", ir::Builtin::Arg, 9, "int64_t"},
    BuiltinVarInfo{"pid", ir::Builtin::Pid, 0, "pid_t"},
    BuiltinVarInfo{"ppid", ir::Builtin::Ppid, 0, "pid_t"},
    BuiltinVarInfo{"tid", ir::Builtin::Tid, 0, "id_t"},
    BuiltinVarInfo{"uid", ir::Builtin::Uid, 0, "uid_t"},
    BuiltinVarInfo{"gid", ir::Builtin::Gid, 0, "gid_t"},
    BuiltinVarInfo{"execname", ir::Builtin::Execname, 0, "string"},
    BuiltinVarInfo{"execargs", ir::Builtin::Execargs, 0, "string"},
    BuiltinVarInfo{"timestamp", ir::Builtin::Timestamp, 0, "uint64_t"},
    BuiltinVarInfo{"vtimestamp", ir::Builtin::Vtimestamp, 0, "uint64_t"},
    BuiltinVarInfo{"walltimestamp", ir::Builtin::Walltimestamp, 0, "int64_t"},
    BuiltinVarInfo{"cpu", ir::Builtin::Cpu, 0, "processorid_t"},
    BuiltinVarInfo{"id", ir::Builtin::Id, 0, "uint_t"},
    BuiltinVarInfo{"epid", ir::Builtin::Epid, 0, "uint_t"},
    BuiltinVarInfo{"probeprov", ir::Builtin::Probeprov, 0, "string"},
    BuiltinVarInfo{"probemod", ir::Builtin::Probemod, 0, "string"},
    BuiltinVarInfo{"probefunc", ir::Builtin::Probefunc, 0, "string"},
    BuiltinVarInfo{"probename", ir::Builtin::Probename, 0, "string"},
    BuiltinVarInfo{"errno", ir::Builtin::Errno, 0, "int"},
    BuiltinVarInfo{"curthread", ir::Builtin::Curthread, 0, "struct task_struct *"},
    BuiltinVarInfo{"caller", ir::Builtin::Caller, 0, "uintptr_t"},
    BuiltinVarInfo{"ucaller", ir::Builtin::Ucaller, 0, "uint64_t"},
    BuiltinVarInfo{"stackdepth", ir::Builtin::Stackdepth, 0, "uint32_t"},
    BuiltinVarInfo{"ustackdepth", ir::Builtin::Ustackdepth, 0, "uint32_t"},
    BuiltinVarInfo{"ipl", ir::Builtin::Ipl, 0, "uint_t"},
};

constexpr std::array kFunctions = {
    // Data-recording and other actions.
    FunctionInfo{"trace", FunctionKind::Action, 1, 1},
    FunctionInfo{"printf", FunctionKind::Action, 1, -1},
    FunctionInfo{"printa", FunctionKind::Action, 1, -1},
    FunctionInfo{"print", FunctionKind::Action, 1, 1},
    FunctionInfo{"exit", FunctionKind::Action, 1, 1},
    FunctionInfo{"system", FunctionKind::Action, 1, -1, true},
    FunctionInfo{"raise", FunctionKind::Action, 1, 1, true},
    FunctionInfo{"stop", FunctionKind::Action, 0, 0, true},
    FunctionInfo{"chill", FunctionKind::Action, 1, 1, true},
    FunctionInfo{"breakpoint", FunctionKind::Action, 0, 0, true},
    FunctionInfo{"panic", FunctionKind::Action, 0, 0, true},
    FunctionInfo{"copyout", FunctionKind::Action, 3, 3, true},
    FunctionInfo{"copyoutstr", FunctionKind::Action, 3, 3, true},
    FunctionInfo{"speculate", FunctionKind::Action, 1, 1},
    FunctionInfo{"commit", FunctionKind::Action, 1, 1},
    FunctionInfo{"discard", FunctionKind::Action, 1, 1},
    FunctionInfo{"tracemem", FunctionKind::Action, 2, 3},
    FunctionInfo{"stack", FunctionKind::Action, 0, 1},
    FunctionInfo{"ustack", FunctionKind::Action, 0, 2},
    FunctionInfo{"jstack", FunctionKind::Action, 0, 2},
    FunctionInfo{"ftruncate", FunctionKind::Action, 0, 0},
    FunctionInfo{"freopen", FunctionKind::Action, 1, -1},
    FunctionInfo{"setopt", FunctionKind::Action, 1, 2},
    FunctionInfo{"clear", FunctionKind::Action, 1, 1},
    FunctionInfo{"trunc", FunctionKind::Action, 1, 2},
    FunctionInfo{"normalize", FunctionKind::Action, 2, 2},
    FunctionInfo{"denormalize", FunctionKind::Action, 1, 1},
    FunctionInfo{"pcap", FunctionKind::Action, 2, 2},
    FunctionInfo{"func", FunctionKind::Action, 1, 1},
    FunctionInfo{"sym", FunctionKind::Action, 1, 1},
    FunctionInfo{"mod", FunctionKind::Action, 1, 1},
    FunctionInfo{"ufunc", FunctionKind::Action, 1, 1},
    FunctionInfo{"usym", FunctionKind::Action, 1, 1},
    FunctionInfo{"umod", FunctionKind::Action, 1, 1},
    FunctionInfo{"uaddr", FunctionKind::Action, 1, 1},
    // Subroutines.
    FunctionInfo{"alloca", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"basename", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"bcopy", FunctionKind::Subroutine, 3, 3},
    FunctionInfo{"cleanpath", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"copyin", FunctionKind::Subroutine, 2, 2},
    FunctionInfo{"copyinstr", FunctionKind::Subroutine, 1, 2},
    FunctionInfo{"copyinto", FunctionKind::Subroutine, 3, 3},
    FunctionInfo{"d_path", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"__d_mountpoint", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"dirname", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"getmajor", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"getminor", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"htonl", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"htonll", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"htons", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"index", FunctionKind::Subroutine, 2, 3},
    FunctionInfo{"inet_ntoa", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"inet_ntoa6", FunctionKind::Subroutine, 1, 2},
    FunctionInfo{"inet_ntop", FunctionKind::Subroutine, 2, 2},
    FunctionInfo{"link_ntop", FunctionKind::Subroutine, 2, 2},
    FunctionInfo{"lltostr", FunctionKind::Subroutine, 1, 2},
    FunctionInfo{"mutex_owned", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"mutex_owner", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"mutex_type_adaptive", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"mutex_type_spin", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"ntohl", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"ntohll", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"ntohs", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"progenyof", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"__cpuinfo", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"rand", FunctionKind::Subroutine, 0, 0},
    FunctionInfo{"rindex", FunctionKind::Subroutine, 2, 3},
    FunctionInfo{"rw_iswriter", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"rw_read_held", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"rw_write_held", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"speculation", FunctionKind::Subroutine, 0, 0},
    FunctionInfo{"strchr", FunctionKind::Subroutine, 2, 2},
    FunctionInfo{"strjoin", FunctionKind::Subroutine, 2, 2},
    FunctionInfo{"strlen", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"strrchr", FunctionKind::Subroutine, 2, 2},
    FunctionInfo{"strstr", FunctionKind::Subroutine, 2, 2},
    FunctionInfo{"strtok", FunctionKind::Subroutine, 2, 2},
    FunctionInfo{"substr", FunctionKind::Subroutine, 2, 3},
    FunctionInfo{"tolower", FunctionKind::Subroutine, 1, 1},
    FunctionInfo{"toupper", FunctionKind::Subroutine, 1, 1},
    // Aggregating functions.
    FunctionInfo{"count", FunctionKind::Aggregating, 0, 0},
    FunctionInfo{"sum", FunctionKind::Aggregating, 1, 1},
    FunctionInfo{"avg", FunctionKind::Aggregating, 1, 1},
    FunctionInfo{"min", FunctionKind::Aggregating, 1, 1},
    FunctionInfo{"max", FunctionKind::Aggregating, 1, 1},
    FunctionInfo{"stddev", FunctionKind::Aggregating, 1, 1},
    FunctionInfo{"quantize", FunctionKind::Aggregating, 1, 2},
    FunctionInfo{"lquantize", FunctionKind::Aggregating, 3, 5},
    FunctionInfo{"llquantize", FunctionKind::Aggregating, 5, 6},
};

} // namespace

const BuiltinVarInfo *findBuiltinVar(std::string_view name) {
    for (const auto &b : kBuiltinVars)
        if (name == b.name) return &b;
    return nullptr;
}

const FunctionInfo *findFunction(std::string_view name) {
    for (const auto &f : kFunctions)
        if (name == f.name) return &f;
    return nullptr;
}

} // namespace dtrace::sema
