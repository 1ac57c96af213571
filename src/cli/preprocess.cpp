#include "cli/preprocess.h"

#include <cstdlib>
#include <cstring>
#include <sstream>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

namespace dtrace::cli {

std::optional<std::string> preprocess(const std::string &source,
                                      const std::vector<std::string> &args) {
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
    // Name the input as DTrace does, so cpp's messages read "/dev/stdin:N:".
    argv.push_back("/dev/stdin");

    int in[2];
    if (pipe(in) != 0) return std::nullopt;
    // Output goes to a memory file so a large program cannot deadlock us.
    int out = memfd_create("dtrace-cpp", MFD_CLOEXEC);
    if (out < 0) return std::nullopt;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(out, STDOUT_FILENO);
        close(in[0]);
        close(in[1]);
        std::vector<char *> cargv;
        for (auto &a : argv) cargv.push_back(a.data());
        cargv.push_back(nullptr);
        execvp("cpp", cargv.data());
        _exit(127);
    }
    close(in[0]);
    size_t off = 0;
    while (off < source.size()) {
        ssize_t n = write(in[1], source.data() + off, source.size() - off);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
    }
    close(in[1]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        close(out);
        return std::nullopt;
    }
    std::string text;
    lseek(out, 0, SEEK_SET);
    char buf[65536];
    ssize_t n;
    while ((n = read(out, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    close(out);
    return text;
}

} // namespace dtrace::cli
