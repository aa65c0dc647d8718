#include "kv/server/output.h"

#include "io/socket.h"
#include "kv/server/command_stats.h"

namespace strata::kv {

SendResult SendOutput(int fd, std::string* out, size_t* sent) {
  size_t before = *sent;
  bool ok = io::SendPending(fd, *out, sent);
  LocalTotals().net_output_bytes += uint64_t(*sent - before);
  if (!ok) return SendResult::kError;
  if (*sent == out->size()) {
    out->clear();
    *sent = 0;
    if (out->capacity() > 1024 * 1024) out->shrink_to_fit();
    return SendResult::kAllSent;
  }
  if (*sent > 1024 * 1024) {
    out->erase(0, *sent);
    *sent = 0;
  }
  return SendResult::kPending;
}

}  // namespace strata::kv
