// Builds BPF functions with labels, bpf-to-bpf calls and symbolic map
// references, and links them into one program. Map file descriptors are
// filled in later by the loader: code generation never touches an fd.
#pragma once

#include "bpf/insn.h"
#include "util/error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dtrace::bpf {

using Label = int;
using MapId = int;
using FunctionId = int;

// Where an instruction came from, to map verifier complaints back to D.
struct SourceTag {
    int clause = -1; // DTrace clause index, or -1 for glue code
    int line = 0;
};

struct MapReloc {
    size_t insn = 0; // the first slot of the ld_imm64
    MapId map = 0;
    bool value = false; // pointer to the map's value, not the map
    uint32_t offset = 0;
};

// How a global function's argument is described to the verifier.
enum class ParamKind : uint8_t {
    Scalar,  // a 64-bit integer
    String,  // a pointer to a string buffer (strslot bytes)
    Context, // a pointer to the per-CPU context
};

class Function {
  public:
    explicit Function(std::string name) : name_(std::move(name)) {}

    const std::string &name() const { return name_; }
    Label newLabel();
    void bind(Label l);
    void setSource(SourceTag t) { tag_ = t; }
    SourceTag source() const { return tag_; }

    void emit(const Insn &i);
    void jump(Label target);
    void jumpImm(uint8_t op, Reg r, int32_t imm, Label target);
    void jumpReg(uint8_t op, Reg a, Reg b, Label target);
    void call(FunctionId target);
    // r = the address of a function, for callbacks (bpf_loop).
    void ldFunction(Reg r, FunctionId target);
    void callHelper(int helper) { emit(bpf::callHelper(helper)); }
    void ldImm64(Reg r, uint64_t value);
    void ldMap(Reg r, MapId map);
    void ldMapValue(Reg r, MapId map, uint32_t offset);
    size_t size() const { return code_.size(); }
    // A global function is verified once, on its own, from its BTF
    // prototype, instead of at every call: the string subprograms.
    void setGlobal(std::vector<ParamKind> params) {
        global_ = true;
        params_ = std::move(params);
    }

  private:
    friend struct Linker;
    std::string name_;
    std::vector<Insn> code_;
    std::vector<SourceTag> tags_;
    SourceTag tag_;
    std::vector<int> labels_;
    std::vector<std::pair<size_t, Label>> jumps_;
    std::vector<std::pair<size_t, FunctionId>> calls_;
    std::vector<MapReloc> maps_;
    bool global_ = false;
    std::vector<ParamKind> params_;
};

struct FunctionInfo {
    size_t start = 0;
    std::string name;
    bool global = false;
    std::vector<ParamKind> params;
};

struct LinkedProgram {
    std::vector<Insn> insns;
    std::vector<MapReloc> mapRelocs; // absolute instruction indices
    std::vector<SourceTag> tags;     // one per instruction
    std::vector<FunctionInfo> functions;
};

// A jump that spans more instructions than its 16-bit offset can: where it
// is (the function, and the source of the jump instruction).
class LinkError : public Error {
  public:
    LinkError(std::string function, SourceTag at, std::string message)
        : Error(std::move(message)), function_(std::move(function)), at_(at) {}
    const std::string &function() const { return function_; }
    SourceTag at() const { return at_; }

  private:
    std::string function_;
    SourceTag at_;
};

// Lays the functions out one after the other (the first is the entry
// point) and resolves jumps and calls. Throws LinkError.
LinkedProgram link(const std::vector<Function> &functions);

} // namespace dtrace::bpf
