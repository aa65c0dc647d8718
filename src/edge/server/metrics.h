// Per-worker counters. Each worker thread writes only its own Metrics (relaxed atomics, no
// contention); the admin thread sums all workers when rendering /metrics.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace strata::edge {

#define STRATA_EDGE_COUNTERS(X)                                                     \
  X(requests, "client requests received")                                           \
  X(hits, "responses served from cache")                                            \
  X(misses, "cache misses forwarded to the origin")                                 \
  X(passes, "requests passed to the origin without caching")                        \
  X(stale_served, "stale responses served (stale-while-revalidate/stale-if-error)") \
  X(revalidations, "conditional requests sent to revalidate stale objects")         \
  X(revalidated_304, "revalidations answered 304 Not Modified")                     \
  X(coalesced_waits, "requests that waited on another request's origin fetch")      \
  X(origin_fetches, "requests sent to the origin")                                  \
  X(origin_errors, "origin fetches that failed")                                    \
  X(bytes_from_cache, "body bytes served from cache")                               \
  X(bytes_from_origin, "body bytes received from the origin")                       \
  X(not_modified_sent, "304 responses generated from cache")                        \
  X(purges, "objects purged")                                                       \
  X(invalidations, "objects invalidated by unsafe requests")                        \
  X(bad_requests, "requests rejected by the parser")                                \
  X(client_body_timeouts, "request bodies cut off for stalling or trickling (408)") \
  X(client_connections, "client connections accepted")                              \
  X(refused_connections, "client connections refused (max_connections)")            \
  X(handoffs, "client connections handed to the worker that owns the request key")

struct Metrics {
#define STRATA_DECLARE(name, help) std::atomic<uint64_t> name{0};
  STRATA_EDGE_COUNTERS(STRATA_DECLARE)
#undef STRATA_DECLARE
  // Gauges published by the owning worker.
  std::atomic<uint64_t> objects{0};
  std::atomic<uint64_t> stored_bytes{0};
  std::atomic<uint64_t> evictions{0};

  void Inc(std::atomic<uint64_t>& c, uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }
};

// Prometheus text exposition of the sum over workers.
std::string RenderPrometheus(const std::vector<const Metrics*>& workers);

}  // namespace strata::edge
