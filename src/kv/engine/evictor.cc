#include "kv/engine/evictor.h"

#include <algorithm>

namespace strata::kv {

void Evictor::Offer(uint64_t score, int db, std::string_view key) {
  for (const auto& c : pool_) {
    if (c.db == db && c.key == key) return;
  }
  if (pool_.size() == kPoolSize) {
    if (score <= pool_.front().score) return;
    pool_.erase(pool_.begin());
  }
  auto it = std::lower_bound(pool_.begin(), pool_.end(), score,
                             [](const Candidate& c, uint64_t s) { return c.score < s; });
  pool_.insert(it, Candidate{score, db, std::string(key)});
}

bool Evictor::PickVictim(std::vector<DbTable>& dbs, const PolicyConfig& cfg, int64_t now_ms,
                         std::mt19937_64& rng, Candidate* out) {
  if (cfg.policy == EvictionPolicy::kNoEviction) return false;
  bool volatile_only = PolicyIsVolatile(cfg.policy);
  bool random =
      cfg.policy == EvictionPolicy::kAllKeysRandom || cfg.policy == EvictionPolicy::kVolatileRandom;
  size_t samples = size_t(cfg.samples > 0 ? cfg.samples : 5);

  if (random) {
    // Random policies pick one key from a random non-empty db.
    std::vector<int> candidates;
    for (size_t i = 0; i < dbs.size(); i++) {
      size_t n = volatile_only ? dbs[i].volatile_count() : dbs[i].size();
      if (n) candidates.push_back(int(i));
    }
    if (candidates.empty()) return false;
    int db = candidates[rng() % candidates.size()];
    Entry* e = volatile_only ? dbs[db].RandomVolatile(rng) : dbs[db].RandomEntry(rng);
    if (!e) return false;
    *out = Candidate{0, db, std::string(e->key())};
    return true;
  }

  bool any = false;
  for (size_t i = 0; i < dbs.size(); i++) {
    DbTable& t = dbs[i];
    sample_buf_.clear();
    if (volatile_only) {
      for (size_t k = 0; k < samples && k < t.volatile_count(); k++) {
        sample_buf_.push_back(t.RandomVolatile(rng));
      }
    } else {
      t.Sample(samples, rng, &sample_buf_);
    }
    for (Entry* e : sample_buf_) {
      any = true;
      Offer(PolicyScore(e->meta, e->has_expire() ? e->expire_ms() : -1, cfg, now_ms), int(i),
            e->key());
    }
  }
  if (!any && pool_.empty()) return false;
  // Best candidates are at the back; skip ones that no longer exist.
  while (!pool_.empty()) {
    Candidate c = std::move(pool_.back());
    pool_.pop_back();
    DbTable& t = dbs[size_t(c.db)];
    Entry* e = t.Find(c.key, DbTable::Hash(c.key));
    if (!e) continue;
    if (volatile_only && !e->has_expire()) continue;
    *out = std::move(c);
    return true;
  }
  return false;
}

}  // namespace strata::kv
