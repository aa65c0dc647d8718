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
  // Called on a shard thread: refreshes that thread's slot (memory and evictable key counts).
  void Publish(int shard, uint64_t keys, uint64_t volatile_keys);
  int64_t Used() const;
  // Whether any shard other than `self` has keys that eviction could remove.
  bool OthersHaveEvictable(int self, bool volatile_only) const;

 private:
  std::atomic<int64_t> baseline_{0};
  struct alignas(64) Slot {
    std::atomic<int64_t> bytes{0};
    std::atomic<uint64_t> keys{0};
    std::atomic<uint64_t> volatile_keys{0};
  };
  Slot slots_[kMaxShards];
};

}  // namespace strata::kv
