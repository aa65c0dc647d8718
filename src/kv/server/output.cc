#include "kv/server/output.h"

#include "io/socket.h"
#include "kv/server/command_stats.h"
#include "kv/server/reply_hold.h"

namespace strata::kv {

SendResult SendOutput(int fd, std::string* out, size_t* sent, OutputHold* hold) {
  size_t before = *sent;
  size_t limit = hold ? hold->Limit(out->size()) : out->size();
  bool ok = *sent >= limit || io::SendPending(fd, std::string_view(*out).substr(0, limit), sent);
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

}  // namespace strata::kv
