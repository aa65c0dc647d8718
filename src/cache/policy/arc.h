// ARC, Adaptive Replacement Cache (Megiddo & Modha, FAST'03):
//   T1 - LRU of entries seen once recently;    B1 - ghosts of entries evicted from T1;
//   T2 - LRU of entries seen at least twice;   B2 - ghosts of entries evicted from T2.
// The target size p of T1 adapts: a ghost hit in B1 grows it, one in B2 shrinks it; a victim is
// taken from T1 when T1 exceeds p, else from T2. The directory (T1+T2+B1+B2) is bounded by twice
// the capacity. All sizes are in weight units (with unit weights this is exactly the paper's
// algorithm; with byte weights, p moves by the missed entry's weight times the paper's ratio).
// OnMiss() does the paper's directory bookkeeping for the request; Evict() then performs its
// REPLACE. Per-entry metadata: 32 bytes (list pointers, key hash, weight, list tag) plus ~48
// bytes per ghost (up to one capacity's worth of ghosts).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "cache/policy/ghost_queue.h"
#include "cache/policy/intrusive_list.h"

namespace strata::cache {

class Arc {
 public:
  struct Hook : ListHook {
    uint64_t hash = 0;
    uint32_t weight = 0;
    uint8_t queue = 0;
  };
  static constexpr const char* kName = "arc";

  explicit Arc(uint64_t capacity);

  void OnMiss(uint64_t hash, uint32_t weight);
  void Insert(Hook* h, uint64_t hash, uint32_t weight);
  // Inline: a hit in T2 (the common case) is exactly LRU's move-to-front.
  void Access(Hook* h) {
    if (h->queue == kT2) [[likely]] {
      t2_.MoveToBack(h);
      return;
    }
    PromoteToT2(h);
  }
  void Remove(Hook* h);
  Hook* Evict();

  size_t size() const { return t1_.size() + t2_.size(); }
  uint64_t weight() const { return t1_weight_ + t2_weight_; }
  uint64_t capacity() const { return capacity_; }
  double target_t1() const { return p_; }

 private:
  static constexpr uint8_t kT1 = 1;
  static constexpr uint8_t kT2 = 2;
  enum class Mode : uint8_t { kReplace, kReplaceAfterB2Hit, kEvictT1 };
  Hook* Replace(bool after_b2_hit);
  void PromoteToT2(Hook* h);  // first hit of a T1 entry
  void GhostHit(bool in_b1, uint32_t weight);

  IntrusiveList t1_;
  IntrusiveList t2_;
  GhostQueue b1_{std::numeric_limits<uint64_t>::max()};
  GhostQueue b2_{std::numeric_limits<uint64_t>::max()};
  uint64_t t1_weight_ = 0;
  uint64_t t2_weight_ = 0;
  uint64_t capacity_;
  double p_ = 0;
  Mode mode_ = Mode::kReplace;
  uint64_t pending_hash_ = 0;
  bool pending_ghost_hit_ = false;
};

}  // namespace strata::cache
