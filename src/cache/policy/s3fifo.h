// S3-FIFO (Yang et al., SOSP'23): three FIFO queues.
//   S (small, 10% of the capacity): every new entry enters here.
//   M (main, the rest): entries that were hit while in S, and entries whose key is a ghost.
//   G (ghost): hashes of entries evicted from S, bounded by M's capacity (in weight).
// Eviction from S: the oldest entry moves to M if it was hit at least `promote_threshold` times,
// else it is evicted and its hash becomes a ghost. Eviction from M: a 2-bit-frequency CLOCK (an
// entry with frequency f > 0 is reinserted with f - 1). M is evicted from when it exceeds its
// share or S is empty. Quick demotion of one-hit wonders makes it scan- and churn-resistant
// while hits stay a counter increment (no list move).
//
// Weights: queue shares are measured in weight (bytes for byte caches); each share is at least 1.
// Per-entry metadata: 32 bytes (list pointers, key hash, weight, 2-bit frequency, queue tag), plus
// ~48 bytes per ghost.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cache/policy/ghost_queue.h"
#include "cache/policy/intrusive_list.h"

namespace strata::cache {

class S3Fifo {
 public:
  struct Hook : ListHook {
    uint64_t hash = 0;
    uint32_t weight = 0;
    uint8_t freq = 0;
    uint8_t queue = 0;  // kSmall or kMain
  };
  struct Options {
    double small_fraction = 0.1;
    // Hits needed while in S to be promoted to M (1 as in the paper; libCacheSim uses 2).
    uint8_t promote_threshold = 1;
  };
  static constexpr const char* kName = "s3fifo";

  explicit S3Fifo(uint64_t capacity) : S3Fifo(capacity, Options{}) {}
  S3Fifo(uint64_t capacity, Options options);

  void OnMiss(uint64_t, uint32_t) {}
  void Insert(Hook* h, uint64_t hash, uint32_t weight);
  void Access(Hook* h) {
    if (h->freq < 3) ++h->freq;
  }
  void Remove(Hook* h);
  Hook* Evict();

  size_t size() const { return small_.size() + main_.size(); }
  uint64_t weight() const { return small_weight_ + main_weight_; }
  uint64_t capacity() const { return capacity_; }
  uint64_t small_capacity() const { return small_cap_; }
  uint64_t main_capacity() const { return main_cap_; }
  const GhostQueue& ghost() const { return ghost_; }

 private:
  static constexpr uint8_t kSmall = 1;
  static constexpr uint8_t kMain = 2;
  Hook* EvictFromMain();
  Hook* EvictFromSmall();

  IntrusiveList small_;
  IntrusiveList main_;
  GhostQueue ghost_;
  uint64_t small_weight_ = 0;
  uint64_t main_weight_ = 0;
  uint64_t capacity_;
  uint64_t small_cap_;
  uint64_t main_cap_;
  uint8_t threshold_;
};

}  // namespace strata::cache
