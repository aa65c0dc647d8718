// HotKeyDetector: which keys this process reads most, for Cache<T>'s hot-key handling (L1
// promotion, replicas, refresh-ahead). Striped frequency sketches from the cache core
// (FrequencySketch: 4-bit counters, aged by halving) with a few top candidates per stripe, so
// recording a read takes one stripe's lock, never a global one. Thread-safe.
#pragma once

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "base/hash.h"
#include "cache/sketch/frequency_sketch.h"

namespace strata::client {

class HotKeyDetector {
 public:
  static constexpr size_t kStripes = 16;
  static constexpr size_t kTopPerStripe = 8;

  HotKeyDetector() {
    for (auto& s : stripes_) s.sketch = std::make_unique<cache::FrequencySketch>(4096);
  }
  // Records one read; returns the key's estimate afterwards.
  uint32_t Record(const std::string& key) {
    const uint64_t h = HashKey(key);
    Stripe& s = stripes_[h % kStripes];
    std::lock_guard<std::mutex> lock(s.mu);
    s.sketch->Increment(h);
    const uint32_t est = s.sketch->Estimate(h);
    auto it = s.top.find(key);
    if (it != s.top.end()) {
      it->second = est;
    } else if (s.top.size() < kTopPerStripe) {
      s.top.emplace(key, est);
    } else {
      auto min = std::min_element(s.top.begin(), s.top.end(),
                                  [](auto& a, auto& b) { return a.second < b.second; });
      // Refresh the incumbent's estimate (it ages) before it may be displaced.
      min->second = s.sketch->Estimate(HashKey(min->first));
      if (min->second < est) {
        s.top.erase(min);
        s.top.emplace(key, est);
      }
    }
    return est;
  }
  uint32_t Estimate(const std::string& key) const {
    const uint64_t h = HashKey(key);
    const Stripe& s = stripes_[h % kStripes];
    std::lock_guard<std::mutex> lock(s.mu);
    return s.sketch->Estimate(h);
  }
  std::vector<std::pair<std::string, uint32_t>> Top(size_t n) const {
    std::vector<std::pair<std::string, uint32_t>> all;
    for (const Stripe& s : stripes_) {
      std::lock_guard<std::mutex> lock(s.mu);
      for (auto& [k, _] : s.top) all.emplace_back(k, s.sketch->Estimate(HashKey(k)));
    }
    std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.second > b.second; });
    if (all.size() > n) all.resize(n);
    return all;
  }

 private:
  struct Stripe {
    mutable std::mutex mu;
    std::unique_ptr<cache::FrequencySketch> sketch;
    std::map<std::string, uint32_t> top;
  };
  std::array<Stripe, kStripes> stripes_;
};

}  // namespace strata::client
