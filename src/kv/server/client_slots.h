// Client slots: how many clients are connected, process wide, and admission under maxclients.
//
// Every shard thread accepts on its own listening socket, so several acceptors admit clients at
// the same time. Admission is one compare-and-swap on the shared count: the count is checked and
// taken in a single step (no two acceptors can both take the last slot), and a refused client
// never holds a slot, not even for a moment (so it cannot make another acceptor refuse a client
// while a slot is free). A client gives its slot back when its descriptor is closed.
#pragma once

#include <atomic>
#include <cstdint>

namespace strata::kv {

// `Counter` is std::atomic<int64_t>; tests substitute one that lets another acceptor run between
// two steps of TryReserve.
template <typename Counter>
class BasicClientSlots {
 public:
  // Takes a slot if fewer than `max` are taken.
  bool TryReserve(int64_t max) {
    int64_t n = count_.load(std::memory_order_relaxed);
    do {
      if (n >= max) return false;
    } while (!count_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
    return true;
  }
  void Release() { count_.fetch_sub(1, std::memory_order_relaxed); }
  int64_t count() const { return count_.load(std::memory_order_relaxed); }
  Counter& counter() { return count_; }

 private:
  Counter count_{0};
};

using ClientSlots = BasicClientSlots<std::atomic<int64_t>>;

}  // namespace strata::kv
