// Test harness: a small cache (key -> entry) driven through the miss protocol of policy.h, with
// bookkeeping that checks the policy's size/weight against the owner's view.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "cache/policy/policy.h"

namespace strata::cache::testing {

template <class P>
struct Entry : P::Hook {
  uint64_t key = 0;
  uint32_t w = 1;
};

template <class P>
class Harness {
 public:
  template <class... Args>
  explicit Harness(uint64_t capacity, Args&&... args)
      : policy_(std::make_unique<P>(capacity, std::forward<Args>(args)...)) {}

  // One request; returns true on a hit. Evicted keys are appended to evicted().
  bool Request(uint64_t key, uint32_t weight = 1) {
    auto it = map_.find(key);
    if (it != map_.end()) {
      policy_->Access(it->second.get());
      return true;
    }
    auto e = std::make_unique<Entry<P>>();
    e->key = key;
    e->w = weight;
    bool fits = MakeRoom(*policy_, Hash(key), weight, [this](typename P::Hook* h) {
      auto* victim = static_cast<Entry<P>*>(h);
      evicted_.push_back(victim->key);
      map_.erase(victim->key);  // frees the entry
    });
    if (!fits) return false;
    policy_->Insert(e.get(), Hash(key), weight);
    map_.emplace(key, std::move(e));
    return false;
  }
  bool Erase(uint64_t key) {
    auto it = map_.find(key);
    if (it == map_.end()) return false;
    policy_->Remove(it->second.get());
    map_.erase(it);
    return true;
  }
  bool Contains(uint64_t key) const { return map_.count(key) != 0; }
  uint64_t OwnerWeight() const {
    uint64_t w = 0;
    for (auto& [k, e] : map_) w += e->w;
    return w;
  }
  size_t OwnerSize() const { return map_.size(); }

  static uint64_t Hash(uint64_t key) { return key * 0x9E3779B97F4A7C15ULL + 7; }

  P& policy() { return *policy_; }
  std::vector<uint64_t>& evicted() { return evicted_; }

 private:
  std::unique_ptr<P> policy_;
  std::map<uint64_t, std::unique_ptr<Entry<P>>> map_;
  std::vector<uint64_t> evicted_;
};

}  // namespace strata::cache::testing
