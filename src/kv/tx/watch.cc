#include "kv/tx/watch.h"

#include <algorithm>
#include <cstring>

namespace strata::kv {

void WatchTable::Add(const std::string& key, std::shared_ptr<WatchFlag> flag) {
  auto& v = by_key_[key];
  for (const auto& f : v)
    if (f == flag) return;
  v.push_back(std::move(flag));
}

void WatchTable::Remove(const std::string& key, const WatchFlag* flag) {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return;
  auto& v = it->second;
  v.erase(std::remove_if(v.begin(), v.end(), [flag](const auto& f) { return f.get() == flag; }),
          v.end());
  if (v.empty()) by_key_.erase(it);
}

void WatchTable::Touch(const std::string& key) {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return;
  for (const auto& f : it->second) f->dirty.store(true, std::memory_order_relaxed);
}

std::vector<std::string> WatchTable::KeysOfDb(int db) const {
  std::vector<std::string> out;
  for (const auto& [k, flags] : by_key_) {
    int kdb;
    memcpy(&kdb, k.data(), sizeof(kdb));  // LockTable::Encode's layout: db, then the key
    if (kdb == db) out.push_back(k);
  }
  return out;
}

}  // namespace strata::kv
