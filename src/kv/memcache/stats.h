// Process-wide counters of the memcached protocol, reported by "stats" as memcached names them.
// Relaxed atomics: each is bumped by whichever shard thread ran the command.
#pragma once

#include <atomic>
#include <cstdint>

namespace strata::kv::memcache {

struct Counters {
  std::atomic<uint64_t> curr_connections{0};
  std::atomic<uint64_t> total_connections{0};
  std::atomic<uint64_t> cmd_get{0};
  std::atomic<uint64_t> cmd_set{0};
  std::atomic<uint64_t> cmd_flush{0};
  std::atomic<uint64_t> cmd_touch{0};
  std::atomic<uint64_t> get_hits{0};
  std::atomic<uint64_t> get_misses{0};
  std::atomic<uint64_t> delete_hits{0};
  std::atomic<uint64_t> delete_misses{0};
  std::atomic<uint64_t> incr_hits{0};
  std::atomic<uint64_t> incr_misses{0};
  std::atomic<uint64_t> decr_hits{0};
  std::atomic<uint64_t> decr_misses{0};
  std::atomic<uint64_t> cas_hits{0};
  std::atomic<uint64_t> cas_misses{0};
  std::atomic<uint64_t> cas_badval{0};
  std::atomic<uint64_t> touch_hits{0};
  std::atomic<uint64_t> touch_misses{0};
  std::atomic<uint64_t> store_too_large{0};
  std::atomic<uint64_t> store_no_memory{0};
};

inline Counters& Stats() {
  static Counters c;
  return c;
}

// "stats reset": the command counters start again (connection counts are kept).
inline void ResetCounters() {
  Counters& c = Stats();
  for (std::atomic<uint64_t>* a :
       {&c.cmd_get, &c.cmd_set, &c.cmd_flush, &c.cmd_touch, &c.get_hits, &c.get_misses,
        &c.delete_hits, &c.delete_misses, &c.incr_hits, &c.incr_misses, &c.decr_hits,
        &c.decr_misses, &c.cas_hits, &c.cas_misses, &c.cas_badval, &c.touch_hits, &c.touch_misses,
        &c.store_too_large, &c.store_no_memory})
    a->store(0, std::memory_order_relaxed);
}

inline void Bump(std::atomic<uint64_t>& c, uint64_t n = 1) {
  c.fetch_add(n, std::memory_order_relaxed);
}

}  // namespace strata::kv::memcache
