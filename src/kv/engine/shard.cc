#include "kv/engine/shard.h"

#include "base/clock.h"
#include "kv/engine/memory_accounting.h"
#include "kv/server/config.h"

namespace strata::kv {

Shard::Shard(uint32_t id, int databases) : id_(id), dbs_(size_t(databases)), rng_(0x5eed + id) {
  RefreshConfig();
}

Shard::~Shard() = default;

void Shard::RefreshConfig() { policy_ = GlobalConfig().policy(); }

Entry** Shard::FindLink(int db, std::string_view key, uint64_t hash, int64_t now_ms) {
  DbTable& t = dbs_[size_t(db)];
  Entry** link = t.FindLink(key, hash);
  if (!link) return nullptr;
  Entry* e = *link;
  if (e->has_expire() && e->expire_ms() <= now_ms) {
    Entry::Destroy(t.Unlink(link));
    stats_.expired_keys++;
    return nullptr;
  }
  return link;
}

Entry* Shard::FindForRead(int db, std::string_view key, uint64_t hash, int64_t now_ms) {
  Entry** link = FindLink(db, key, hash, now_ms);
  if (!link) {
    stats_.keyspace_misses++;
    return nullptr;
  }
  stats_.keyspace_hits++;
  Touch(*link, now_ms);
  return *link;
}

void Shard::Add(int db, Entry* e, uint64_t hash, int64_t now_ms) {
  e->meta = PolicyOnInsert(policy_, now_ms);
  dbs_[size_t(db)].Insert(e, hash);
}

void Shard::ReplaceEntry(int db, Entry** link, Entry* e) {
  e->meta = (*link)->meta;
  Entry::Destroy(dbs_[size_t(db)].Replace(link, e));
}

void Shard::Delete(int db, Entry** link) { Entry::Destroy(dbs_[size_t(db)].Unlink(link)); }

bool Shard::EnsureMemory() {
  uint64_t limit = GlobalConfig().maxmemory.load(std::memory_order_relaxed);
  if (limit == 0) return true;
  auto& acct = MemoryAccounting::Get();
  acct.Publish(int(id_));
  if (uint64_t(acct.Used()) <= limit) return true;
  RefreshConfig();  // CONFIG SET maxmemory-policy applies from the next write on
  if (policy_.policy == EvictionPolicy::kNoEviction) return false;
  int64_t now = UnixMillis();
  // Evict in small batches, re-reading the counters, until under the limit.
  for (int round = 0; round < 1000; round++) {
    for (int i = 0; i < 16; i++) {
      Evictor::Candidate c;
      if (!evictor_.PickVictim(dbs_, policy_, now, rng_, &c)) return uint64_t(acct.Used()) <= limit;
      DbTable& t = dbs_[size_t(c.db)];
      Entry** link = t.FindLink(c.key, DbTable::Hash(c.key));
      if (!link) continue;
      Entry::Destroy(t.Unlink(link));
      stats_.evicted_keys++;
    }
    acct.Publish(int(id_));
    if (uint64_t(acct.Used()) <= limit) return true;
  }
  return uint64_t(acct.Used()) <= limit;
}

size_t Shard::ActiveExpireCycle(int64_t budget_us) {
  constexpr int kKeysPerLoop = 20;
  int64_t start = MonoMicros();
  int64_t now = UnixMillis();
  size_t total = 0;
  for (size_t n = 0; n < dbs_.size(); n++) {
    DbTable& t = dbs_[(expire_db_cursor_ + n) % dbs_.size()];
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
            Entry::Destroy(t.Unlink(link));
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
  // Active expiry may use up to 25% of each tick, as Redis's slow cycle.
  ActiveExpireCycle(1000000 / hz / 4);
  stats_.expire_cycles++;
  for (auto& t : dbs_) {
    if (t.rehashing())
      t.RehashForMicros(1000);
    else
      t.MaybeShrink();
  }
  MemoryAccounting::Get().Publish(int(id_));
  if (GlobalConfig().maxmemory.load(std::memory_order_relaxed)) EnsureMemory();
}

}  // namespace strata::kv
