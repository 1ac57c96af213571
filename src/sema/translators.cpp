// Translators: `translator T < I name > { member = expr; ... };` and
// `xlate<T>(e)`. A translated member is the member's expression with the
// input name bound to the xlate argument, analysed where it is used, so
// `xlate<T>(e).m` costs no more than the expression itself. A whole
// translated struct is built in alloca'd scratch memory.
#include "frontend/diagnostics.h"
#include "frontend/parser.h"
#include "sema/builtins.h"
#include "sema/sema.h"

namespace dtrace::sema {

using frontend::ExprKind;
using ir::NodeKind;
using ir::NodePtr;

namespace {

NodePtr mk(NodeKind k, SourceLoc loc, TypeRef t) {
    return std::make_unique<ir::Node>(k, loc, std::move(t));
}

// Whether an xlate argument of type `arg` may use a translator whose input
// type is `input`: the same type, any integer for an integer, or pointers to
// the same type (qualifiers and typedefs aside).
bool inputMatches(const TypeRef &input, const TypeRef &arg) {
    if (sameType(input, arg)) return true;
    if (isInteger(input) && isInteger(arg)) return true;
    if (isPointer(input) && isPointer(arg))
        return sameType(stripTypedefs(input)->target, stripTypedefs(arg)->target);
    return false;
}

// The D library's process and thread views, as DTrace defines them for
// curpsinfo and curlwpsinfo, translated from the kernel's task_struct.
// Members DTrace leaves undefined on Linux (pr_nice, pr_cpu, pr_oldpri)
// stay undefined, so using them is DTrace's D_XLATE_NOCONV error.
constexpr const char *kProcessLibrary = R"D(
typedef struct lwpsinfo {
	int pr_flag;
	int pr_lwpid;
	uintptr_t pr_addr;
	uintptr_t pr_wchan;
	char pr_stype;
	char pr_state;
	char pr_sname;
	char pr_nice;
	short pr_syscall;
	char pr_oldpri;
	char pr_cpu;
	int pr_pri;
	unsigned short pr_pctcpu;
	unsigned short pr_pad;
	char pr_clname[8];
	char pr_name[16];
	int pr_onpro;
	int pr_bindpro;
	int pr_bindpset;
	int pr_lgrp;
} lwpsinfo_t;

typedef struct psinfo {
	int pr_flag;
	int pr_nlwp;
	int pr_pid;
	int pr_ppid;
	int pr_pgid;
	int pr_sid;
	unsigned int pr_uid;
	unsigned int pr_euid;
	unsigned int pr_gid;
	unsigned int pr_egid;
	uintptr_t pr_addr;
	size_t pr_size;
	size_t pr_rssize;
	struct tty_struct *pr_ttydev;
	unsigned short pr_pctcpu;
	unsigned short pr_pctmem;
	char pr_fname[16];
	int pr_wstat;
	int pr_argc;
	uintptr_t pr_argv;
	uintptr_t pr_envp;
	char pr_dmodel;
	int pr_taskid;
	int pr_projid;
	int pr_nzomb;
	int pr_poolid;
	int pr_zoneid;
	int pr_contract;
	lwpsinfo_t pr_lwp;
} psinfo_t;

translator lwpsinfo_t < struct task_struct *T > {
	pr_flag = 0;
	pr_lwpid = T->pid;
	pr_addr = (uintptr_t)T;
	pr_wchan = 0;
	pr_stype = 0;
	pr_state = T->__state == 0 ? 2 : (T->__state & 4) ? 3 : (T->__state & 0x30) ? 4 : 1;
	pr_sname = T->__state == 0 ? 'R' : (T->__state & 1) ? 'S' : (T->__state & 2) ? 'D' :
	    (T->__state & 4) ? 'T' : (T->__state & 0x30) ? 'Z' : 'S';
	pr_syscall = 0;
	pr_pri = T->prio;
	pr_pctcpu = 0;
	pr_name = T->comm;
	pr_onpro = T->thread_info.cpu;
	pr_bindpro = -1;
	pr_bindpset = -1;
	pr_lgrp = 0;
};

translator psinfo_t < struct task_struct *T > {
	pr_flag = 0;
	pr_nlwp = T->signal->nr_threads;
	pr_pid = T->tgid;
	pr_ppid = T->real_parent->tgid;
	pr_pgid = T->signal->pids[2]->numbers[0].nr;
	pr_sid = T->signal->pids[3]->numbers[0].nr;
	pr_uid = T->cred->uid.val;
	pr_euid = T->cred->euid.val;
	pr_gid = T->cred->gid.val;
	pr_egid = T->cred->egid.val;
	pr_addr = (uintptr_t)T->mm;
	pr_ttydev = T->signal->tty;
	pr_fname = T->comm;
	pr_wstat = T->exit_code;
	pr_argc = 0;
	pr_argv = T->mm ? T->mm->arg_start : 0;
	pr_envp = T->mm ? T->mm->env_start : 0;
	pr_dmodel = 2;
	pr_taskid = 0;
	pr_projid = 0;
	pr_nzomb = 0;
	pr_poolid = 0;
	pr_zoneid = 0;
	pr_contract = 0;
};

typedef struct cpuinfo {
	processorid_t cpu_id;
	psetid_t cpu_pset;
	chipid_t cpu_chip;
	lgrp_id_t cpu_lgrp;
	uintptr_t cpu_info;
} cpuinfo_t;

inline int B_BUSY = 0x0001;
inline int B_DONE = 0x0002;
inline int B_ERROR = 0x0004;
inline int B_PAGEIO = 0x0010;
inline int B_PHYS = 0x0020;
inline int B_READ = 0x0040;
inline int B_WRITE = 0x0100;
inline int B_ASYNC = 0x0400;

typedef struct bufinfo {
	int b_flags;
	size_t b_bcount;
	caddr_t b_addr;
	uint64_t b_lblkno;
	uint64_t b_blkno;
	size_t b_resid;
	size_t b_bufsize;
	caddr_t b_iodone;
	int b_error;
	dev_t b_edev;
} bufinfo_t;

typedef struct devinfo {
	int dev_major;
	int dev_minor;
	int dev_instance;
	string dev_name;
	string dev_statname;
	string dev_pathname;
} devinfo_t;

typedef struct fileinfo {
	string fi_name;
	string fi_dirname;
	string fi_pathname;
	loff_t fi_offset;
	string fi_fs;
	string fi_mount;
	int fi_oflags;
} fileinfo_t;

/* A block request: the operation in the low 8 bits of cmd_flags (0 read,
   1 write), REQ_SYNC bit 11; sectors of 512 bytes. */
translator bufinfo_t < struct request *R > {
	b_flags = ((R->cmd_flags & 0xff) == 1 ? B_WRITE : B_READ) |
	    ((R->cmd_flags & (1 << 11)) ? 0 : B_ASYNC) | B_BUSY | B_PHYS;
	b_bcount = R->__data_len;
	b_addr = 0;
	b_lblkno = R->__sector;
	b_blkno = R->__sector;
	b_resid = 0;
	b_bufsize = R->__data_len;
	b_iodone = 0;
	b_error = 0;
	b_edev = R->part ? R->part->bd_dev : 0;
};

translator devinfo_t < struct request *R > {
	dev_major = R->part ? R->part->bd_dev >> 20 : 0;
	dev_minor = R->part ? R->part->bd_dev & 0xfffff : 0;
	dev_instance = 0;
	dev_name = R->part->bd_disk->disk_name;
	dev_statname = R->part->bd_disk->disk_name;
	dev_pathname = strjoin("/dev/", R->part->bd_disk->disk_name);
};

/* Which file a block request is for is not known below the file system. */
translator fileinfo_t < struct request *R > {
	fi_name = "<none>";
	fi_dirname = "<none>";
	fi_pathname = "<none>";
	fi_offset = -1;
	fi_fs = "<none>";
	fi_mount = "<none>";
	fi_oflags = 0;
};

inline cpuinfo_t *curcpu = (cpuinfo_t *)__cpuinfo(cpu);
inline chipid_t chip = curcpu->cpu_chip;
inline lgrp_id_t lgrp = curcpu->cpu_lgrp;
inline psetid_t pset = curcpu->cpu_pset;
inline psinfo_t *curpsinfo = xlate <psinfo_t *> (curthread);
inline lwpsinfo_t *curlwpsinfo = xlate <lwpsinfo_t *> (curthread);
)D";

} // namespace

