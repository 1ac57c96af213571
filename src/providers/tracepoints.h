// Kernel tracepoints as tracefs describes them: the events there are, and
// the layout of an event's record (its format file), which types the sdt
// provider's arguments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dtrace::providers {

// One field of a tracepoint's record, after the common ones.
struct TracepointField {
    std::string name;
    std::string type;    // as the format file spells it: "pid_t", "const char *"
    std::string argType; // the D type of the argument it becomes
    uint32_t offset = 0; // in the record
    uint32_t size = 0;   // bytes
    bool isSigned = false;
    bool array = false;   // "char comm[16]": the argument is its address
    bool dataLoc = false; // "__data_loc char[] name": offset and length in a u32
    bool relLoc = false;  // "__rel_loc": the same, relative to the field's end
};

struct TracepointFormat {
    uint32_t id = 0; // the perf event id
    std::vector<TracepointField> fields;
};

// The tracefs mount: /sys/kernel/tracing, else /sys/kernel/debug/tracing;
// empty when neither holds events. _DTRACE_TRACEFS names a directory to use
// instead (the tests' made-up tracefs).
const std::string &tracefsRoot();

// Every event, as (subsystem, event), from available_events.
std::vector<std::pair<std::string, std::string>> availableTracepoints();
// The events of one subsystem (its directory under events/).
std::vector<std::string> subsystemTracepoints(std::string_view subsystem);

// Reads events/SUBSYSTEM/EVENT/format.
std::optional<TracepointFormat> readTracepointFormat(std::string_view subsystem,
                                                     std::string_view event);

// Parses a format file's text (for tests and for readTracepointFormat).
TracepointFormat parseTracepointFormat(std::string_view text);

} // namespace dtrace::providers
