#include "kv/engine/memory_accounting.h"

#include "base/memory.h"

namespace strata::kv {

MemoryAccounting& MemoryAccounting::Get() {
  static MemoryAccounting m;
  return m;
}

void MemoryAccounting::Publish(int shard) {
  slots_[shard].bytes.store(ThreadAllocatedBytes(), std::memory_order_relaxed);
}

int64_t MemoryAccounting::Used() const {
  int64_t sum = baseline_.load(std::memory_order_relaxed);
  for (const auto& s : slots_) sum += s.bytes.load(std::memory_order_relaxed);
  return sum > 0 ? sum : 0;
}

}  // namespace strata::kv
