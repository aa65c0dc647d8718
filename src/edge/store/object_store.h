// ObjectStore: one worker's shard of the edge cache (owned and used by that worker's thread
// only). Maps a primary key (host + target) to its variants (one per Vary secondary key, capped
// per URL), indexes objects by tag for purges, and keeps the stored bytes within a budget by
// evicting through the policy seam in eviction.h. Objects larger than `max_object_bytes` are
// never admitted.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "edge/store/eviction.h"
#include "edge/store/object.h"
#include "proto/http1/message.h"

namespace strata::edge {

struct StoreLimits {
  uint64_t budget_bytes = 256ull << 20;
  uint64_t max_object_bytes = 32ull << 20;
  size_t max_variants = 16;
};

struct StoreStats {
  uint64_t objects = 0;
  uint64_t bytes = 0;
  uint64_t evictions = 0;
  uint64_t inserts = 0;
};

// Indexes objects by surrogate key / cache tag.
class TagIndex {
 public:
  void Add(CachedObject* o);
  void Remove(CachedObject* o);
  // Objects carrying `tag` (a copy: purging mutates the index).
  std::vector<CachedObject*> Find(const std::string& tag) const;

 private:
  std::unordered_map<std::string, std::unordered_set<CachedObject*>> by_tag_;
};

struct LookupResult {
  ObjectRef object;        // matching variant, or null
  bool key_known = false;  // some variant exists for the key (so a miss is a vary-miss)
};

class ObjectStore {
 public:
  explicit ObjectStore(StoreLimits limits);
  ~ObjectStore();

  // Finds the variant of `key` matching the request's Vary-selected fields.
  LookupResult Lookup(const std::string& key, const http1::MessageHead& request);
  // Records a hit for the eviction policy.
  void Touch(CachedObject* o) {
    if (o->in_store) policy_.Access(o);
  }

  // Admits an object (replacing the variant with the same secondary key). Returns false when it
  // is too large. May evict others.
  bool Insert(const ObjectRef& o);
  // Re-charges an object whose size changed (body grew, headers updated). Removes it if it has
  // grown beyond max_object_bytes. Returns whether it is still stored.
  bool Recharge(CachedObject* o);
  void Remove(CachedObject* o);

  // Purges. `soft` marks objects stale instead of removing them. Return the number affected.
  size_t PurgeKey(const std::string& key, bool soft, int64_t now_ms);
  size_t PurgeTag(const std::string& tag, bool soft, int64_t now_ms);
  size_t PurgeAll(bool soft, int64_t now_ms);

  bool Fits(uint64_t bytes) const { return bytes <= limits_.max_object_bytes; }
  const StoreStats& stats() const { return stats_; }
  const StoreLimits& limits() const { return limits_; }

 private:
  struct VariantSet {
    std::vector<ObjectRef> variants;  // most recently inserted last
  };
  // Miss protocol of the policy contract: OnMiss, then evict until `weight` fits.
  bool MakeRoom(uint64_t hash, uint32_t weight);
  // Drops an object the policy no longer holds from the map and tag index.
  void Forget(CachedObject* o);
  ObjectRef Lookup(CachedObject* o);
  void Unlink(CachedObject* o, bool erase_from_map);
  // Removes o from its URL's variant list (and the URL when it was the last variant).
  void EraseVariant(CachedObject* o);
  static void SoftPurge(CachedObject* o, int64_t now_ms);

  StoreLimits limits_;
  StoreStats stats_;
  std::unordered_map<std::string, VariantSet> map_;
  StorePolicy policy_;
  TagIndex tags_;
};

}  // namespace strata::edge
