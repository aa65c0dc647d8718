// Exact LFU with Redis's logarithmic counter and time decay (the counter of redis_meta.h, with
// lfu-log-factor and lfu-decay-time), for owners that can afford list hooks.
//
// Entries sit in one of 256 lists, by stored counter; within a list, in order of last access, so
// each list's front is its longest-idle entry and therefore the one whose decayed counter is
// lowest. Evict() looks at the front of every non-empty list (a 256-bit occupancy map; in practice
// a few dozen lists, since the counter is logarithmic) and removes the entry with the lowest
// decayed counter, ties to the lower list.
// Counters decay lazily (on access, as in Redis), never by a sweep. The clock is the owner's:
// call SetNow() before a batch of operations. Per-entry metadata: 24 bytes (list pointers,
// weight, 16-bit minutes clock, 8-bit counter).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "cache/policy/intrusive_list.h"
#include "cache/sampled/redis_meta.h"

namespace strata::cache {

class Lfu {
 public:
  struct Hook : ListHook {
    uint32_t weight = 0;
    uint16_t ldt = 0;  // minutes clock of the last access
    uint8_t counter = 0;
  };
  static constexpr const char* kName = "lfu";

  explicit Lfu(uint64_t capacity) : Lfu(capacity, redis::LfuParams{}) {}
  Lfu(uint64_t capacity, redis::LfuParams params, uint64_t seed = 1)
      : capacity_(capacity), params_(params), rng_(seed * 0x9E3779B97F4A7C15ULL + 1) {}

  void SetNow(uint64_t now_ms) { now_ms_ = now_ms; }

  void OnMiss(uint64_t, uint32_t) {}
  void Insert(Hook* h, uint64_t /*hash*/, uint32_t weight) {
    h->weight = weight;
    weight_ += weight;
    ++size_;
    Store(h, redis::LfuOnInsert(now_ms_));
  }
  void Access(Hook* h) {
    Unlink(h);
    Store(h, redis::LfuOnAccess(Word(h), now_ms_, params_, Uniform()));
  }
  void Remove(Hook* h) {
    Unlink(h);
    weight_ -= h->weight;
    --size_;
  }
  Hook* Evict();

  // OBJECT FREQ of an entry.
  uint32_t Frequency(const Hook* h) const { return redis::LfuDecayed(Word(h), now_ms_, params_); }

  size_t size() const { return size_; }
  uint64_t weight() const { return weight_; }
  uint64_t capacity() const { return capacity_; }

 private:
  static uint32_t Word(const Hook* h) { return (uint32_t{h->ldt} << 8) | h->counter; }
  void Store(Hook* h, uint32_t word) {
    h->ldt = static_cast<uint16_t>(word >> 8);
    h->counter = static_cast<uint8_t>(word & 0xFF);
    buckets_[h->counter].PushBack(h);
    occupied_[h->counter / 64] |= uint64_t{1} << (h->counter % 64);
  }
  void Unlink(Hook* h) {
    IntrusiveList& b = buckets_[h->counter];
    b.Remove(h);
    if (b.empty()) occupied_[h->counter / 64] &= ~(uint64_t{1} << (h->counter % 64));
  }
  double Uniform() {  // xorshift64* -> [0, 1)
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    return static_cast<double>((rng_ * 0x2545F4914F6CDD1DULL) >> 11) * 0x1.0p-53;
  }

  std::array<IntrusiveList, 256> buckets_;
  std::array<uint64_t, 4> occupied_{};
  size_t size_ = 0;
  uint64_t weight_ = 0;
  uint64_t capacity_;
  uint64_t now_ms_ = 0;
  redis::LfuParams params_;
  uint64_t rng_;
};

inline Lfu::Hook* Lfu::Evict() {
  Hook* best = nullptr;
  uint32_t best_count = 256;
  for (unsigned word = 0; word < 4; ++word) {
    for (uint64_t bits = occupied_[word]; bits != 0; bits &= bits - 1) {
      unsigned b = word * 64 + static_cast<unsigned>(__builtin_ctzll(bits));
      auto* h = static_cast<Hook*>(buckets_[b].Front());
      uint32_t c = Frequency(h);
      if (c < best_count) {
        best = h;
        best_count = c;
      }
    }
  }
  if (best != nullptr) Remove(best);
  return best;
}

}  // namespace strata::cache
