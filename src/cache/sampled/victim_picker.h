// PickVictim: Redis's victim selection (evict.c performEvictions + evictionPoolPopulate) over an
// owner's keyspace, given two callbacks. One round samples every db, offers each sampled key to
// the pool with its score, then pops candidates best first until one still exists. Rounds repeat
// while every popped candidate was stale; after `max_rounds` rounds without a live candidate (or
// when a round sampled nothing) it gives up and returns nullptr, so an empty or all-stale keyspace
// can never loop forever.
//
//   sample(db, offer)  calls offer(word, key_hash, expire_ms, key) for up to maxmemory-samples
//                      random keys of `db` (only keys with a TTL for volatile-* policies);
//                      expire_ms is KeyspacePolicy::kNoExpire for keys without one.
//   exists(candidate)  true when candidate.key is still in candidate.db (and, for volatile-*
//                      policies, still has a TTL).
// The random policies need no pool: the owner evicts a random sampled key itself.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "cache/sampled/eviction_pool.h"
#include "cache/sampled/keyspace_policy.h"

namespace strata::cache::sampled {

template <class SampleFn, class ExistsFn>
const EvictionPool::Candidate* PickVictim(const KeyspacePolicy& policy, EvictionPool& pool,
                                          std::span<const int> dbs, uint64_t now_ms,
                                          SampleFn&& sample, ExistsFn&& exists,
                                          int max_rounds = 16) {
  for (int round = 0; round < max_rounds; ++round) {
    size_t offered = 0;
    for (int db : dbs) {
      sample(db, [&](uint32_t word, uint64_t key_hash, int64_t expire_ms, std::string_view key) {
        pool.Offer(policy.Score(word, key_hash, expire_ms, now_ms), db, key, key_hash);
        ++offered;
      });
    }
    while (const EvictionPool::Candidate* c = pool.PopBest()) {
      if (exists(*c)) return c;
    }
    if (offered == 0) return nullptr;
  }
  return nullptr;
}

}  // namespace strata::cache::sampled
