// MemoryAccounting: the server's used_memory from the allocator's own per-thread counters.
//
// Each shard publishes the net bytes allocated while working for it (its memory ledger, fed by
// jemalloc's per-thread allocated - deallocated counters of whichever thread runs it) into its
// slot; used_memory is the sum plus the bytes the main thread allocated at start-up.
// Reading it costs one relaxed load per shard, cheap enough to check before every write.
#pragma once

#include <atomic>
#include <cstdint>

namespace strata::kv {

class MemoryAccounting {
 public:
  static constexpr int kMaxShards = 256;

  static MemoryAccounting& Get();

  void SetBaseline(int64_t bytes) { baseline_.store(bytes, std::memory_order_relaxed); }
  // How many shards publish (set at start): a shard's fair share of a limit is divided by it.
  void SetShards(int n) { shards_.store(n > 0 ? n : 1, std::memory_order_relaxed); }
  // The bytes `shard` last published.
  int64_t ShardBytes(int shard) const {
    return slots_[shard].bytes.load(std::memory_order_relaxed);
  }
  // One shard's part of `limit`: what is left after the start-up bytes, split evenly.
  int64_t FairShare(uint64_t limit) const {
    return (int64_t(limit) - baseline_.load(std::memory_order_relaxed)) /
           shards_.load(std::memory_order_relaxed);
  }
  // Called on a shard thread: refreshes that thread's slot (memory and evictable key counts).
  void Publish(int shard, uint64_t keys, uint64_t volatile_keys);
  int64_t Used() const;
  // Whether any shard other than `self` has keys that eviction could remove.
  bool OthersHaveEvictable(int self, bool volatile_only) const;

 private:
  std::atomic<int64_t> baseline_{0};
  std::atomic<int> shards_{1};
  struct alignas(64) Slot {
    std::atomic<int64_t> bytes{0};
    std::atomic<uint64_t> keys{0};
    std::atomic<uint64_t> volatile_keys{0};
  };
  Slot slots_[kMaxShards];
};

}  // namespace strata::kv