bool isLibraryTypeName(std::string_view name) {
    return name == "psinfo_t" || name == "lwpsinfo_t" || name == "cpuinfo_t" ||
           name == "bufinfo_t" || name == "devinfo_t" || name == "fileinfo_t";
}
bool isLibraryIdentifier(std::string_view name) {
    return name == "curpsinfo" || name == "curlwpsinfo" || name == "curcpu" || name == "chip" ||
           name == "lgrp" || name == "pset" || (name.size() > 2 && name.compare(0, 2, "B_") == 0);
}

void Sema::loadTranslatorLibrary() {
    if (libraryLoaded_) return;
    libraryLoaded_ = true;
    auto prog = std::make_unique<frontend::Program>(
        frontend::Parser(kProcessLibrary, [this](std::string_view n, bool kernel) {
            return isTypeName(n, kernel);
        }).parseProgram());
    for (const auto &item : prog->items) {
        if (const auto *d = std::get_if<frontend::Declaration>(&item)) {
            if (d->isInline) {
                // The library's inlines are trusted: recorded, not re-checked.
                TypeRef base = resolveDeclSpec(d->spec, d->loc);
                const auto &decl = d->declarators.front();
                inlines_[decl.name] = {applyDeclarator(base, decl, nullptr),
                                       decl.initializer.get()};
            } else {
                declare(*d);
            }
        } else if (const auto *t = std::get_if<frontend::Translator>(&item)) {
            TranslatorDef def;
            def.output = resolveTypeName(t->output);
            def.input = resolveTypeName(t->input);
            def.inputName = t->inputName;
            for (const auto &m : t->members) def.members[m.name] = m.value.get();
            translators_.push_back(std::move(def));
        }
    }
    library_.push_back(std::move(prog));
}

