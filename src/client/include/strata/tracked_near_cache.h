// strata::TrackedNearCache: the in-process L1 (NearCache) kept coherent with the server by
// server-assisted invalidation (CLIENT TRACKING over RESP3).
//
// It owns one connection to the server on which tracking is switched on at every (re)connect:
//   kBroadcast (default): CLIENT TRACKING on BCAST PREFIX <p>...: the server announces every
//     change of a key under the prefixes, whoever read it, so any connection may fill the L1.
//   kDefault: CLIENT TRACKING on: the server remembers the keys read on this connection and
//     announces changes of those only; fills must read through reader() (that connection).
// An invalidation push drops the key from the L1; a flush (null push) drops everything.
//
// Guarantees (docs/design/client.md, "Near cache"):
// - Fills go through NearCache tickets: a value read before an invalidation of its key is never
//   inserted after that invalidation is processed.
// - While the tracking connection is down, the L1 serves nothing and holds nothing
//   (SetServing(false)): invalidations sent in that time are lost, so its contents can no
//   longer be trusted. It serves again once the connection is back and tracking is on.
// - Staleness: an L1 read may return a value the server has already replaced for as long as the
//   invalidation takes to arrive (one network hop after the write, usually well under 1 ms on a
//   LAN). A writer that needs read-your-writes in its own process should Put() what it wrote.
// - A server without CLIENT TRACKING (or without RESP3): the L1 runs on TTLs alone, every entry
//   living at most ttl_only_max, and mode() says "ttl-only". Values may then be stale for that
//   long.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "strata/client.h"
#include "strata/near_cache.h"

namespace strata {

struct TrackingOptions {
  enum class Mode { kBroadcast, kDefault };
  Mode mode = Mode::kBroadcast;
  std::vector<std::string> prefixes;  // kBroadcast: announced prefixes (empty: every key)
  // The longest an entry lives in the L1 when the server cannot track.
  std::chrono::milliseconds ttl_only_max{1000};
};

struct TrackedNearCacheStats {
  NearCacheStats l1;
  uint64_t invalidation_messages = 0;  // keys named by invalidation pushes
  uint64_t flushes = 0;                // null pushes and disconnects that emptied the L1
  uint64_t disconnects = 0;
};

class TrackedNearCache {
 public:
  // `server` names the server (host, port, auth); its pool size and protocol are overridden.
  TrackedNearCache(const ClientOptions& server, NearCacheOptions l1 = {},
                   TrackingOptions tracking = {});
  ~TrackedNearCache();

  NearCache& l1() { return l1_; }
  // The connection whose reads the server tracks (kDefault fills must read through it).
  Client& reader() { return *conn_; }
  // Whether invalidations flow now (false before the first connect, while down, or ttl-only).
  bool tracking() const { return tracking_.load(std::memory_order_acquire); }
  // "broadcast", "default", "ttl-only" or "down".
  std::string mode() const;
  // The TTL to give an L1 entry that should live `wanted` (capped in ttl-only mode).
  std::chrono::milliseconds EntryTtl(std::chrono::milliseconds wanted) const;
  bool ttl_only() const { return ttl_only_.load(std::memory_order_acquire); }
  TrackedNearCacheStats stats() const;
  // Waits until the connection is up and the L1 serves (or the timeout passes).
  bool WaitReady(std::chrono::milliseconds timeout);

 private:
  void OnPush(Reply&& push);
  void OnConnection(const ConnectionEvent& ev);

  TrackingOptions options_;
  NearCache l1_;
  std::atomic<bool> tracking_{false};
  std::atomic<bool> ttl_only_{false};
  std::atomic<bool> up_{false};
  std::atomic<uint64_t> invalidation_messages_{0}, flushes_{0}, disconnects_{0};
  std::unique_ptr<Client> conn_;  // last: its I/O thread calls back into the members above
};

}  // namespace strata
