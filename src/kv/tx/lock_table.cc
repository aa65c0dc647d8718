#include "kv/tx/lock_table.h"

#include <cstring>

namespace strata::kv {

std::string LockTable::Encode(int db, std::string_view key) {
  std::string s(sizeof(int) + key.size(), '\0');
  memcpy(s.data(), &db, sizeof(int));
  memcpy(s.data() + sizeof(int), key.data(), key.size());
  return s;
}

namespace {

bool Wants(const std::vector<std::string>& keys, const std::string& k) {
  for (const auto& x : keys)
    if (x == k || x == LockTable::kAllKeys) return true;
  return false;
}

bool Overlap(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& k : a)
    if (k == LockTable::kAllKeys ? !b.empty() : Wants(b, k)) return true;
  return false;
}

}  // namespace

bool LockTable::IsBlocked(const std::string& k) const {
  if (locked_.count(k) || locked_.count(kAllKeys)) return true;
  for (const auto& w : waiters_)
    if (Wants(w.keys, k)) return true;
  return false;
}

bool LockTable::AnyLocked(const std::vector<std::string>& keys) const {
  if (locked_.empty()) return false;
  if (locked_.count(kAllKeys)) return true;
  for (const auto& k : keys)
    if (k == kAllKeys || locked_.count(k)) return true;
  return false;
}

void LockTable::Acquire(std::vector<std::string> keys, std::function<void()> granted) {
  bool blocked = AnyLocked(keys);
  for (const auto& w : waiters_) {
    if (blocked) break;
    blocked = Overlap(keys, w.keys);
  }
  if (blocked) {
    waiters_.push_back(Waiter{std::move(keys), std::move(granted), true});
    return;
  }
  for (const auto& k : keys) locked_[k]++;
  granted();
}

void LockTable::Defer(std::vector<std::string> keys, std::function<void()> fn) {
  waiters_.push_back(Waiter{std::move(keys), std::move(fn), false});
  Wake();
}

void LockTable::Take(const std::vector<std::string>& keys) {
  for (const auto& k : keys) locked_[k]++;
}

void LockTable::Release(const std::vector<std::string>& keys) {
  for (const auto& k : keys) {
    auto it = locked_.find(k);
    if (it != locked_.end() && --it->second == 0) locked_.erase(it);
  }
  Wake();
}

void LockTable::Wake() {
  if (waking_) return;  // a callback run from here released or deferred: the loop continues
  waking_ = true;
  bool progress = true;
  while (progress) {
    progress = false;
    std::vector<std::string> claimed;  // keys wanted by earlier waiters still blocked
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      bool blocked = AnyLocked(it->keys) || Overlap(it->keys, claimed);
      if (blocked) {
        claimed.insert(claimed.end(), it->keys.begin(), it->keys.end());
        ++it;
        continue;
      }
      Waiter w = std::move(*it);
      it = waiters_.erase(it);
      if (w.lock) {
        for (const auto& k : w.keys) locked_[k]++;
      }
      w.fn();
      progress = true;
      break;  // the queue may have changed: rescan from the front
    }
  }
  waking_ = false;
}

}  // namespace strata::kv
