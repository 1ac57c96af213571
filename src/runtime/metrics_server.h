// -x metrics=ADDR:PORT: a small HTTP server for Prometheus's scrapes,
// run from the consumer's own loop (no thread): its sockets sit behind
// one epoll descriptor that wakes the consumer's poll, and serve() does
// what is ready without blocking. GET /metrics answers with what the
// caller renders then; anything else is a 404 (405 for other methods).
// One request a connection (HTTP/1.0 and 1.1, Connection: close).
#pragma once

#include "util/fd.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace dtrace::runtime {

class MetricsServer {
  public:
    // address: ADDR:PORT (util/listen_address.h). Binds and listens;
    // throws Error (a bad address, one in use, not ours ...).
    explicit MetricsServer(std::string_view address);
    MetricsServer(const MetricsServer &) = delete;
    MetricsServer &operator=(const MetricsServer &) = delete;

    uint16_t port() const { return port_; }
    // "http://127.0.0.1:9464/metrics"
    std::string url() const;
    // Readable when a connection or a request is waiting.
    int waitFd() const { return epoll_.get(); }
    // Accepts, reads and answers what is ready; render makes /metrics'
    // body (called only for a complete GET /metrics).
    void serve(const std::function<std::string()> &render);

  private:
    struct Connection {
        Fd fd;
        std::string in, out;
        size_t sent = 0;
        bool answered = false;
        std::chrono::steady_clock::time_point since;
    };
    void accept();
    // false: done with the connection (answered and sent, or gone).
    bool read(Connection &c, const std::function<std::string()> &render);
    bool write(Connection &c);
    void expire();

    Fd listen_, epoll_;
    std::string host_;
    uint16_t port_ = 0;
    std::map<int, Connection> connections_;
};

// The response to one request (its bytes as received), complete or not:
// nullopt while the request's head has not all arrived.
std::optional<std::string> httpResponse(std::string_view request,
                                        const std::function<std::string()> &render);

} // namespace dtrace::runtime
