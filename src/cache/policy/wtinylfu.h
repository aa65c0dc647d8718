// W-TinyLFU (Einziger, Friedman, Manes, ToS'17; the policy of Caffeine):
//   window    - an LRU of 1% of the capacity that every new entry enters;
//   main      - a segmented LRU: probation (entries admitted from the window) and protected
//               (80% of main; entries hit while on probation; its overflow returns to probation);
//   admission - when the cache is full the window's oldest entry (the candidate) competes with
//               main's victim (probation's oldest, else protected's): the one with the higher
//               FrequencySketch estimate stays, ties keep the incumbent.
// The sketch counts every request (hits and misses) and ages by halving, so admission favours
// keys that are popular now; the window gives new bursty keys a chance.
//
// Options::adaptive tunes the window/main split with Caffeine 3.x's hill climber: every
// 10 x expected_entries requests it compares the hit ratio with the previous period's and keeps
// moving the split in the direction that helped (step 6.25% of the capacity, decaying by 0.98,
// reset to a full step when the hit ratio moves by 5 points or more).
//
// Weights: shares are in weight units; a window holding more than its share (a large object)
// feeds its oldest entries to admission one per Evict(). Minimum shares: window 1, main 1,
// protected 1 (0 if main is 1), so a 2-entry shard still works.
// Per-entry metadata: 32 bytes (list pointers, key hash, weight, queue tag) plus the sketch,
// ~8 bytes per expected entry.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cache/policy/intrusive_list.h"
#include "cache/sketch/frequency_sketch.h"

namespace strata::cache {

class WTinyLfu {
 public:
  struct Hook : ListHook {
    uint64_t hash = 0;
    uint32_t weight = 0;
    uint8_t queue = 0;
  };
  struct Options {
    double window_fraction = 0.01;
    double protected_fraction = 0.8;
    // Entries the sketch is sized for; 0 = capacity (right for count-weighted caches; byte caches
    // should pass capacity / typical object size).
    uint64_t expected_entries = 0;
    uint64_t seed = 1;
    bool adaptive = false;
  };
  static constexpr const char* kName = "wtinylfu";
  static constexpr double kClimbStep = 0.0625;
  static constexpr double kClimbRestart = 0.05;
  static constexpr double kClimbDecay = 0.98;

  explicit WTinyLfu(uint64_t capacity) : WTinyLfu(capacity, Options{}) {}
  WTinyLfu(uint64_t capacity, Options options);

  void OnMiss(uint64_t hash, uint32_t /*weight*/) {
    sketch_.Increment(hash);
    pending_hash_ = hash;
    pending_ = true;
  }
  void Insert(Hook* h, uint64_t hash, uint32_t weight);
  void Access(Hook* h);
  void Remove(Hook* h);
  Hook* Evict();

  size_t size() const { return window_.size() + probation_.size() + protected_.size(); }
  uint64_t weight() const { return window_weight_ + probation_weight_ + protected_weight_; }
  uint64_t capacity() const { return capacity_; }
  uint64_t window_capacity() const { return window_cap_; }
  uint64_t protected_capacity() const { return protected_cap_; }
  const FrequencySketch& sketch() const { return sketch_; }

 private:
  static constexpr uint8_t kWindow = 1;
  static constexpr uint8_t kProbation = 2;
  static constexpr uint8_t kProtected = 3;
  void Unlink(Hook* h);
  void Climb(bool hit);
  void GrowWindow(int64_t amount);
  void ShrinkWindow(int64_t amount);
  void PushProbation(Hook* h) {
    h->queue = kProbation;
    probation_.PushBack(h);
    probation_weight_ += h->weight;
  }
  Hook* MainVictim() const {
    if (!probation_.empty()) return static_cast<Hook*>(probation_.Front());
    return static_cast<Hook*>(protected_.Front());
  }

  IntrusiveList window_;
  IntrusiveList probation_;
  IntrusiveList protected_;
  FrequencySketch sketch_;
  uint64_t window_weight_ = 0;
  uint64_t probation_weight_ = 0;
  uint64_t protected_weight_ = 0;
  uint64_t capacity_;
  uint64_t window_cap_;
  uint64_t protected_cap_;
  uint64_t pending_hash_ = 0;
  bool pending_ = false;
  // hill climber
  bool adaptive_;
  uint64_t climb_period_;
  uint64_t climb_requests_ = 0;
  uint64_t climb_hits_ = 0;
  double climb_previous_rate_ = 0;
  double climb_step_;
};

}  // namespace strata::cache
