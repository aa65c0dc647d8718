#include "kv/server/thread_packing.h"

#include <algorithm>

namespace strata::kv {

bool PackingDecider::Next(ThreadPacking mode, bool packed, double busy_cores, double idle_cores,
                          double rate) {
  undid_ = false;
  if (mode != ThreadPacking::kAuto) {
    above_ = below_ = 0;
    trial_left_ = hold_ = 0;
    return mode == ThreadPacking::kAlways;
  }
  if (packed) {
    trial_left_ = 0;  // packed by the load (or by hand) before the trial ended
    return NextPacked(busy_cores, idle_cores, rate);
  }
  return NextSpread(busy_cores, rate);
}

bool PackingDecider::NextPacked(double busy_cores, double idle_cores, double rate) {
  below_ = 0;
  if (hold_ > 0) {
    hold_--;
    above_ = 0;
    return true;
  }
  bool spare = idle_cores < 0 || idle_cores >= t_.spare_cores;
  if (!(busy_cores > t_.spread_above && spare)) {
    above_ = 0;
    return true;
  }
  above_rate_ = above_ == 0 ? rate : (rate < 0 || above_rate_ < 0 ? -1 : above_rate_ + rate);
  if (++above_ < t_.spread_after) return true;
  if (above_rate_ >= 0 && t_.trial_windows > 0) {
    trial_left_ = t_.trial_skip + t_.trial_windows;
    trial_base_ = above_rate_ / above_;
    trial_rate_ = 0;
    trial_seen_ = 0;
  }
  above_ = 0;
  return false;
}

bool PackingDecider::NextSpread(double busy_cores, double rate) {
  above_ = 0;
  if (trial_left_ > 0) {
    if (rate < 0) {
      trial_left_ = 0;  // the rate went unknown: no verdict
    } else {
      trial_left_--;
      if (trial_left_ < t_.trial_windows) {
        trial_rate_ += rate;
        trial_seen_++;
      }
      if (trial_left_ == 0) {
        if (trial_rate_ / trial_seen_ < trial_base_ * t_.trial_gain) {
          // Two threads served no more than one: back to one, and wait longer every time.
          next_hold_ =
              next_hold_ == 0 ? t_.hold_windows : std::min(2 * next_hold_, t_.hold_max_windows);
          hold_ = next_hold_;
          below_ = 0;
          undid_ = true;
          return true;
        }
        next_hold_ = 0;  // the spread paid: the next failure starts the ladder again
      }
    }
  }
  below_ = busy_cores < t_.pack_below ? below_ + 1 : 0;
  if (below_ < t_.pack_after) return false;
  below_ = 0;
  trial_left_ = 0;
  return true;
}

PackingStats& GlobalPackingStats() {
  static PackingStats s;
  return s;
}

}  // namespace strata::kv
