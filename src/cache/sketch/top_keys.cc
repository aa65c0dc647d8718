#include "cache/sketch/top_keys.h"

#include <algorithm>

namespace strata::cache {

TopKeys::TopKeys(size_t capacity, uint64_t sketch_entries, uint64_t seed)
    : capacity_(std::clamp<size_t>(capacity, 1, kMaxCapacity)),
      sketch_(sketch_entries, seed),
      rng_(FrequencySketch::Mix64(seed ^ 0x70b4e75ULL) | 1) {
  size_t slots = 4;
  while (slots < 4 * capacity_) slots *= 2;
  slots_.assign(slots, 0);
  slot_mask_ = slots - 1;
  items_.reserve(capacity_);
  agings_seen_ = sketch_.agings();
}

void TopKeys::set_sample_period(uint32_t period) {
  period_ = std::max<uint32_t>(period, 1);
  skip_ = NextSkip();
}

uint32_t TopKeys::NextSkip() {
  if (period_ == 1) return 1;
  // xorshift64: uniform in [1, 2 * period - 1], mean `period`.
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  return 1 + uint32_t(rng_ % (2 * uint64_t(period_) - 1));
}

int TopKeys::Find(uint64_t hash, uint32_t tag, std::string_view key) const {
  for (size_t i = Home(hash);; i = (i + 1) & slot_mask_) {
    uint8_t s = slots_[i];
    if (s == 0) return -1;
    const Candidate& c = items_[s - 1];
    if (c.hash == hash && c.tag == tag && c.key == key) return s - 1;
  }
}

void TopKeys::IndexInsert(uint64_t hash, size_t idx) {
  size_t i = Home(hash);
  while (slots_[i] != 0) i = (i + 1) & slot_mask_;
  slots_[i] = uint8_t(idx + 1);
}

void TopKeys::IndexErase(uint64_t hash, size_t idx) {
  size_t i = Home(hash);
  while (slots_[i] != idx + 1) i = (i + 1) & slot_mask_;
  slots_[i] = 0;
  // Backward shift: move later entries of the probe run into the hole when their home allows.
  for (size_t j = (i + 1) & slot_mask_; slots_[j] != 0; j = (j + 1) & slot_mask_) {
    size_t home = Home(items_[slots_[j] - 1].hash);
    if (((j - home) & slot_mask_) >= ((j - i) & slot_mask_)) {
      slots_[i] = slots_[j];
      slots_[j] = 0;
      i = j;
    }
  }
}

void TopKeys::Halve() {
  for (Candidate& c : items_) c.count /= 2;
}

uint64_t TopKeys::Identity(uint32_t tag, uint64_t key_hash) {
  return FrequencySketch::Mix64(key_hash ^ (uint64_t(tag) * 0x9E3779B97F4A7C15ULL));
}

void TopKeys::Count(uint32_t tag, std::string_view key, uint64_t key_hash) {
  if (key.size() > kMaxKeyBytes) [[unlikely]]
    return;
  uint64_t hash = Identity(tag, key_hash);
  uint32_t est = sketch_.IncrementAndEstimate(hash);
  if (sketch_.agings() != agings_seen_) [[unlikely]] {
    agings_seen_ = sketch_.agings();
    Halve();
    min_valid_ = false;  // the victim's estimate was halved too
  }
  int found = Find(hash, tag, key);
  if (found >= 0) {
    items_[size_t(found)].count++;
    if (size_t(found) == min_idx_) min_valid_ = false;
    return;
  }
  if (items_.size() < capacity_) {
    items_.push_back(Candidate{hash, key_hash, est, tag, std::string(key)});
    IndexInsert(hash, items_.size() - 1);
    min_valid_ = false;
    return;
  }
  if (!min_valid_) {
    size_t m = 0;
    for (size_t i = 1; i < items_.size(); i++)
      if (items_[i].count < items_[m].count) m = i;
    min_idx_ = m;
    victim_est_ = sketch_.Estimate(items_[m].hash);
    min_valid_ = true;
  }
  if (est <= victim_est_) return;
  Candidate& victim = items_[min_idx_];
  IndexErase(victim.hash, min_idx_);
  uint64_t old_min = victim.count;
  victim.hash = hash;
  victim.key_hash = key_hash;
  victim.tag = tag;
  victim.key.assign(key);  // reuses the victim's buffer when it is large enough
  victim.count = est;
  IndexInsert(hash, min_idx_);
  // Every other count is >= old_min, so a newcomer starting at or below it is the next victim.
  if (est <= old_min)
    victim_est_ = est;
  else
    min_valid_ = false;
}

std::vector<TopKeys::Item> TopKeys::Top(size_t n) const {
  std::vector<const Candidate*> order;
  order.reserve(items_.size());
  for (const Candidate& c : items_)
    if (c.count > 0) order.push_back(&c);
  auto higher = [](const Candidate* a, const Candidate* b) {
    if (a->count != b->count) return a->count > b->count;
    if (a->tag != b->tag) return a->tag < b->tag;
    return a->key < b->key;
  };
  n = std::min(n, order.size());
  std::partial_sort(order.begin(), order.begin() + ptrdiff_t(n), order.end(), higher);
  std::vector<Item> out;
  out.reserve(n);
  for (size_t i = 0; i < n; i++)
    out.push_back(Item{order[i]->tag, order[i]->key, order[i]->count * period_});
  return out;
}

void TopKeys::Reset() {
  sketch_.Clear();
  items_.clear();
  std::fill(slots_.begin(), slots_.end(), 0);
  agings_seen_ = sketch_.agings();
  min_valid_ = false;
  min_idx_ = 0;
}

void TopKeys::SwapTags(uint32_t a, uint32_t b) {
  if (a == b) return;
  std::fill(slots_.begin(), slots_.end(), 0);
  for (size_t i = 0; i < items_.size(); i++) {
    Candidate& c = items_[i];
    if (c.tag == a || c.tag == b) {
      c.tag = c.tag == a ? b : a;
      c.hash = Identity(c.tag, c.key_hash);
    }
    IndexInsert(c.hash, i);
  }
  min_valid_ = false;
}

size_t TopKeys::bytes() const {
  size_t b = sketch_.bytes() + slots_.size() + items_.capacity() * sizeof(Candidate);
  for (const Candidate& c : items_)
    if (c.key.capacity() > 15) b += c.key.capacity() + 1;
  return b;
}

}  // namespace strata::cache