void Sema::defineTranslator(const frontend::Translator &t) {
    if (t.output.spec.base == frontend::DeclSpec::Base::Named &&
        isLibraryTypeName(t.output.spec.name))
        loadTranslatorLibrary();
    TypeRef out = resolveTypeName(t.output);
    if (!isStructOrUnion(out))
        fail("D_XLATE_SOU", t.endLoc, "translator output type must be a struct or union");
    auto so = stripTypedefs(out);
    if (!so->complete && !so->btfId)
        fail("D_XLATE_SOU", t.endLoc, "incomplete struct/union/enum " + typeName(so));
    out = types_->complete(out);
    TypeRef in = resolveTypeName(t.input);
    for (const auto &x : translators_)
        if (sameType(x.output, out) && sameType(x.input, in))
            fail("D_XLATE_REDECL", t.endLoc,
                 "translator from " + describe(in) + " to " + describe(out) +
                     " has already been declared");
    TranslatorDef def;
    def.output = out;
    def.input = in;
    def.inputName = t.inputName;
    for (const auto &m : t.members) {
        auto member = findMember(out, m.name);
        if (!member)
            fail("D_XLATE_MEMB", t.endLoc,
                 "translator member " + m.name + " is not a member of " + typeName(so));
        // Check the member's expression against a placeholder input.
        bindings_.push_back({t.inputName, nullptr, in, bindings_.size()});
        NodePtr v = expr(*m.value);
        bindings_.pop_back();
        bool ok = assignable(member->type, *v) ||
                  (isArray(member->type) && (isArray(v->type) || isString(v->type)));
        if (!ok)
            fail("D_XLATE_INCOMPAT", t.endLoc,
                 "translator member " + m.name + " definition uses incompatible types: \"" +
                     describe(member->type) + "\" = \"" + describe(v->type) + "\"");
        def.members[m.name] = m.value.get();
    }
    translators_.push_back(std::move(def));
}

