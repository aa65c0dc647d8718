// SIEVE (Zhang et al., NSDI'24): a FIFO queue with a visited bit and a hand that sweeps from the
// oldest entry towards the newest. A hit only sets the bit. Eviction clears set bits as the hand
// passes and evicts the first unvisited entry; unlike CLOCK, survivors stay in place and new
// entries always join at the newest end, so new objects are quickly demoted ("lazy promotion,
// quick demotion"). Per-entry metadata: 24 bytes (list pointers, weight, visited bit).
#pragma once

#include <cstddef>
#include <cstdint>

#include "cache/policy/intrusive_list.h"

namespace strata::cache {

class Sieve {
 public:
  struct Hook : ListHook {
    uint32_t weight = 0;
    uint8_t visited = 0;
  };
  static constexpr const char* kName = "sieve";

  explicit Sieve(uint64_t capacity) : capacity_(capacity) {}

  void OnMiss(uint64_t, uint32_t) {}
  void Insert(Hook* h, uint64_t /*hash*/, uint32_t weight) {
    h->weight = weight;
    h->visited = 0;
    weight_ += weight;
    list_.PushBack(h);
  }
  void Access(Hook* h) { h->visited = 1; }
  void Remove(Hook* h) {
    if (hand_ == h) hand_ = static_cast<Hook*>(list_.Next(h));
    list_.Remove(h);
    weight_ -= h->weight;
  }
  Hook* Evict() {
    if (list_.empty()) return nullptr;
    Hook* o = hand_ != nullptr ? hand_ : Front();
    while (o->visited) {
      o->visited = 0;
      auto* n = static_cast<Hook*>(list_.Next(o));
      o = n != nullptr ? n : Front();
    }
    hand_ = static_cast<Hook*>(list_.Next(o));
    list_.Remove(o);
    weight_ -= o->weight;
    return o;
  }

  size_t size() const { return list_.size(); }
  uint64_t weight() const { return weight_; }
  uint64_t capacity() const { return capacity_; }

 private:
  Hook* Front() const { return static_cast<Hook*>(list_.Front()); }

  IntrusiveList list_;
  Hook* hand_ = nullptr;  // nullptr = start at the oldest entry
  uint64_t weight_ = 0;
  uint64_t capacity_;
};

}  // namespace strata::cache
