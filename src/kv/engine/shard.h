// Shard: the slice of the keyspace owned by one thread (key hash -> shard), with its databases,
// expiry, eviction and statistics.
//
// Thread ownership: a Shard is created, used and destroyed by its own shard thread. Other threads
// reach it only by posting work to that thread (see server/shard_set.h); nothing here locks.
//
// Every key access goes through FindLink/FindForRead, which apply lazy expiry (an expired key is
// never returned) and update the entry's policy word. The cron runs active expiry (Redis's
// sampled cycle, bounded to a fraction of each tick), incremental rehashing and memory
// publication; EnsureMemory() evicts before writes when maxmemory is exceeded, with the cache
// core's sampled keyspace policies (cache/sampled: Redis's LRU/LFU/TTL/random/FIFO and the modern
// LRFU) and Redis's eviction pool.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "cache/sampled/eviction_pool.h"
#include "cache/sampled/keyspace_policy.h"
#include "cache/sampled/policy_names.h"
#include "cache/sketch/top_keys.h"
#include "kv/engine/db_table.h"
#include "kv/memcache/meta_table.h"
#include "kv/messaging/tracking.h"
#include "kv/tx/lock_table.h"
#include "kv/tx/watch.h"

namespace strata::kv {

struct ShardStats {
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
  uint64_t expired_keys = 0;
  uint64_t evicted_keys = 0;
  uint64_t expire_cycles = 0;

  ShardStats& operator+=(const ShardStats& o) {
    keyspace_hits += o.keyspace_hits;
    keyspace_misses += o.keyspace_misses;
    expired_keys += o.expired_keys;
    evicted_keys += o.evicted_keys;
    expire_cycles += o.expire_cycles;
    return *this;
  }
};

class Shard {
 public:
  Shard(uint32_t id, int databases);
  ~Shard();

  uint32_t id() const { return id_; }
  int databases() const { return int(dbs_.size()); }
  DbTable& db(int i) { return dbs_[size_t(i)]; }
  std::vector<DbTable>& dbs() { return dbs_; }
  ShardStats& stats() { return stats_; }
  std::mt19937_64& rng() { return rng_; }
  const cache::sampled::KeyspacePolicy& policy() const { return *policy_; }
  cache::sampled::MaxmemoryPolicy maxmemory_policy() const { return mm_; }
  LockTable& locks() { return locks_; }
  WatchTable& watches() { return watches_; }

  // A key changed (a write command, a blocked client served, expiry, eviction): the clients
  // WATCHing it fail their EXEC. One branch when nobody watches a key on this shard.
  // Tracking clients that read it get an invalidation.
  // The key's memcached flags and CAS (mc_meta()) no longer describe it either.
  void KeyModified(int db, std::string_view key) {
    if (!watches_.empty()) watches_.Touch(LockTable::Encode(db, key));
    if (tracking::Active()) [[unlikely]]
      tracking_.Invalidate(key);
    if (db == 0 && !mc_meta_.empty()) [[unlikely]]
      mc_meta_.Drop(key);
  }
  // The same for a key in LockTable::Encode form.
  void EncodedKeyModified(const std::string& encoded) {
    if (!watches_.empty()) watches_.Touch(encoded);
    if (tracking::Active()) [[unlikely]]
      tracking_.Invalidate(std::string_view(encoded).substr(sizeof(int)));
    if (!mc_meta_.empty()) [[unlikely]] {
      int db;
      memcpy(&db, encoded.data(), sizeof(int));
      if (db == 0) mc_meta_.Drop(std::string_view(encoded).substr(sizeof(int)));
    }
  }
  // Whether a key change has anyone to tell (WATCH, client tracking): write paths check this
  // before listing the keys they changed.
  bool ObservesWrites() const {
    return !watches_.empty() || tracking::Active() || !mc_meta_.empty();
  }
  // memcached client flags and CAS uniques of database 0's keys (kv/memcache/meta_table.h).
  memcache::MetaTable& mc_meta() { return mc_meta_; }
  // Readers of this shard's keys, for client-side caching.
  tracking::Table& tracking() { return tracking_; }
  // FLUSHDB of db, or SWAPDB of db and other (before it happens): as Redis, the watched keys that
  // exist in either database change.
  void DbModified(int db, int other = -1);

