#include "cache/policy/wtinylfu.h"

#include <algorithm>
#include <cmath>

#include "cache/policy/policy.h"

namespace strata::cache {

namespace {
uint64_t ProtectedShare(uint64_t main_cap, double fraction) {
  return main_cap > 1 ? Share(main_cap, fraction) : 0;
}
}  // namespace

WTinyLfu::WTinyLfu(uint64_t capacity, Options options)
    : sketch_(options.expected_entries != 0 ? options.expected_entries : capacity, options.seed),
      capacity_(capacity),
      window_cap_(Share(capacity, options.window_fraction)),
      protected_cap_(ProtectedShare(capacity > window_cap_ + 1 ? capacity - window_cap_ : 1,
                                    options.protected_fraction)),
      adaptive_(options.adaptive),
      climb_period_(10 * (options.expected_entries != 0 ? options.expected_entries : capacity)),
      climb_step_(-kClimbStep * static_cast<double>(capacity)) {}

void WTinyLfu::Insert(Hook* h, uint64_t hash, uint32_t weight) {
  if (!pending_ || pending_hash_ != hash) sketch_.Increment(hash);
  pending_ = false;
  h->hash = hash;
  h->weight = weight;
  h->queue = kWindow;
  window_.PushBack(h);
  window_weight_ += weight;
  // While the cache is not full the window overflows into probation without a contest.
  while (window_weight_ > window_cap_ && window_.size() > 1 && this->weight() <= capacity_) {
    auto* c = static_cast<Hook*>(window_.PopFront());
    window_weight_ -= c->weight;
    PushProbation(c);
  }
  Climb(false);
}

void WTinyLfu::Access(Hook* h) {
  sketch_.Increment(h->hash);
  switch (h->queue) {
    case kWindow:
      window_.MoveToBack(h);
      break;
    case kProtected:
      protected_.MoveToBack(h);
      break;
    default:  // probation -> protected; protected's overflow goes back to probation
      probation_.Remove(h);
      probation_weight_ -= h->weight;
      h->queue = kProtected;
      protected_.PushBack(h);
      protected_weight_ += h->weight;
      while (protected_weight_ > protected_cap_ && !protected_.empty()) {
        auto* d = static_cast<Hook*>(protected_.PopFront());
        protected_weight_ -= d->weight;
        PushProbation(d);
      }
      break;
  }
  Climb(true);
}

void WTinyLfu::Climb(bool hit) {
  if (!adaptive_) return;
  climb_hits_ += hit ? 1 : 0;
  if (++climb_requests_ < climb_period_) return;
  const double rate = static_cast<double>(climb_hits_) / static_cast<double>(climb_requests_);
  const double change = rate - climb_previous_rate_;
  const double amount = change >= 0 ? climb_step_ : -climb_step_;
  climb_step_ = std::fabs(change) >= kClimbRestart
                    ? kClimbStep * static_cast<double>(capacity_) * (amount >= 0 ? 1 : -1)
                    : kClimbDecay * amount;
  climb_previous_rate_ = rate;
  climb_requests_ = climb_hits_ = 0;
  const auto q = static_cast<int64_t>(amount);  // truncates toward zero
  if (q > 0 && protected_cap_ > 0) {
    GrowWindow(q);
  } else if (q < 0 && window_cap_ > 1) {
    ShrinkWindow(-q);
  }
}

void WTinyLfu::GrowWindow(int64_t q) {
  q = std::min<int64_t>(q, static_cast<int64_t>(protected_cap_));
  protected_cap_ -= static_cast<uint64_t>(q);
  window_cap_ += static_cast<uint64_t>(q);
  while (protected_weight_ > protected_cap_ && !protected_.empty()) {
    auto* d = static_cast<Hook*>(protected_.PopFront());
    protected_weight_ -= d->weight;
    PushProbation(d);
  }
  // Main's oldest entries join the window so that it actually grows.
  while (q > 0 && (!probation_.empty() || !protected_.empty())) {
    Hook* y = MainVictim();
    Unlink(y);
    y->queue = kWindow;
    window_.PushBack(y);
    window_weight_ += y->weight;
    q -= std::min<int64_t>(q, y->weight);
  }
  protected_cap_ += static_cast<uint64_t>(q);  // give back what could not move
  window_cap_ -= static_cast<uint64_t>(q);
}

void WTinyLfu::ShrinkWindow(int64_t q) {
  q = std::min<int64_t>(q, static_cast<int64_t>(window_cap_) - 1);
  protected_cap_ += static_cast<uint64_t>(q);
  window_cap_ -= static_cast<uint64_t>(q);
  while (q > 0 && window_weight_ > window_cap_) {
    auto* y = static_cast<Hook*>(window_.PopFront());
    window_weight_ -= y->weight;
    PushProbation(y);
    q -= std::min<int64_t>(q, y->weight);
  }
}

void WTinyLfu::Unlink(Hook* h) {
  switch (h->queue) {
    case kWindow:
      window_.Remove(h);
      window_weight_ -= h->weight;
      break;
    case kProbation:
      probation_.Remove(h);
      probation_weight_ -= h->weight;
      break;
    default:
      protected_.Remove(h);
      protected_weight_ -= h->weight;
      break;
  }
  h->queue = 0;
}

void WTinyLfu::Remove(Hook* h) { Unlink(h); }

WTinyLfu::Hook* WTinyLfu::Evict() {
  Hook* victim = MainVictim();
  if (!window_.empty() && window_weight_ >= window_cap_) {
    // The window is full: its oldest entry competes with main's victim for a place in main.
    auto* candidate = static_cast<Hook*>(window_.Front());
    if (victim == nullptr) {
      Unlink(candidate);
      return candidate;
    }
    if (sketch_.Estimate(candidate->hash) > sketch_.Estimate(victim->hash)) {
      Unlink(victim);
      window_.Remove(candidate);
      window_weight_ -= candidate->weight;
      PushProbation(candidate);
      return victim;
    }
    Unlink(candidate);
    return candidate;
  }
  if (victim == nullptr) victim = static_cast<Hook*>(window_.Front());
  if (victim != nullptr) Unlink(victim);
  return victim;
}

}  // namespace strata::cache
