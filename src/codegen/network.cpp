// Network address formatting: inet_ntoa, inet_ntoa6, inet_ntop and
// link_ntop. The caller copies the address bytes into the per-CPU context
// (faulting on a bad address); these global functions format them into a
// string buffer, truncated at strsize as every D string is.
//
// The formatting is straight-line code. The output position and the
// zero-run bookkeeping live in the per-CPU context, a map value: the
// verifier does not track what a map value holds, so every branch of the
// digit logic meets the next one in the same state and is checked once.
#include "codegen/program.h"

#include <optional>
#include <string_view>

namespace dtrace::codegen {

using namespace bpf;

namespace {

// Offsets inside the context's 72-byte number buffer.
constexpr int32_t kSourceBytes = 0; // up to 20 address bytes
constexpr int32_t kPos = 32;        // output position
constexpr int32_t kCurLen = 40;     // current run of zero words
constexpr int32_t kCurStart = 48;
constexpr int32_t kBestLen = 56; // longest run of zero words
constexpr int32_t kBestStart = 64;

class AddressFormatter {
  public:
    // R6 holds the destination string, R7 the per-CPU context.
    AddressFormatter(Function &f, uint32_t numbuf, uint32_t strsize)
        : f_(f), base_(static_cast<int32_t>(numbuf)), strsize_(static_cast<int32_t>(strsize)) {}

    int16_t slot(int32_t off) const { return static_cast<int16_t>(base_ + off); }

    void loadByte(Reg dst, int i) { f_.emit(load(Size::B, dst, R7, slot(kSourceBytes + i))); }

    // R4 = the big-endian 16-bit word i. Clobbers R3.
    void loadWord(int i) {
        loadByte(R4, 2 * i);
        f_.emit(alu64Imm(BPF_LSH, R4, 8));
        loadByte(R3, 2 * i + 1);
        f_.emit(alu64Reg(BPF_OR, R4, R3));
    }

    // Appends the character in R3 (or an immediate). Clobbers R1, R2.
    void put(std::optional<char> c = std::nullopt) {
        Label skip = f_.newLabel();
        f_.emit(load(Size::DW, R1, R7, slot(kPos)));
        f_.jumpImm(BPF_JGE, R1, strsize_, skip);
        f_.emit(movReg(R2, R6));
        f_.emit(alu64Reg(BPF_ADD, R2, R1));
        if (c)
            f_.emit(storeImm(Size::B, R2, 0, *c));
        else
            f_.emit(store(Size::B, R2, 0, R3));
        f_.emit(alu64Imm(BPF_ADD, R1, 1));
        f_.emit(store(Size::DW, R7, slot(kPos), R1));
        f_.bind(skip);
    }

    void putString(std::string_view s) {
        for (char c : s) put(c);
    }

    // Appends the hex digit in R3.
    void putHexDigit() {
        Label letter = f_.newLabel(), done = f_.newLabel();
        f_.jumpImm(BPF_JGE, R3, 10, letter);
        f_.emit(alu64Imm(BPF_ADD, R3, '0'));
        f_.jump(done);
        f_.bind(letter);
        f_.emit(alu64Imm(BPF_ADD, R3, 'a' - 10));
        f_.bind(done);
        put();
    }

    // Appends byte i in decimal, without leading zeros.
    void putDecimal(int i) {
        Label below100 = f_.newLabel(), last = f_.newLabel();
        loadByte(R4, i);
        f_.jumpImm(BPF_JLT, R4, 100, below100);
        f_.emit(movReg(R3, R4));
        f_.emit(alu64Imm(BPF_DIV, R3, 100));
        f_.emit(alu64Imm(BPF_ADD, R3, '0'));
        put();
        f_.emit(movReg(R3, R4));
        f_.emit(alu64Imm(BPF_DIV, R3, 10));
        f_.emit(alu64Imm(BPF_MOD, R3, 10));
        f_.emit(alu64Imm(BPF_ADD, R3, '0'));
        put();
        f_.jump(last);
        f_.bind(below100);
        f_.jumpImm(BPF_JLT, R4, 10, last);
        f_.emit(movReg(R3, R4));
        f_.emit(alu64Imm(BPF_DIV, R3, 10));
        f_.emit(alu64Imm(BPF_ADD, R3, '0'));
        put();
        f_.bind(last);
        f_.emit(movReg(R3, R4));
        f_.emit(alu64Imm(BPF_MOD, R3, 10));
        f_.emit(alu64Imm(BPF_ADD, R3, '0'));
        put();
    }

