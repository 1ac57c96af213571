#include "cli/child_process.h"

#include "util/error.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace dtrace::cli {

namespace {

// The program execvp would run for a name: itself when it has a slash,
// else the first executable file of that name on PATH.
std::string resolveProgram(const std::string &name) {
    if (name.find('/') != std::string::npos) return name;
    const char *env = std::getenv("PATH");
    std::string path = env ? env : "/usr/local/bin:/usr/bin:/bin";
    size_t at = 0;
    for (;;) {
        size_t colon = path.find(':', at);
        std::string dir =
            path.substr(at, colon == std::string::npos ? std::string::npos : colon - at);
        std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
        if (access(candidate.c_str(), X_OK) == 0) return candidate;
        if (colon == std::string::npos) break;
        at = colon + 1;
    }
    return name;
}

} // namespace

ChildProcess::ChildProcess(const std::string &command) {
    // DTrace splits the command on white space; no shell. All of it is
    // done before the fork: the child runs no code of the C library that a
    // pid$target probe could see before it becomes the command (execvp
    // would call getenv), nor allocates in a copy of a threaded process.
    std::vector<std::string> words;
    size_t i = 0;
    while (i < command.size()) {
        while (i < command.size() && std::isspace(static_cast<unsigned char>(command[i]))) ++i;
        size_t j = i;
        while (j < command.size() && !std::isspace(static_cast<unsigned char>(command[j]))) ++j;
        if (j > i) words.push_back(command.substr(i, j - i));
        i = j;
    }
    std::string program = words.empty() ? std::string() : resolveProgram(words[0]);
    // A command that cannot run is an error before anything is traced, as
    // DTrace's own process creation fails (exit status 1).
    if (words.empty()) throw Error("failed to execute " + command + ": no command");
    if (access(program.c_str(), X_OK) != 0)
        throw Error("failed to execute " + command + ": " + std::strerror(errno));
    std::vector<char *> argv;
    for (auto &w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw Error("failed to execute " + command);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[1]);
        // It does not outlive dtrace, however dtrace ends (even SIGKILL).
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(127);
        char c;
        if (read(fds[0], &c, 1) != 1) _exit(127);
        close(fds[0]);
        // 't': stop at the exec, for dtrace to patch its is-enabled sites
        // (with SIGTRAP deliverable, or the exec stop would never come).
        if (c == 't') {
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, nullptr);
            signal(SIGTRAP, SIG_DFL);
        }
        if (c == 't' && ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) {
            std::fprintf(stderr, "dtrace: failed to control %s: %s\n", command.c_str(),
                         std::strerror(errno));
            _exit(127);
        }
        if (argv[0]) execve(program.c_str(), argv.data(), environ);
        std::fprintf(stderr, "dtrace: failed to execute %s: %s\n", command.c_str(),
                     std::strerror(errno));
        _exit(127);
    }
    close(fds[0]);
    if (pid < 0) {
        close(fds[1]);
        throw Error("failed to execute " + command);
    }
    pid_ = pid;
    release_ = kernel::Fd(fds[1]);
}

ChildProcess::~ChildProcess() {
    if (pid_ <= 0 || reaped_) return;
    kill(pid_, SIGKILL);
    // Until it is gone: a command under ptrace stops once more on its way
    // out (PTRACE_EVENT_EXIT), and is let go on to die.
    for (;;) {
        int status = 0;
        pid_t r = waitpid(pid_, &status, __WALL);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 || WIFEXITED(status) || WIFSIGNALED(status)) break;
        ptrace(PTRACE_CONT, pid_, nullptr, nullptr);
    }
}

bool ChildProcess::exited(const std::function<void()> &atExit) {
    if (pid_ <= 0 || reaped_) return true;
    for (int events = 0; events < 64; ++events) {
        int status = 0;
        pid_t got = waitpid(pid_, &status, WNOHANG);
        if (got < 0 && errno == EINTR) continue;
        if (got == 0) return false;
        if (got != pid_ || !WIFSTOPPED(status)) {
            reaped_ = true;
            status_ = status;
            return true;
        }
        // Traced: its stops. At its exit it is read, then let go; a
        // signal it was sent is passed on (a stop it entered, whose
        // signal info cannot be read, is not sent again, or it would
        // come back here at once).
        long signal = 0;
        siginfo_t info;
        if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
            if (atExit) atExit();
        } else if (status >> 8 != (SIGTRAP | (PTRACE_EVENT_EXEC << 8)) &&
                   ptrace(PTRACE_GETSIGINFO, pid_, nullptr, &info) == 0) {
            signal = WSTOPSIG(status);
        }
        ptrace(PTRACE_CONT, pid_, nullptr, reinterpret_cast<void *>(signal));
    }
    return false;
}

