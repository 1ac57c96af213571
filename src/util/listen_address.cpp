#include "util/listen_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

namespace dtrace {

std::optional<ListenAddress> parseListenAddress(std::string_view text, std::string *why) {
    auto fail = [&](std::string reason) -> std::optional<ListenAddress> {
        if (why) *why = std::move(reason);
        return std::nullopt;
    };
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos)
        return fail("expected ADDR:PORT (such as 127.0.0.1:9464), not \"" + std::string(text) +
                    "\"");
    ListenAddress a;
    std::string_view host = text.substr(0, colon), port = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
        a.ipv6 = true;
    }
    a.host = std::string(host);
    unsigned char buf[sizeof(in6_addr)];
    if (a.host.empty() || inet_pton(a.ipv6 ? AF_INET6 : AF_INET, a.host.c_str(), buf) != 1)
        return fail("\"" + std::string(host) +
                    "\" is not an IPv4 address or a bracketed IPv6 "
                    "address (such as 127.0.0.1 or [::1])");
    unsigned long value = 0;
    if (port.empty() || port.size() > 5) return fail("invalid port \"" + std::string(port) + "\"");
    for (char c : port) {
        if (c < '0' || c > '9') return fail("invalid port \"" + std::string(port) + "\"");
        value = value * 10 + static_cast<unsigned long>(c - '0');
    }
    if (value > 65535) return fail("invalid port \"" + std::string(port) + "\" (0 to 65535)");
    a.port = static_cast<uint16_t>(value);
    return a;
}

} // namespace dtrace
