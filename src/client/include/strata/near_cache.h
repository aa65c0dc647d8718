// NearCache: the client's in-process L1 cache of string values, kept coherent by server-assisted
// invalidation (RESP3 client tracking): the connection layer calls Invalidate(key) for each
// invalidation message, Clear() on a flush, and SetServing(false) while the tracking connection
// is down.
//
// Guarantees
//   * Bytes bound: the sum over entries of key.size() + value.size() + kEntryOverhead never
//     exceeds capacity_bytes(). The capacity is split evenly between the stripes and each stripe
//     keeps its own share; an entry larger than a stripe's share is never stored. Victims are
//     chosen per stripe by W-TinyLFU (frequency-based admission), not by recency alone.
//   * Expiry: an entry put with a ttl is never returned at or after its deadline (steady clock);
//     expired entries are dropped when a Get finds them, or when eviction reaches them.
//   * Fill race: a value read from the server must be inserted through a ticket:
//         NearCache::Ticket t = cache.BeginFill(key);   // before sending the read
//         std::string v = server.Get(key);
//         cache.CompleteFill(t, v, ttl);
//     CompleteFill inserts only if, since BeginFill, no Invalidate(key), Put(key, ...), Clear()
//     or SetServing() change happened (otherwise the value may predate an invalidation and is
//     dropped; it returns false). It may also refuse when an unrelated key sharing the same
//     generation slot was invalidated (false drops are possible, false inserts are not).
//   * Serving: while SetServing(false) is in effect, Get always misses, Put and CompleteFill
//     refuse, and the cache holds nothing: SetServing(false) drops every entry, since
//     invalidations may be lost while the tracking connection is down.
//   * Put(key, value, ttl) stores a value the application knows is current (e.g. it just wrote
//     it); it replaces any entry for key and makes fills of key begun earlier refuse.
//
// Thread-safety: every member may be called concurrently from any thread. Keys are spread over
// stripe_count() stripes by hash; each stripe has its own mutex, index, policy and counters, so
// there is no global lock (Clear, SetServing and stats visit the stripes one by one). A Get holds
// one stripe mutex for the lookup and the copy of the value.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace strata {

struct NearCacheOptions {
  // The bound on key + value + kEntryOverhead bytes summed over all entries.
  size_t capacity_bytes = 64u << 20;
  // Number of stripes, rounded up to a power of two; 0 picks max(16, 4 x hardware threads)
  // rounded up. Halved while a stripe's share would fall below kMinStripeBytes (down to 1).
  size_t stripes = 0;
  // The typical entry size in bytes, used only to size each stripe's frequency sketch.
  size_t expected_entry_bytes = 256;
};

struct NearCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;         // includes lookups while not serving and expired entries
  uint64_t invalidations = 0;  // Invalidate() calls that removed an entry
  uint64_t evictions = 0;      // entries removed to make room
  uint64_t expirations = 0;    // entries removed because their ttl passed
  uint64_t fills_refused = 0;  // CompleteFill calls that did not insert
  uint64_t entries = 0;
  uint64_t bytes = 0;  // key + value + kEntryOverhead, summed
};

class NearCache {
 public:
  using Clock = std::chrono::steady_clock;
  // Fixed per-entry cost counted against the capacity, so that many tiny entries cannot exceed
  // the memory the bound suggests: the entry node with its policy hook (112 bytes on LP64), its
  // index slot (16 bytes at a load of 3/8 to 3/4) and the allocator's headers.
  static constexpr size_t kEntryOverhead = 160;
  static constexpr size_t kMinStripeBytes = 64u << 10;

  // Returned by BeginFill, consumed by CompleteFill of the same cache (another cache refuses
  // it). Copyable; the fields other than key are opaque.
  struct Ticket {
    std::string key;
    uint64_t cache_id = 0;
    uint64_t hash = 0;
    uint64_t epoch = 0;       // the stripe's epoch (Clear / SetServing) at BeginFill
    uint64_t generation = 0;  // the key's generation slot at BeginFill
    bool valid = false;       // false when taken while not serving
  };

  explicit NearCache(NearCacheOptions options = {});
  ~NearCache();
  NearCache(const NearCache&) = delete;
  NearCache& operator=(const NearCache&) = delete;

  // A copy of the live value for key, or nullopt (miss, expired, or not serving).
  std::optional<std::string> Get(std::string_view key);
  // Stores value for key, replacing any entry. ttl (> 0) bounds its life; nullopt (or a ttl
  // beyond the clock's range) = no expiry.
  // Returns false, leaving no entry for key, when not serving, when ttl <= 0, or when the entry
  // is larger than a stripe's share.
  bool Put(std::string_view key, std::string_view value,
           std::optional<Clock::duration> ttl = std::nullopt);
  // Removes key's entry, if any, and makes every fill of key begun before this call refuse.
  // Returns whether an entry was removed.
  bool Invalidate(std::string_view key);
  // Removes every entry; every fill begun before this call refuses.
  void Clear();

  Ticket BeginFill(std::string_view key);
  // Inserts value for ticket.key (as Put does) only when nothing listed in the header comment
  // happened since the ticket was taken. Returns whether it inserted. A ticket may be completed
  // more than once; each completion is checked on its own.
  bool CompleteFill(const Ticket& ticket, std::string_view value,
                    std::optional<Clock::duration> ttl = std::nullopt);

  // false: the invalidation stream is down (drops every entry, refuses reads and fills);
  // true: it is up again (fills begun while it was down still refuse).
  void SetServing(bool serving);
  bool serving() const;

  NearCacheStats stats() const;
  size_t capacity_bytes() const;
  size_t stripe_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata
