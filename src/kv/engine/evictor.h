// Evictor: maxmemory eviction for one shard's keyspace, Redis-style.
//
// Entries carry a 32-bit policy word (Entry::meta). Eviction samples `maxmemory-samples` random
// entries (from all keys or only keys with a TTL), scores them with the configured policy's score
// function (policy.h), keeps the best candidates in a 16-entry eviction pool, and evicts the
// best candidate that still exists.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kv/engine/db_table.h"
#include "kv/engine/policy.h"

namespace strata::kv {

class Evictor {
 public:
  // Candidate kept in the pool: the key is copied so the pool never dangles.
  struct Candidate {
    uint64_t score = 0;
    int db = 0;
    std::string key;
  };
  static constexpr size_t kPoolSize = 16;

  // Fills the pool from `samples` random entries of each db (volatile_only: keys with a TTL) and
  // returns the best candidate; false if nothing can be evicted.
  bool PickVictim(std::vector<DbTable>& dbs, const PolicyConfig& cfg, int64_t now_ms,
                  std::mt19937_64& rng, Candidate* out);
  void Clear() { pool_.clear(); }

 private:
  void Offer(uint64_t score, int db, std::string_view key);
  std::vector<Candidate> pool_;  // sorted by score, ascending; best at back
  std::vector<Entry*> sample_buf_;
};

}  // namespace strata::kv
