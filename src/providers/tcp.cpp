// The tcp provider, on the kernel's tracepoints: segments sent (queued to
// a device) and received (tcp_probe: segments of established
// connections), connections changing state (inet_sock_set_state), and
// from those changes the connect and accept probes; connection requests
// refused with a reset (tcp_send_reset). Arguments: pktinfo_t, csinfo_t,
// ipinfo_t, tcpsinfo_t, tcpinfo_t, and for state-change tcplsinfo_t
// (tcp.d).
#include "providers/hook_provider.h"
#include "providers/kernel_functions.h"
#include "providers/registry.h"

namespace dtrace::providers {

namespace {

class TcpProvider final : public HookProvider {
  public:
    std::string_view name() const override { return "tcp"; }

  protected:
    bool checksHooks() const override { return true; }

    std::vector<Probe> probes() const override {
        std::vector<Probe> out;
        // Segments: the packet at argument `s`, its socket at `sk`.
        auto segment = [&](const char *probe, const char *hook, const std::string &s,
                           const std::string &sk, std::string filter, bool refused) {
            std::string ip = "ip_header[" + s + "]";
            std::string tcps = refused ? "(struct __dtrace_packet_in *)" + s : sk;
            if (!filter.empty()) filter += " && ";
            filter += "ip_next_protocol[" + ip + "] == IPPROTO_TCP";
            out.push_back(mapped(probe, rawTracepoint(hook), filter,
                                 {{"pktinfo_t *", "xlate <pktinfo_t *> (" + s + ")"},
                                  {"csinfo_t *", "xlate <csinfo_t *> (" + sk + ")"},
                                  {"ipinfo_t *", "xlate <ipinfo_t *> (" + ip + ")"},
                                  {"tcpsinfo_t *", "xlate <tcpsinfo_t *> (" + tcps + ")"},
                                  {"tcpinfo_t *", "xlate <tcpinfo_t *> (tcp_header[" + s + "])"}}));
        };
        const std::string queued = "((struct sk_buff *)arg0)";
        segment("send", "net_dev_queue", queued, queued + "->sk",
                "(" + queued + "->protocol == htons(ETH_P_IP) || " + queued +
                    "->protocol == htons(ETH_P_IPV6))",
                false);
        segment("receive", "tcp_probe", "((struct sk_buff *)arg1)", "((struct sock *)arg0)", "",
                false);
        // A connection request: the SYN (without ACK) as it is sent, when
        // its ports are known (the state change to SYN_SENT comes before
        // the local port is chosen).
        segment("connect-request", "net_dev_queue", queued, queued + "->sk",
                "(" + queued + "->protocol == htons(ETH_P_IP) || " + queued +
                    "->protocol == htons(ETH_P_IPV6)) && (*((uint8_t *)tcp_header[" + queued +
                    "] + 13) & (TH_SYN | TH_ACK)) == TH_SYN",
                false);
        // A SYN (without ACK) answered with a reset, by no socket or a
        // listening one.
        const std::string reset = "((struct sk_buff *)arg1)";
        segment(
            "accept-refused", "tcp_send_reset", reset, "((struct sock *)arg0)",
            "(*((uint8_t *)tcp_header[" + reset +
                "] + 13) & (TH_SYN | TH_ACK)) == TH_SYN && "
                "(arg0 == 0 || ((struct sock *)arg0)->__sk_common.skc_state == TCP_STATE_LISTEN)",
            true);

        // State changes of TCP sockets: inet_sock_set_state(sk, old, new).
        auto change = [&](const char *probe, std::string transition, bool withOld) {
            std::string filter = "((struct sock *)arg0)->sk_protocol == IPPROTO_TCP";
            if (!transition.empty()) filter += " && " + transition;
            std::vector<Arg> args{
                {"pktinfo_t *", "xlate <pktinfo_t *> ((struct sk_buff *)NULL)"},
                {"csinfo_t *", "xlate <csinfo_t *> ((struct sock *)arg0)"},
                {"ipinfo_t *", "xlate <ipinfo_t *> ((struct __dtrace_tcp_segment *)arg0)"},
                {"tcpsinfo_t *", "xlate <tcpsinfo_t *> ((struct __dtrace_tcp_state_change *)arg0)"},
                {"tcpinfo_t *", "xlate <tcpinfo_t *> ((struct __dtrace_tcp_segment *)arg0)"}};
            if (withOld) args.push_back({"tcplsinfo_t *", "xlate <tcplsinfo_t *> ((int)arg1)"});
            out.push_back(mapped(probe, rawTracepoint("inet_sock_set_state"), filter, args));
        };
        change("state-change", "", true);
        change("connect-established", "arg1 == TCP_STATE_SYN_SENT && arg2 == TCP_STATE_ESTABLISHED",
               false);
        // A connection request answered with a reset: where the kernel has
        // tcp_receive_reset (6.10), when the reset arrives (the socket
        // still has its ports), else as the socket closes.
        if (rawTracepointExists("tcp_receive_reset")) {
            const std::string sk = "((struct sock *)arg0)";
            out.push_back(mapped(
                "connect-refused", rawTracepoint("tcp_receive_reset"),
                sk + "->sk_protocol == IPPROTO_TCP && " + sk +
                    "->__sk_common.skc_state == TCP_STATE_SYN_SENT",
                {{"pktinfo_t *", "xlate <pktinfo_t *> ((struct sk_buff *)NULL)"},
                 {"csinfo_t *", "xlate <csinfo_t *> (" + sk + ")"},
                 {"ipinfo_t *", "xlate <ipinfo_t *> ((struct __dtrace_tcp_reset_in *)arg0)"},
                 {"tcpsinfo_t *", "xlate <tcpsinfo_t *> (" + sk + ")"},
                 {"tcpinfo_t *", "xlate <tcpinfo_t *> ((struct __dtrace_tcp_reset_in *)arg0)"}}));
        } else {
            change("connect-refused", "arg1 == TCP_STATE_SYN_SENT && arg2 == TCP_STATE_CLOSED",
                   false);
        }
        change("accept-established",
               "arg1 == TCP_STATE_SYN_RECEIVED && arg2 == TCP_STATE_ESTABLISHED", false);
        return out;
    }
};

} // namespace

std::unique_ptr<Provider> makeTcpProvider() {
    return std::make_unique<TcpProvider>();
}

} // namespace dtrace::providers
