// A small mutation driver for LLVMFuzzerTestOneInput, for systems without
// libFuzzer (it needs clang; we build with gcc). It mutates the inputs of a
// corpus (byte edits, D tokens from a dictionary, splices), runs each
// in-process, and keeps an input that makes the compiler stop at a place it
// had not stopped before (a new error tag, or success), so the corpus grows
// toward new behaviour. Each input is written to <crashdir>/current before
// it runs: after a crash, a sanitizer report or a hang (SIGALRM), that file
// holds the input that caused it.
//
//   driver -seconds N -corpus DIR [-crashes DIR] [-seed S] [FILES...]
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern std::string gFuzzOutcome;

namespace {

const char *const kDictionary[] = {"{",
                                   "}",
                                   "(",
                                   ")",
                                   "[",
                                   "]",
                                   "/",
                                   ";",
                                   ",",
                                   ":",
                                   "::",
                                   "*",
                                   "&",
                                   "->",
                                   ".",
                                   "=",
                                   "==",
                                   "!=",
                                   "<",
                                   ">",
                                   "<<",
                                   ">>",
                                   "+",
                                   "-",
                                   "++",
                                   "--",
                                   "?",
                                   "!",
                                   "~",
                                   "^^",
                                   "&&",
                                   "||",
                                   "`",
                                   "@",
                                   "@a",
                                   "@a[",
                                   "$1",
                                   "$$1",
                                   "$pid",
                                   "$target",
                                   "self->",
                                   "this->",
                                   "BEGIN",
                                   "END",
                                   "ERROR",
                                   "tick-1s",
                                   "profile-97",
                                   "syscall::read:entry",
                                   "syscall:::",
                                   "dtrace:::BEGIN",
                                   "int",
                                   "char",
                                   "long",
                                   "unsigned",
                                   "string",
                                   "struct",
                                   "union",
                                   "enum",
                                   "typedef",
                                   "inline",
                                   "translator",
                                   "provider",
                                   "probe",
                                   "xlate<",
                                   ">(",
                                   "sizeof",
                                   "offsetof",
                                   "stringof",
                                   "if",
                                   "else",
                                   "static",
                                   "extern",
                                   "const",
                                   "self",
                                   "this",
                                   "#pragma D option ",
                                   "quiet",
                                   "strsize=",
                                   "\n",
                                   " ",
                                   "0",
                                   "1",
                                   "-1",
                                   "0x7fffffffffffffff",
                                   "18446744073709551615",
                                   "'a'",
                                   "'\\n'",
                                   "\"s\"",
                                   "\"\\n\"",
                                   "\"%d\"",
                                   "\"%s\"",
                                   "trace(",
                                   "printf(",
                                   "printa(",
                                   "exit(",
                                   "count()",
                                   "sum(",
                                   "avg(",
                                   "min(",
                                   "max(",
                                   "strlen(",
                                   "strjoin(",
                                   "substr(",
                                   "strtok(",
                                   "index(",
                                   "lltostr(",
                                   "cleanpath(",
                                   "inet_ntoa6(",
                                   "alloca(",
                                   "bcopy(",
                                   "copyin(",
                                   "copyinstr(",
                                   "progenyof(",
                                   "d_path(",
                                   "curthread",
                                   "curpsinfo",
                                   "curlwpsinfo",
                                   "arg0",
                                   "args[0]",
                                   "execname",
                                   "pid",
                                   "timestamp",
                                   "struct task_struct *",
                                   "`jiffies",
                                   "NULL",
                                   "0.5",
                                   "1e9"};

std::vector<std::string> gCorpus;
std::set<std::string> gOutcomes;
std::string gCurrentPath;

std::string readFile(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void writeFile(const std::string &path, const std::string &data) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << data;
}

void loadDirectory(const std::string &dir) {
    DIR *d = opendir(dir.c_str());
    if (!d) return;
    while (dirent *e = readdir(d)) {
        std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        gCorpus.push_back(readFile(dir + "/" + name));
    }
    closedir(d);
}

std::string mutate(std::string s, std::mt19937_64 &rng) {
    auto pick = [&](size_t n) { return n ? static_cast<size_t>(rng() % n) : 0; };
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < edits; ++i) {
        switch (rng() % 7) {
        case 0: // flip a byte
            if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1 << (rng() % 8));
            break;
        case 1: // insert a random byte
            s.insert(pick(s.size() + 1), 1, static_cast<char>(rng() % 256));
            break;
        case 2: { // delete a range
            if (s.empty()) break;
            size_t at = pick(s.size());
            s.erase(at, 1 + pick(std::min<size_t>(16, s.size() - at)));
            break;
        }
        case 3: { // duplicate a range
            if (s.empty()) break;
            size_t at = pick(s.size());
            size_t len = 1 + pick(std::min<size_t>(32, s.size() - at));
            s.insert(pick(s.size() + 1), s.substr(at, len));
            break;
        }
        case 4:
        case 5: { // insert a D token
            const char *tok = kDictionary[pick(sizeof kDictionary / sizeof *kDictionary)];
            s.insert(pick(s.size() + 1), tok);
            break;
        }
        case 6: { // splice with another input
            const std::string &o = gCorpus[pick(gCorpus.size())];
            if (o.empty()) break;
            size_t at = pick(o.size());
            s = s.substr(0, pick(s.size() + 1)) +
                o.substr(at, 1 + pick(std::min<size_t>(64, o.size() - at)));
            break;
        }
        }
    }
    if (s.size() > 4096) s.resize(4096);
    return s;
}

