// EvictionPool: Redis's eviction pool (evict.c, EVPOOL_SIZE 16) as a reusable class. The keyspace
// samples a few random keys per round and offers each with its score (higher = better victim);
// the pool keeps the 16 best candidates seen across rounds, so a good victim found earlier is not
// forgotten. PopBest() hands out candidates best first; the caller looks the key up again (by db,
// key and hash) and skips a candidate whose key is gone, its "stale" entries. A candidate's score
// is not refreshed: a key touched after it was sampled can still be evicted, as in Redis.
//
// Candidates hold copies of the key bytes; slot strings are rotated, never freed, so a warm pool
// does not allocate for keys up to the longest seen.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::cache::sampled {

class EvictionPool {
 public:
  static constexpr size_t kSize = 16;
  struct Candidate {
    uint64_t score = 0;
    uint64_t key_hash = 0;
    int db = 0;
    std::string key;
  };

  // Redis evictionPoolPopulate for one sampled key: inserted in score order when the pool has a
  // free slot; when full, it replaces the worst candidate if it scores higher, else is dropped.
  // Equal scores go before (are worse than) the candidates already held.
  void Offer(uint64_t score, int db, std::string_view key, uint64_t key_hash);
  // Removes and returns the best candidate; nullptr when empty. The pointer stays valid until the
  // next Offer() or Clear().
  const Candidate* PopBest() {
    if (size_ == 0) return nullptr;
    return &slots_[--size_];
  }
  // Drops every candidate of `db` (FLUSHDB, SWAPDB); db < 0 drops all.
  void Forget(int db);
  void Clear() { size_ = 0; }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const Candidate& at(size_t i) const { return slots_[i]; }  // 0 = worst held

 private:
  std::array<Candidate, kSize> slots_;  // [0, size_) ascending by score
  size_t size_ = 0;
};

}  // namespace strata::cache::sampled