  // Link to a live (non-expired) entry, deleting it first if it has expired. No stats.
  Entry** FindLink(int db, std::string_view key, uint64_t hash, int64_t now_ms);
  // Read access (Redis's lookupKeyRead): counts a keyspace hit or miss and touches the policy
  // word.
  Entry* FindForRead(int db, std::string_view key, uint64_t hash, int64_t now_ms);
  // Write access (Redis's lookupKeyWrite): touches the policy word of an existing key, no stats.
  // Every command that reads or overwrites a key goes through FindForRead or FindForWrite, so
  // the eviction policy sees the access; FindLink alone is for lookups Redis makes without
  // touching (EXISTS, TYPE, TTL, OBJECT, MEMORY USAGE) and for internal bookkeeping.
  Entry** FindForWrite(int db, std::string_view key, uint64_t hash, int64_t now_ms) {
    NoteAccess(db, key, hash);
    Entry** link = FindLink(db, key, hash, now_ms);
    if (link) Touch(*link, hash, now_ms);
    return link;
  }
  // Hot-key tracking (HOTKEYS, hotkeys-tracking): every read and write lookup counts the key,
  // found or not, whatever the maxmemory-policy. Null until tracking is first enabled.
  void NoteAccess(int db, std::string_view key, uint64_t hash) {
    if (hotkeys_on_) hotkeys_->Record(uint32_t(db), key, hash);
  }
  cache::TopKeys* hotkeys() { return hotkeys_.get(); }
  // Touches the policy word of an entry that was accessed (writes and reads).
  void Touch(Entry* e, uint64_t hash, int64_t now_ms) {
    e->meta = policy_->OnAccess(e->meta, hash, uint64_t(now_ms));
  }

  // Adds a new entry (key must be absent) with a fresh policy word.
  void Add(int db, Entry* e, uint64_t hash, int64_t now_ms);
  // Replaces the entry at link by e (same key), keeping policy metadata (the write lookup that
  // found it has touched it, as Redis's overwrite keeps the LFU counter); destroys the old one.
  void ReplaceEntry(int db, Entry** link, Entry* e);
  // Deletes the entry at link.
  void Delete(int db, Entry** link);

  // Before a command that may grow memory: evicts while used_memory > maxmemory. Returns false if
  // the limit is exceeded and nothing (more) can be evicted: the command must fail with -OOM.
  bool EnsureMemory();
  // After CONFIG SET lowered maxmemory: evicts now, down to this shard's share, rather than on
  // the next write or cron tick (bounded to about a second; the cron finishes a larger drop).
  void EvictForNewLimit();

  // Blocking commands (BLPOP, BZPOPMIN, XREAD BLOCK, ...): every write that can serve a blocked
  // client (a push, a ZADD, an XADD, a RENAME onto a waited-for key) calls this; the clients
  // blocked on the key are then served after the command, in arrival order. Cheap when nobody
  // waits on this shard.
  void SignalKeyReady(int db, std::string_view key) {
    if (!waited_keys_.empty()) MarkReady(db, key);
  }
  // Keys clients are blocked on (db-qualified, LockTable::Encode), and those signalled ready
  // since the blocked clients were last served.
  std::unordered_set<std::string>& waited_keys() { return waited_keys_; }
  std::vector<std::string>& ready_keys() { return ready_keys_; }

  // Periodic work (hz times per second).
  void Cron();
  // Reloads the policy and limits from the global config (after CONFIG SET).
  void RefreshConfig();
  // Write commands that succeeded on this shard since start (what rdb_changes_since_last_save
  // counts from the last snapshot's value).
  uint64_t dirty() const { return dirty_; }
  void AddDirty(uint64_t n = 1) { dirty_ += n; }

  // Keys in all of this shard's databases.
  uint64_t KeyCount() const;
  // Publishes this shard's memory and key counts for the process-wide accounting.
  void PublishMemory();

  // Active expiry: one bounded cycle. Returns the number of keys expired.
  size_t ActiveExpireCycle(int64_t budget_us);

 private:
  uint32_t id_;
  std::vector<DbTable> dbs_;
  ShardStats stats_;
  std::mt19937_64 rng_;
  uint64_t dirty_ = 0;
  // Evicts one key chosen by the policy; false if nothing is evictable.
  bool EvictOne(int64_t now_ms);

  cache::sampled::MaxmemoryPolicy mm_;
  int lfu_log_factor_ = -1, lfu_decay_time_ = -1;
  std::unique_ptr<cache::sampled::KeyspacePolicy> policy_;
  cache::sampled::EvictionPool pool_;
  std::unique_ptr<cache::TopKeys> hotkeys_;
  bool hotkeys_on_ = false;
  memcache::MetaTable mc_meta_;
  LockTable locks_;
  WatchTable watches_;
  tracking::Table tracking_;
  size_t expire_db_cursor_ = 0;
  void MarkReady(int db, std::string_view key);
  std::unordered_set<std::string> waited_keys_;
  std::vector<std::string> ready_keys_;
};

}  // namespace strata::kv
