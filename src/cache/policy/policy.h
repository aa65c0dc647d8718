// The eviction-policy contract shared by strata-edge's object store, the client near cache and
// any other owner of cached entries that can afford per-entry list hooks.
//
// A policy orders entries it does not own. Each policy P defines `P::Hook`, the intrusive
// per-entry metadata; the owner's entry type inherits from it (`struct Obj : S3Fifo::Hook`) and
// converts the hooks returned by Evict() back with static_cast. Every entry carries a weight:
// 1 for count-bounded caches, its size in bytes for byte-bounded ones. The policy is constructed
// with the capacity in the same unit and keeps the total weight of the entries it holds.
//
// The miss protocol (what MakeRoom() below does):
//   1. OnMiss(hash, w)    - a key is about to be inserted (lets ghost-queue and sketch policies
//                           see the request before they choose victims);
//   2. Evict() while weight() + w > capacity(): each call unlinks one entry and returns it; the
//                           owner then drops it from its index and frees it;
//   3. Insert(h, hash, w) - link the new entry.
// Other operations: Access(h) on every hit, Remove(h) when the owner deletes or replaces an entry
// (expiry, purge, overwrite). Evict() returns nullptr only when the policy holds no entry. A
// policy never calls back into its owner, allocates only in its own ghost/sketch structures, and
// is single-threaded (one instance per shard).
//
// `hash` is the entry's 64-bit key hash (strata::HashKey); policies with ghost queues or a
// frequency sketch keep it in the hook, the others ignore it.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>

namespace strata::cache {

template <class P>
concept EvictionPolicy = requires(P& p, const P& cp, typename P::Hook* h, uint64_t hash,
                                  uint32_t weight) {
  typename P::Hook;
  { P::kName } -> std::convertible_to<const char*>;
  { p.OnMiss(hash, weight) } -> std::same_as<void>;
  { p.Insert(h, hash, weight) } -> std::same_as<void>;
  { p.Access(h) } -> std::same_as<void>;
  { p.Remove(h) } -> std::same_as<void>;
  { p.Evict() } -> std::same_as<typename P::Hook*>;
  { cp.size() } -> std::convertible_to<size_t>;
  { cp.weight() } -> std::convertible_to<uint64_t>;
  { cp.capacity() } -> std::convertible_to<uint64_t>;
};

// Runs steps 1 and 2 of the miss protocol for an entry of `weight`; `on_evict(Hook*)` receives
// each victim. Returns false (and evicts nothing) when the entry can never fit.
template <EvictionPolicy P, class OnEvict>
bool MakeRoom(P& policy, uint64_t hash, uint32_t weight, OnEvict&& on_evict) {
  if (weight > policy.capacity()) return false;
  policy.OnMiss(hash, weight);
  while (policy.weight() + weight > policy.capacity()) {
    typename P::Hook* victim = policy.Evict();
    if (victim == nullptr) break;
    on_evict(victim);
  }
  return true;
}

// A queue share of the capacity, never below `min_share` (so tiny shards still behave).
inline uint64_t Share(uint64_t capacity, double fraction, uint64_t min_share = 1) {
  uint64_t s = static_cast<uint64_t>(static_cast<double>(capacity) * fraction);
  return s < min_share ? min_share : s;
}

}  // namespace strata::cache
