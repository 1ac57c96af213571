#include "cli/preprocess.h"

#include "util/error.h"
#include "util/fd.h"

#include <fcntl.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

namespace dtrace::cli {

std::string preprocess(const std::string &source, const std::vector<std::string> &args,
                       const std::string &program) {
    // As DTrace runs it: the platform's own predefinitions stay, but not
    // __GNUC__, so system headers keep to what D can parse.
    std::vector<std::string> argv = {"cpp",        "-D__linux__",   "-D__linux",
                                     "-D__unix",   "-D__SVR4",      "-D__SUNW_D=1",
                                     "-U__GNUC__", "-D__SUNW_D_64", "-D__Linux"};
    if (const char *extra = std::getenv("DTRACE_OPT_CPPARGS")) {
        std::istringstream ss(extra);
        std::string w;
        while (ss >> w) argv.push_back(w);
    }
    for (const auto &a : args) argv.push_back(a);
    // Name the input as DTrace does, so cpp's messages read "/dev/stdin:N:"
    // (a system without that link, a bare container's /dev: "-").
    argv.push_back(::access("/dev/stdin", F_OK) == 0 ? "/dev/stdin" : "-");

    // cpp prints its own errors on stderr; DTrace then says this.
    const Error failed("Preprocessor failed to process input program");
    int pipeFds[2];
    if (pipe2(pipeFds, O_CLOEXEC) != 0) throw failed;
    Fd in(pipeFds[0]), toCpp(pipeFds[1]);
    // Output goes to a memory file so a large program cannot deadlock us.
    Fd out(memfd_create("dtrace-cpp", MFD_CLOEXEC));
    if (!out.valid()) throw failed;
    pid_t pid = fork();
    if (pid < 0) throw failed;
    if (pid == 0) {
        dup2(in.get(), STDIN_FILENO);
        dup2(out.get(), STDOUT_FILENO);
        std::vector<char *> cargv;
        for (auto &a : argv) cargv.push_back(a.data());
        cargv.push_back(nullptr);
        execvp(program.c_str(), cargv.data());
        _exit(127);
    }
    in.reset();
    // cpp may stop reading (an #include it cannot find): a write then fails
    // with EPIPE, not a SIGPIPE that would end dtrace.
    struct sigaction ignore {
    }, old{};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, &old);
    size_t off = 0;
    while (off < source.size()) {
        ssize_t n = write(toCpp.get(), source.data() + off, source.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        off += static_cast<size_t>(n);
    }
    toCpp.reset();
    sigaction(SIGPIPE, &old, nullptr);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw failed;
    std::string text;
    lseek(out.get(), 0, SEEK_SET);
    char buf[65536];
    ssize_t n;
    while ((n = read(out.get(), buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    return text;
}

} // namespace dtrace::cli
