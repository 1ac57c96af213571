// dtrace's own messages on stderr ("dtrace: ..."): errors, warnings and
// notes. Text by default; -x oformat=json installs a sink that writes
// each as a JSON line instead, so a machine reading dtrace's output reads
// its complaints the same way.
#pragma once

#include <string_view>

namespace dtrace {

enum class Severity { Error, Warning, Info };

// What a compile error knows besides its text (empty or 0: unknown).
struct MessageDetail {
    std::string_view tag;     // D_SYNTAX ...
    std::string_view source;  // the script's path or the description
    std::string_view summary; // the message without where it was
    int line = 0;
    int column = 0;
};

// text: DTrace's words without the "dtrace: " prefix (a trailing newline
// is kept as it is, as DTrace's blank line after some errors).
using MessageSink = void (*)(Severity severity, std::string_view text, const MessageDetail *detail);

// nullptr: back to text.
void setMessageSink(MessageSink sink);
// Whether messages are text (no sink installed).
bool textMessages();
void report(Severity severity, std::string_view text, const MessageDetail *detail = nullptr);

} // namespace dtrace
