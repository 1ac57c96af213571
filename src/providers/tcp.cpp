// The tcp provider, on the kernel's tracepoints: segments sent (queued to
// a device) and received (tcp_probe: segments of established
// connections), connections changing state (inet_sock_set_state), and
// from those changes the connect and accept probes; connection requests
// refused with a reset (tcp_send_reset). Arguments: pktinfo_t, csinfo_t,
// ipinfo_t, tcpsinfo_t, tcpinfo_t, and for state-change tcplsinfo_t
// (tcp.d).
#include "providers/hook_provider.h"
#include "providers/kernel_functions.h"
#include "providers/kprobes.h"
#include "providers/registry.h"
#include "providers/tracepoints.h"

#include <algorithm>

namespace dtrace::providers {

namespace {

// Where resets are sent: tcp_send_reset(sk, skb). Older kernels (6.1) fire
// it only for resets sent for a socket (its record then the shared
// tcp_event_sk_skb one, with a sport field): a SYN to a closed port goes
// unseen. There the functions that answer a segment with a reset,
// tcp_v4_send_reset(sk, skb) and tcp_v6_send_reset(sk, skb), through kprobes.
Hook resetHook() {
    Hook tracepoint{HookKind::RawTracepoint, "tcp_send_reset", {}, {}};
    auto format = readTracepointFormat("tcp", "tcp_send_reset");
    bool socketsOnly = format && std::ranges::any_of(format->fields, [](const TracepointField &f) {
                           return f.name == "sport";
                       });
    if (!socketsOnly || kprobesUnavailable()) return tracepoint;
    auto v4 = traceableSymbol("tcp_v4_send_reset");
    if (!v4) return tracepoint;
    Hook h{HookKind::KernelFunction, *v4, {}, {}};
    if (auto v6 = traceableSymbol("tcp_v6_send_reset")) h.alsoNames.push_back(*v6);
    return h;
}

class TcpProvider final : public HookProvider {
  public:
    std::string_view name() const override { return "tcp"; }

  protected:
    bool checksHooks() const override { return true; }

    std::vector<Probe> probes() const override {
        std::vector<Probe> out;
        // Segments: the packet at argument `s`, its socket at `sk`.
        auto segment = [&](const char *probe, Hook hook, const std::string &s,
                           const std::string &sk, std::string filter, bool refused) {
            std::string ip = "ip_header[" + s + "]";
            std::string tcps = refused ? "(struct __dtrace_packet_in *)" + s : sk;
            if (!filter.empty()) filter += " && ";
            filter += "ip_next_protocol[" + ip + "] == IPPROTO_TCP";
            out.push_back(mapped(probe, std::move(hook), filter,
                                 {{"pktinfo_t *", "xlate <pktinfo_t *> (" + s + ")"},
                                  {"csinfo_t *", "xlate <csinfo_t *> (" + sk + ")"},
                                  {"ipinfo_t *", "xlate <ipinfo_t *> (" + ip + ")"},
                                  {"tcpsinfo_t *", "xlate <tcpsinfo_t *> (" + tcps + ")"},
                                  {"tcpinfo_t *", "xlate <tcpinfo_t *> (tcp_header[" + s + "])"}}));
        };
        const std::string queued = "((struct sk_buff *)arg0)";
        segment("send", rawTracepoint("net_dev_queue"), queued, queued + "->sk",
                "(" + queued + "->protocol == htons(ETH_P_IP) || " + queued +
                    "->protocol == htons(ETH_P_IPV6))",
                false);
        segment("receive", rawTracepoint("tcp_probe"), "((struct sk_buff *)arg1)",
                "((struct sock *)arg0)", "", false);
        // A connection request: the SYN (without ACK) as it is sent, when
        // its ports are known (the state change to SYN_SENT comes before
        // the local port is chosen).
        segment("connect-request", rawTracepoint("net_dev_queue"), queued, queued + "->sk",
                "(" + queued + "->protocol == htons(ETH_P_IP) || " + queued +
                    "->protocol == htons(ETH_P_IPV6)) && (*((uint8_t *)tcp_header[" + queued +
                    "] + 13) & (TH_SYN | TH_ACK)) == TH_SYN",
                false);
        // A SYN (without ACK) answered with a reset, by no socket or a
        // listening one.
        const std::string reset = "((struct sk_buff *)arg1)";
        segment(
            "accept-refused", resetHook(), reset, "((struct sock *)arg0)",
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
