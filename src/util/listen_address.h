// An address to listen on, as -x metrics takes it: "ADDR:PORT" with ADDR
// an IPv4 address or a bracketed IPv6 one ("[::1]:9464"); PORT 0 asks the
// kernel for a free port.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dtrace {

struct ListenAddress {
    std::string host; // the address, brackets taken off
    bool ipv6 = false;
    uint16_t port = 0;
};

// The address, or why text is not one.
std::optional<ListenAddress> parseListenAddress(std::string_view text, std::string *why = nullptr);

} // namespace dtrace
