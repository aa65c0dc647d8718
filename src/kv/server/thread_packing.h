// Thread packing: at low load, every shard is run by the first shard thread while the other
// threads sleep; when that thread gets busy, each shard goes back to its own thread.
//
// Why: on a small machine a request's cost is mostly the kernel's socket work, and a second loop
// thread adds its own sleeps and wake-ups (and a cross-thread hop for every other key) without
// adding throughput until one core is actually saturated. Shards stay shards when packed (same
// keyspace split, same per-shard locks, messages between shards still pass through mailboxes,
// now within one thread), so nothing about ownership or atomicity changes; only which thread
// runs a shard's reactor (io::Reactor hosting).
//
// PackingDecider is the pure decision: fed the shard threads' CPU use per window, it says whether
// the next window should run packed. The runtime (server.cc) measures and applies it.
#pragma once

#include <atomic>
#include <cstdint>

#include "kv/server/config.h"

namespace strata::kv {

struct PackingThresholds {
  // Packed: spread once the one running thread is busier than this (CPU seconds per second)
  // while the machine has at least this much idle CPU for the other threads to use...
  double spread_above = 0.9;
  double spare_cores = 0.5;
  int spread_after = 3;  // ...for this many windows in a row.
  // Spread: pack once all shard threads together use less than this...
  double pack_below = 0.8;
  int pack_after = 5;  // ...for this many windows in a row.
  // Between the two a load keeps whichever state it is in: the gap is the hysteresis that keeps
  // a steady load from flapping. Spreading onto a machine with no idle core (other processes,
  // or the clients themselves, use it) only adds preemption, so it waits for a spare core.
  //
  // A spread is a trial when the work rate is known. An idle core seen by a window is no promise
  // that a second loop thread will get it: the clients on the same machine may want it back. And
  // once spread, the two threads' extra wake-ups keep their sum above pack_below even when they
  // serve less than the one thread did. So after spreading, the rate of `trial_windows` windows
  // (after `trial_skip` for the move itself) must beat the packed windows' rate by `trial_gain`,
  // or the shards pack again and stay packed for `hold_windows`, doubled after every failed
  // trial in a row up to `hold_max_windows`.
  int trial_skip = 1;
  int trial_windows = 5;
  double trial_gain = 1.05;
  int hold_windows = 50;
  int hold_max_windows = 600;
};

class PackingDecider {
 public:
  explicit PackingDecider(PackingThresholds t = {}) : t_(t) {}
  // One window's load: busy cores summed over the shard threads, the machine's idle cores and
  // the work done per second (any measure proportional to requests served; negative if
  // unknown). Returns whether to run packed from now on; `packed` is the current state.
  bool Next(ThreadPacking mode, bool packed, double busy_cores, double idle_cores = -1,
            double rate = -1);
  // Whether the last Next() packed because a spread failed its trial.
  bool undid_spread() const { return undid_; }
  // Windows left before a packed load may spread again (after a failed trial).
  int hold() const { return hold_; }

 private:
  bool NextPacked(double busy_cores, double idle_cores, double rate);
  bool NextSpread(double busy_cores, double rate);

  PackingThresholds t_;
  int above_ = 0;
  int below_ = 0;
  // The rates of the packed windows counted in above_ (their sum; a negative rate voids it).
  double above_rate_ = 0;
  // The trial after a spread: windows left, the packed rate to beat, the rates so far.
  int trial_left_ = 0;
  double trial_base_ = 0;
  double trial_rate_ = 0;
  int trial_seen_ = 0;
  int hold_ = 0;
  int next_hold_ = 0;
  bool undid_ = false;
};

// Process-wide counters for INFO.
struct PackingStats {
  std::atomic<uint64_t> packs{0};
  std::atomic<uint64_t> spreads{0};
  std::atomic<uint64_t> spreads_undone{0};  // packs after a spread that failed its trial
};
PackingStats& GlobalPackingStats();

}  // namespace strata::kv