    // Appends bytes first..first+3 as a dotted quad.
    void putDottedQuad(int first) {
        for (int i = 0; i < 4; ++i) {
            if (i) put('.');
            putDecimal(first + i);
        }
    }

    // Appends word i in hex, without leading zeros.
    void putHexWord(int i) {
        loadWord(i);
        const int32_t limits[] = {0x1000, 0x100, 0x10};
        const int shifts[] = {12, 8, 4};
        for (int d = 0; d < 3; ++d) {
            Label skip = f_.newLabel();
            f_.jumpImm(BPF_JLT, R4, limits[d], skip);
            f_.emit(movReg(R3, R4));
            f_.emit(alu64Imm(BPF_RSH, R3, shifts[d]));
            f_.emit(alu64Imm(BPF_AND, R3, 15));
            putHexDigit();
            f_.bind(skip);
        }
        f_.emit(movReg(R3, R4));
        f_.emit(alu64Imm(BPF_AND, R3, 15));
        putHexDigit();
    }

    // Appends byte i as two hex digits.
    void putHexByte(int i) {
        loadByte(R4, i);
        f_.emit(movReg(R3, R4));
        f_.emit(alu64Imm(BPF_RSH, R3, 4));
        putHexDigit();
        f_.emit(movReg(R3, R4));
        f_.emit(alu64Imm(BPF_AND, R3, 15));
        putHexDigit();
    }

    // Terminates the string and returns 0.
    void finish() {
        Label inRange = f_.newLabel();
        f_.emit(load(Size::DW, R1, R7, slot(kPos)));
        f_.jumpImm(BPF_JLE, R1, strsize_, inRange);
        f_.emit(movImm(R1, strsize_));
        f_.bind(inRange);
        f_.emit(movReg(R2, R6));
        f_.emit(alu64Reg(BPF_ADD, R2, R1));
        f_.emit(storeImm(Size::B, R2, 0, 0));
        f_.emit(movImm(R0, 0));
        f_.emit(exitInsn());
    }

    // Finds the first longest run of zero words (two or more), as
    // inet_ntop(3) compresses it to "::".
    void findZeroRun() {
        f_.emit(storeImm(Size::DW, R7, slot(kCurLen), 0));
        f_.emit(storeImm(Size::DW, R7, slot(kCurStart), 0));
        f_.emit(storeImm(Size::DW, R7, slot(kBestLen), 0));
        f_.emit(storeImm(Size::DW, R7, slot(kBestStart), 99));
        for (int i = 0; i < 8; ++i) {
            Label nonzero = f_.newLabel(), counting = f_.newLabel(), next = f_.newLabel();
            loadWord(i);
            f_.jumpImm(BPF_JNE, R4, 0, nonzero);
            f_.emit(load(Size::DW, R1, R7, slot(kCurLen)));
            f_.jumpImm(BPF_JNE, R1, 0, counting);
            f_.emit(storeImm(Size::DW, R7, slot(kCurStart), i));
            f_.bind(counting);
            f_.emit(alu64Imm(BPF_ADD, R1, 1));
            f_.emit(store(Size::DW, R7, slot(kCurLen), R1));
            f_.emit(load(Size::DW, R2, R7, slot(kBestLen)));
            f_.jumpReg(BPF_JLE, R1, R2, next);
            f_.emit(store(Size::DW, R7, slot(kBestLen), R1));
            f_.emit(load(Size::DW, R3, R7, slot(kCurStart)));
            f_.emit(store(Size::DW, R7, slot(kBestStart), R3));
            f_.jump(next);
            f_.bind(nonzero);
            f_.emit(storeImm(Size::DW, R7, slot(kCurLen), 0));
            f_.bind(next);
        }
        Label keep = f_.newLabel();
        f_.emit(load(Size::DW, R1, R7, slot(kBestLen)));
        f_.jumpImm(BPF_JGE, R1, 2, keep);
        f_.emit(storeImm(Size::DW, R7, slot(kBestLen), 0));
        f_.emit(storeImm(Size::DW, R7, slot(kBestStart), 99));
        f_.bind(keep);
    }

