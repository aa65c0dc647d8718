#include "cache/sampled/eviction_pool.h"

#include <algorithm>

namespace strata::cache::sampled {

void EvictionPool::Offer(uint64_t score, int db, std::string_view key, uint64_t key_hash) {
  size_t k = 0;
  while (k < size_ && slots_[k].score < score) ++k;
  size_t pos;
  if (size_ < kSize) {
    // Shift [k, size_) right by one; the free slot's buffer lands at k.
    std::rotate(slots_.begin() + k, slots_.begin() + size_, slots_.begin() + size_ + 1);
    ++size_;
    pos = k;
  } else {
    if (k == 0) return;  // worse than everything held
    // Drop the worst (slot 0), shift [1, k) left by one; its buffer is reused at k - 1.
    std::rotate(slots_.begin(), slots_.begin() + 1, slots_.begin() + k);
    pos = k - 1;
  }
  Candidate& c = slots_[pos];
  c.score = score;
  c.key_hash = key_hash;
  c.db = db;
  c.key.assign(key.data(), key.size());
}

void EvictionPool::Forget(int db) {
  size_t out = 0;
  for (size_t i = 0; i < size_; ++i) {
    if (db >= 0 && slots_[i].db != db) {
      if (out != i) std::swap(slots_[out], slots_[i]);
      ++out;
    }
  }
  size_ = out;
}

}  // namespace strata::cache::sampled
