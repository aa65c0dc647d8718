// Real memory accounting from the allocator (jemalloc's statistics), not estimates.
//
// ThreadAllocatedBytes() is the calling thread's net allocation (allocated - deallocated), read
// from jemalloc's per-thread counters with no locking; summing it over every thread that allocates
// gives the process's live heap bytes. Frees of memory allocated by another thread count against
// the freeing thread, so per-thread values may drift apart while their sum stays exact.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace strata {

// Whether ThreadAllocatedBytes() is available (jemalloc builds; sanitizer builds use the
// sanitizer's allocator and only have the process-wide AllocatorAllocatedBytes()).
bool HaveThreadAllocationCounters();
// Net bytes allocated by this thread (may be negative, see above).
int64_t ThreadAllocatedBytes();
// A memory ledger counts the net bytes a thread allocated while working for it. A thread works
// for one ledger at a time and switches when it starts work for another owner (a shard run by
// another thread's loop takes its ledger along), so an owner's bytes stay exact whichever threads
// did the allocating. Without thread counters ledgers stay at zero.
struct MemoryLedger {
  int64_t banked = 0;  // bytes from finished stretches of work
  // Bytes credited by other threads (memory freed for this owner in the background, objects
  // that moved in or out): written from any thread.
  std::atomic<int64_t> credited{0};
};
// Makes `ledger` (or none) the one this thread's allocations count for from now on.
void SwitchMemoryLedger(MemoryLedger* ledger);
// The ledger this thread works for now, or nullptr.
MemoryLedger* CurrentMemoryLedger();
// Adds `bytes` (negative: freed) to `ledger` from any thread, for memory allocated or freed on
// the owner's behalf by a thread not working for it.
inline void CreditMemoryLedger(MemoryLedger* ledger, int64_t bytes) {
  if (ledger) ledger->credited.fetch_add(bytes, std::memory_order_relaxed);
}
// The calling thread's current ledger's bytes, up to now; ThreadAllocatedBytes() if it has none.
int64_t CurrentLedgerBytes();
// Total live bytes allocated through the allocator, process wide (refreshes jemalloc's stats).
uint64_t AllocatorAllocatedBytes();
// Resident set size of the process, in bytes, from /proc/self/statm.
uint64_t ProcessRssBytes();
// Bytes the allocator would hand out for a request of `size` (jemalloc size classes; builds
// without jemalloc compute the same classes).
size_t AllocationSize(size_t size);
// Allocator name and version, for INFO.
std::string AllocatorName();
// Returns dirty pages to the OS (after large frees such as FLUSHALL).
void AllocatorPurge();

}  // namespace strata
