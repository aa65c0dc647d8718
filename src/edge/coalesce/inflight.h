// InFlightTable: request coalescing for one worker (thread-owned, not thread-safe).
//
// While a cacheable miss for a primary key is being fetched, later misses for that key park
// on the fetch instead of going to the origin (Varnish's waiting list). When the response turns
// out uncacheable the key is remembered as hit-for-pass for a short time, so later requests go
// straight to the origin in parallel instead of queueing behind each other.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace strata::edge {

class FetchTask;

class InFlightTable {
 public:
  FetchTask* Find(const std::string& key) const {
    auto it = fetches_.find(key);
    return it == fetches_.end() ? nullptr : it->second;
  }
  void Add(const std::string& key, FetchTask* f) { fetches_[key] = f; }
  // Removes the entry only if it still points at `f`.
  void Remove(const std::string& key, FetchTask* f) {
    auto it = fetches_.find(key);
    if (it != fetches_.end() && it->second == f) fetches_.erase(it);
  }
  size_t size() const { return fetches_.size(); }

  void MarkHitForPass(const std::string& key, int64_t until_ms);
  bool IsHitForPass(const std::string& key, int64_t now_ms);
  void ClearHitForPass(const std::string& key) { hfp_.erase(key); }

 private:
  std::unordered_map<std::string, FetchTask*> fetches_;
  std::unordered_map<std::string, int64_t> hfp_;  // key -> expiry (ms)
};

}  // namespace strata::edge
