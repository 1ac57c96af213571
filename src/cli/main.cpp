#include "cli/command_line.h"
#include "cli/dtrace.h"
#include "util/error.h"
#include "util/messages.h"

#include <cstdio>
#include <exception>
#include <string>

int main(int argc, char **argv) {
    using dtrace::Severity;
    // The one place failures end up: nothing reaches std::terminate.
    try {
        return dtrace::cli::run(argc, argv);
    } catch (const dtrace::UsageError &e) {
        if (*e.what()) dtrace::report(Severity::Error, e.what());
        // (the usage is for people: not among JSON lines)
        if (dtrace::textMessages()) std::fputs(dtrace::cli::usage().c_str(), stderr);
        return 2;
    } catch (const dtrace::CompileFailure &e) {
        dtrace::MessageDetail d{e.tag(), e.source(), e.summary(), e.line(), e.column()};
        // As text: the source line and a caret under the column follow.
        dtrace::report(Severity::Error,
                       dtrace::textMessages() ? e.what() + e.context() : std::string(e.what()),
                       &d);
    } catch (const dtrace::Error &e) {
        dtrace::report(Severity::Error, e.what());
    } catch (const std::exception &e) {
        dtrace::report(Severity::Error, std::string("internal error: ") + e.what());
    }
    return 1;
}
