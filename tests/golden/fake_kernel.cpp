#include "fake_kernel.h"

#include <bpf/btf.h>
#include <linux/btf.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace dtrace::test {

namespace {

namespace fs = std::filesystem;

// A kernel's BTF, made up: the types and functions the golden programs
// use, at offsets of our choosing (so the code generated reads them
// wherever the build machine's kernel keeps them).
class BtfWriter {
  public:
    BtfWriter() : btf_(btf__new_empty()) {
        if (!btf_) throw std::runtime_error("btf__new_empty failed");
        charT = check(btf__add_int(btf_, "char", 1, BTF_INT_SIGNED | BTF_INT_CHAR));
        boolT = check(btf__add_int(btf_, "_Bool", 1, BTF_INT_BOOL));
        intT = check(btf__add_int(btf_, "int", 4, BTF_INT_SIGNED));
        uintT = check(btf__add_int(btf_, "unsigned int", 4, 0));
        longT = check(btf__add_int(btf_, "long int", 8, BTF_INT_SIGNED));
        ulongT = check(btf__add_int(btf_, "long unsigned int", 8, 0));
        llongT = check(btf__add_int(btf_, "long long int", 8, BTF_INT_SIGNED));
        ushortT = check(btf__add_int(btf_, "short unsigned int", 2, 0));
        voidPtr = check(btf__add_ptr(btf_, 0));
        charPtr = check(btf__add_ptr(btf_, charT));
    }
    ~BtfWriter() { btf__free(btf_); }

    int check(int id) {
        if (id < 0) throw std::runtime_error("building BTF failed");
        return id;
    }
    int typedefOf(const char *name, int type) { return check(btf__add_typedef(btf_, name, type)); }
    // A pointer to the type made next.
    int pointerToNext() {
        return check(btf__add_ptr(btf_, static_cast<int>(btf__type_cnt(btf_)) + 1));
    }
    int structOf(const char *name, uint32_t size) {
        return check(btf__add_struct(btf_, name, size));
    }
    void field(const char *name, int type, uint32_t bitOffset, uint32_t bitSize = 0) {
        check(btf__add_field(btf_, name, type, bitOffset, bitSize));
    }
    int array(int elem, uint32_t n) { return check(btf__add_array(btf_, intT, elem, n)); }
    int proto(int ret, std::initializer_list<std::pair<const char *, int>> params) {
        int id = check(btf__add_func_proto(btf_, ret));
        for (auto [name, type] : params) check(btf__add_func_param(btf_, name, type));
        return id;
    }
    void function(const char *name, int proto) {
        check(btf__add_func(btf_, name, BTF_FUNC_GLOBAL, proto));
    }

    void write(const std::string &path) {
        uint32_t size = 0;
        const void *data = btf__raw_data(btf_, &size);
        std::ofstream(path, std::ios::binary).write(static_cast<const char *>(data), size);
    }

