#include "cache/policy/two_queue.h"

#include "cache/policy/policy.h"

namespace strata::cache {

TwoQueue::TwoQueue(uint64_t capacity, Options options)
    : a1out_(Share(capacity, options.out_fraction)),
      capacity_(capacity),
      in_cap_(Share(capacity, options.in_fraction)) {}

void TwoQueue::OnMiss(uint64_t hash, uint32_t /*weight*/) {
  pending_ghost_hit_ = a1out_.Erase(hash);
  pending_hash_ = hash;
}

void TwoQueue::Insert(Hook* h, uint64_t hash, uint32_t weight) {
  bool ghost_hit = (pending_ghost_hit_ && pending_hash_ == hash) || a1out_.Erase(hash);
  pending_ghost_hit_ = false;
  h->hash = hash;
  h->weight = weight;
  if (ghost_hit) {
    h->queue = kAm;
    am_.PushBack(h);
    am_weight_ += weight;
  } else {
    h->queue = kA1in;
    a1in_.PushBack(h);
    a1in_weight_ += weight;
  }
}

void TwoQueue::Remove(Hook* h) {
  if (h->queue == kAm) {
    am_.Remove(h);
    am_weight_ -= h->weight;
  } else {
    a1in_.Remove(h);
    a1in_weight_ -= h->weight;
  }
  h->queue = 0;
}

TwoQueue::Hook* TwoQueue::Evict() {
  if ((a1in_weight_ > in_cap_ || am_.empty()) && !a1in_.empty()) {
    auto* h = static_cast<Hook*>(a1in_.PopFront());
    a1in_weight_ -= h->weight;
    a1out_.Push(h->hash, h->weight);
    h->queue = 0;
    return h;
  }
  auto* h = static_cast<Hook*>(am_.PopFront());
  if (h != nullptr) {
    am_weight_ -= h->weight;
    h->queue = 0;
  }
  return h;
}

}  // namespace strata::cache
