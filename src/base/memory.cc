#include "base/memory.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdio>

#ifdef STRATA_JEMALLOC
#include <jemalloc/jemalloc.h>
#elif defined(STRATA_SANITIZE)
// From the sanitizer runtime (sanitizer/allocator_interface.h, not shipped with every compiler).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace strata {

#ifdef STRATA_JEMALLOC
// Return freed pages to the OS promptly so RSS follows used memory (Redis sets similar options).
extern "C" {
const char* malloc_conf = "background_thread:false,dirty_decay_ms:1000,muzzy_decay_ms:0";
}

namespace {
struct ThreadCounters {
  uint64_t* allocated = nullptr;
  uint64_t* deallocated = nullptr;
  ThreadCounters() {
    size_t sz = sizeof(allocated);
    mallctl("thread.allocatedp", &allocated, &sz, nullptr, 0);
    sz = sizeof(deallocated);
    mallctl("thread.deallocatedp", &deallocated, &sz, nullptr, 0);
  }
};
}  // namespace

bool HaveThreadAllocationCounters() { return true; }

int64_t ThreadAllocatedBytes() {
  thread_local ThreadCounters c;
  if (!c.allocated || !c.deallocated) return 0;
  return int64_t(*c.allocated) - int64_t(*c.deallocated);
}

uint64_t AllocatorAllocatedBytes() {
  uint64_t epoch = 1;
  size_t sz = sizeof(epoch);
  mallctl("epoch", &epoch, &sz, &epoch, sz);
  size_t allocated = 0;
  sz = sizeof(allocated);
  mallctl("stats.allocated", &allocated, &sz, nullptr, 0);
  return allocated;
}

size_t AllocationSize(size_t size) { return size == 0 ? 0 : nallocx(size, 0); }

std::string AllocatorName() {
  const char* version = nullptr;
  size_t sz = sizeof(version);
  if (mallctl("version", &version, &sz, nullptr, 0) == 0 && version) {
    std::string v(version);
    auto dash = v.find('-');
    return "jemalloc-" + v.substr(0, dash);
  }
  return "jemalloc";
}

void AllocatorPurge() { mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0); }

#else  // Sanitizer builds: the sanitizer owns malloc; use glibc-style statistics.

bool HaveThreadAllocationCounters() { return false; }

int64_t ThreadAllocatedBytes() { return 0; }

uint64_t AllocatorAllocatedBytes() {
#ifdef STRATA_SANITIZE
  return __sanitizer_get_current_allocated_bytes();
#else
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
#endif
}

// Without jemalloc: jemalloc's classes (16-byte steps to 128, then four per doubling), so
// layout decisions made from them are the same in every build.
size_t AllocationSize(size_t size) {
  if (size <= 128) return (size + 15) & ~size_t(15);
  size_t pow = 128;
  while (pow * 2 < size) pow *= 2;
  size_t step = pow / 4;
  return (size + step - 1) / step * step;
}

std::string AllocatorName() { return "libc"; }

void AllocatorPurge() {}

#endif

namespace {
struct LedgerState {
  MemoryLedger* ledger = nullptr;
  int64_t mark = 0;  // ThreadAllocatedBytes() when the current stretch began
};
thread_local LedgerState t_ledger;
}  // namespace

void SwitchMemoryLedger(MemoryLedger* ledger) {
  LedgerState& s = t_ledger;
  if (s.ledger == ledger) return;
  int64_t now = ThreadAllocatedBytes();
  if (s.ledger) s.ledger->banked += now - s.mark;
  s.ledger = ledger;
  s.mark = now;
}

MemoryLedger* CurrentMemoryLedger() { return t_ledger.ledger; }

int64_t CurrentLedgerBytes() {
  const LedgerState& s = t_ledger;
  int64_t now = ThreadAllocatedBytes();
  if (!s.ledger) return now;
  return s.ledger->banked + (now - s.mark) + s.ledger->credited.load(std::memory_order_relaxed);
}

uint64_t ProcessRssBytes() {
  FILE* f = fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long size = 0, resident = 0;
  int n = fscanf(f, "%lu %lu", &size, &resident);
  fclose(f);
  if (n != 2) return 0;
  return uint64_t(resident) * uint64_t(sysconf(_SC_PAGESIZE));
}

}  // namespace strata
