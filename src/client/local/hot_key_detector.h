// HotKeyDetector: which keys this process reads most, for Cache<T>'s hot-key handling (L1
// promotion, replicas, refresh-ahead). The cache core's TopKeys (a frequency sketch with the top
// candidates' counts, the structure behind strata-server's HOTKEYS), split into stripes by key
// hash so recording a read takes one stripe's lock, never a global one. Thread-safe.
#pragma once

#include <algorithm>
#include <array>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "base/hash.h"
#include "cache/sketch/top_keys.h"

namespace strata::client {

class HotKeyDetector {
 public:
  static constexpr size_t kStripes = 16;
  static constexpr size_t kTopPerStripe = 8;
  static constexpr uint64_t kSketchEntries = 4096;

  // Records one read; returns the key's sketch estimate afterwards (0..15, its "heat").
  uint32_t Record(const std::string& key) {
    const uint64_t h = HashKey(key);
    Stripe& s = stripes_[h % kStripes];
    std::lock_guard<std::mutex> lock(s.mu);
    s.top.Record(0, key, h);
    return s.top.Estimate(0, h);
  }
  uint32_t Estimate(const std::string& key) const {
    const uint64_t h = HashKey(key);
    const Stripe& s = stripes_[h % kStripes];
    std::lock_guard<std::mutex> lock(s.mu);
    return s.top.Estimate(0, h);
  }
  // The hottest keys, hottest first, with their decayed access counts.
  std::vector<std::pair<std::string, uint64_t>> Top(size_t n) const {
    std::vector<std::pair<std::string, uint64_t>> all;
    for (const Stripe& s : stripes_) {
      std::lock_guard<std::mutex> lock(s.mu);
      for (auto& item : s.top.Top(kTopPerStripe)) all.emplace_back(item.key, item.count);
    }
    std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.second > b.second; });
    if (all.size() > n) all.resize(n);
    return all;
  }

 private:
  struct Stripe {
    mutable std::mutex mu;
    cache::TopKeys top{kTopPerStripe, kSketchEntries};
  };
  std::array<Stripe, kStripes> stripes_;
};

}  // namespace strata::client
