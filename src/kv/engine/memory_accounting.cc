#include "kv/engine/memory_accounting.h"

#include "base/memory.h"

namespace strata::kv {

MemoryAccounting& MemoryAccounting::Get() {
  static MemoryAccounting m;
  return m;
}

void MemoryAccounting::Publish(int shard, uint64_t keys, uint64_t volatile_keys) {
  slots_[shard].bytes.store(CurrentLedgerBytes(), std::memory_order_relaxed);
  slots_[shard].keys.store(keys, std::memory_order_relaxed);
  slots_[shard].volatile_keys.store(volatile_keys, std::memory_order_relaxed);
}

bool MemoryAccounting::OthersHaveEvictable(int self, bool volatile_only) const {
  for (int i = 0; i < kMaxShards; i++) {
    if (i == self) continue;
    const Slot& s = slots_[i];
    if ((volatile_only ? s.volatile_keys : s.keys).load(std::memory_order_relaxed) > 0) return true;
  }
  return false;
}

int64_t MemoryAccounting::Used() const {
  if (!HaveThreadAllocationCounters()) return int64_t(AllocatorAllocatedBytes());
  int64_t sum = baseline_.load(std::memory_order_relaxed);
  for (const auto& s : slots_) sum += s.bytes.load(std::memory_order_relaxed);
  return sum > 0 ? sum : 0;
}

}  // namespace strata::kv
