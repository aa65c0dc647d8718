// Sending a connection's output buffer: the part RESP and memcached connections share.
#pragma once

#include <cstddef>
#include <string>

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

}  // namespace strata::kv
