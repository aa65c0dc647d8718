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
};

class PackingDecider {
 public:
  explicit PackingDecider(PackingThresholds t = {}) : t_(t) {}
  // One window's load: busy cores summed over the shard threads, and the machine's idle cores
  // (negative if unknown). Returns whether to run packed from now on; `packed` is the current
  // state.
  bool Next(ThreadPacking mode, bool packed, double busy_cores, double idle_cores = -1);

 private:
  PackingThresholds t_;
  int above_ = 0;
  int below_ = 0;
};

// Process-wide counters for INFO.
struct PackingStats {
  std::atomic<uint64_t> packs{0};
  std::atomic<uint64_t> spreads{0};
};
PackingStats& GlobalPackingStats();

}  // namespace strata::kv
