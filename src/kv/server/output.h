// Sending a connection's output buffer: the part RESP and memcached connections share.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace strata::io {
class Reactor;
class SendBatch;
}  // namespace strata::io

namespace strata::kv {

class OutputHold;

enum class SendResult {
  kAllSent,  // the buffer is empty again (a large one was given back)
  kPending,  // the socket is full, or the rest is held: (*out)[*sent..] is still to go
  kError,    // the peer is gone
};

// Sends (*out)[*sent..] on a non-blocking socket and counts the bytes in this shard's totals.
// While output stays pending, the sent prefix is dropped once it passes 1 MiB. With `hold`
// (kv/server/reply_hold.h), only the part it allows is sent, and it is told what is dropped.
SendResult SendOutput(int fd, std::string* out, size_t* sent, OutputHold* hold = nullptr);

// The same in two halves, for the end-of-turn step that sends many connections' output with one
// system call (io/send_batch.h). QueueOutput queues what SendOutput would send and returns its
// index in the batch, or -1 when nothing may go; FinishOutput takes the batch's result for it
// (and sends on its own what the socket still takes after a short send).
long QueueOutput(io::SendBatch& batch, int fd, const std::string& out, size_t sent,
                 const OutputHold* hold);
SendResult FinishOutput(ssize_t result, int fd, std::string* out, size_t* sent, OutputHold* hold);

// Whether a connection of `owner` with `pending` bytes to send leaves them to the end-of-turn
// step's batch: under --io uring, on the owner's loop, and for output that is not large (a large
// one gains nothing from sharing a system call, and a client over its output limit must meet the
// limit while its input is still being read).
bool SendsBatched(size_t pending, const io::Reactor* owner);

// While one is alive on a thread, its replies are sent at once instead of waiting for the end of
// the turn: for a turn that does not end soon (a long script serving its clients meanwhile).
class UnbatchedSends {
 public:
  UnbatchedSends();
  ~UnbatchedSends();
  UnbatchedSends(const UnbatchedSends&) = delete;
  UnbatchedSends& operator=(const UnbatchedSends&) = delete;

 private:
  bool was_;
};

}  // namespace strata::kv
