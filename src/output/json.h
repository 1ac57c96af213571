// -x oformat=json: each record, aggregation, error and drop as one JSON
// object a line. The pieces: escaped strings and decoded values.
#pragma once

#include "output/printf_format.h"
#include "output/records.h"

#include <string>
#include <string_view>

namespace dtrace::output {

// A JSON string literal, quotes included.
std::string jsonString(std::string_view s);

// A recorded value: integers as numbers, strings as strings, stacks as
// arrays of frame names, other bytes as a hex string.
std::string jsonValue(const DecodedValue &v, const SymbolResolver *syms);

} // namespace dtrace::output
