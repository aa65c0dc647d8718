#include "edge/coalesce/inflight.h"

namespace strata::edge {

void InFlightTable::MarkHitForPass(const std::string& key, int64_t until_ms) {
  // Bound the table: drop expired entries when it grows.
  if (hfp_.size() > 100000) {
    std::erase_if(hfp_, [&](const auto& kv) { return kv.second < until_ms - 3600 * 1000; });
    if (hfp_.size() > 100000) hfp_.clear();
  }
  hfp_[key] = until_ms;
}

bool InFlightTable::IsHitForPass(const std::string& key, int64_t now_ms) {
  auto it = hfp_.find(key);
  if (it == hfp_.end()) return false;
  if (it->second <= now_ms) {
    hfp_.erase(it);
    return false;
  }
  return true;
}

}  // namespace strata::edge
