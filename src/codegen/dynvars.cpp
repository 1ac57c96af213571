// Scalar thread-local variables and associative array elements, read and
// written through global functions (one pair per map). A global function
// is verified once, so a clause with hundreds of dynamic-variable accesses
// costs the verifier a call per access instead of the lookup, create and
// drop paths each time. The associative array's key is in the context's
// key buffer (built by the caller); a thread-local's is built here.
#include "codegen/program.h"

namespace dtrace::codegen {

using namespace bpf;

namespace {

constexpr int16_t kKey = -16; // thread-local key: task, variable id

} // namespace

// dt_dynload_<map>(dctx, varid) -> the variable's 64-bit value, or 0 when
// it does not exist.
void ProgramBuilder::emitDynamicLoad(bpf::Function &f, bpf::MapId map, bool threadLocal) {
    makeGlobalFunction(f, {ParamKind::Context, ParamKind::Scalar}, 0);
    Label missing = f.newLabel();
    if (threadLocal) {
        f.emit(movReg(R6, R2));
        f.callHelper(BPF_FUNC_get_current_task);
        f.emit(store(Size::DW, FP, kKey, R0));
        f.emit(store(Size::DW, FP, kKey + 8, R6));
        f.emit(movReg(R2, FP));
        f.emit(alu64Imm(BPF_ADD, R2, kKey));
    } else {
        f.emit(movReg(R2, R1));
        f.emit(alu64Imm(BPF_ADD, R2, static_cast<int32_t>(g.layout.keys)));
    }
    f.ldMap(R1, map);
    f.callHelper(BPF_FUNC_map_lookup_elem);
    f.jumpImm(BPF_JEQ, R0, 0, missing);
    f.emit(load(Size::DW, R0, R0, 0));
    f.emit(exitInsn());
    f.bind(missing);
    f.emit(movImm(R0, 0));
    f.emit(exitInsn());
}

// dt_dynstore_<map>(dctx, varid, value): stores a nonzero value, creating
// the element; storing 0 deletes it. An element that cannot be created is
// a dynamic variable drop. Returns 0.
void ProgramBuilder::emitDynamicStore(bpf::Function &f, bpf::MapId map, bool threadLocal) {
    makeGlobalFunction(f, {ParamKind::Context, ParamKind::Scalar, ParamKind::Scalar}, 0);
    Label store0 = f.newLabel(), have = f.newLabel(), done = f.newLabel(), drop = f.newLabel();
    f.emit(movReg(R6, R1)); // dctx
    f.emit(movReg(R7, R3)); // value
    if (threadLocal) {
        f.emit(movReg(R8, R2));
        f.callHelper(BPF_FUNC_get_current_task);
        f.emit(store(Size::DW, FP, kKey, R0));
        f.emit(store(Size::DW, FP, kKey + 8, R8));
    }
    auto keyPointer = [&] {
        if (threadLocal) {
            f.emit(movReg(R2, FP));
            f.emit(alu64Imm(BPF_ADD, R2, kKey));
        } else {
            f.emit(movReg(R2, R6));
            f.emit(alu64Imm(BPF_ADD, R2, static_cast<int32_t>(g.layout.keys)));
        }
    };
    f.jumpImm(BPF_JNE, R7, 0, store0);
    f.ldMap(R1, map);
    keyPointer();
    f.callHelper(BPF_FUNC_map_delete_elem);
    f.jump(done);
    f.bind(store0);
    f.ldMap(R1, map);
    keyPointer();
    f.callHelper(BPF_FUNC_map_lookup_elem);
    f.jumpImm(BPF_JNE, R0, 0, have);
    // Create the element from the zero area, then find it again.
    f.ldMap(R1, map);
    keyPointer();
    f.emit(movReg(R3, R6));
    f.emit(alu64Imm(BPF_ADD, R3, static_cast<int32_t>(g.layout.zero)));
    f.emit(movImm(R4, BPF_NOEXIST));
    f.callHelper(BPF_FUNC_map_update_elem);
    f.jumpImm(BPF_JNE, R0, 0, drop);
    f.ldMap(R1, map);
    keyPointer();
    f.callHelper(BPF_FUNC_map_lookup_elem);
    f.jumpImm(BPF_JEQ, R0, 0, drop);
    f.bind(have);
    f.emit(store(Size::DW, R0, 0, R7));
    f.jump(done);
    f.bind(drop);
    emitDropIncrement(f, g, kDynvarDrops);
    f.bind(done);
    f.emit(movImm(R0, 0));
    f.emit(exitInsn());
}

bpf::FunctionId ProgramBuilder::dynamicAccessFunction(bpf::MapId map, bool threadLocal,
                                                      bool store) {
    auto key = std::make_pair(map, store);
    if (auto it = dynamicAccess_.find(key); it != dynamicAccess_.end()) return it->second;
    std::string name = std::string(store ? "dt_dynstore_" : "dt_dynload_") +
                       g.out.maps.at(static_cast<size_t>(map)).name;
    bpf::FunctionId id = addFunction(name, [&](Function &f) {
        if (store)
            emitDynamicStore(f, map, threadLocal);
        else
            emitDynamicLoad(f, map, threadLocal);
    });
    dynamicAccess_[key] = id;
    return id;
}

} // namespace dtrace::codegen
