#include "cache/policy/ghost_queue.h"

#include <algorithm>

namespace strata::cache {

bool GhostQueue::Erase(uint64_t hash) {
  auto it = live_.find(hash);
  if (it == live_.end()) return false;
  weight_ -= it->second.weight;
  live_.erase(it);
  MaybeCompact();
  return true;
}

void GhostQueue::Push(uint64_t hash, uint32_t weight) {
  auto [it, inserted] = live_.try_emplace(hash, Live{seq_, weight});
  if (!inserted) {
    weight_ -= it->second.weight;
    it->second = Live{seq_, weight};
  }
  weight_ += weight;
  fifo_.push_back(Record{hash, seq_});
  ++seq_;
  Trim();
  MaybeCompact();
}

bool GhostQueue::PopOldest() {
  while (!fifo_.empty()) {
    Record r = fifo_.front();
    fifo_.pop_front();
    auto it = live_.find(r.hash);
    if (it != live_.end() && it->second.seq == r.seq) {
      weight_ -= it->second.weight;
      live_.erase(it);
      return true;
    }
  }
  return false;
}

void GhostQueue::Clear() {
  fifo_.clear();
  live_.clear();
  weight_ = 0;
}

void GhostQueue::MaybeCompact() {
  if (fifo_.size() < 64 || fifo_.size() <= 2 * live_.size()) return;
  auto stale = [this](const Record& r) {
    auto it = live_.find(r.hash);
    return it == live_.end() || it->second.seq != r.seq;
  };
  fifo_.erase(std::remove_if(fifo_.begin(), fifo_.end(), stale), fifo_.end());
}

}  // namespace strata::cache
