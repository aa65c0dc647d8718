// strata::DistributedLock: a lease-style lock across processes (SET NX PX) with fencing tokens
// and a compare-and-delete release, for work that only one process should do at a time (the
// recompute of an expensive cache entry, a periodic job).
//
// Guarantees and limits (docs/design/client.md, "Distributed lock"):
// - At most one holder at a time while the server is up and the lock's TTL has not run out.
//   The TTL is what frees a lock whose holder died; a holder that outlives it (a long GC pause,
//   a slow loader) may find another holder beside it. That is why each acquisition returns a
//   fencing token: a number that grows with every acquisition of the lock, which the protected
//   resource (the database) should check so that a write from an older holder is refused.
// - Release deletes the lock only if it still holds this holder's token (one Lua script), so a
//   holder whose TTL ran out never frees somebody else's lock.
// - Not a consensus lock: a failover of a replicated server can lose it. For correctness rely
//   on the fencing token, not on the lock alone.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "strata/client.h"

namespace strata {

class DistributedLock {
 public:
  // The lock's keys are "<name>" (holder token) and "<name>:fence" (the token counter), with
  // a hash tag so they live together on a cluster or a sharded server.
  DistributedLock(Client& client, std::string name);

  // Tries once. Returns the fencing token when acquired (> every earlier token of this lock).
  std::optional<int64_t> TryAcquire(std::chrono::milliseconds ttl);
  // Retries with backoff until acquired or `wait` has passed.
  std::optional<int64_t> Acquire(std::chrono::milliseconds ttl, std::chrono::milliseconds wait);
  // Releases the lock if `token` still holds it; returns whether it did.
  bool Release(int64_t token);
  // Extends the hold to `ttl` from now if `token` still holds it.
  bool Extend(int64_t token, std::chrono::milliseconds ttl);
  // Whether anybody holds it now.
  bool Held();

  const std::string& key() const { return key_; }

 private:
  Client& client_;
  std::string key_;
  std::string fence_key_;
};

// RAII holder: acquires in the constructor (check ok()), releases in the destructor.
class LockGuard {
 public:
  LockGuard(DistributedLock& lock, std::chrono::milliseconds ttl, std::chrono::milliseconds wait)
      : lock_(lock), token_(lock.Acquire(ttl, wait)) {}
  ~LockGuard() {
    if (token_) {
      try {
        lock_.Release(*token_);
      } catch (const Error&) {
        // The TTL frees it.
      }
    }
  }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;
  bool ok() const { return token_.has_value(); }
  int64_t token() const { return *token_; }

 private:
  DistributedLock& lock_;
  std::optional<int64_t> token_;
};

}  // namespace strata
