// Random eviction: entries live in a dense array; the victim is a uniformly random slot (swap with
// the last, pop). Hits cost nothing. Per-entry metadata: 8 bytes in the hook (slot index +
// weight) plus an 8-byte pointer in the array.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace strata::cache {

class RandomPolicy {
 public:
  struct Hook {
    uint32_t slot = 0;
    uint32_t weight = 0;
  };
  static constexpr const char* kName = "random";

  explicit RandomPolicy(uint64_t capacity, uint64_t seed = 1)
      : capacity_(capacity), state_(seed * 0x9E3779B97F4A7C15ULL + 1) {}

  void OnMiss(uint64_t, uint32_t) {}
  void Insert(Hook* h, uint64_t /*hash*/, uint32_t weight) {
    h->weight = weight;
    h->slot = static_cast<uint32_t>(slots_.size());
    slots_.push_back(h);
    weight_ += weight;
  }
  void Access(Hook*) {}
  void Remove(Hook* h) {
    Hook* last = slots_.back();
    slots_[h->slot] = last;
    last->slot = h->slot;
    slots_.pop_back();
    weight_ -= h->weight;
  }
  Hook* Evict() {
    if (slots_.empty()) return nullptr;
    uint64_t r = Next();
    // Lemire's multiply-shift maps r uniformly (enough) onto [0, size).
    auto idx = static_cast<size_t>((static_cast<unsigned __int128>(r) * slots_.size()) >> 64);
    Hook* h = slots_[idx];
    Remove(h);
    return h;
  }

  size_t size() const { return slots_.size(); }
  uint64_t weight() const { return weight_; }
  uint64_t capacity() const { return capacity_; }

 private:
  uint64_t Next() {  // xorshift64*
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1DULL;
  }

  std::vector<Hook*> slots_;
  uint64_t weight_ = 0;
  uint64_t capacity_;
  uint64_t state_;
};

}  // namespace strata::cache
