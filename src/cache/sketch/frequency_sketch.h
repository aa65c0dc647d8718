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
//
// Resize() changes the size without a stall and without forgetting. The new table comes from
// calloc (a large one is fresh zero pages, so nothing is written up front); MigrateSome() then
// carries the counts over a bounded number of words at a time (the owner calls it from its
// periodic work). Counters are indexed by the hash masked to the table width, and widths are
// powers of two, so a grown table's counter i takes the old counter i mod old_width exactly, and
// a shrunk table's counter i takes the largest of the old counters it folds together (both stay
// upper bounds of the true counts). Until a word has been carried over, reads and increments of
// its counters go to the old table. A table grown 4x or more starts empty: the keys had outgrown
// the old one so far that its counters were mostly collisions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

namespace strata::cache {

class FrequencySketch {
 public:
  static constexpr uint32_t kMaxCount = 15;

  // expected_entries is clamped to [16, 2^28].
  explicit FrequencySketch(uint64_t expected_entries, uint64_t seed = 1);
  FrequencySketch(FrequencySketch&&) = default;
  FrequencySketch& operator=(FrequencySketch&&) = default;

  // Re-sizes for expected_entries (clamped as above), keeping what was counted (see above). A
  // migration still under way is finished first.
  void Resize(uint64_t expected_entries);
  // Carries up to `words` words of each row over to the new table; true once none is left.
  bool MigrateSome(uint64_t words);
  // The entries the current table is sized for (a power of two).
  uint64_t capacity() const { return cur_.width / 4; }
  // Whether a Resize is still being carried over.
  bool resizing() const { return prev_.words != nullptr; }

  // Counts one occurrence.
  void Increment(uint64_t hash);
  // Estimated occurrences since the last agings, 0..15.
  uint32_t Estimate(uint64_t hash) const;
  // Increment then Estimate, hashing once.
  uint32_t IncrementAndEstimate(uint64_t hash);
  // Halves every counter (done automatically every sample_size() additions).
  void Age();
  // How many times the counters were halved so far: a user keeping its own counts next to the
  // sketch (cache/sketch/top_keys.h) ages them when this changes.
  uint64_t agings() const { return agings_; }
  void Clear();

  uint64_t width() const { return cur_.width; }
  uint64_t sample_size() const { return sample_; }
  // Bytes of counters held, both tables during a resize.
  size_t bytes() const { return cur_.bytes() + prev_.bytes(); }

  static uint64_t Mix64(uint64_t z) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

 private:
  struct Free {
    void operator()(uint64_t* p) const { std::free(p); }
  };
  // 4 rows of `width` 4-bit counters, 16 to a word.
  struct Table {
    std::unique_ptr<uint64_t[], Free> words;
    uint64_t width = 0;      // counters per row (power of two)
    uint64_t row_words = 0;  // width / 16
    size_t bytes() const { return words ? 4 * row_words * sizeof(uint64_t) : 0; }
    static Table Make(uint64_t expected_entries);
    uint64_t& Word(uint64_t row, uint64_t j) { return words[row * row_words + j]; }
    uint64_t Word(uint64_t row, uint64_t j) const { return words[row * row_words + j]; }
    void Age();
  };
  // Calls f on each word that holds counter `idx` of `row` (in the current table's index space):
  // the current table's once carried over, else the old table's (several, after a shrink).
  template <typename Self, typename F>
  static void ForEachHome(Self& self, uint64_t row, uint64_t idx, F&& f);
  // That counter's value (the largest of its homes).
  uint32_t Counter(uint64_t row, uint64_t idx) const;
  // Adds one to it (saturating); false if it was saturated.
  bool Bump(uint64_t row, uint64_t idx);
  // New-table word j of every row, built from the old table.
  void MigrateWord(uint64_t j);
  struct Slots {
    uint64_t h1;
    uint64_t h2;
  };
  Slots SlotsOf(uint64_t hash) const {
    uint64_t h1 = Mix64(hash ^ seed_);
    return Slots{h1, Mix64(h1) | 1};
  }

  Table cur_;
  Table prev_;             // the table before the last Resize, until carried over
  uint64_t migrated_ = 0;  // words of each row of cur_ carried over from prev_
  uint64_t sample_;
  uint64_t additions_ = 0;
  uint64_t agings_ = 0;
  uint64_t seed_;
};

}  // namespace strata::cache
