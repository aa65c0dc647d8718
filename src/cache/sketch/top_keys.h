// TopKeys: the most accessed keys of a stream of accesses, in bounded memory (hot-key detection).
//
// Two parts. A FrequencySketch counts every sampled access by key hash (4-bit counters, halved
// every sample_size() additions, see frequency_sketch.h). Next to it, a small table of at most
// `capacity` candidates holds each candidate's key, its hash and its own count (64-bit, not
// saturating). An access to a candidate adds one to its count. An access to another key, once
// the table is full, is weighed against the candidate with the smallest count (the victim): the
// newcomer takes the victim's place only if the sketch estimates it more often seen than the
// victim (TinyLFU's admission rule), and starts at its sketch estimate. Whenever the sketch ages,
// every candidate's count is halved too, so counts are exponentially decayed access counts (one
// halving per sketch period) and a key that became hot replaces one that cooled down.
//
// Error: a candidate's count is exact from its admission on (times the sampling period, below),
// plus what the sketch had for it at admission (an overestimate through hash collisions, but at
// most 15 sampled accesses: accesses beyond that before admission are missed). A key that stays
// hot enough to be admitted within one sketch period is counted from then on.
//
// Sampling: with sample_period N > 1 only about one access in N is counted (a random skip of
// 1..2N-1 accesses between counted ones, so no access pattern lines up with the sampling), and
// the reported counts are scaled by N. Skipped accesses cost one decrement and one branch.
//
// Memory: the sketch (8 bytes per sketch entry), the candidate slots, and the candidates' key
// bytes; keys longer than kMaxKeyBytes are not tracked, so the whole is bounded.
//
// Each key also carries a caller-defined tag (a database number), part of its identity.
//
// No I/O, no locking: one owner thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cache/sketch/frequency_sketch.h"

namespace strata::cache {

class TopKeys {
 public:
  static constexpr size_t kDefaultCapacity = 64;
  static constexpr uint64_t kDefaultSketchEntries = 4096;
  static constexpr size_t kMaxKeyBytes = 1024;
  static constexpr size_t kMaxCapacity = 255;

  struct Item {
    uint32_t tag = 0;
    std::string key;
    uint64_t count = 0;  // estimated accesses, scaled by the sampling period
  };

  // capacity is clamped to [1, kMaxCapacity]; sketch_entries sizes the sketch (its aging period
  // is 10 x nextpow2(sketch_entries) counter raises).
  explicit TopKeys(size_t capacity = kDefaultCapacity,
                   uint64_t sketch_entries = kDefaultSketchEntries, uint64_t seed = 1);

  // One access to (tag, key); `hash` is any 64-bit hash of the key (the tag is mixed in here).
  void Record(uint32_t tag, std::string_view key, uint64_t hash) {
    if (--skip_ != 0) [[likely]]
      return;
    skip_ = NextSkip();
    Count(tag, key, hash);
  }

  // The sketch's estimate of (tag, key)'s recent accesses, 0..15 (sampled accesses only).
  uint32_t Estimate(uint32_t tag, uint64_t hash) const {
    return sketch_.Estimate(Identity(tag, hash));
  }

  // The candidates with the highest counts, at most n, highest first (ties by key).
  std::vector<Item> Top(size_t n) const;
  // Forgets everything counted.
  void Reset();
  // Candidates tagged a become tagged b and the other way round (SWAPDB), keeping their counts.
  // Their sketch counts stay under the old identity: a moved key's next newcomer comparison
  // starts from a fresh estimate.
  void SwapTags(uint32_t a, uint32_t b);

  // Counts about one access in `period` (>= 1), scaling counts by it. Takes effect now.
  void set_sample_period(uint32_t period);
  uint32_t sample_period() const { return period_; }

  size_t capacity() const { return capacity_; }
  size_t size() const { return items_.size(); }
  // Bytes held: sketch, candidate table and key bytes.
  size_t bytes() const;
  const FrequencySketch& sketch() const { return sketch_; }

 private:
  struct Candidate {
    uint64_t hash = 0;      // tag mixed in
    uint64_t key_hash = 0;  // as the caller gave it
    uint64_t count = 0;
    uint32_t tag = 0;
    std::string key;
  };

  void Count(uint32_t tag, std::string_view key, uint64_t key_hash);
  static uint64_t Identity(uint32_t tag, uint64_t key_hash);
  uint32_t NextSkip();
  void Halve();
  // Index of (hash, tag, key) in items_, or -1.
  int Find(uint64_t hash, uint32_t tag, std::string_view key) const;
  void IndexInsert(uint64_t hash, size_t idx);
  void IndexErase(uint64_t hash, size_t idx);
  size_t Home(uint64_t hash) const { return size_t(hash >> 40) & slot_mask_; }

  size_t capacity_;
  FrequencySketch sketch_;
  std::vector<Candidate> items_;
  // Open addressing over items_ (linear probing, backward-shift deletion): slot = index + 1,
  // 0 = empty. At least 4 slots per candidate, so probes stay short.
  std::vector<uint8_t> slots_;
  size_t slot_mask_;
  uint64_t agings_seen_ = 0;
  // The victim (smallest count) and its sketch estimate when taken, valid while min_valid_.
  // The estimate is refreshed whenever the victim changes or is accessed, or the sketch ages; in
  // between, other keys' collisions may have raised it a little (admission is then a bit easier).
  size_t min_idx_ = 0;
  uint32_t victim_est_ = 0;
  bool min_valid_ = false;
  uint32_t period_ = 1;
  uint32_t skip_ = 1;
  uint64_t rng_;
};

}  // namespace strata::cache