// The xlate expression an expression stands for, seen through inlines
// (curpsinfo is an inline of one).
const frontend::Expr *Sema::findXlate(const frontend::Expr &e) {
    if (e.kind == ExprKind::Xlate) return &e;
    // args[i] of a proc probe is a translated task.
    if (const frontend::Expr *src = probeArgumentSource(e)) return findXlate(*src);
    if (e.kind == ExprKind::Identifier) {
        bool bound = false;
        for (const auto &b : bindings_)
            if (b.name == e.name) bound = true;
        if (bound) return nullptr;
        if (isLibraryIdentifier(e.name) && !inlines_.count(e.name) && !globals_.count(e.name))
            loadTranslatorLibrary();
        auto it = inlines_.find(e.name);
        if (it != inlines_.end() && it->second.value) return findXlate(*it->second.value);
    }
    return nullptr;
}

const Sema::TranslatorDef &Sema::lookupTranslator(const frontend::Expr &xlate, TypeRef &outType) {
    const frontend::TypeName &tn = *xlate.typeName;
    if (tn.spec.base == frontend::DeclSpec::Base::Named && isLibraryTypeName(tn.spec.name))
        loadTranslatorLibrary();
    outType = resolveTypeName(tn);
    TypeRef target = isPointer(outType) ? stripTypedefs(outType)->target : outType;
    if (!isStructOrUnion(target))
        fail("D_XLATE_SOU", xlate.loc,
             "translator output type must be a struct or union: " + describe(outType));
    NodePtr arg = expr(*xlate.args[0]);
    for (const auto &t : translators_)
        if (sameType(t.output, target) && inputMatches(t.input, arg->type)) return t;
    fail("D_XLATE_NONE", xlate.loc,
         "translator does not exist: " + describe(arg->type) + " -> " + describe(target));
}

NodePtr Sema::translateMemberValue(const TranslatorDef &t, const std::string &member,
                                   const frontend::Expr *arg, SourceLoc loc) {
    auto m = findMember(t.output, member);
    if (!m)
        fail("D_TYPE_MEMBER", loc,
             member + " is not a member of " + typeName(stripTypedefs(t.output)));
    auto it = t.members.find(member);
    if (it == t.members.end())
        fail("D_XLATE_NOCONV", loc, "translator does not define conversion for member: " + member);
    bindings_.push_back({t.inputName, arg, nullptr, bindings_.size()});
    NodePtr v = expr(*it->second);
    bindings_.pop_back();
    if (isInteger(m->type) || isPointer(m->type)) v = convert(std::move(v), m->type);
    return v;
}

NodePtr Sema::translatedMember(const frontend::Expr &xlate, const std::string &member, bool arrow,
                               SourceLoc loc) {
    TypeRef outType;
    const TranslatorDef &t = lookupTranslator(xlate, outType);
    if (arrow && !isPointer(outType))
        fail("D_OP_PTR", loc, "operator -> must be applied to a pointer");
    if (!arrow && isPointer(outType))
        fail("D_OP_SOU", loc,
             "operator . cannot be applied to type \"" + describe(outType) +
                 "\"; must be applied to a struct or union");
    return translateMemberValue(t, member, xlate.args[0].get(), loc);
}

