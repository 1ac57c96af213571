#include "runtime/ring_reader.h"

#include <bpf/bpf.h>
#include <cerrno>
#include <cstring>
#include <linux/bpf.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

namespace dtrace::runtime {

namespace {

// A record's header: its length (with the busy and discard bits) and the
// kernel's page offset, 8 bytes before its data.
constexpr uint32_t kHeaderSize = BPF_RINGBUF_HDR_SZ;

uint64_t loadAcquire(const void *p) {
    return __atomic_load_n(static_cast<const uint64_t *>(p), __ATOMIC_ACQUIRE);
}

} // namespace

RingReader::~RingReader() {
    if (producerMap_) munmap(producerMap_, producerMapSize_);
    if (consumerPage_) munmap(consumerPage_, static_cast<size_t>(getpagesize()));
}

bool RingReader::open(int mapFd, Handler handler) {
    bpf_map_info info{};
    uint32_t infoLen = sizeof(info);
    if (bpf_obj_get_info_by_fd(mapFd, &info, &infoLen) != 0) return false;
    if (info.type != BPF_MAP_TYPE_RINGBUF || info.max_entries == 0 ||
        (info.max_entries & (info.max_entries - 1)) != 0) {
        errno = EINVAL;
        return false;
    }
    const size_t page = static_cast<size_t>(getpagesize());
    void *c = mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_SHARED, mapFd, 0);
    if (c == MAP_FAILED) return false;
    consumerPage_ = c;
    // The producer's page and the data area, once.
    producerMapSize_ = page + info.max_entries;
    void *p = mmap(nullptr, producerMapSize_, PROT_READ, MAP_SHARED, mapFd,
                   static_cast<off_t>(page));
    if (p == MAP_FAILED) return false;
    producerMap_ = p;
    data_ = static_cast<const uint8_t *>(p) + page;
    mask_ = info.max_entries - 1;
    epoll_ = Fd(epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_.valid()) return false;
    epoll_event ev{};
    ev.events = EPOLLIN;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, mapFd, &ev) != 0) return false;
    handler_ = std::move(handler);
    return true;
}

bool RingReader::watch(int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    return epoll_.valid() && epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) == 0;
}

void RingReader::poll(int timeoutMs) {
    if (!isOpen()) return;
    epoll_event events[4];
    epoll_wait(epoll_.get(), events, 4, timeoutMs);
    consume();
}

void RingReader::consume() {
    if (!isOpen()) return;
    auto *consumerPos = static_cast<uint64_t *>(consumerPage_);
    const void *producerPos = producerMap_;
    uint64_t cons = loadAcquire(consumerPos);
    const uint64_t size = mask_ + 1;
    for (;;) {
        uint64_t prod = loadAcquire(producerPos);
        if (cons >= prod) break;
        while (cons < prod) {
            const uint8_t *header = data_ + (cons & mask_);
            uint32_t len = __atomic_load_n(reinterpret_cast<const uint32_t *>(header),
                                           __ATOMIC_ACQUIRE);
            if (len & BPF_RINGBUF_BUSY_BIT) {
                // Reserved, not yet committed: read it next time.
                __atomic_store_n(consumerPos, cons, __ATOMIC_RELEASE);
                return;
            }
            const bool discarded = len & BPF_RINGBUF_DISCARD_BIT;
            len &= ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
            if (!discarded) {
                // Headers are 8-byte aligned and never wrap; data may.
                uint64_t at = (cons + kHeaderSize) & mask_;
                if (at + len <= size) {
                    handler_(data_ + at, len);
                } else {
                    size_t first = static_cast<size_t>(size - at);
                    wrapped_.resize(len);
                    std::memcpy(wrapped_.data(), data_ + at, first);
                    std::memcpy(wrapped_.data() + first, data_, len - first);
                    handler_(wrapped_.data(), len);
                }
            }
            cons += (static_cast<uint64_t>(len) + kHeaderSize + 7) & ~uint64_t{7};
            __atomic_store_n(consumerPos, cons, __ATOMIC_RELEASE);
        }
    }
}

} // namespace dtrace::runtime
