#include "bpf/assembler.h"

#include <stdexcept>

namespace dtrace::bpf {

Label Function::newLabel() {
    labels_.push_back(-1);
    return static_cast<Label>(labels_.size() - 1);
}

void Function::bind(Label l) {
    labels_.at(static_cast<size_t>(l)) = static_cast<int>(code_.size());
}

void Function::emit(const Insn &i) {
    code_.push_back(i);
    tags_.push_back(tag_);
}

void Function::jump(Label target) {
    jumps_.emplace_back(code_.size(), target);
    emit(bpf::jump());
}

void Function::jumpImm(uint8_t op, Reg r, int32_t imm, Label target) {
    jumps_.emplace_back(code_.size(), target);
    emit(bpf::jumpImm(op, r, imm));
}

void Function::jumpReg(uint8_t op, Reg a, Reg b, Label target) {
    jumps_.emplace_back(code_.size(), target);
    emit(bpf::jumpReg(op, a, b));
}

void Function::call(FunctionId target) {
    calls_.emplace_back(code_.size(), target);
    emit(make(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0));
}

void Function::ldFunction(Reg r, FunctionId target) {
    calls_.emplace_back(code_.size(), target);
    emit(ldImm64Lo(r, BPF_PSEUDO_FUNC, 0));
    emit(ldImm64Hi(0));
}

void Function::ldImm64(Reg r, uint64_t value) {
    emit(ldImm64Lo(r, 0, static_cast<int32_t>(value & 0xffffffffu)));
    emit(ldImm64Hi(static_cast<int32_t>(value >> 32)));
}

void Function::ldMap(Reg r, MapId map) {
    maps_.push_back({code_.size(), map, false, 0});
    emit(ldImm64Lo(r, BPF_PSEUDO_MAP_FD, 0));
    emit(ldImm64Hi(0));
}

void Function::ldMapValue(Reg r, MapId map, uint32_t offset) {
    maps_.push_back({code_.size(), map, true, offset});
    emit(ldImm64Lo(r, BPF_PSEUDO_MAP_VALUE, 0));
    emit(ldImm64Hi(static_cast<int32_t>(offset)));
}

struct Linker {
    static LinkedProgram run(const std::vector<Function> &fns) {
        LinkedProgram out;
        std::vector<size_t> starts;
        size_t pos = 0;
        for (const Function &f : fns) {
            starts.push_back(pos);
            pos += f.code_.size();
        }
        for (size_t fi = 0; fi < fns.size(); ++fi) {
            const Function &f = fns[fi];
            size_t base = starts[fi];
            out.functions.push_back({base, f.name_, f.global_, f.params_});
            std::vector<Insn> code = f.code_;
            for (const auto &[at, label] : f.jumps_) {
                int target = f.labels_.at(static_cast<size_t>(label));
                if (target < 0) throw std::logic_error("unbound label in " + f.name_);
                long off = static_cast<long>(target) - static_cast<long>(at) - 1;
                if (off < INT16_MIN || off > INT16_MAX)
                    throw LinkError(f.name_, f.tags_.at(at),
                                    "a jump in " + f.name_ + " spans " + std::to_string(off) +
                                        " instructions, more than a BPF jump can (32767)");
                code[at].off = static_cast<int16_t>(off);
            }
            for (const auto &[at, callee] : f.calls_) {
                long off = static_cast<long>(starts.at(static_cast<size_t>(callee))) -
                           static_cast<long>(base + at) - 1;
                code[at].imm = static_cast<int32_t>(off);
            }
            for (MapReloc r : f.maps_) {
                r.insn += base;
                out.mapRelocs.push_back(r);
            }
            out.insns.insert(out.insns.end(), code.begin(), code.end());
            out.tags.insert(out.tags.end(), f.tags_.begin(), f.tags_.end());
        }
        return out;
    }
};

LinkedProgram link(const std::vector<Function> &functions) {
    return Linker::run(functions);
}

} // namespace dtrace::bpf
