#include "cache/sketch/frequency_sketch.h"

#include <algorithm>
#include <bit>

namespace strata::cache {

FrequencySketch::FrequencySketch(uint64_t expected_entries, uint64_t seed)
    : seed_(seed * 0x632BE59BD9B4E019ULL) {
  uint64_t n = std::clamp<uint64_t>(expected_entries, 16, uint64_t{1} << 28);
  uint64_t pow2 = std::bit_ceil(n);
  width_ = 4 * pow2;
  row_words_ = width_ / 16;
  sample_ = 10 * pow2;
  words_.assign(4 * row_words_, 0);
}

void FrequencySketch::Increment(uint64_t hash) {
  Slots s = SlotsOf(hash);
  const uint64_t mask = width_ - 1;
  bool added = false;
  for (uint64_t row = 0; row < 4; ++row) {
    uint64_t idx = (s.h1 + row * s.h2) & mask;
    uint64_t& word = words_[row * row_words_ + idx / 16];
    unsigned shift = static_cast<unsigned>(idx % 16) * 4;
    if (((word >> shift) & 0xF) < kMaxCount) {
      word += uint64_t{1} << shift;
      added = true;
    }
  }
  if (added && ++additions_ >= sample_) Age();
}

uint32_t FrequencySketch::Estimate(uint64_t hash) const {
  Slots s = SlotsOf(hash);
  const uint64_t mask = width_ - 1;
  uint32_t best = kMaxCount;
  for (uint64_t row = 0; row < 4; ++row) {
    uint64_t idx = (s.h1 + row * s.h2) & mask;
    uint64_t word = words_[row * row_words_ + idx / 16];
    best = std::min(best, static_cast<uint32_t>((word >> ((idx % 16) * 4)) & 0xF));
  }
  return best;
}

void FrequencySketch::Age() {
  for (uint64_t& w : words_) w = (w >> 1) & 0x7777777777777777ULL;
  additions_ /= 2;
}

void FrequencySketch::Clear() {
  std::fill(words_.begin(), words_.end(), 0);
  additions_ = 0;
}

}  // namespace strata::cache