    struct btf *btf_;
    int charT, boolT, intT, uintT, longT, ulongT, llongT, ushortT, voidPtr, charPtr;
};

void makeBtf(const std::string &path) {
    BtfWriter w;
    int pidT = w.typedefOf("pid_t", w.intT);
    int sizeT = w.typedefOf("size_t", w.ulongT);
    int ssizeT = w.typedefOf("ssize_t", w.longT);
    int loffT = w.typedefOf("loff_t", w.llongT);
    w.typedefOf("umode_t", w.ushortT);
    int comm = w.array(w.charT, 16);

    int mmPtr = w.pointerToNext();
    w.structOf("mm_struct", 16);
    w.field("arg_start", w.ulongT, 0);
    w.field("arg_end", w.ulongT, 64);
    int signalPtr = w.pointerToNext();
    w.structOf("signal_struct", 8);
    w.field("live", w.intT, 0);
    int se = w.structOf("sched_entity", 16);
    w.field("vruntime", w.ulongT, 0);
    w.field("sum_exec_runtime", w.ulongT, 64);

    int taskPtr = w.pointerToNext();
    w.structOf("task_struct", 2048);
    w.field("in_iowait", w.uintT, 8 * 100, 1);
    w.field("prio", w.intT, 8 * 104);
    w.field("normal_prio", w.intT, 8 * 108);
    w.field("se", se, 8 * 128);
    w.field("mm", mmPtr, 8 * 512);
    w.field("exit_code", w.intT, 8 * 560);
    w.field("pid", pidT, 8 * 600);
    w.field("tgid", pidT, 8 * 604);
    w.field("real_parent", taskPtr, 8 * 640);
    w.field("comm", comm, 8 * 1000);
    w.field("signal", signalPtr, 8 * 1200);

    int filePtr = w.pointerToNext();
    w.structOf("file", 8);
    w.field("f_flags", w.uintT, 0);
    int loffPtr = w.check(btf__add_ptr(w.btf_, loffT));
    w.function(
        "vfs_read",
        w.proto(ssizeT,
                {{"file", filePtr}, {"buf", w.charPtr}, {"count", sizeT}, {"pos", loffPtr}}));
    // Raw tracepoints: btf_trace_NAME, a pointer to a prototype whose first
    // parameter is the context.
    auto rawTracepoint = [&](const char *name,
                             std::initializer_list<std::pair<const char *, int>> params) {
        int ptr = w.pointerToNext();
        int proto = w.check(btf__add_func_proto(w.btf_, 0));
        w.check(btf__add_func_param(w.btf_, "__data", w.voidPtr));
        for (auto [pname, type] : params) w.check(btf__add_func_param(w.btf_, pname, type));
        (void)proto;
        w.typedefOf(name, ptr);
    };
    rawTracepoint(
        "btf_trace_sched_switch",
        {{"preempt", w.boolT}, {"prev", taskPtr}, {"next", taskPtr}, {"prev_state", w.uintT}});
    rawTracepoint("btf_trace_sched_exit_tp", {{"is_switch", w.boolT}});
    rawTracepoint("btf_trace_sched_process_exit", {{"p", taskPtr}, {"group_dead", w.boolT}});
    // The io provider's (their requests left untyped: no test reads them).
    rawTracepoint("btf_trace_block_rq_issue", {{"rq", w.voidPtr}});
    rawTracepoint("btf_trace_block_rq_complete",
                  {{"rq", w.voidPtr}, {"error", w.intT}, {"nr_bytes", w.uintT}});
    // What the io provider copies of a bio, and the device it names.
    int diskName = w.array(w.charT, 32);
    int gendiskPtr = w.pointerToNext();
    w.structOf("gendisk", 32);
    w.field("disk_name", diskName, 0);
    int bdevPtr = w.pointerToNext();
    w.structOf("block_device", 16);
    w.field("bd_dev", w.uintT, 0);
    w.field("bd_disk", gendiskPtr, 64);
    int bvecIter = w.structOf("bvec_iter", 16);
    w.field("bi_sector", w.ulongT, 0);
    w.field("bi_size", w.uintT, 64);
    int bioPtr = w.pointerToNext();
    w.structOf("bio", 64);
    w.field("bi_bdev", bdevPtr, 64);
    w.field("bi_opf", w.uintT, 128);
    w.field("bi_iter", bvecIter, 256);
    rawTracepoint("btf_trace_block_bio_queue", {{"bio", bioPtr}});
    w.write(path);
}

void put(const fs::path &path, const std::string &text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

const char kCommon[] =
    "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
    "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
    "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
    "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n";

void event(const fs::path &root, const char *subsystem, const char *name, int id,
           const std::string &fields) {
    fs::path dir = root / "events" / subsystem / name;
    put(dir / "format", std::string("name: ") + name + "\nID: " + std::to_string(id) +
                            "\nformat:\n" + kCommon + fields + "\nprint fmt: \"\"\n");
    put(dir / "id", std::to_string(id) + "\n");
}

// A tracefs, made up: the events and traceable functions the golden
// programs use.
void makeTracefs(const fs::path &root) {
    event(root, "sched", "sched_switch", 372,
          "\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
          "\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;\n"
          "\tfield:int prev_prio;\toffset:28;\tsize:4;\tsigned:1;\n"
          "\tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;\n"
          "\tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;\n"
          "\tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;\n"
          "\tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;\n");
    event(root, "sched", "sched_process_exit", 371,
          "\tfield:char comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
          "\tfield:pid_t pid;\toffset:24;\tsize:4;\tsigned:1;\n"
          "\tfield:int prio;\toffset:28;\tsize:4;\tsigned:1;\n"
          "\tfield:bool group_dead;\toffset:32;\tsize:1;\tsigned:0;\n");
    event(root, "syscalls", "sys_enter_openat", 782,
          "\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n"
          "\tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;\n"
          "\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;\n"
          "\tfield:int flags;\toffset:32;\tsize:8;\tsigned:0;\n"
          "\tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;\n");
    put(root / "available_events",
        "sched:sched_switch\nsched:sched_process_exit\nsyscalls:sys_enter_openat\n");
    put(root / "available_filter_functions", "vfs_read\n");
}

} // namespace

FakeKernel::FakeKernel() {
    char dir[] = "/tmp/dtrace-golden-XXXXXX";
    if (!mkdtemp(dir)) throw std::runtime_error("mkdtemp failed");
    dir_ = dir;
    makeBtf(dir_ + "/vmlinux.btf");
    makeTracefs(fs::path(dir_) / "tracing");
    setenv("_DTRACE_VMLINUX_BTF", (dir_ + "/vmlinux.btf").c_str(), 1);
    setenv("_DTRACE_TRACEFS", (dir_ + "/tracing").c_str(), 1);
}

FakeKernel::~FakeKernel() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

} // namespace dtrace::test
