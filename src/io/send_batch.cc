#include "io/send_batch.h"

#include <liburing.h>
#include <sys/socket.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "base/log.h"

namespace strata::io {

namespace {

constexpr unsigned kRingEntries = 256;
constexpr ssize_t kNotDone = LLONG_MIN;

std::atomic<IoMode> g_mode{IoMode::kEpoll};
SendBatchStats g_stats;

void Bump(std::atomic<uint64_t>& c, uint64_t by) { c.fetch_add(by, std::memory_order_relaxed); }

// Sets up a ring for sends only: completions are reaped by the thread that submits.
int SetUp(io_uring* ring, unsigned entries) {
  io_uring_params p{};
  p.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER;
  int r = io_uring_queue_init_params(entries, ring, &p);
  if (r == -EINVAL) {  // a kernel before 6.0 knows neither flag
    p = io_uring_params{};
    r = io_uring_queue_init_params(entries, ring, &p);
  }
  return r;
}

}  // namespace

const char* IoModeName(IoMode m) { return m == IoMode::kUring ? "uring" : "epoll"; }

IoMode CurrentIoMode() { return g_mode.load(std::memory_order_relaxed); }

const SendBatchStats& BatchStats() { return g_stats; }

bool SetIoMode(IoMode want, std::string* why) {
  if (want == IoMode::kEpoll) {
    g_mode.store(IoMode::kEpoll);
    return true;
  }
  io_uring ring;
  int r = SetUp(&ring, 8);
  if (r < 0) {
    *why = std::string("io_uring_setup: ") + strerror(-r);
    g_mode.store(IoMode::kEpoll);
    return false;
  }
  io_uring_queue_exit(&ring);
  g_mode.store(IoMode::kUring);
  return true;
}

SendBatch* SendBatch::ForThisThread() {
  if (CurrentIoMode() != IoMode::kUring) return nullptr;
  thread_local std::unique_ptr<SendBatch> batch;
  thread_local bool failed = false;
  if (batch) return batch->ring_ ? batch.get() : nullptr;
  if (failed) return nullptr;
  std::unique_ptr<SendBatch> b(new SendBatch());
  std::string why;
  if (!b->Init(&why)) {
    LOG_WARNING("this thread sends without io_uring: %s", why.c_str());
    failed = true;
    return nullptr;
  }
  batch = std::move(b);
  return batch.get();
}

bool SendBatch::Init(std::string* why) {
  ring_ = std::make_unique<io_uring>();
  int r = SetUp(ring_.get(), kRingEntries);
  if (r < 0) {
    ring_.reset();
    *why = std::string("io_uring_queue_init: ") + strerror(-r);
    return false;
  }
  entries_ = ring_->sq.ring_entries;
  ops_.reserve(entries_);
  return true;
}

SendBatch::~SendBatch() {
  if (ring_) io_uring_queue_exit(ring_.get());
}

size_t SendBatch::Add(int fd, const char* data, size_t len) {
  ops_.push_back(Op{fd, data, len, kNotDone});
  return ops_.size() - 1;
}

void SendBatch::Submit() {
  size_t n = ops_.size();
  for (size_t first = 0; first < n; first += entries_) {
    size_t end = first + entries_ < n ? first + entries_ : n;
    if (ring_) SubmitChunk(first, end);
    // Whatever the ring did not send (it failed, or is gone) is sent the plain way.
    for (size_t i = first; i < end; i++) {
      if (ops_[i].res != kNotDone) continue;
      ssize_t s = ::send(ops_[i].fd, ops_[i].data, ops_[i].len, MSG_NOSIGNAL | MSG_DONTWAIT);
      ops_[i].res = s < 0 ? -errno : s;
    }
  }
}

void SendBatch::SubmitChunk(size_t first, size_t end) {
  io_uring* ring = ring_.get();
  unsigned want = 0;
  for (size_t i = first; i < end; i++) {
    io_uring_sqe* sqe = io_uring_get_sqe(ring);
    if (sqe == nullptr) break;  // the ring is empty before each chunk: not expected
    io_uring_prep_send(sqe, ops_[i].fd, ops_[i].data, ops_[i].len, MSG_NOSIGNAL | MSG_DONTWAIT);
    io_uring_sqe_set_data64(sqe, uint64_t(i));
    want++;
  }
  // MSG_DONTWAIT makes each send complete inside the call (REQ_F_NOWAIT): with the socket full it
  // ends with -EAGAIN instead of waiting for room, so this never waits for a peer.
  int r;
  do {
    r = io_uring_submit_and_wait(ring, want);
  } while (r == -EINTR);
  unsigned reaped = 0;
  while (r > 0 && reaped < unsigned(r)) {
    io_uring_cqe* cqe = nullptr;
    int w = io_uring_wait_cqe(ring, &cqe);
    if (w == -EINTR) continue;
    if (w < 0) break;
    uint64_t i = io_uring_cqe_get_data64(cqe);
    if (i >= first && i < end) ops_[i].res = cqe->res;
    io_uring_cqe_seen(ring, cqe);
    reaped++;
  }
  if (r > 0) {
    Bump(g_stats.submits, 1);
    Bump(g_stats.sends, uint64_t(r));
  }
  if (r != int(want) || reaped != want) {
    // Requests the kernel did not take would go out with a later call, pointing at bytes that
    // have moved: the ring is closed with them, and this thread sends the plain way from now on.
    LOG_WARNING("io_uring send batch failed (%s): this thread sends without it",
                r < 0 ? strerror(-r) : "short submit");
    io_uring_queue_exit(ring);
    ring_.reset();
  }
}

}  // namespace strata::io
