// DbTable: one logical database's keyspace on one shard.
//
// A chained hash table of Entry nodes (power-of-two bucket arrays) that grows and shrinks by
// *incremental* rehashing, as Redis's dict does: while a resize is in progress both arrays are
// live, each operation moves one bucket and the shard's cron moves more in 1 ms slices, so no
// single command ever pays for a whole rehash (no stop-the-world pause at 10M keys).
//
// SCAN uses the reverse-binary cursor, which guarantees that an entry present for the whole scan
// is returned at least once even if the table grows or shrinks between calls.
//
// Keys with a TTL are also listed in a dense "volatile" vector (each such entry stores its index),
// which gives O(1) random sampling for active expiry and volatile-* eviction.
//
// Thread ownership: a DbTable belongs to exactly one shard thread; nothing here is synchronised.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <string_view>
#include <vector>

#include "base/prefetch.h"
#include "kv/engine/entry.h"

namespace strata::kv {

class DbTable;

// Watches a table while a background snapshot walks it (kv/server/bgsave.h): BeforeBucket runs
// before any lookup, insertion, replacement or removal that touches bucket `idx` of the main
// array, so the observer can write that bucket out first; BeforeWhole runs before the table is
// cleared or swapped (the observer finishes its walk and detaches). While an observer is attached
// the table neither grows nor shrinks, so bucket indexes stay put (chains just get longer).
class BucketObserver {
 public:
  virtual void BeforeBucket(DbTable& t, size_t idx) = 0;
  virtual void BeforeWhole(DbTable& t) = 0;

 protected:
  ~BucketObserver() = default;
};

class DbTable {
 public:
  DbTable();
  ~DbTable();
  DbTable(const DbTable&) = delete;
  DbTable& operator=(const DbTable&) = delete;

  size_t size() const { return t_[0].used + t_[1].used; }
  size_t volatile_count() const { return volatile_.size(); }
  size_t bucket_count() const { return t_[0].size + t_[1].size; }
  bool rehashing() const { return rehash_idx_ >= 0; }

  // Returns the link (pointer to the pointer) that refers to the entry with this key, or nullptr.
  // The link is valid until the next mutating call on this table.
  Entry** FindLink(std::string_view key, uint64_t hash);
  Entry* Find(std::string_view key, uint64_t hash) {
    Entry** l = FindLink(key, hash);
    return l ? *l : nullptr;
  }

  // Adds an entry whose key is not present. Registers it as volatile if it has a TTL.
  void Insert(Entry* e, uint64_t hash);
  // Puts `e` where *link's entry was (same key), keeping the volatile set consistent. Returns the
  // old entry, which the caller destroys.
  Entry* Replace(Entry** link, Entry* e);
  // Removes the entry at *link from the table and returns it (not destroyed).
  Entry* Unlink(Entry** link);

  // TTL management. SetExpire may reallocate the entry to make room for the expire slot; it
  // returns the entry now in the table.
  Entry* SetExpire(Entry** link, int64_t expire_ms);
  void Persist(Entry* e);

  // One SCAN step over this table; calls fn for each entry of the visited buckets and returns the
  // next cursor (0 = done).
  uint64_t Scan(uint64_t cursor, const std::function<void(Entry*)>& fn);

  // Up to n entries from a random region of the table (eviction sampling), appended to out.
  void Sample(size_t n, std::mt19937_64& rng, std::vector<Entry*>* out);
  // A random entry (RANDOMKEY), or nullptr if empty.
  Entry* RandomEntry(std::mt19937_64& rng);
  // A random entry that has a TTL, or nullptr.
  Entry* RandomVolatile(std::mt19937_64& rng) {
    if (volatile_.empty()) return nullptr;
    return volatile_[rng() % volatile_.size()];
  }

  // Incremental rehash work: moves up to n buckets. Returns true if more work remains.
  bool RehashStep(int n);
  // Rehashes for about `us` microseconds (cron). Returns true if more work remains.
  bool RehashForMicros(int64_t us);
  // Starts a shrink when the table is mostly empty (cron).
  void MaybeShrink();
  // Brings the bucket `hash` falls in into the cache ahead of a lookup (bulk inserts, pipelined
  // commands: kv/server/key_prefetch.h). While rehashing, the bucket of both arrays.
  void Prefetch(uint64_t hash) const {
    if (t_[0].size) strata::Prefetch(&t_[0].buckets[hash & t_[0].mask]);
    if (rehashing() && t_[1].size) strata::Prefetch(&t_[1].buckets[hash & t_[1].mask]);
  }
  // Then, once the bucket has had time to arrive, the entry it points to: its first 64 bytes,
  // which hold the header and a short key that a lookup compares. Entries are not line-aligned
  // (a 48-byte entry starts mid-line in three cases of four), so that is up to two lines.
  void PrefetchHead(uint64_t hash) const {
    for (int i = 0; i <= (rehashing() ? 1 : 0); i++) {
      const Table& t = t_[i];
      if (t.size == 0) continue;
      if (const Entry* e = t.buckets[hash & t.mask]) {
        strata::Prefetch(e);
        strata::Prefetch(reinterpret_cast<const char*>(e) + 63);
      }
    }
  }
  // Sizes an empty table for about `keys` entries up front (the load at start, from the file's
  // RESIZEDB hint), so inserting them does not grow and rehash it step by step.
  void Reserve(size_t keys) {
    if (size() == 0 && !rehashing() && !observer_ && keys > bucket_count()) Expand(keys);
  }

  // Calls fn for every entry (no mutation allowed during the walk).
  void ForEach(const std::function<void(Entry*)>& fn) const;
  // Removes every entry, destroying them. Returns the number removed.
  size_t Clear();
  // Swaps contents with another table (SWAPDB).
  void Swap(DbTable& other);

  static uint64_t Hash(std::string_view key);

  // Background snapshots (see BucketObserver). Attach after FinishRehash(); the main bucket
  // array's buckets are then 0 .. main_buckets()-1 and a key's bucket is hash & (that - 1).
  void FinishRehash() {
    while (RehashStep(1000)) {
    }
  }
  void SetObserver(BucketObserver* o) { observer_ = o; }
  BucketObserver* observer() const { return observer_; }
  size_t main_buckets() const { return t_[0].size; }
  template <typename F>
  void ForEachInBucket(size_t idx, F&& fn) const {
    for (Entry* e = t_[0].buckets[idx]; e; e = e->next) fn(e);
  }

 private:
  void Guard(uint64_t hash) {
    if (observer_ && t_[0].size) [[unlikely]]
      observer_->BeforeBucket(*this, hash & t_[0].mask);
  }
  void GuardEntry(const Entry* e) {
    if (observer_) [[unlikely]]
      Guard(Hash(e->key()));
  }

  struct Table {
    Entry** buckets = nullptr;
    size_t size = 0;  // power of two or 0
    size_t mask = 0;
    size_t used = 0;
  };

  void Expand(size_t min_size);
  void StartResize(size_t new_size);
  void AddVolatile(Entry* e);
  void RemoveVolatile(Entry* e);
  void FinishRehashIfDone();

  Table t_[2];
  int64_t rehash_idx_ = -1;  // next bucket of t_[0] to move; -1 when not rehashing
  std::vector<Entry*> volatile_;
  BucketObserver* observer_ = nullptr;
};

}  // namespace strata::kv
