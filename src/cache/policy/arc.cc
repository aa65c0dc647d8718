#include "cache/policy/arc.h"

#include <algorithm>

namespace strata::cache {

Arc::Arc(uint64_t capacity) : capacity_(capacity) {}

void Arc::GhostHit(bool in_b1, uint32_t weight) {
  const double w = weight;
  const double b1 = static_cast<double>(b1_.weight());
  const double b2 = static_cast<double>(b2_.weight());
  const double c = static_cast<double>(capacity_);
  if (in_b1) {
    p_ = std::min(c, p_ + w * std::max(1.0, b2 / b1));
  } else {
    p_ = std::max(0.0, p_ - w * std::max(1.0, b1 / b2));
  }
}

void Arc::OnMiss(uint64_t hash, uint32_t weight) {
  pending_hash_ = hash;
  pending_ghost_hit_ = false;
  mode_ = Mode::kReplace;
  if (b1_.Contains(hash)) {
    GhostHit(true, weight);
    b1_.Erase(hash);
    pending_ghost_hit_ = true;
    return;
  }
  if (b2_.Contains(hash)) {
    GhostHit(false, weight);
    b2_.Erase(hash);
    pending_ghost_hit_ = true;
    mode_ = Mode::kReplaceAfterB2Hit;
    return;
  }
  // A new key: keep |T1| + |B1| <= c and the whole directory <= 2c.
  const uint64_t c = capacity_;
  uint64_t l1 = t1_weight_ + b1_.weight();
  if (l1 + weight > c) {
    if (t1_weight_ + weight <= c) {
      while (l1 + weight > c && b1_.PopOldest()) l1 = t1_weight_ + b1_.weight();
    } else {
      mode_ = Mode::kEvictT1;  // B1 is empty and T1 fills the cache: drop T1's LRU, no ghost
    }
    return;
  }
  uint64_t total = l1 + t2_weight_ + b2_.weight();
  while (total + weight > 2 * c && b2_.PopOldest()) total = l1 + t2_weight_ + b2_.weight();
}

void Arc::Insert(Hook* h, uint64_t hash, uint32_t weight) {
  bool ghost_hit = pending_ghost_hit_ && pending_hash_ == hash;
  if (!ghost_hit && (b1_.Erase(hash) || b2_.Erase(hash))) ghost_hit = true;  // no OnMiss()
  pending_ghost_hit_ = false;
  mode_ = Mode::kReplace;
  h->hash = hash;
  h->weight = weight;
  if (ghost_hit) {
    h->queue = kT2;
    t2_.PushBack(h);
    t2_weight_ += weight;
  } else {
    h->queue = kT1;
    t1_.PushBack(h);
    t1_weight_ += weight;
  }
}

void Arc::PromoteToT2(Hook* h) {
  t1_.Remove(h);
  t1_weight_ -= h->weight;
  h->queue = kT2;
  t2_.PushBack(h);
  t2_weight_ += h->weight;
}

void Arc::Remove(Hook* h) {
  if (h->queue == kT1) {
    t1_.Remove(h);
    t1_weight_ -= h->weight;
  } else {
    t2_.Remove(h);
    t2_weight_ -= h->weight;
  }
  h->queue = 0;
}

Arc::Hook* Arc::Evict() {
  Mode mode = mode_;
  mode_ = Mode::kReplace;  // further evictions for the same request are plain REPLACEs
  if (mode == Mode::kEvictT1 && !t1_.empty()) {
    auto* h = static_cast<Hook*>(t1_.PopFront());
    t1_weight_ -= h->weight;
    h->queue = 0;
    return h;
  }
  return Replace(mode == Mode::kReplaceAfterB2Hit);
}

Arc::Hook* Arc::Replace(bool after_b2_hit) {
  const double t1 = static_cast<double>(t1_weight_);
  bool from_t1 = (!t1_.empty() && (t1 > p_ || (after_b2_hit && t1 == p_))) || t2_.empty();
  if (from_t1) {
    auto* h = static_cast<Hook*>(t1_.PopFront());
    if (h == nullptr) return nullptr;
    t1_weight_ -= h->weight;
    b1_.Push(h->hash, h->weight);
    h->queue = 0;
    return h;
  }
  auto* h = static_cast<Hook*>(t2_.PopFront());
  t2_weight_ -= h->weight;
  b2_.Push(h->hash, h->weight);
  h->queue = 0;
  return h;
}

}  // namespace strata::cache
