// The dtrace(8) command: options, compilation of every -s/-n/-P program,
// listing, and the tracing session.
#pragma once

namespace dtrace::cli {

int run(int argc, char **argv);

// -x oformat=json: dtrace's own messages as JSON lines on stderr.
void useJsonMessages(bool json);

} // namespace dtrace::cli
