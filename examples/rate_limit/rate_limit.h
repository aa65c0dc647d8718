// Rate limiters kept in the cache, so every process of a service shares one count per client.
//
// FixedWindowLimiter: at most `limit` requests per window. A window opens at the first request
// of a caller (SET key 0 PX window NX) and each request counts itself (INCR) and reads the time
// the window has left (PTTL), the three in one MULTI/EXEC, so concurrent requests never lose a
// count and the window always expires. Simple and cheap; a caller may get up to 2 x limit
// across a window boundary.
//
// TokenBucketLimiter: a bucket of `capacity` tokens refilled at `rate` tokens per second; a
// request takes `cost` tokens or is denied. The whole decision is one Lua script (Client::Eval),
// so it is atomic on the server. The clock is the server's (TIME, read by the script) unless
// the caller passes one, which makes the behaviour reproducible (tests, replays).
//
// Both return a Decision: allowed or not, and when denied, how long until a request could pass.
//
// Threads. Both classes hold no state of their own beyond their settings: any thread may call
// them (the Client is thread-safe).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "strata/client.h"

namespace strata::examples {

struct Decision {
  bool allowed = false;
  // Requests left in the window (fixed window) or whole tokens left (token bucket).
  int64_t remaining = 0;
  // When denied: how long to wait before a request could pass. Zero when allowed.
  std::chrono::milliseconds retry_after{0};
};

class FixedWindowLimiter {
 public:
  FixedWindowLimiter(Client& cache, std::string prefix, int64_t limit,
                     std::chrono::milliseconds window);
  // Counts one request of `who`.
  Decision Hit(const std::string& who);

 private:
  Client& cache_;
  std::string prefix_;
  int64_t limit_;
  std::chrono::milliseconds window_;
};

class TokenBucketLimiter {
 public:
  // rate: tokens added per second; capacity: the most the bucket holds (and the largest burst).
  TokenBucketLimiter(Client& cache, std::string prefix, double capacity, double rate);
  // Takes `cost` tokens for `who`. now_ms: the clock in ms (any origin, but the same for every
  // call of a bucket); nullopt = the server's TIME.
  Decision Take(const std::string& who, double cost = 1,
                std::optional<int64_t> now_ms = std::nullopt);

 private:
  Client& cache_;
  std::string prefix_;
  double capacity_;
  double rate_;
};

}  // namespace strata::examples
