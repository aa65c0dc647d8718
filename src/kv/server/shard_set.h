// ShardSet: the shard threads. Thread i runs an io::Reactor and owns Shard i (its slice of the
// keyspace, chosen by key hash) plus the client connections it accepted. The only way to touch
// another thread's shard is to send it work:
//
//   Post(i, fn)                      fire-and-forget on shard i's thread
//   co_await Hop(i, fn)              run fn(Shard&) there, resume here afterwards
//   co_await HopDeferred(i, fn)      fn(Shard&, done) may finish later (lock waits)
//   co_await Broadcast(fn)           fn(Shard&, i) on every shard in parallel
//
// Awaiters resume the coroutine on the thread that awaited (through its reactor's mailbox), so
// coordinator state is never shared between threads.
//
// Synchronous mode (SyncScope): a script's redis.call cannot suspend (Lua 5.1 cannot yield
// across C calls), so while a script holds the locks of every shard it may touch, its thread
// turns each hop into a blocking call, SyncRun: the work runs on the target shard's thread and
// the caller waits for it. Only one such thread exists at a time (the global script token,
// kv/script/...), and the threads it waits on never wait themselves, so this cannot deadlock.
#pragma once

#include <atomic>
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
  // Post, or run at once when this thread runs shard i too (thread packing) and nothing is
  // queued for it: see io::Reactor::RunOrPost.
  template <typename F>
  void PostOrRun(uint32_t i, F&& fn) {
    reactors_[i]->RunOrPost(std::forward<F>(fn));
  }

  // The shard index of the calling thread (or -1 off shard threads).
  static int Current();
  static void SetCurrent(int i);

  // Runs fn on shard i's thread and waits for it (see "Synchronous mode" above). Inline when
  // this thread runs shard i (its own shard, or packed onto this thread).
  void SyncRun(uint32_t i, const std::function<void()>& fn);
  // Replaying the append-only file at start: every other shard thread is parked at the start-up
  // barrier, so SyncRun runs its work inline on the replaying thread.
  static void SetReplayInline(bool on);
  // Whether this thread's hops are synchronous now.
  static bool SyncHops();
  // While one exists, Hop/HopDeferred/Broadcast on this thread complete before returning, and
  // thread packing keeps its current layout (a move could hand a shard we wait for to this
  // blocked thread).
  class SyncScope {
   public:
    SyncScope();
    ~SyncScope();
    SyncScope(const SyncScope&) = delete;
    SyncScope& operator=(const SyncScope&) = delete;

   private:
    bool prev_;
  };
  static bool AnySyncScope() { return sync_scopes_.load(std::memory_order_acquire) > 0; }

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
  static inline std::atomic<int> sync_scopes_{0};
};

// The process's shard set (created by the server at start-up).
ShardSet& Shards();
void InstallShardSet(ShardSet* set);

// The awaiters hold only the callable and plain pointers: results travel through references the
// callable captures. (GCC 12 mis-destroys non-trivial temporaries that live across a co_await
// inside loops, so coroutine code here keeps such temporaries out of awaiters.)

template <typename F>
auto ShardSet::Hop(uint32_t target, F fn) {
  struct Awaiter {
    ShardSet* set;
    uint32_t target;
    F fn;
    bool await_ready() {
      if (int(target) == ShardSet::Current()) {
        fn(*set->shard(target));
        return true;
      }
      if (!ShardSet::SyncHops()) return false;
      set->SyncRun(target, [this] { fn(*set->shard(target)); });
      return true;
    }
    void await_suspend(std::coroutine_handle<> h) {
      io::Reactor* origin = io::Reactor::Current();
      set->Post(target, [this, h, origin] {
        fn(*set->shard(target));
        origin->Post([h] { h.resume(); });
      });
    }
    void await_resume() {}
  };
  return Awaiter{this, target, std::move(fn)};
}

template <typename F>
auto ShardSet::HopDeferred(uint32_t target, F fn) {
  struct Awaiter {
    ShardSet* set;
    uint32_t target;
    F fn;
    bool await_ready() {
      if (!ShardSet::SyncHops()) return false;
      // The work may finish later (a lock wait): wait for `done`, not for fn's return.
      std::atomic<bool> finished{false};
      std::atomic<bool>* f = &finished;
      set->SyncRun(target, [this, f] {
        fn(*set->shard(target), [f] {
          f->store(true, std::memory_order_release);
          f->notify_one();
        });
      });
      while (!finished.load(std::memory_order_acquire)) finished.wait(false);
      return true;
    }
    void await_suspend(std::coroutine_handle<> h) {
      io::Reactor* origin = io::Reactor::Current();
      set->Post(target, [this, h, origin] {
        fn(*set->shard(target), [h, origin] { origin->Post([h] { h.resume(); }); });
      });
    }
    void await_resume() {}
  };
  return Awaiter{this, target, std::move(fn)};
}

// fn(Shard&, uint32_t shard_index) runs on every shard concurrently; it must write its result to
// a per-shard slot it captures.
template <typename F>
auto ShardSet::Broadcast(F fn) {
  struct Awaiter {
    ShardSet* set;
    F fn;
    uint32_t pending;
    bool await_ready() {
      if (!ShardSet::SyncHops()) return false;
      for (uint32_t i = 0; i < set->size(); i++)
        set->SyncRun(i, [this, i] { fn(*set->shard(i), i); });
      return true;
    }
    void await_suspend(std::coroutine_handle<> h) {
      io::Reactor* origin = io::Reactor::Current();
      pending = set->size();
      for (uint32_t i = 0; i < set->size(); i++) {
        set->Post(i, [this, h, origin, i] {
          fn(*set->shard(i), i);
          origin->Post([this, h] {
            if (--pending == 0) h.resume();
          });
        });
      }
    }
    void await_resume() {}
  };
  return Awaiter{this, std::move(fn), 0};
}

}  // namespace strata::kv
