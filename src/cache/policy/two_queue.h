// Full 2Q (Johnson & Shasha, VLDB'94):
//   A1in  - FIFO of new entries, 25% of the capacity;
//   A1out - ghost queue of keys evicted from A1in, 50% of the capacity (in weight);
//   Am    - LRU of entries re-requested after they left A1in (a ghost hit).
// A hit in A1in changes nothing (correlated references right after insertion do not count);
// A1in is evicted from while it exceeds its share (or Am is empty), else Am's LRU entry.
// Ghost hits are taken in OnMiss(), before victims are chosen. Per-entry metadata: 32 bytes
// (list pointers, key hash, weight, queue tag) plus ~48 bytes per ghost.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cache/policy/ghost_queue.h"
#include "cache/policy/intrusive_list.h"

namespace strata::cache {

class TwoQueue {
 public:
  struct Hook : ListHook {
    uint64_t hash = 0;
    uint32_t weight = 0;
    uint8_t queue = 0;
  };
  struct Options {
    double in_fraction = 0.25;
    double out_fraction = 0.5;
  };
  static constexpr const char* kName = "2q";

  explicit TwoQueue(uint64_t capacity) : TwoQueue(capacity, Options{}) {}
  TwoQueue(uint64_t capacity, Options options);

  void OnMiss(uint64_t hash, uint32_t weight);
  void Insert(Hook* h, uint64_t hash, uint32_t weight);
  void Access(Hook* h) {
    if (h->queue == kAm) am_.MoveToBack(h);
  }
  void Remove(Hook* h);
  Hook* Evict();

  size_t size() const { return a1in_.size() + am_.size(); }
  uint64_t weight() const { return a1in_weight_ + am_weight_; }
  uint64_t capacity() const { return capacity_; }
  const GhostQueue& ghost() const { return a1out_; }

 private:
  static constexpr uint8_t kA1in = 1;
  static constexpr uint8_t kAm = 2;

  IntrusiveList a1in_;
  IntrusiveList am_;
  GhostQueue a1out_;
  uint64_t a1in_weight_ = 0;
  uint64_t am_weight_ = 0;
  uint64_t capacity_;
  uint64_t in_cap_;
  uint64_t pending_hash_ = 0;
  bool pending_ghost_hit_ = false;
};

}  // namespace strata::cache
