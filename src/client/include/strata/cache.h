// strata::Cache<T>: cache-aside and read-through over strata-server or redis-server, with the
// protections a production cache needs built in. One object per kind of value:
//
//   strata::Cache<Product, strata::JsonCodec<Product>> products(client, {.prefix = "product:"});
//   std::optional<Product> p = products.GetOrLoad("42", [&](const std::string& id) {
//     return db.FindProduct(id);  // std::nullopt when there is none
//   });
//
// What one GetOrLoad does (docs/design/client.md has the guarantees and the staleness bounds):
//  1. L1: a hit in the near cache (when one is attached) returns at once.
//  2. Key filter: when a Bloom filter of existing keys is attached and says the key cannot
//     exist, the answer is "absent" without asking the server or the database (penetration).
//  3. Single-flight: concurrent callers of one key in this process share one server read and at
//     most one load.
//  4. Server read. A fresh value returns, unless XFetch decides to refresh it early (one caller,
//     with a probability that rises as expiry nears and with the last recompute's duration). A
//     stale value (past its TTL, within stale_for) returns at once while a background refresh
//     runs (stale-while-revalidate). An "absent" marker returns absent (negative caching).
//  5. Miss: one process recomputes, the others wait for its value: with the server's leases when
//     it has them (LEASE.GET / LEASE.SET on strata-server), else with a lock (SET NX PX with a
//     fencing token). A waiter that waits longer than wait_for_recompute loads for itself.
//  6. Load: the loader's value is stored with PX ttl + stale_for; its absence with null_ttl.
//     A loader that throws while a stale value exists serves the stale value (stale-if-error).
//
// Writes (write-through, invalidate-on-write): Write(key, value, db_write) runs db_write first
// and then deletes the cached entry instead of storing the new value: a set after the database
// write can race a concurrent loader that read the database before the write and stores after
// it; a delete cannot be overtaken that way, and on strata-server it also voids the loader's
// lease so its late store is refused. Put() stores a value explicitly when that is wanted.
//
// Values live on the server as an envelope: a magic byte, flags (absent), the logical expiry
// (unix ms), the last recompute time (ms), then the codec's bytes. Plain GET shows them.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/bloom_filter.h"
#include "strata/client.h"
#include "strata/codec.h"
#include "strata/tracked_near_cache.h"

namespace strata {

struct CacheOptions {
  std::string prefix = "cache:";
  std::chrono::milliseconds ttl{60000};      // how long a value is fresh
  std::chrono::milliseconds null_ttl{5000};  // how long "absent" is remembered; 0 = never
  std::chrono::milliseconds stale_for{0};    // serve this long past ttl while refreshing
  double early_refresh_beta = 1.0;           // XFetch's beta; 0 = no early refresh
  enum class Recompute { kAuto, kLease, kLock, kNone };
  Recompute recompute = Recompute::kAuto;              // across processes; kAuto: lease, else lock
  std::chrono::milliseconds recompute_ttl{5000};       // a recompute's lease/lock lifetime
  std::chrono::milliseconds wait_for_recompute{3000};  // then load without waiting longer
  // Hot keys: replicas of a hot key's value under "<key>#1".."<key>#N", read at random, so one
  // hot key spreads over N+1 server keys (shards). 0 = off.
  uint32_t hot_replicas = 0;
  // Hot keys: a key read at least this often (sketch estimate, 0..15) counts as hot. Hot keys
  // are promoted into the L1 when l1_hot_only is set, and get replicas.
  uint32_t hot_threshold = 8;
  bool l1_hot_only = false;
};

struct CacheStats {
  uint64_t l1_hits = 0;
  uint64_t hits = 0;            // fresh values from the server
  uint64_t stale_served = 0;    // stale-while-revalidate and stale-if-error
  uint64_t null_hits = 0;       // cached absences
  uint64_t filter_rejects = 0;  // absent by the key filter, nothing asked
  uint64_t misses = 0;
  uint64_t loads = 0;  // loader calls
  uint64_t load_errors = 0;
  uint64_t early_refreshes = 0;  // XFetch
  uint64_t waits = 0;            // waited for another process's recompute
  uint64_t shared = 0;           // callers served by another caller's flight in this process
};

// The byte-level cache every typed Cache<T> wraps. Thread-safe.
class BytesCache {
 public:
  using Loader = std::function<std::optional<std::string>(const std::string& key)>;

