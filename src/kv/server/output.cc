#include "kv/server/output.h"

#include <cerrno>

#include "io/reactor.h"
#include "io/send_batch.h"
#include "io/socket.h"
#include "kv/server/command_stats.h"
#include "kv/server/reply_hold.h"

namespace strata::kv {

namespace {

// After *sent moved from `before`: counts the bytes, and drops what is sent from the buffer.
SendResult Settle(bool ok, size_t before, std::string* out, size_t* sent, OutputHold* hold) {
  LocalTotals().net_output_bytes += uint64_t(*sent - before);
  if (!ok) return SendResult::kError;
  if (*sent == out->size()) {
    if (hold) hold->Dropped(out->size());
    out->clear();
    *sent = 0;
    if (out->capacity() > 1024 * 1024) out->shrink_to_fit();
    return SendResult::kAllSent;
  }
  if (*sent > 1024 * 1024) {
    if (hold) hold->Dropped(*sent);
    out->erase(0, *sent);
    *sent = 0;
  }
  return SendResult::kPending;
}

}  // namespace

SendResult SendOutput(int fd, std::string* out, size_t* sent, OutputHold* hold) {
  size_t before = *sent;
  size_t limit = hold ? hold->Limit(out->size()) : out->size();
  bool ok = *sent >= limit || io::SendPending(fd, std::string_view(*out).substr(0, limit), sent);
  return Settle(ok, before, out, sent, hold);
}

namespace {
thread_local bool t_unbatched = false;
}  // namespace

UnbatchedSends::UnbatchedSends() : was_(t_unbatched) { t_unbatched = true; }
UnbatchedSends::~UnbatchedSends() { t_unbatched = was_; }

bool SendsBatched(size_t pending, const io::Reactor* owner) {
  return pending <= 64 * 1024 && !t_unbatched && io::CurrentIoMode() == io::IoMode::kUring &&
         io::Reactor::Current() == owner;
}

long QueueOutput(io::SendBatch& batch, int fd, const std::string& out, size_t sent,
                 const OutputHold* hold) {
  size_t limit = hold ? hold->Limit(out.size()) : out.size();
  if (sent >= limit) return -1;
  return long(batch.Add(fd, out.data() + sent, limit - sent));
}

SendResult FinishOutput(ssize_t result, int fd, std::string* out, size_t* sent, OutputHold* hold) {
  size_t before = *sent;
  size_t limit = hold ? hold->Limit(out->size()) : out->size();
  bool ok = true;
  if (result >= 0) {
    *sent += size_t(result);
    // A short send: the socket is full, or a signal cut it short. Finish as SendPending would
    // (it meets EAGAIN at once in the first case).
    if (*sent < limit) ok = io::SendPending(fd, std::string_view(*out).substr(0, limit), sent);
  } else if (result == -EINTR) {
    ok = io::SendPending(fd, std::string_view(*out).substr(0, limit), sent);
  } else if (result != -EAGAIN && result != -EWOULDBLOCK) {
    ok = false;
  }
  return Settle(ok, before, out, sent, hold);
}

}  // namespace strata::kv
