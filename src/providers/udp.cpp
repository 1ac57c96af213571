// The udp provider: UDP datagrams sent (as they are queued to a device)
// and received (as a device hands them to the stack), with pktinfo_t,
// csinfo_t, ipinfo_t, udpsinfo_t and udpinfo_t (udp.d), on the kernel's
// tracepoints.
#include "providers/hook_provider.h"
#include "providers/registry.h"

namespace dtrace::providers {

namespace {

class UdpProvider final : public HookProvider {
  public:
    std::string_view name() const override { return "udp"; }

  protected:
    bool checksHooks() const override { return true; }

    std::vector<Probe> probes() const override {
        const std::string skb = "((struct sk_buff *)arg0)";
        auto datagram = [&](const char *probe, const char *hook, bool out) {
            std::string ip = out ? "ip_header[" + skb + "]" : "ip_header_received[" + skb + "]";
            std::string udp = out ? "udp_header[" + skb + "]" : "udp_header_received[" + skb + "]";
            std::string isUdp = "(" + skb + "->protocol == htons(ETH_P_IP) || " + skb +
                                "->protocol == htons(ETH_P_IPV6)) && ip_next_protocol[" + ip +
                                "] == IPPROTO_UDP";
            std::string way =
                out ? "(struct __dtrace_packet_out *)" : "(struct __dtrace_packet_in *)";
            return mapped(probe, rawTracepoint(hook), isUdp,
                          {{"pktinfo_t *", "xlate <pktinfo_t *> (" + skb + ")"},
                           {"csinfo_t *", "xlate <csinfo_t *> (" + skb + "->sk)"},
                           {"ipinfo_t *", "xlate <ipinfo_t *> (" + ip + ")"},
                           {"udpsinfo_t *", "xlate <udpsinfo_t *> (" + way + skb + ")"},
                           {"udpinfo_t *", "xlate <udpinfo_t *> (" + udp + ")"}});
        };
        return {datagram("send", "net_dev_queue", true),
                datagram("receive", "netif_receive_skb", false)};
    }
};

} // namespace

std::unique_ptr<Provider> makeUdpProvider() {
    return std::make_unique<UdpProvider>();
}

} // namespace dtrace::providers
