#include "runtime/metrics_server.h"

#include "output/prometheus.h"
#include "util/error.h"
#include "util/listen_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace dtrace::runtime {

namespace {

constexpr size_t kMaxRequest = 16 * 1024;
constexpr size_t kMaxConnections = 32;
// A client that has not sent its request (or taken the answer) by then
// is dropped: a stuck scraper must not hold descriptors for ever.
constexpr auto kConnectionTimeout = std::chrono::seconds(10);

std::string response(std::string_view status, std::string_view type, const std::string &body,
                     bool withBody) {
    std::string out = "HTTP/1.1 " + std::string(status) + "\r\nContent-Type: " + std::string(type) +
                      "\r\nContent-Length: " + std::to_string(body.size()) +
                      "\r\nConnection: close\r\n";
    if (status.starts_with("405")) out += "Allow: GET, HEAD\r\n";
    out += "\r\n";
    if (withBody) out += body;
    return out;
}

void watch(int epoll, int fd, uint32_t events, bool add) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    epoll_ctl(epoll, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
}

} // namespace

std::optional<std::string> httpResponse(std::string_view request,
                                        const std::function<std::string()> &render) {
    size_t end = request.find("\r\n\r\n");
    if (end == std::string_view::npos) end = request.find("\n\n");
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view line = request.substr(0, request.find_first_of("\r\n"));
    size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
    constexpr std::string_view text = "text/plain; charset=utf-8";
    if (sp1 == std::string_view::npos || sp2 == sp1 || !line.substr(sp2 + 1).starts_with("HTTP/"))
        return response("400 Bad Request", text, "bad request\n", true);
    std::string_view method = line.substr(0, sp1);
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    target = target.substr(0, target.find('?'));
    bool head = method == "HEAD";
    if (method != "GET" && !head)
        return response("405 Method Not Allowed", text, "only GET and HEAD\n", true);
    if (target != "/metrics")
        return response("404 Not Found", text, "not found: dtrace serves /metrics\n", !head);
    return response("200 OK", output::prometheus::kContentType, render(), !head);
}

MetricsServer::MetricsServer(std::string_view address) {
    std::string why;
    std::optional<ListenAddress> a = parseListenAddress(address, &why);
    if (!a) throw Error("failed to set -x metrics: " + why);
    host_ = a->host;
    const std::string fail = "cannot serve metrics on " + std::string(address) + ": ";
    listen_ =
        Fd(socket(a->ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!listen_.valid()) throw Error(fail + std::strerror(errno));
    int one = 1;
    // A port in TIME_WAIT from an earlier run may be taken again; one
    // another process listens on may not.
    setsockopt(listen_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (a->ipv6) {
        auto *sin6 = reinterpret_cast<sockaddr_in6 *>(&ss);
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(a->port);
        inet_pton(AF_INET6, a->host.c_str(), &sin6->sin6_addr);
        len = sizeof *sin6;
    } else {
        auto *sin = reinterpret_cast<sockaddr_in *>(&ss);
        sin->sin_family = AF_INET;
        sin->sin_port = htons(a->port);
        inet_pton(AF_INET, a->host.c_str(), &sin->sin_addr);
        len = sizeof *sin;
    }
    if (bind(listen_.get(), reinterpret_cast<sockaddr *>(&ss), len) != 0 ||
        ::listen(listen_.get(), 16) != 0)
        throw Error(fail + std::strerror(errno));
    len = sizeof ss;
    if (getsockname(listen_.get(), reinterpret_cast<sockaddr *>(&ss), &len) == 0)
        port_ = ntohs(a->ipv6 ? reinterpret_cast<sockaddr_in6 *>(&ss)->sin6_port
                              : reinterpret_cast<sockaddr_in *>(&ss)->sin_port);
    epoll_ = Fd(epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_.valid()) throw Error(fail + std::strerror(errno));
    watch(epoll_.get(), listen_.get(), EPOLLIN, true);
}

std::string MetricsServer::url() const {
    bool v6 = host_.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_) + "/metrics";
}

void MetricsServer::serve(const std::function<std::string()> &render) {
    epoll_event events[16];
    int n;
    while ((n = epoll_wait(epoll_.get(), events, 16, 0)) > 0) {
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == listen_.get()) {
                accept();
                continue;
            }
            auto it = connections_.find(fd);
            if (it == connections_.end()) continue;
            Connection &c = it->second;
            bool keep = c.answered ? write(c) : read(c, render);
            if (!keep) connections_.erase(it);
        }
        if (n < 16) break;
    }
    expire();
}

void MetricsServer::accept() {
    for (;;) {
        Fd fd(accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd.valid()) return; // EAGAIN, or a connection gone before we took it
        if (connections_.size() >= kMaxConnections) continue; // closed at once
        watch(epoll_.get(), fd.get(), EPOLLIN, true);
        int key = fd.get();
        Connection c;
        c.fd = std::move(fd);
        c.since = std::chrono::steady_clock::now();
        connections_.emplace(key, std::move(c));
    }
}

bool MetricsServer::read(Connection &c, const std::function<std::string()> &render) {
    char buf[4096];
    for (;;) {
        ssize_t got = recv(c.fd.get(), buf, sizeof buf, 0);
        if (got > 0) {
            c.in.append(buf, static_cast<size_t>(got));
            if (c.in.size() > kMaxRequest) return false;
            continue;
        }
        if (got == 0) break; // the client is done sending
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        return false;
    }
    std::optional<std::string> answer = httpResponse(c.in, render);
    if (!answer) return true; // more of the request to come
    c.out = std::move(*answer);
    c.answered = true;
    watch(epoll_.get(), c.fd.get(), EPOLLOUT, false);
    return write(c);
}

bool MetricsServer::write(Connection &c) {
    while (c.sent < c.out.size()) {
        ssize_t n = send(c.fd.get(), c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        if (n > 0) {
            c.sent += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK); // wait for EPOLLOUT
    }
    shutdown(c.fd.get(), SHUT_WR);
    return false;
}

void MetricsServer::expire() {
    auto now = std::chrono::steady_clock::now();
    std::erase_if(connections_,
                  [&](const auto &kv) { return now - kv.second.since > kConnectionTimeout; });
}

} // namespace dtrace::runtime
