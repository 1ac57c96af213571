// Reads a BPF ring buffer (BPF_MAP_TYPE_RINGBUF) as its consumer: the
// records the programs committed, in order, and waits for more with epoll.
// Not libbpf's ring_buffer: that maps the data area twice (so a record
// that wraps reads in one piece), and the second mapping, populated at
// mmap, doubled the principal buffer's share of dtrace's resident memory.
// Here the data area is mapped once, and a record that wraps is copied.
#pragma once

#include "util/fd.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace dtrace::runtime {

class RingReader {
  public:
    using Handler = std::function<void(const uint8_t *data, size_t size)>;

    RingReader() = default;
    RingReader(const RingReader &) = delete;
    RingReader &operator=(const RingReader &) = delete;
    ~RingReader();

    // Maps the ring of map fd; false (errno set) when it cannot.
    bool open(int mapFd, Handler handler);
    bool isOpen() const { return data_ != nullptr; }
    // The ring's data bytes (0 before open).
    uint64_t size() const { return data_ ? mask_ + 1 : 0; }
    // Waits up to timeoutMs for a wake-up (the ring's, or another fd's
    // added with watch), then reads what is there.
    void poll(int timeoutMs);
    // Reads every committed record now.
    void consume();
    // Another fd whose readiness ends poll()'s wait.
    bool watch(int fd);

  private:
    Handler handler_;
    Fd epoll_;
    void *consumerPage_ = nullptr; // consumer_pos (read-write)
    void *producerMap_ = nullptr;  // producer_pos page, then the data once
    size_t producerMapSize_ = 0;
    const uint8_t *data_ = nullptr;
    uint64_t mask_ = 0;
    std::vector<uint8_t> wrapped_; // a record that wraps, in one piece
};

} // namespace dtrace::runtime
