#include "cache/sketch/frequency_sketch.h"

#include <algorithm>
#include <bit>
#include <new>

namespace strata::cache {
namespace {

uint32_t Nibble(uint64_t word, uint64_t idx) {
  return static_cast<uint32_t>((word >> ((idx % 16) * 4)) & 0xF);
}

// The larger of each pair of 4-bit counters.
uint64_t NibbleMax(uint64_t a, uint64_t b) {
  uint64_t out = 0;
  for (unsigned shift = 0; shift < 64; shift += 4) {
    uint64_t x = (a >> shift) & 0xF, y = (b >> shift) & 0xF;
    out |= (x > y ? x : y) << shift;
  }
  return out;
}

}  // namespace

FrequencySketch::Table FrequencySketch::Table::Make(uint64_t expected_entries) {
  uint64_t n = std::clamp<uint64_t>(expected_entries, 16, uint64_t{1} << 28);
  Table t;
  t.width = 4 * std::bit_ceil(n);
  t.row_words = t.width / 16;
  t.words.reset(static_cast<uint64_t*>(std::calloc(4 * t.row_words, sizeof(uint64_t))));
  if (!t.words) throw std::bad_alloc();
  return t;
}

void FrequencySketch::Table::Age() {
  for (uint64_t i = 0; i < 4 * row_words; i++) words[i] = (words[i] >> 1) & 0x7777777777777777ULL;
}

FrequencySketch::FrequencySketch(uint64_t expected_entries, uint64_t seed)
    : cur_(Table::Make(expected_entries)),
      sample_(10 * (cur_.width / 4)),
      seed_(seed * 0x632BE59BD9B4E019ULL) {}

template <typename Self, typename F>
void FrequencySketch::ForEachHome(Self& self, uint64_t row, uint64_t idx, F&& f) {
  // The nibble position within a word is the same in both tables (widths are multiples of 16).
  if (!self.prev_.words || idx / 16 < self.migrated_) return f(self.cur_.Word(row, idx / 16));
  if (self.prev_.width < self.cur_.width)
    return f(self.prev_.Word(row, (idx & (self.prev_.width - 1)) / 16));
  for (uint64_t i = idx; i < self.prev_.width; i += self.cur_.width)
    f(self.prev_.Word(row, i / 16));
}

uint32_t FrequencySketch::Counter(uint64_t row, uint64_t idx) const {
  uint32_t best = 0;
  ForEachHome(*this, row, idx, [&](uint64_t word) { best = std::max(best, Nibble(word, idx)); });
  return best;
}

bool FrequencySketch::Bump(uint64_t row, uint64_t idx) {
  const unsigned shift = static_cast<unsigned>(idx % 16) * 4;
  bool added = false;
  ForEachHome(*this, row, idx, [&](uint64_t& word) {
    if (((word >> shift) & 0xF) >= kMaxCount) return;
    word += uint64_t{1} << shift;
    added = true;
  });
  return added;
}

void FrequencySketch::MigrateWord(uint64_t j) {
  for (uint64_t row = 0; row < 4; ++row) {
    if (prev_.width < cur_.width) {
      cur_.Word(row, j) = prev_.Word(row, j % prev_.row_words);
    } else {
      uint64_t w = 0;
      for (uint64_t k = j; k < prev_.row_words; k += cur_.row_words)
        w = NibbleMax(w, prev_.Word(row, k));
      cur_.Word(row, j) = w;
    }
  }
}

bool FrequencySketch::MigrateSome(uint64_t words) {
  if (!prev_.words) return true;
  uint64_t end = words >= cur_.row_words - migrated_ ? cur_.row_words : migrated_ + words;
  for (; migrated_ < end; ++migrated_) MigrateWord(migrated_);
  if (migrated_ < cur_.row_words) return false;
  prev_ = Table{};
  migrated_ = 0;
  return true;
}

void FrequencySketch::Resize(uint64_t expected_entries) {
  Table next = Table::Make(expected_entries);
  if (next.width == cur_.width) return;
  MigrateSome(UINT64_MAX);  // finish a migration still under way
  // Grown by 4x or more, the old table was outgrown by its keys and its counters are mostly
  // collisions: carried over, they would lift every new counter. Start afresh instead.
  bool carry = next.width < 4 * cur_.width;
  prev_ = carry ? std::move(cur_) : Table{};
  cur_ = std::move(next);
  migrated_ = 0;
  sample_ = 10 * (cur_.width / 4);
  additions_ = std::min(additions_, sample_ - 1);
}

void FrequencySketch::Increment(uint64_t hash) {
  Slots s = SlotsOf(hash);
  const uint64_t mask = cur_.width - 1;
  bool added = false;
  for (uint64_t row = 0; row < 4; ++row) added |= Bump(row, (s.h1 + row * s.h2) & mask);
  if (added && ++additions_ >= sample_) Age();
}

uint32_t FrequencySketch::IncrementAndEstimate(uint64_t hash) {
  Slots s = SlotsOf(hash);
  const uint64_t mask = cur_.width - 1;
  bool added = false;
  uint32_t best = kMaxCount;
  if (!prev_.words) [[likely]] {
    // No resize under way: every counter lives in the current table (one word each).
    for (uint64_t row = 0; row < 4; ++row) {
      uint64_t idx = (s.h1 + row * s.h2) & mask;
      uint64_t& word = cur_.Word(row, idx / 16);
      const unsigned shift = static_cast<unsigned>(idx % 16) * 4;
      uint32_t c = static_cast<uint32_t>((word >> shift) & 0xF);
      if (c < kMaxCount) {
        word += uint64_t{1} << shift;
        c++;
        added = true;
      }
      best = std::min(best, c);
    }
  } else {
    for (uint64_t row = 0; row < 4; ++row) {
      uint64_t idx = (s.h1 + row * s.h2) & mask;
      added |= Bump(row, idx);
      best = std::min(best, Counter(row, idx));
    }
  }
  if (added && ++additions_ >= sample_) {
    Age();
    return Estimate(hash);
  }
  return best;
}

uint32_t FrequencySketch::Estimate(uint64_t hash) const {
  Slots s = SlotsOf(hash);
  const uint64_t mask = cur_.width - 1;
  uint32_t best = kMaxCount;
  for (uint64_t row = 0; row < 4; ++row)
    best = std::min(best, Counter(row, (s.h1 + row * s.h2) & mask));
  return best;
}

void FrequencySketch::Age() {
  cur_.Age();
  if (prev_.words) prev_.Age();
  additions_ /= 2;
  agings_++;
}

void FrequencySketch::Clear() {
  std::fill(cur_.words.get(), cur_.words.get() + 4 * cur_.row_words, 0);
  prev_ = Table{};
  migrated_ = 0;
  additions_ = 0;
}

}  // namespace strata::cache