// Where the compiler stopped: the error's tag, or "ok".
std::string outcomeOf(const std::string &input) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(input.data()), input.size());
    return gFuzzOutcome;
}

void onAlarm(int) {
    const char msg[] =
        "driver: an input took too long (a hang); it is in the crash directory as 'current'\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(3);
}

} // namespace

int main(int argc, char **argv) {
    long seconds = 60;
    std::string corpusDir, crashDir = "fuzz-crashes";
    uint64_t seed = static_cast<uint64_t>(time(nullptr));
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "-seconds" && i + 1 < argc)
            seconds = std::atol(argv[++i]);
        else if (a == "-corpus" && i + 1 < argc)
            corpusDir = argv[++i];
        else if (a == "-crashes" && i + 1 < argc)
            crashDir = argv[++i];
        else if (a == "-seed" && i + 1 < argc)
            seed = std::strtoull(argv[++i], nullptr, 10);
        else
            files.push_back(a);
    }
    if (!corpusDir.empty()) loadDirectory(corpusDir);
    for (const auto &f : files) gCorpus.push_back(readFile(f));
    if (gCorpus.empty()) gCorpus.push_back("BEGIN { exit(0); }");
    (void)!system(("mkdir -p '" + crashDir + "'").c_str());
    gCurrentPath = crashDir + "/current";
    std::signal(SIGALRM, onAlarm);

    // Replay: every corpus input must compile or be refused cleanly.
    for (const auto &in : gCorpus) {
        writeFile(gCurrentPath, in);
        alarm(10);
        gOutcomes.insert(outcomeOf(in));
    }
    std::mt19937_64 rng(seed);
    time_t end = time(nullptr) + seconds;
    uint64_t runs = 0, kept = 0;
    size_t corpusSize = gCorpus.size();
    while (time(nullptr) < end) {
        std::string input = mutate(gCorpus[static_cast<size_t>(rng() % gCorpus.size())], rng);
        writeFile(gCurrentPath, input);
        alarm(10);
        std::string outcome = outcomeOf(input);
        ++runs;
        if (gOutcomes.insert(outcome).second) {
            gCorpus.push_back(input);
            ++kept;
            if (!corpusDir.empty())
                writeFile(corpusDir + "/new-" + std::to_string(seed) + "-" + std::to_string(kept),
                          input);
        }
    }
    alarm(0);
    unlink(gCurrentPath.c_str());
    std::printf("driver: %llu inputs in %ld s (seed %llu), no crash, no hang; %zu outcomes seen; "
                "corpus %zu -> %zu\n",
                static_cast<unsigned long long>(runs), seconds,
                static_cast<unsigned long long>(seed), gOutcomes.size(), corpusSize,
                gCorpus.size());
    return 0;
}
