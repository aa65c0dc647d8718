// The store's eviction policy seam. ObjectStore drives its policy only through the shared cache
// core's policy contract (src/cache/policy/policy.h): `Hook` (intrusive per-entry metadata the
// object inherits), OnMiss / Insert / Access / Remove / Evict, and byte weights with the
// capacity in bytes. `StorePolicy` names the policy in use; switching to another policy with
// the same contract is a change of this alias.
//
// ByteLru is the built-in stand-in: a byte-weighted LRU over an intrusive doubly-linked list
// (no allocation per entry or access).
#pragma once

#include <cstdint>

namespace strata::edge {

class ByteLru {
 public:
  struct Hook {
    Hook* prev = nullptr;
    Hook* next = nullptr;
    uint32_t weight = 0;
  };
  static constexpr const char* kName = "lru";

  explicit ByteLru(uint64_t capacity) : capacity_(capacity) {}

  void OnMiss(uint64_t /*hash*/, uint32_t /*weight*/) {}
  void Insert(Hook* h, uint64_t /*hash*/, uint32_t weight) {
    h->weight = weight;
    h->prev = tail_;
    h->next = nullptr;
    if (tail_)
      tail_->next = h;
    else
      head_ = h;
    tail_ = h;
    weight_ += weight;
    size_++;
  }
  void Access(Hook* h) {
    if (h == tail_) return;
    Unlink(h);
    h->prev = tail_;
    h->next = nullptr;
    tail_->next = h;
    tail_ = h;
  }
  void Remove(Hook* h) {
    Unlink(h);
    weight_ -= h->weight;
    size_--;
  }
  // Unlinks and returns the least recently used entry (nullptr when empty).
  Hook* Evict() {
    Hook* h = head_;
    if (h) Remove(h);
    return h;
  }
  size_t size() const { return size_; }
  uint64_t weight() const { return weight_; }
  uint64_t capacity() const { return capacity_; }

 private:
  void Unlink(Hook* h) {
    if (h->prev)
      h->prev->next = h->next;
    else
      head_ = h->next;
    if (h->next)
      h->next->prev = h->prev;
    else
      tail_ = h->prev;
    h->prev = h->next = nullptr;
  }

  Hook* head_ = nullptr;  // least recently used
  Hook* tail_ = nullptr;
  uint64_t capacity_;
  uint64_t weight_ = 0;
  size_t size_ = 0;
};

using StorePolicy = ByteLru;

}  // namespace strata::edge