// A whole translated struct: each defined member stored into a zeroed
// scratch buffer, then the buffer (or its address for xlate<T *>).
NodePtr Sema::translatedValue(const frontend::Expr &xlate) {
    TypeRef outType;
    const TranslatorDef &t = lookupTranslator(xlate, outType);
    TypeRef structType = types_->complete(t.output);
    uint64_t size = typeSize(structType);
    SourceLoc loc = xlate.loc;
    std::string tmpName = "%xlate" + std::to_string(++xlateTemps_);
    TypeRef ptrType = types_->withDPtr(types_->pointerTo(structType));
    ir::Variable *tmp =
        createVariable(ir::Scope::ClauseLocal, tmpName, types_->pointerTo(structType), loc);
    tmp->alloca = ir::Variable::Alloca::Yes;
    auto var = [&] {
        auto v = mk(NodeKind::Var, loc, ptrType);
        v->var = tmp;
        return v;
    };
    std::vector<NodePtr> seq;
    // tmp = alloca(size)
    auto alloc = mk(NodeKind::Call, loc, ptrType);
    alloc->subr = ir::Subr::Alloca;
    alloc->kids.push_back(constant(static_cast<int64_t>(size), types_->ulongType(), loc));
    auto init = mk(NodeKind::Assign, loc, ptrType);
    init->kids.push_back(var());
    init->kids.push_back(std::move(alloc));
    seq.push_back(std::move(init));
    for (const Member &m : stripTypedefs(structType)->members) {
        bool scalar = isScalar(m.type);
        if (!scalar && !isArray(m.type)) continue;
        auto it = t.members.find(m.name);
        if (it == t.members.end() && !scalar) continue;
        NodePtr value = it == t.members.end()
                            ? constant(0, m.type, loc)
                            : translateMemberValue(t, m.name, xlate.args[0].get(), loc);
        auto deref = mk(NodeKind::Deref, loc, structType);
        deref->scratch = true;
        deref->kids.push_back(var());
        auto target = mk(NodeKind::Member, loc, m.type);
        target->offsetBits = m.offsetBits;
        target->bitSize = m.bitSize;
        target->kids.push_back(std::move(deref));
        if (isArray(m.type)) {
            // A char array member is copied as a string of its size.
            if (!isString(value->type) && !isArray(value->type)) continue;
            auto copy = mk(NodeKind::Call, loc, types_->voidType());
            copy->subr = ir::Subr::Bcopy;
            auto src = std::move(value);
            if (isArray(src->type)) {
                auto addr =
                    mk(NodeKind::AddrOf, loc, types_->pointerTo(stripTypedefs(src->type)->target));
                addr->kids.push_back(std::move(src));
                src = std::move(addr);
            }
            auto dst = mk(NodeKind::AddrOf, loc,
                          types_->withDPtr(types_->pointerTo(stripTypedefs(m.type)->target)));
            dst->kids.push_back(std::move(target));
            copy->kids.push_back(std::move(src));
            copy->kids.push_back(std::move(dst));
            copy->kids.push_back(
                constant(static_cast<int64_t>(typeSize(m.type)), types_->ulongType(), loc));
            seq.push_back(std::move(copy));
            continue;
        }
        auto store = mk(NodeKind::Assign, loc, m.type);
        store->kids.push_back(std::move(target));
        store->kids.push_back(convert(std::move(value), m.type));
        seq.push_back(std::move(store));
    }
    NodePtr result;
    if (isPointer(outType)) {
        result = var();
    } else {
        result = mk(NodeKind::Deref, loc, structType);
        result->scratch = true;
        result->kids.push_back(var());
    }
    seq.push_back(std::move(result));
    // Comma is binary: chain the steps left to right.
    NodePtr chain = std::move(seq.front());
    for (size_t i = 1; i < seq.size(); ++i) {
        auto c = mk(NodeKind::Comma, loc, seq[i]->type);
        c->kids.push_back(std::move(chain));
        c->kids.push_back(std::move(seq[i]));
        chain = std::move(c);
    }
    chain->translated = isPointer(outType);
    return chain;
}

// An identifier that names a translator's input inside a member's
// expression: the xlate argument, analysed in the scope of the xlate.
NodePtr Sema::boundIdentifier(std::string_view name, SourceLoc loc, bool &found) {
    found = false;
    for (size_t i = bindings_.size(); i-- > 0;) {
        if (bindings_[i].name != name) continue;
        found = true;
        Binding b = bindings_[i];
        if (!b.argument) {
            auto n = mk(NodeKind::BuiltinVar, loc, b.placeholder);
            n->builtin = ir::Builtin::Arg;
            return n;
        }
        std::vector<Binding> saved(bindings_.begin() + static_cast<std::ptrdiff_t>(b.outerDepth),
                                   bindings_.end());
        bindings_.resize(b.outerDepth);
        NodePtr v = expr(*b.argument);
        bindings_.insert(bindings_.end(), saved.begin(), saved.end());
        return v;
    }
    return nullptr;
}

} // namespace dtrace::sema
