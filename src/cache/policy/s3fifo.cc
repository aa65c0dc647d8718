#include "cache/policy/s3fifo.h"

#include "cache/policy/policy.h"

namespace strata::cache {

S3Fifo::S3Fifo(uint64_t capacity, Options options)
    : capacity_(capacity),
      small_cap_(Share(capacity, options.small_fraction)),
      main_cap_(capacity > small_cap_ ? capacity - small_cap_ : 0),
      threshold_(options.promote_threshold) {
  ghost_.set_capacity(main_cap_ > 0 ? main_cap_ : 1);
}

void S3Fifo::Insert(Hook* h, uint64_t hash, uint32_t weight) {
  h->hash = hash;
  h->weight = weight;
  h->freq = 0;
  if (ghost_.Erase(hash)) {
    h->queue = kMain;
    main_.PushBack(h);
    main_weight_ += weight;
  } else {
    h->queue = kSmall;
    small_.PushBack(h);
    small_weight_ += weight;
  }
}

void S3Fifo::Remove(Hook* h) {
  if (h->queue == kSmall) {
    small_.Remove(h);
    small_weight_ -= h->weight;
  } else {
    main_.Remove(h);
    main_weight_ -= h->weight;
  }
  h->queue = 0;
}

S3Fifo::Hook* S3Fifo::Evict() {
  if (small_.empty() && main_.empty()) return nullptr;
  for (;;) {
    Hook* victim =
        (main_weight_ > main_cap_ || small_.empty()) ? EvictFromMain() : EvictFromSmall();
    if (victim != nullptr) {
      victim->queue = 0;
      return victim;
    }
  }
}

S3Fifo::Hook* S3Fifo::EvictFromMain() {
  while (auto* h = static_cast<Hook*>(main_.Front())) {
    if (h->freq > 0) {
      --h->freq;
      main_.MoveToBack(h);
      continue;
    }
    main_.Remove(h);
    main_weight_ -= h->weight;
    return h;
  }
  return nullptr;
}

S3Fifo::Hook* S3Fifo::EvictFromSmall() {
  while (auto* h = static_cast<Hook*>(small_.PopFront())) {
    small_weight_ -= h->weight;
    if (h->freq >= threshold_) {
      h->freq = 0;
      h->queue = kMain;
      main_.PushBack(h);
      main_weight_ += h->weight;
      continue;
    }
    ghost_.Push(h->hash, h->weight);
    return h;
  }
  return nullptr;
}

}  // namespace strata::cache
