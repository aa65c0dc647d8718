#include "kv/tx/lock_table.h"

#include <cstring>
#include <unordered_set>

namespace strata::kv {

std::string LockTable::Encode(int db, std::string_view key) {
  std::string s(sizeof(int) + key.size(), '\0');
  memcpy(s.data(), &db, sizeof(int));
  memcpy(s.data() + sizeof(int), key.data(), key.size());
  return s;
}

bool LockTable::IsBlocked(const std::string& k) const {
  if (locked_.count(k)) return true;
  for (const auto& w : waiters_) {
    for (const auto& x : w.keys) {
      if (x == k) return true;
    }
  }
  return false;
}

bool LockTable::AnyLocked(const std::vector<std::string>& keys) const {
  for (const auto& k : keys) {
    if (locked_.count(k)) return true;
  }
  return false;
}

void LockTable::Acquire(std::vector<std::string> keys, std::function<void()> granted) {
  bool blocked = AnyLocked(keys);
  if (!blocked) {
    for (const auto& k : keys) {
      for (const auto& w : waiters_) {
        for (const auto& x : w.keys) blocked |= (x == k);
      }
    }
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
    std::unordered_set<std::string> claimed;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      bool blocked = AnyLocked(it->keys);
      for (const auto& k : it->keys) blocked |= claimed.count(k) > 0;
      if (blocked) {
        for (const auto& k : it->keys) claimed.insert(k);
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
