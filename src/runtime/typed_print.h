// print(): an object shown with its type, member by member, as DTrace shows
// it: "(struct foo) {" and ".member = (type)value," lines, members that are
// zero left out, and "..." where the recorded bytes (printsize) run out.
#pragma once

#include "program/decode.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace dtrace::runtime {

// The value in `data` (perhaps cut short) of types[type], its first line
// indented by `indent` spaces and each level one more.
std::string formatTyped(const std::vector<program::TypeDesc> &types, uint32_t type,
                        std::span<const uint8_t> data, int indent);

} // namespace dtrace::runtime