    // Appends the eight words, the longest zero run as "::".
    void putWords() {
        for (int i = 0; i < 8; ++i) {
            Label normal = f_.newLabel(), skip = f_.newLabel();
            f_.emit(load(Size::DW, R1, R7, slot(kBestLen)));
            f_.emit(load(Size::DW, R2, R7, slot(kBestStart)));
            f_.jumpImm(BPF_JEQ, R1, 0, normal);
            f_.jumpImm(BPF_JGT, R2, i, normal); // run starts after i
            f_.emit(movReg(R3, R2));
            f_.emit(alu64Reg(BPF_ADD, R3, R1));
            f_.jumpImm(BPF_JLE, R3, i, normal); // run ended before i
            f_.jumpImm(BPF_JNE, R2, i, skip);   // inside the run
            putString("::");
            f_.jump(skip);
            f_.bind(normal);
            if (i > 0) {
                // A colon, unless the run just ended (its "::" serves).
                Label colon = f_.newLabel(), noColon = f_.newLabel();
                f_.emit(load(Size::DW, R1, R7, slot(kBestLen)));
                f_.emit(load(Size::DW, R2, R7, slot(kBestStart)));
                f_.jumpImm(BPF_JEQ, R1, 0, colon);
                f_.emit(alu64Reg(BPF_ADD, R2, R1));
                f_.jumpImm(BPF_JEQ, R2, i, noColon);
                f_.bind(colon);
                put(':');
                f_.bind(noColon);
            }
            putHexWord(i);
            f_.bind(skip);
        }
    }

    // Jumps to `target` unless bytes first..last are all zero. Clobbers R3, R4.
    void jumpUnlessZero(int first, int last, Label target) {
        f_.emit(movImm(R4, 0));
        for (int i = first; i <= last; ++i) {
            loadByte(R3, i);
            f_.emit(alu64Reg(BPF_OR, R4, R3));
        }
        f_.jumpImm(BPF_JNE, R4, 0, target);
    }

  private:
    Function &f_;
    int32_t base_;
    int32_t strsize_;
};

} // namespace

// dt_ntop_*(dst, dctx): formats the address bytes the caller left in the
// context's number buffer.
void ProgramBuilder::emitAddressFormat(bpf::Function &f, AddressFormat kind) {
    makeGlobalFunction(f, {ParamKind::String, ParamKind::Context}, 0);
    f.emit(movReg(R6, R1));
    f.emit(movReg(R7, R2));
    AddressFormatter a(f, g.layout.numbuf, g.strsize);
    f.emit(storeImm(Size::DW, R7, a.slot(kPos), 0));
    switch (kind) {
    case AddressFormat::Inet4: a.putDottedQuad(0); break;
    case AddressFormat::Inet6:
    case AddressFormat::Inet6Strict: {
        // An IPv4-mapped (::ffff:a.b.c.d) or IPv4-compatible (::a.b.c.d,
        // but not :: or ::1) address ends in a dotted quad; inet_ntoa6
        // without its strict flag prints the quad alone.
        bool strict = kind == AddressFormat::Inet6Strict;
        Label general = f.newLabel(), notMapped = f.newLabel(), compat = f.newLabel();
        a.jumpUnlessZero(0, 9, general);
        a.loadWord(5);
        f.jumpImm(BPF_JNE, R4, 0xffff, notMapped);
        if (strict) a.putString("::ffff:");
        a.putDottedQuad(12);
        a.finish();
        f.bind(notMapped);
        f.jumpImm(BPF_JNE, R4, 0, general);
        a.jumpUnlessZero(12, 14, compat);
        a.loadByte(R4, 15);
        f.jumpImm(BPF_JLE, R4, 1, general);
        f.bind(compat);
        if (strict) a.putString("::");
        a.putDottedQuad(12);
        a.finish();
        f.bind(general);
        a.findZeroRun();
        a.putWords();
        break;
    }
    case AddressFormat::LinkEther:
    case AddressFormat::LinkInfiniband: {
        int n = kind == AddressFormat::LinkEther ? 6 : 20;
        for (int i = 0; i < n; ++i) {
            if (i) a.put(':');
            a.putHexByte(i);
        }
        break;
    }
    }
    a.finish();
}

uint32_t addressFormatBytes(AddressFormat kind) {
    switch (kind) {
    case AddressFormat::Inet4: return 4;
    case AddressFormat::Inet6:
    case AddressFormat::Inet6Strict: return 16;
    case AddressFormat::LinkEther: return 6;
    case AddressFormat::LinkInfiniband: return 20;
    }
    return 0;
}

} // namespace dtrace::codegen