std::string ChildProcess::exitNotice() const {
    std::string pid = std::to_string(pid_);
    if (WIFSIGNALED(status_)) {
        const char *name = sigabbrev_np(WTERMSIG(status_));
        return "pid " + pid + " terminated by " +
               (name ? std::string("SIG") + name : "signal " + std::to_string(WTERMSIG(status_)));
    }
    if (WIFEXITED(status_) && WEXITSTATUS(status_) != 0)
        return "pid " + pid + " exited with status " + std::to_string(WEXITSTATUS(status_));
    return "pid " + pid + " has exited";
}

// Waits for the traced child's next SIGTRAP stop, passing other signals
// on; false when it exited (or cannot be waited for).
bool ChildProcess::waitForTrap() {
    for (;;) {
        int status = 0;
        pid_t got = waitpid(pid_, &status, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got != pid_ || !WIFSTOPPED(status)) {
            reaped_ = true;
            status_ = status;
            return false;
        }
        if (WSTOPSIG(status) == SIGTRAP) return true;
        ptrace(PTRACE_CONT, pid_, nullptr,
               reinterpret_cast<void *>(static_cast<long>(WSTOPSIG(status))));
    }
}

namespace {

// The program's entry point (AT_ENTRY), where the dynamic linker has
// mapped the libraries the program needs.
std::optional<uint64_t> entryPoint(pid_t pid) {
    std::string path = "/proc/" + std::to_string(pid) + "/auxv";
    FILE *f = std::fopen(path.c_str(), "rb");
    if (!f) return std::nullopt;
    uint64_t pair[2];
    std::optional<uint64_t> entry;
    while (std::fread(pair, sizeof pair, 1, f) == 1 && pair[0] != 0)
        if (pair[0] == 9 /* AT_ENTRY */) entry = pair[1];
    std::fclose(f);
    return entry;
}

} // namespace

// Runs the stopped child to its entry point (a breakpoint planted there
// and removed), so that its libraries are mapped; false if it did not
// get there.
bool ChildProcess::runToEntry() {
#if defined(__x86_64__)
    auto entry = entryPoint(pid_);
    if (!entry) return false;
    kernel::Fd mem = kernel::openProcessMemory(pid_);
    if (!mem.valid()) return false;
    int fd = mem.get();
    uint8_t original = 0, trap = 0xcc;
    bool planted = pread(fd, &original, 1, static_cast<off_t>(*entry)) == 1 &&
                   pwrite(fd, &trap, 1, static_cast<off_t>(*entry)) == 1;
    bool there = false;
    if (planted) {
        ptrace(PTRACE_CONT, pid_, nullptr, nullptr);
        if (waitForTrap()) {
            user_regs_struct regs{};
            there = ptrace(PTRACE_GETREGS, pid_, nullptr, &regs) == 0 && regs.rip == *entry + 1;
            if (there) {
                regs.rip = *entry;
                ptrace(PTRACE_SETREGS, pid_, nullptr, &regs);
            }
        }
        if (!reaped_) (void)!pwrite(fd, &original, 1, static_cast<off_t>(*entry));
    }
    return there;
#else
    return false;
#endif
}

void ChildProcess::release(const std::vector<kernel::IsEnabledSites> &afterExec,
                           kernel::IsEnabledPatches &patches, bool holdAtExit) {
    if (!release_.valid()) return;
    bool trace = !afterExec.empty() || holdAtExit;
    (void)!write(release_.get(), trace ? "t" : "g", 1);
    release_.reset();
    if (!trace || !waitForTrap()) return;
    for (const kernel::IsEnabledSites &sites : afterExec) patches.apply(sites, true);
    // Sites in libraries: patched at the entry point, before main runs.
    if (patches.hasPending() && runToEntry()) patches.retryPending(true);
    if (reaped_) return;
    if (holdAtExit &&
        ptrace(PTRACE_SETOPTIONS, pid_, nullptr,
               reinterpret_cast<void *>(static_cast<long>(PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC |
                                                          PTRACE_O_EXITKILL))) == 0) {
        traced_ = true;
        ptrace(PTRACE_CONT, pid_, nullptr, nullptr);
    } else {
        ptrace(PTRACE_DETACH, pid_, nullptr, nullptr);
    }
}

} // namespace dtrace::cli
