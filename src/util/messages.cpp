#include "util/messages.h"

#include <cstdio>

namespace dtrace {

namespace {

MessageSink gSink = nullptr;

} // namespace

void setMessageSink(MessageSink sink) {
    gSink = sink;
}

bool textMessages() {
    return gSink == nullptr;
}

void report(Severity severity, std::string_view text, const MessageDetail *detail) {
    // What went to stdout before the message stays before it.
    std::fflush(stdout);
    if (gSink) {
        gSink(severity, text, detail);
        return;
    }
    std::fprintf(stderr, "dtrace: %.*s%s", static_cast<int>(text.size()), text.data(),
                 text.ends_with('\n') ? "" : "\n");
}

} // namespace dtrace
