#include "cli/command_line.h"
#include "cli/dtrace.h"
#include "util/error.h"

#include <cstdio>
#include <exception>

int main(int argc, char **argv) {
    // The one place failures end up: nothing reaches std::terminate.
    try {
        return dtrace::cli::run(argc, argv);
    } catch (const dtrace::UsageError &e) {
        if (*e.what()) std::fprintf(stderr, "dtrace: %s\n", e.what());
        std::fputs(dtrace::cli::usage().c_str(), stderr);
        return 2;
    } catch (const dtrace::Error &e) {
        std::fprintf(stderr, "dtrace: %s\n", e.what());
    } catch (const std::exception &e) {
        std::fprintf(stderr, "dtrace: internal error: %s\n", e.what());
    }
    return 1;
}
