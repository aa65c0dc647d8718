#include "kv/engine/shard.h"

#include <algorithm>

#include "base/clock.h"
#include "cache/sampled/victim_picker.h"
#include "kv/aof/aof_log.h"
#include "kv/engine/memory_accounting.h"
#include "kv/messaging/notify.h"
#include "kv/server/client_pause.h"
#include "kv/server/config.h"

namespace strata::kv {

Shard::Shard(uint32_t id, int databases)
    : id_(id), dbs_(size_t(databases)), rng_(0x5eed + id), mc_meta_(id) {
  RefreshConfig();
}

Shard::~Shard() = default;

void Shard::RefreshConfig() {
  const Config& cfg = GlobalConfig();
  // Hot-key tracking: the tracker is made on this thread the first time it is enabled and kept
  // when disabled (HOTKEYS still reports what was counted until HOTKEYS RESET).
  hotkeys_on_ = cfg.hotkeys_tracking.load(std::memory_order_relaxed);
  if (hotkeys_on_ && !hotkeys_)
    hotkeys_ = std::make_unique<cache::TopKeys>(
        cache::TopKeys::kDefaultCapacity, cache::TopKeys::kDefaultSketchEntries, 0x5eed + id_);
  uint32_t period = uint32_t(cfg.hotkeys_sample_period.load(std::memory_order_relaxed));
  if (hotkeys_ && hotkeys_->sample_period() != period) hotkeys_->set_sample_period(period);
  cache::sampled::MaxmemoryPolicy mm = cfg.policy();
  int lf = cfg.lfu_log_factor.load(std::memory_order_relaxed);
  int ld = cfg.lfu_decay_time.load(std::memory_order_relaxed);
  if (policy_ && mm.algorithm == mm_.algorithm && lf == lfu_log_factor_ && ld == lfu_decay_time_) {
    mm_ = mm;
    return;
  }
  mm_ = mm;
  lfu_log_factor_ = lf;
  lfu_decay_time_ = ld;
  cache::sampled::KeyspacePolicyParams params;
  params.lfu.log_factor = lf;
  params.lfu.decay_time = uint32_t(ld);
  // The sketch starts sized for the keys held now and follows the keyspace from the cron on
  // (FitSketch); it is allocated here, on the shard's thread, so used_memory counts it.
  params.expected_keys = std::max(KeyCount(), cache::sampled::KeyspacePolicy::kMinSketchKeys);
  params.seed = 0x5eed + id_;
  policy_ = std::make_unique<cache::sampled::KeyspacePolicy>(mm.algorithm, params);
  pool_.Clear();
}

namespace {

// Append-only file: a key removed by expiry or eviction is logged as DEL, on its shard, as
// Redis propagates it (replaying the log then never brings it back).
void LogRemoval(int db, std::string_view key) {
  if (!aof::Enabled()) [[likely]]
    return;
  std::string_view args[] = {"del", key};
  aof::Feed(db, args, std::string_view(), 0);
}

}  // namespace

Entry** Shard::FindLink(int db, std::string_view key, uint64_t hash, int64_t now_ms) {
  DbTable& t = dbs_[size_t(db)];
  Entry** link = t.FindLink(key, hash);
  if (!link) return nullptr;
  Entry* e = *link;
  if (e->has_expire() && e->expire_ms() <= now_ms) {
    KeyModified(db, key);
    LogRemoval(db, key);
    Entry::Destroy(t.Unlink(link));
    stats_.expired_keys++;
    notify::Notify(notify::kExpired, "expired", key, db);
    return nullptr;
  }
  return link;
}

Entry* Shard::FindForRead(int db, std::string_view key, uint64_t hash, int64_t now_ms) {
  NoteAccess(db, key, hash);
  Entry** link = FindLink(db, key, hash, now_ms);
  if (!link) {
    stats_.keyspace_misses++;
    notify::Notify(notify::kKeyMiss, "keymiss", key, db);
    return nullptr;
  }
  stats_.keyspace_hits++;
  Touch(*link, hash, now_ms);
  return *link;
}

void Shard::Add(int db, Entry* e, uint64_t hash, int64_t now_ms) {
  e->meta = policy_->OnInsert(hash, uint64_t(now_ms));
  dbs_[size_t(db)].Insert(e, hash);
  notify::Notify(notify::kNew, "new", e->key(), db);
}

void Shard::ReplaceEntry(int db, Entry** link, Entry* e) {
  e->meta = (*link)->meta;
  Entry::Destroy(dbs_[size_t(db)].Replace(link, e));
}

void Shard::Delete(int db, Entry** link) { Entry::Destroy(dbs_[size_t(db)].Unlink(link)); }

void Shard::DbModified(int db, int other) {
  // SWAPDB: the tracked hot keys move with their database.
  if (other >= 0 && hotkeys_) hotkeys_->SwapTags(uint32_t(db), uint32_t(other));
  // Client-side caching: the caller sends every tracking client a null invalidation.
  if (tracking::Active()) tracking_.Clear();
  if (db == 0 || other == 0) mc_meta_.Clear();  // FLUSHDB/FLUSHALL/SWAPDB of memcached's db
  if (watches_.empty()) return;
  auto exists = [this](int d, std::string_view key) {
    return d >= 0 && dbs_[size_t(d)].Find(key, DbTable::Hash(key)) != nullptr;
  };
  for (int d : {db, other}) {
    if (d < 0) continue;
    for (const std::string& k : watches_.KeysOfDb(d)) {
      std::string_view key(k.data() + sizeof(int), k.size() - sizeof(int));
      if (exists(db, key) || exists(other, key)) watches_.Touch(k);
    }
  }
}

void Shard::MarkReady(int db, std::string_view key) {
  std::string k = LockTable::Encode(db, key);
  if (!waited_keys_.count(k)) return;
  if (std::find(ready_keys_.begin(), ready_keys_.end(), k) == ready_keys_.end())
    ready_keys_.push_back(std::move(k));
}

bool Shard::EvictOne(int64_t now_ms) {
  namespace cs = cache::sampled;
  bool volatile_only = mm_.volatile_only;
  if (!policy_->UsesPool()) {  // allkeys-random / volatile-random
    std::vector<int> candidates;
    for (size_t i = 0; i < dbs_.size(); i++) {
      if (volatile_only ? dbs_[i].volatile_count() : dbs_[i].size()) candidates.push_back(int(i));
    }
    if (candidates.empty()) return false;
    int db = candidates[rng_() % candidates.size()];
    DbTable& t = dbs_[size_t(db)];
    Entry* e = volatile_only ? t.RandomVolatile(rng_) : t.RandomEntry(rng_);
    if (!e) return false;
    std::string key(e->key());
    KeyModified(db, key);
    LogRemoval(db, key);
    Entry::Destroy(t.Unlink(t.FindLink(key, DbTable::Hash(key))));
    stats_.evicted_keys++;
    notify::Notify(notify::kEvicted, "evicted", key, db);
    return true;
  }
  std::vector<int> dbs;
  for (size_t i = 0; i < dbs_.size(); i++) {
    if (volatile_only ? dbs_[i].volatile_count() : dbs_[i].size()) dbs.push_back(int(i));
  }
  if (dbs.empty()) return false;
  size_t samples = size_t(GlobalConfig().maxmemory_samples.load(std::memory_order_relaxed));
  std::vector<Entry*> buf;
  auto sample = [&](int db, auto&& offer) {
    DbTable& t = dbs_[size_t(db)];
    buf.clear();
    if (volatile_only) {
      for (size_t k = 0; k < samples && k < t.volatile_count(); k++)
        buf.push_back(t.RandomVolatile(rng_));
    } else {
      t.Sample(samples, rng_, &buf);
    }
    for (Entry* e : buf) {
      offer(e->meta, DbTable::Hash(e->key()),
            e->has_expire() ? e->expire_ms() : cs::KeyspacePolicy::kNoExpire, e->key());
    }
  };
  auto exists = [&](const cs::EvictionPool::Candidate& c) {
    Entry* e = dbs_[size_t(c.db)].Find(c.key, c.key_hash);
    return e && (!volatile_only || e->has_expire());
  };
  const cs::EvictionPool::Candidate* victim =
      cs::PickVictim(*policy_, pool_, dbs, uint64_t(now_ms), sample, exists);
  if (!victim) return false;
  DbTable& t = dbs_[size_t(victim->db)];
  Entry** link = t.FindLink(victim->key, victim->key_hash);
  if (!link) return false;
  KeyModified(victim->db, victim->key);
  LogRemoval(victim->db, victim->key);
  Entry::Destroy(t.Unlink(link));
  stats_.evicted_keys++;
  notify::Notify(notify::kEvicted, "evicted", victim->key, victim->db);
  return true;
}

uint64_t Shard::KeyCount() const {
  uint64_t keys = 0;
  for (const auto& t : dbs_) keys += t.size();
  return keys;
}

void Shard::PublishMemory() {
  uint64_t keys = 0, vol = 0;
  for (auto& t : dbs_) {
    keys += t.size();
    vol += t.volatile_count();
  }
  MemoryAccounting::Get().Publish(int(id_), keys, vol);
}

bool Shard::EnsureMemory() {
  uint64_t limit = GlobalConfig().maxmemory.load(std::memory_order_relaxed);
  if (limit == 0) return true;
  auto& acct = MemoryAccounting::Get();
  PublishMemory();
  if (uint64_t(acct.Used()) <= limit) return true;
  RefreshConfig();  // CONFIG SET maxmemory-policy applies from the next write on
  if (mm_.algorithm == cache::sampled::Algorithm::kNone) return false;
  // As Redis, nothing is evicted while clients are paused: the dataset stays as it was.
  if (ClientsPaused()) return true;
  int64_t now = UnixMillis();
  // Evict in small batches, re-reading the counters, until under the limit, but only down to
  // this shard's fair share while other shards hold evictable keys. Their published bytes may be
  // a step behind, and the excess may simply be theirs: they evict on their own next write or
  // cron tick. Without that floor a small shard would give up even its hottest keys for
  // memory it does not hold, and which keys survive would depend on where they hash.
  int64_t share = acct.FairShare(limit);
  for (int round = 0; round < 1000; round++) {
    if (acct.ShardBytes(int(id_)) <= share && acct.OthersHaveEvictable(int(id_), mm_.volatile_only))
      return true;
    bool evicted = true;
    for (int i = 0; i < 16 && evicted; i++) evicted = EvictOne(now);
    PublishMemory();
    if (uint64_t(acct.Used()) <= limit) return true;
    if (!evicted) break;
  }
  // Nothing left to evict here. If other shards hold evictable keys, the memory is theirs to
  // give back: they evict on their next write or cron, so let this write through rather than fail
  // it; only when no shard can evict anything is the limit a hard -OOM.
  return acct.OthersHaveEvictable(int(id_), mm_.volatile_only);
}

void Shard::EvictForNewLimit() {
  RefreshConfig();
  int64_t start = MonoMicros();
  for (;;) {
    uint64_t before = stats_.evicted_keys;
    EnsureMemory();
    if (stats_.evicted_keys == before) return;  // within the limit (or share), or nothing to evict
    if (MonoMicros() - start > 1000000) return;
  }
}

size_t Shard::ActiveExpireCycle(int64_t budget_us) {
  constexpr int kKeysPerLoop = 20;
  int64_t start = MonoMicros();
  int64_t now = UnixMillis();
  size_t total = 0;
  for (size_t n = 0; n < dbs_.size(); n++) {
    int db = int((expire_db_cursor_ + n) % dbs_.size());
    DbTable& t = dbs_[size_t(db)];
    int iterations = 0;
    for (;;) {
      if (t.volatile_count() == 0) break;
      int sampled = 0, expired = 0;
      for (int i = 0; i < kKeysPerLoop && t.volatile_count() > 0; i++) {
        Entry* e = t.RandomVolatile(rng_);
        sampled++;
        if (e->expire_ms() <= now) {
          Entry** link = t.FindLink(e->key(), DbTable::Hash(e->key()));
          if (link) {
            KeyModified(db, e->key());
            LogRemoval(db, e->key());
            if (notify::Enabled(notify::kExpired)) [[unlikely]] {
              std::string key(e->key());
              Entry::Destroy(t.Unlink(link));
              notify::Publish(notify::kExpired, "expired", key, db);
            } else {
              Entry::Destroy(t.Unlink(link));
            }
            expired++;
          }
        }
      }
      total += size_t(expired);
      stats_.expired_keys += uint64_t(expired);
      if ((++iterations & 15) == 0 && MonoMicros() - start > budget_us) {
        expire_db_cursor_ = (expire_db_cursor_ + n) % dbs_.size();
        return total;
      }
      if (expired * 4 <= sampled) break;  // under 25% expired: move on
    }
  }
  expire_db_cursor_ = (expire_db_cursor_ + 1) % dbs_.size();
  return total;
}

void Shard::Cron() {
  RefreshConfig();
  int hz = GlobalConfig().hz.load(std::memory_order_relaxed);
  if (hz < 1) hz = 1;
  // Active expiry may use up to 25% of each tick, as Redis's slow cycle; none while clients are
  // paused (CLIENT PAUSE keeps the dataset as it was), nor while a whole-keyspace step holds this
  // shard's all-keys lock (FLUSHALL, SWAPDB, the instant of a snapshot or an AOF rewrite): its
  // removals would land in the append-only file between that step's shards.
  bool all_locked = !locks().empty() && locks().IsLocked(LockTable::kAllKeys);
  if (!ClientsPaused() && !all_locked) ActiveExpireCycle(1000000 / hz / 4);
  stats_.expire_cycles++;
  for (auto& t : dbs_) {
    if (t.rehashing())
      t.RehashForMicros(1000);
    else
      t.MaybeShrink();
  }
  policy_->FitSketch(KeyCount());
  PublishMemory();
  if (GlobalConfig().maxmemory.load(std::memory_order_relaxed) && !all_locked) EnsureMemory();
}

}  // namespace strata::kv
