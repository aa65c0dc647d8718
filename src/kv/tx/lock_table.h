// LockTable: per-shard intent locks that make cross-shard multi-key commands atomic.
//
// A coordinator (tx/multi_key.h) locks the keys it needs on each shard involved, in ascending
// shard order, then runs its steps and releases them. Ordered acquisition means waits never form
// a cycle, so there is no deadlock. While a key is locked, ordinary commands that touch it on this
// shard wait in the same FIFO queue, so no client can observe a half-applied MSET or RENAME.
// Waiters are woken strictly in arrival order per key: a waiter may not overtake an earlier one
// that wants any of the same keys.
//
// Thread ownership: owned by its shard's thread; no synchronisation. With no locks held the only
// cost on the command path is the empty() check.
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace strata::kv {

class LockTable {
 public:
  static std::string Encode(int db, std::string_view key);
  // A lock on every key of the shard (a transaction with FLUSHALL, KEYS, SCAN ...). No encoded
  // key is empty (it starts with the database number), so the empty string stands for all.
  static inline const std::string kAllKeys;

  bool empty() const { return locked_.empty() && waiters_.empty(); }
  bool IsBlocked(const std::string& encoded) const;
  // Whether a coordinator holds the key (waiters aside).
  bool IsLocked(const std::string& encoded) const { return locked_.count(encoded) > 0; }
  bool AnyLocked(const std::vector<std::string>& keys) const;

  // Takes every key (encoded) once all are free and no earlier waiter wants them; `granted` runs
  // then (possibly immediately).
  void Acquire(std::vector<std::string> keys, std::function<void()> granted);
  void Release(const std::vector<std::string>& keys);
  // Locks keys that no coordinator holds right now, ahead of any waiter (a blocked client served
  // in its turn reserving its key, see blocking.h). Requires !AnyLocked(keys).
  void Take(const std::vector<std::string>& keys);
  // Runs `fn` once none of the keys is locked or wanted by an earlier waiter (without locking).
  void Defer(std::vector<std::string> keys, std::function<void()> fn);

 private:
  struct Waiter {
    std::vector<std::string> keys;
    std::function<void()> fn;
    bool lock;
  };
  void Wake();

  std::unordered_map<std::string, int> locked_;
  std::deque<Waiter> waiters_;
  bool waking_ = false;
};

}  // namespace strata::kv
