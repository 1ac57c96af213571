// The ip provider: IPv4 and IPv6 packets sent (as they are queued to a
// device: net_dev_queue) and received (as a device hands them to the
// stack: netif_receive_skb), with pktinfo_t, csinfo_t, ipinfo_t, ifinfo_t,
// ipv4info_t and ipv6info_t (ip.d). Built on the kernel's tracepoints, so
// it works where function tracing is not allowed.
#include "providers/hook_provider.h"
#include "providers/registry.h"

namespace dtrace::providers {

namespace {

class IpProvider final : public HookProvider {
  public:
    std::string_view name() const override { return "ip"; }

  protected:
    bool checksHooks() const override { return true; }

    std::vector<Probe> probes() const override {
        const std::string skb = "((struct sk_buff *)arg0)";
        auto packet = [&](const char *probe, const char *hook, const std::string &header) {
            std::string isIp =
                skb + "->protocol == htons(ETH_P_IP) || " + skb + "->protocol == htons(ETH_P_IPV6)";
            return mapped(
                probe, rawTracepoint(hook), isIp,
                {{"pktinfo_t *", "xlate <pktinfo_t *> (" + skb + ")"},
                 {"csinfo_t *", "xlate <csinfo_t *> (" + skb + "->sk)"},
                 {"ipinfo_t *", "xlate <ipinfo_t *> (" + header + ")"},
                 {"ifinfo_t *", "xlate <ifinfo_t *> (" + skb + "->dev)"},
                 {"ipv4info_t *", "xlate <ipv4info_t *> (ip_version[" + header +
                                      "] == 4 ? (struct iphdr *)" + header + " : NULL)"},
                 {"ipv6info_t *", "xlate <ipv6info_t *> (ip_version[" + header +
                                      "] == 6 ? (struct ipv6hdr *)" + header + " : NULL)"}});
        };
        return {packet("send", "net_dev_queue", "ip_header[" + skb + "]"),
                packet("receive", "netif_receive_skb", "ip_header_received[" + skb + "]")};
    }
};

} // namespace

std::unique_ptr<Provider> makeIpProvider() {
    return std::make_unique<IpProvider>();
}

} // namespace dtrace::providers
