// -x oformat=json: each record, aggregation, error and drop as one JSON
// object a line. The pieces: escaped strings and decoded values.
#pragma once

#include "output/printf_format.h"
#include "output/records.h"
#include "util/messages.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace dtrace::output {

// The version of the JSON lines' schema (docs/json-output.md): fields may
// be added under one version; one removed, renamed or changed in meaning
// makes the next.
constexpr int kJsonSchema = 1;

// Nanoseconds since the epoch, now (CLOCK_REALTIME).
int64_t wallClockNs();
// RFC 3339 in UTC with nanoseconds: "2024-05-01T12:34:56.123456789Z".
std::string rfc3339(int64_t nsSinceEpoch);

// The start of every JSON line, its closing brace left to the caller:
// {"schema":1,"timestamp":"...","type":"TYPE"
std::string jsonHead(std::string_view type, int64_t nsSinceEpoch = wallClockNs());

// dtrace's own message as a JSON line ("type":"message"; no newline).
std::string jsonMessage(Severity severity, std::string_view text, const MessageDetail *detail);

// A JSON string literal, quotes included.
std::string jsonString(std::string_view s);

// A recorded value: integers as numbers, strings as strings, stacks as
// arrays of frame names, other bytes as a hex string.
std::string jsonValue(const DecodedValue &v, const SymbolResolver *syms);

} // namespace dtrace::output
