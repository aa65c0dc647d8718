// FIFO: evicts in insertion order; hits change nothing (no write on the hit path at all).
// Per-entry metadata: 24 bytes (two list pointers + 32-bit weight, padded).
#pragma once

#include <cstddef>
#include <cstdint>

#include "cache/policy/intrusive_list.h"

namespace strata::cache {

class Fifo {
 public:
  struct Hook : ListHook {
    uint32_t weight = 0;
  };
  static constexpr const char* kName = "fifo";

  explicit Fifo(uint64_t capacity) : capacity_(capacity) {}

  void OnMiss(uint64_t, uint32_t) {}
  void Insert(Hook* h, uint64_t /*hash*/, uint32_t weight) {
    h->weight = weight;
    weight_ += weight;
    list_.PushBack(h);
  }
  void Access(Hook*) {}
  void Remove(Hook* h) {
    list_.Remove(h);
    weight_ -= h->weight;
  }
  Hook* Evict() {
    auto* h = static_cast<Hook*>(list_.PopFront());
    if (h != nullptr) weight_ -= h->weight;
    return h;
  }

  size_t size() const { return list_.size(); }
  uint64_t weight() const { return weight_; }
  uint64_t capacity() const { return capacity_; }

 private:
  IntrusiveList list_;
  uint64_t weight_ = 0;
  uint64_t capacity_;
};

}  // namespace strata::cache
