#include "cache/policy/ghost_queue.h"

#include <algorithm>
#include <bit>

namespace strata::cache {

size_t GhostQueue::Find(uint64_t key) const {
  if (slots_.empty()) return kNotFound;
  const size_t mask = slots_.size() - 1;
  for (size_t i = Home(key);; i = (i + 1) & mask) {
    if (slots_[i].hash == key) return i;
    if (slots_[i].hash == kEmpty) return kNotFound;
  }
}

void GhostQueue::EraseSlot(size_t i) {
  const size_t mask = slots_.size() - 1;
  weight_ -= slots_[i].weight;
  --live_;
  // Backward-shift deletion: pull later members of the probe run into the hole.
  for (size_t j = (i + 1) & mask; slots_[j].hash != kEmpty; j = (j + 1) & mask) {
    size_t home = Home(slots_[j].hash);
    // Move j into i unless its home lies cyclically in (i, j].
    bool home_in_between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (!home_in_between) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i] = Slot{};
}

void GhostQueue::Grow() {
  size_t n = slots_.empty() ? 16 : slots_.size() * 2;
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(n, Slot{});
  shift_ = 64 - static_cast<unsigned>(std::countr_zero(n));
  const size_t mask = n - 1;
  for (const Slot& s : old) {
    if (s.hash == kEmpty) continue;
    size_t i = Home(s.hash);
    while (slots_[i].hash != kEmpty) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

bool GhostQueue::Erase(uint64_t hash) {
  size_t i = Find(Key(hash));
  if (i == kNotFound) return false;
  EraseSlot(i);
  MaybeCompact();
  return true;
}

void GhostQueue::Push(uint64_t hash, uint32_t weight) {
  const uint64_t key = Key(hash);
  size_t i = Find(key);
  if (i != kNotFound) {
    weight_ -= slots_[i].weight;
    slots_[i].seq = seq_;
    slots_[i].weight = weight;
  } else {
    if (2 * (live_ + 1) > slots_.size()) Grow();
    const size_t mask = slots_.size() - 1;
    i = Home(key);
    while (slots_[i].hash != kEmpty) i = (i + 1) & mask;
    slots_[i] = Slot{key, seq_, weight};
    ++live_;
  }
  weight_ += weight;
  fifo_.push_back(Record{key, seq_});
  ++seq_;
  Trim();
  MaybeCompact();
}

bool GhostQueue::PopOldest() {
  while (!fifo_.empty()) {
    Record r = fifo_.front();
    fifo_.pop_front();
    size_t i = Find(r.hash);
    if (i != kNotFound && slots_[i].seq == r.seq) {
      EraseSlot(i);
      return true;
    }
  }
  return false;
}

void GhostQueue::Clear() {
  fifo_.clear();
  slots_.clear();
  shift_ = 64;
  live_ = 0;
  weight_ = 0;
}

void GhostQueue::MaybeCompact() {
  if (fifo_.size() < 64 || fifo_.size() <= 2 * live_) return;
  auto stale = [this](const Record& r) {
    size_t i = Find(r.hash);
    return i == kNotFound || slots_[i].seq != r.seq;
  };
  fifo_.erase(std::remove_if(fifo_.begin(), fifo_.end(), stale), fifo_.end());
}

}  // namespace strata::cache
