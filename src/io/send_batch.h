// io::SendBatch: the output of many sockets sent with one system call, through an io_uring that
// belongs to the calling thread (`--io uring`).
//
// A loop turn that ends with replies for several connections would make one send() each; a batch
// queues them and hands them to the kernel with one io_uring_enter. Every send is non-blocking
// (MSG_DONTWAIT: the kernel completes it at once with what the socket took, or -EAGAIN) and has
// completed when Submit() returns, so no request outlives the call. Nothing is left in a ring
// when a shard moves to another thread (thread packing), a connection closes, or another shard
// writes to the same socket: readiness, receives and everything else stay on epoll. See
// docs/design/threading.md, "Sockets: epoll, and what io_uring changes".
//
// Threads: a batch is the calling thread's and is used by that thread only.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct io_uring;

namespace strata::io {

enum class IoMode { kEpoll, kUring };

// Process-wide, before the loops start: which interface the loops use for sends. Asking for
// kUring sets up a ring to see whether this process may use io_uring (a seccomp filter, an old
// kernel or kernel.io_uring_disabled may refuse it); if not, the mode stays kEpoll, *why says
// what refused it, and false is returned.
bool SetIoMode(IoMode want, std::string* why);
IoMode CurrentIoMode();
const char* IoModeName(IoMode m);

// What the batches did, for INFO: summed over threads.
struct SendBatchStats {
  std::atomic<uint64_t> submits{0};  // io_uring_enter calls that sent a batch
  std::atomic<uint64_t> sends{0};    // sends they carried
};
const SendBatchStats& BatchStats();

class SendBatch {
 public:
  // The calling thread's batch, set up on first use; nullptr in epoll mode, or when this
  // thread's ring could not be set up (then the caller sends on its own).
  static SendBatch* ForThisThread();

  ~SendBatch();
  SendBatch(const SendBatch&) = delete;
  SendBatch& operator=(const SendBatch&) = delete;

  // Queues a send of data[0..len) on fd (len > 0); returns its index in this batch. The bytes
  // must stay where they are until Submit() returns.
  size_t Add(int fd, const char* data, size_t len);
  // Sends everything queued (one io_uring_enter per ring's worth). Then Result(i) is what a
  // send() with MSG_DONTWAIT would have returned, as bytes sent or -errno.
  void Submit();
  ssize_t Result(size_t i) const { return ops_[i].res; }
  // Forgets what was queued and its results.
  void Clear() { ops_.clear(); }

 private:
  SendBatch() = default;
  bool Init(std::string* why);
  void SubmitChunk(size_t first, size_t end);  // ops_[first..end) through the ring

  struct Op {
    int fd;
    const char* data;
    size_t len;
    ssize_t res;
  };
  std::unique_ptr<io_uring> ring_;
  unsigned entries_ = 0;
  std::vector<Op> ops_;
};

}  // namespace strata::io