  BytesCache(Client& client, CacheOptions options = {}, Loader loader = nullptr);
  ~BytesCache();

  // Cache-aside: the value of key, loading it with `loader` on a miss.
  std::optional<std::string> GetOrLoad(const std::string& key, const Loader& loader);
  // Read-through: the same with the loader given at construction.
  std::optional<std::string> Get(const std::string& key);
  // Stores value as fresh (explicit population, warming).
  void Put(const std::string& key, const std::string& value);
  // Drops the cached value (and its replicas): the next read loads.
  void Invalidate(const std::string& key);
  // Write-through, invalidate-on-write: db_write() first, then Invalidate(key).
  void Write(const std::string& key, const std::function<void()>& db_write);

  // Optional layers. Attach before use; they must outlive the cache.
  void AttachNearCache(TrackedNearCache* l1) { l1_ = l1; }
  // Keys that may exist: a key the filter has never seen is absent without any lookup. Keep it
  // filled with every key the database creates (AddKey), or it will hide new keys.
  void AttachKeyFilter(BloomFilter* filter) { filter_ = filter; }
  // Server-side filter (strata-server's BF.* commands) named `filter_key`; falls back to the
  // client-side filter `fallback` when the server has no BF.* (redis-server).
  void AttachServerKeyFilter(std::string filter_key, BloomFilter* fallback);
  void AddKey(const std::string& key);

  // Hot keys seen by this process, hottest first, with their recent reads (counts halved as the
  // frequency sketch ages).
  std::vector<std::pair<std::string, uint64_t>> HotKeys(size_t n) const;
  // Hot keys of this cache as the server counts them (strata-server's HOTKEYS, from every
  // client), hottest first, with estimated accesses; this process's view (HotKeys) where the
  // server has no such command.
  std::vector<std::pair<std::string, uint64_t>> ServerHotKeys(size_t n);
  // Warming: loads `keys` (those not cached yet) with up to `concurrency` loads at a time.
  size_t Warm(const std::vector<std::string>& keys, size_t concurrency, const Loader& loader);
  // Reloads the n hottest keys now (refresh-ahead of what is hot).
  size_t RefreshHottest(size_t n, const Loader& loader);
  // Runs RefreshHottest(n, loader) every `every` on a background thread until the cache is
  // destroyed (or the schedule is replaced; every = 0 stops it).
  void ScheduleHotRefresh(size_t n, std::chrono::milliseconds every, Loader loader);

  CacheStats stats() const;
  const CacheOptions& options() const { return options_; }
  std::string ServerKey(const std::string& key) const { return options_.prefix + key; }

  class Impl;

 private:
  CacheOptions options_;
  TrackedNearCache* l1_ = nullptr;
  BloomFilter* filter_ = nullptr;
  std::unique_ptr<Impl> impl_;
};

// The typed face: values go through the codec C.
template <class T, class C = JsonCodec<T>>
requires Codec<C, T>
class Cache {
 public:
  using Loader = std::function<std::optional<T>(const std::string& key)>;

  Cache(Client& client, CacheOptions options = {}, Loader loader = nullptr, C codec = C())
      : codec_(std::move(codec)),
        loader_(std::move(loader)),
        bytes_(client, std::move(options), Wrap(loader_)) {}

  std::optional<T> GetOrLoad(const std::string& key, const Loader& loader) {
    return Decode(bytes_.GetOrLoad(key, Wrap(loader)));
  }
  std::optional<T> Get(const std::string& key) { return Decode(bytes_.Get(key)); }
  void Put(const std::string& key, const T& value) { bytes_.Put(key, codec_.Encode(value)); }
  void Invalidate(const std::string& key) { bytes_.Invalidate(key); }
  void Write(const std::string& key, const std::function<void()>& db_write) {
    bytes_.Write(key, db_write);
  }
  BytesCache& bytes() { return bytes_; }
  CacheStats stats() const { return bytes_.stats(); }

 private:
  BytesCache::Loader Wrap(const Loader& loader) {
    if (!loader) return nullptr;
    return [this, loader](const std::string& key) -> std::optional<std::string> {
      std::optional<T> v = loader(key);
      if (!v) return std::nullopt;
      return codec_.Encode(*v);
    };
  }
  std::optional<T> Decode(const std::optional<std::string>& b) const {
    if (!b) return std::nullopt;
    return codec_.Decode(*b);
  }

  C codec_;
  Loader loader_;
  BytesCache bytes_;
};

}  // namespace strata
