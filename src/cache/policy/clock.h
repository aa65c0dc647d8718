// CLOCK (second chance): entries sit on a circular list swept by a hand. A hit sets the entry's
// reference bit; the hand clears set bits as it passes and evicts the first entry whose bit is
// clear. A new entry is linked just behind the hand (bit clear), so it is the last the hand
// reaches. Per-entry metadata: 24 bytes (list pointers, weight, reference bit).
#pragma once

#include <cstddef>
#include <cstdint>

#include "cache/policy/intrusive_list.h"

namespace strata::cache {

class Clock {
 public:
  struct Hook : ListHook {
    uint32_t weight = 0;
    uint8_t referenced = 0;
  };
  static constexpr const char* kName = "clock";

  explicit Clock(uint64_t capacity) : capacity_(capacity) {}

  void OnMiss(uint64_t, uint32_t) {}
  void Insert(Hook* h, uint64_t /*hash*/, uint32_t weight) {
    h->weight = weight;
    h->referenced = 0;
    weight_ += weight;
    if (hand_ != nullptr) {
      list_.InsertBefore(hand_, h);
    } else {
      list_.PushBack(h);  // the hand is at the front: just behind it is the back
    }
  }
  void Access(Hook* h) { h->referenced = 1; }
  void Remove(Hook* h) {
    if (hand_ == h) hand_ = static_cast<Hook*>(list_.Next(h));
    list_.Remove(h);
    weight_ -= h->weight;
  }
  Hook* Evict() {
    if (list_.empty()) return nullptr;
    Hook* o = hand_ != nullptr ? hand_ : Front();
    while (o->referenced) {
      o->referenced = 0;
      o = Advance(o);
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
  Hook* Advance(Hook* h) const {
    auto* n = static_cast<Hook*>(list_.Next(h));
    return n != nullptr ? n : Front();
  }

  IntrusiveList list_;
  Hook* hand_ = nullptr;  // nullptr = at the front
  uint64_t weight_ = 0;
  uint64_t capacity_;
};

}  // namespace strata::cache
