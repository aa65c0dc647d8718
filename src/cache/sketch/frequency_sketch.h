// FrequencySketch: a count-min sketch of 4-bit counters that estimates how often a key hash was
// seen recently (TinyLFU, Einziger et al., ToS'17). Four rows of 4 x nextpow2(expected_entries)
// counters each (8 bytes of counters per expected entry), packed 16 to a 64-bit word. Every
// Increment that raises at least one counter counts as an addition; after 10 x
// nextpow2(expected_entries) additions every counter is halved, so the estimate ages and favours
// recent popularity. Row indexes come from a splitmix64 mix of the hash (double hashing), so the
// caller may pass any 64-bit key hash, dense ids included.
//
// Used by W-TinyLFU for admission and by the sampled keyspace policy as its per-shard frequency
// memory; a reusable part on its own (e.g. hot-key detection).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace strata::cache {

class FrequencySketch {
 public:
  static constexpr uint32_t kMaxCount = 15;

  // expected_entries is clamped to [16, 2^28].
  explicit FrequencySketch(uint64_t expected_entries, uint64_t seed = 1);

  // Counts one occurrence.
  void Increment(uint64_t hash);
  // Estimated occurrences since the last agings, 0..15.
  uint32_t Estimate(uint64_t hash) const;
  // Halves every counter (done automatically every sample_size() additions).
  void Age();
  void Clear();

  uint64_t width() const { return width_; }
  uint64_t sample_size() const { return sample_; }
  size_t bytes() const { return words_.size() * sizeof(uint64_t); }

  static uint64_t Mix64(uint64_t z) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

 private:
  struct Slots {
    uint64_t h1;
    uint64_t h2;
  };
  Slots SlotsOf(uint64_t hash) const {
    uint64_t h1 = Mix64(hash ^ seed_);
    return Slots{h1, Mix64(h1) | 1};
  }

  std::vector<uint64_t> words_;  // 4 rows of width_/16 words
  uint64_t width_;               // counters per row (power of two)
  uint64_t row_words_;
  uint64_t sample_;
  uint64_t additions_ = 0;
  uint64_t seed_;
};

}  // namespace strata::cache
