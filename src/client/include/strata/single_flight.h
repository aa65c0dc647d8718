// SingleFlight<V>: collapses concurrent calls for one key into one execution.
//
// Do(key, fn): if no call for `key` is in flight, the caller becomes its leader and runs fn()
// on its own thread; callers arriving for the same key while it runs wait and then receive a
// copy of the same value, or the same exception (the very exception object, rethrown in each
// waiter through std::exception_ptr). A call is in flight from the moment its leader registers
// it until fn returns or throws; the next Do for that key after that runs fn again (results are
// never cached). Calls for different keys never wait for each other beyond a short shard lock.
//
// Thread-safety: every member may be called from any thread. The in-flight map is split into
// kShards shards, each under its own mutex, held only to look up, insert or erase an entry,
// never while fn runs. fn must not call Do for the same key on the same SingleFlight (it would
// wait for itself). V must be copy-constructible.
#pragma once

#include <array>
#include <cstddef>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>

namespace strata {

template <class V>
class SingleFlight {
 public:
  static constexpr size_t kShards = 16;

  SingleFlight() = default;
  SingleFlight(const SingleFlight&) = delete;
  SingleFlight& operator=(const SingleFlight&) = delete;

  template <class F>
  requires std::is_invocable_r_v<V, F&> V Do(const std::string& key, F&& fn) {
    Shard& shard = shards_[std::hash<std::string>{}(key) % kShards];
    std::shared_ptr<Call> call;
    bool leader = false;
    {
      std::lock_guard lock(shard.mu);
      auto it = shard.calls.find(key);
      if (it != shard.calls.end()) {
        call = it->second;
        ++call->waiters;
      } else {
        call = std::make_shared<Call>();
        call->result = call->promise.get_future().share();
        shard.calls.emplace(key, call);
        leader = true;
      }
    }
    if (!leader) return call->result.get();  // a copy of the value, or the exception rethrown
    return Lead(shard, key, call, fn);
  }

  // Callers currently waiting on the in-flight call for `key` (not counting its leader); 0 when
  // none is in flight. For tests and diagnostics.
  size_t Waiting(const std::string& key) const {
    const Shard& shard = shards_[std::hash<std::string>{}(key) % kShards];
    std::lock_guard lock(shard.mu);
    auto it = shard.calls.find(key);
    return it == shard.calls.end() ? 0 : it->second->waiters;
  }

  // Keys with a call in flight.
  size_t InFlight() const {
    size_t n = 0;
    for (const Shard& s : shards_) {
      std::lock_guard lock(s.mu);
      n += s.calls.size();
    }
    return n;
  }

 private:
  struct Call {
    std::promise<V> promise;
    std::shared_future<V> result;
    size_t waiters = 0;  // guarded by the shard mutex
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, std::shared_ptr<Call>> calls;
  };

  template <class F>
  V Lead(Shard& shard, const std::string& key, const std::shared_ptr<Call>& call, F& fn) {
    std::exception_ptr error;
    std::optional<V> value;
    try {
      value.emplace(fn());
    } catch (...) {
      error = std::current_exception();
    }
    // Unregister before publishing: a caller arriving from here on starts a new call instead of
    // receiving this (completed) result.
    {
      std::lock_guard lock(shard.mu);
      auto it = shard.calls.find(key);
      if (it != shard.calls.end() && it->second == call) shard.calls.erase(it);
    }
    if (error) {
      call->promise.set_exception(error);
      std::rethrow_exception(error);
    }
    call->promise.set_value(*value);
    return std::move(*value);
  }

  std::array<Shard, kShards> shards_;
};

}  // namespace strata
