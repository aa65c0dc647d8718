// ShardSet: the shard threads. Thread i runs an io::Reactor and owns Shard i (its slice of the
// keyspace, chosen by key hash) plus the client connections it accepted. The only way to touch
// another thread's shard is to send it work:
//
//   Post(i, fn)                      fire-and-forget on shard i's thread
//   co_await Hop(i, fn)              run fn(Shard&) there, resume here with its result
//   co_await HopDeferred(i, fn)      fn(Shard&, done) may finish later (lock waits)
//   co_await Broadcast(fn)           fn(Shard&) on every shard in parallel, results by shard
//
// Awaiters resume the coroutine on the thread that awaited (through its reactor's mailbox), so
// coordinator state is never shared between threads.
#pragma once

#include <coroutine>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "io/reactor.h"
#include "kv/engine/shard.h"

namespace strata::kv {

class ShardSet {
 public:
  explicit ShardSet(uint32_t n) : n_(n) {}

  uint32_t size() const { return n_; }
  uint32_t ShardOf(uint64_t hash) const { return n_ == 1 ? 0 : uint32_t((hash >> 32) % n_); }

  void Register(uint32_t i, io::Reactor* reactor, Shard* shard) {
    if (reactors_.size() < n_) {
      reactors_.resize(n_);
      shards_.resize(n_);
    }
    reactors_[i] = reactor;
    shards_[i] = shard;
  }
  io::Reactor* reactor(uint32_t i) const { return reactors_[i]; }
  // Only valid on shard i's own thread.
  Shard* shard(uint32_t i) const { return shards_[i]; }

  void Post(uint32_t i, std::function<void()> fn) { reactors_[i]->Post(std::move(fn)); }

  // The shard index of the calling thread (or -1 off shard threads).
  static int Current();
  static void SetCurrent(int i);

  template <typename F>
  auto Hop(uint32_t target, F fn);
  template <typename F>
  auto HopDeferred(uint32_t target, F fn);
  template <typename F>
  auto Broadcast(F fn);

 private:
  uint32_t n_;
  std::vector<io::Reactor*> reactors_;
  std::vector<Shard*> shards_;
};

// The process's shard set (created by the server at start-up).
ShardSet& Shards();
void InstallShardSet(ShardSet* set);

template <typename F>
auto ShardSet::Hop(uint32_t target, F fn) {
  using R = std::invoke_result_t<F, Shard&>;
  struct Awaiter {
    ShardSet* set;
    uint32_t target;
    F fn;
    std::conditional_t<std::is_void_v<R>, char, std::optional<R>> result{};
    bool await_ready() {
      if (int(target) != ShardSet::Current()) return false;
      if constexpr (std::is_void_v<R>)
        fn(*set->shard(target));
      else
        result = fn(*set->shard(target));
      return true;
    }
    void await_suspend(std::coroutine_handle<> h) {
      io::Reactor* origin = io::Reactor::Current();
      set->Post(target, [this, h, origin] {
        if constexpr (std::is_void_v<R>)
          fn(*set->shard(target));
        else
          result = fn(*set->shard(target));
        origin->Post([h] { h.resume(); });
      });
    }
    R await_resume() {
      if constexpr (!std::is_void_v<R>) return std::move(*result);
    }
  };
  return Awaiter{this, target, std::move(fn)};
}

template <typename F>
auto ShardSet::HopDeferred(uint32_t target, F fn) {
  struct Awaiter {
    ShardSet* set;
    uint32_t target;
    F fn;
    bool await_ready() { return false; }
    void await_suspend(std::coroutine_handle<> h) {
      io::Reactor* origin = io::Reactor::Current();
      auto done = [h, origin] { origin->Post([h] { h.resume(); }); };
      set->Post(target, [this, done] { fn(*set->shard(target), done); });
    }
    void await_resume() {}
  };
  return Awaiter{this, target, std::move(fn)};
}

template <typename F>
auto ShardSet::Broadcast(F fn) {
  using R = std::invoke_result_t<F, Shard&>;
  using Stored = std::conditional_t<std::is_void_v<R>, char, R>;
  struct Awaiter {
    ShardSet* set;
    F fn;
    std::vector<Stored> results;
    uint32_t pending = 0;
    bool await_ready() { return false; }
    void await_suspend(std::coroutine_handle<> h) {
      io::Reactor* origin = io::Reactor::Current();
      results.resize(set->size());
      pending = set->size();
      for (uint32_t i = 0; i < set->size(); i++) {
        set->Post(i, [this, h, origin, i] {
          if constexpr (std::is_void_v<R>)
            fn(*set->shard(i));
          else
            results[i] = fn(*set->shard(i));
          origin->Post([this, h] {
            if (--pending == 0) h.resume();
          });
        });
      }
    }
    std::vector<Stored> await_resume() { return std::move(results); }
  };
  return Awaiter{this, std::move(fn), {}, 0};
}

}  // namespace strata::kv
