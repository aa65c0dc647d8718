// TTL-nearest (volatile-ttl): evicts the entry whose expiry time is nearest. Entries without an
// expiry sort after all others (in no particular order) and, with Options::only_volatile, are never
// chosen: Evict() then returns nullptr when only such entries remain, as Redis's volatile-ttl
// refuses to evict keys without a TTL. A binary min-heap of hooks; the hook knows its heap slot, so
// Remove and SetExpire are O(log n). Per-entry metadata: 16 bytes in the hook (expiry, slot,
// weight) plus an 8-byte heap pointer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace strata::cache {

class TtlNearest {
 public:
  static constexpr int64_t kNoExpire = std::numeric_limits<int64_t>::max();
  struct Hook {
    int64_t expire_ms = kNoExpire;
    uint32_t slot = 0;
    uint32_t weight = 0;
  };
  struct Options {
    bool only_volatile = false;
  };
  static constexpr const char* kName = "ttl";

  explicit TtlNearest(uint64_t capacity) : TtlNearest(capacity, Options{}) {}
  TtlNearest(uint64_t capacity, Options options) : capacity_(capacity), options_(options) {}

  void OnMiss(uint64_t, uint32_t) {}
  // The entry starts without expiry; call SetExpire() to give it one.
  void Insert(Hook* h, uint64_t /*hash*/, uint32_t weight) {
    h->weight = weight;
    h->expire_ms = kNoExpire;
    h->slot = static_cast<uint32_t>(heap_.size());
    heap_.push_back(h);
    weight_ += weight;
  }
  void Access(Hook*) {}
  void SetExpire(Hook* h, int64_t expire_ms) {
    int64_t old = h->expire_ms;
    h->expire_ms = expire_ms;
    if (expire_ms < old) {
      Up(h->slot);
    } else {
      Down(h->slot);
    }
  }
  void Remove(Hook* h) {
    size_t slot = h->slot;
    Hook* last = heap_.back();
    heap_.pop_back();
    weight_ -= h->weight;
    if (last == h) return;
    Place(slot, last);
    Up(slot);
    Down(last->slot);
  }
  Hook* Evict() {
    if (heap_.empty()) return nullptr;
    Hook* h = heap_.front();
    if (options_.only_volatile && h->expire_ms == kNoExpire) return nullptr;
    Remove(h);
    return h;
  }

  size_t size() const { return heap_.size(); }
  uint64_t weight() const { return weight_; }
  uint64_t capacity() const { return capacity_; }

 private:
  void Place(size_t slot, Hook* h) {
    heap_[slot] = h;
    h->slot = static_cast<uint32_t>(slot);
  }
  void Up(size_t slot) {
    Hook* h = heap_[slot];
    while (slot > 0) {
      size_t parent = (slot - 1) / 2;
      if (heap_[parent]->expire_ms <= h->expire_ms) break;
      Place(slot, heap_[parent]);
      slot = parent;
    }
    Place(slot, h);
  }
  void Down(size_t slot) {
    Hook* h = heap_[slot];
    const size_t n = heap_.size();
    for (;;) {
      size_t child = 2 * slot + 1;
      if (child >= n) break;
      if (child + 1 < n && heap_[child + 1]->expire_ms < heap_[child]->expire_ms) ++child;
      if (heap_[child]->expire_ms >= h->expire_ms) break;
      Place(slot, heap_[child]);
      slot = child;
    }
    Place(slot, h);
  }

  std::vector<Hook*> heap_;
  uint64_t weight_ = 0;
  uint64_t capacity_;
  Options options_;
};

}  // namespace strata::cache
