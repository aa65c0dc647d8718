// FakeDb: the database behind the caching-pattern tests. It counts loads per key and can be made
// slow, down, or failing every other call.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

namespace strata::testing {

class FakeDb {
 public:
  std::optional<std::string> Load(const std::string& key) {
    loads++;
    {
      std::lock_guard<std::mutex> lock(mu_);
      per_key_[key]++;
    }
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    if (down) throw std::runtime_error("database unavailable");
    if (fail_half && (calls_.fetch_add(1) % 2 == 1)) throw std::runtime_error("database error");
    std::lock_guard<std::mutex> lock(mu_);
    auto it = rows_.find(key);
    if (it == rows_.end()) return std::nullopt;
    return it->second;
  }
  void Write(const std::string& key, const std::string& value) {
    std::lock_guard<std::mutex> lock(mu_);
    rows_[key] = value;
  }
  int LoadsOf(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    return per_key_[key];
  }

  std::atomic<int> loads{0};
  std::chrono::milliseconds delay{0};
  std::atomic<bool> down{false};
  std::atomic<bool> fail_half{false};

 private:
  std::mutex mu_;
  std::map<std::string, std::string> rows_;
  std::map<std::string, int> per_key_;
  std::atomic<int> calls_{0};
};

}  // namespace strata::testing
