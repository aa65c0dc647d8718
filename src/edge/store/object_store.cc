#include "edge/store/object_store.h"

#include <algorithm>

#include "base/hash.h"
#include "edge/rfc9111/freshness.h"

namespace strata::edge {

void TagIndex::Add(CachedObject* o) {
  for (const auto& t : o->tags) by_tag_[t].insert(o);
}

void TagIndex::Remove(CachedObject* o) {
  for (const auto& t : o->tags) {
    auto it = by_tag_.find(t);
    if (it == by_tag_.end()) continue;
    it->second.erase(o);
    if (it->second.empty()) by_tag_.erase(it);
  }
}

std::vector<CachedObject*> TagIndex::Find(const std::string& tag) const {
  auto it = by_tag_.find(tag);
  if (it == by_tag_.end()) return {};
  return std::vector<CachedObject*>(it->second.begin(), it->second.end());
}

ObjectStore::ObjectStore(StoreLimits limits) : limits_(limits), policy_(limits.budget_bytes) {
  if (limits_.max_object_bytes > UINT32_MAX) limits_.max_object_bytes = UINT32_MAX;
  if (limits_.max_object_bytes > limits_.budget_bytes)
    limits_.max_object_bytes = limits_.budget_bytes;
}

ObjectStore::~ObjectStore() {
  for (auto& [k, vs] : map_) {
    for (auto& o : vs.variants) o->in_store = false;
  }
}

LookupResult ObjectStore::Lookup(const std::string& key, const http1::MessageHead& request) {
  LookupResult r;
  auto it = map_.find(key);
  if (it == map_.end()) return r;
  r.key_known = true;
  // Newest first: a fresher variant for the same secondary key replaces older ones anyway.
  for (auto v = it->second.variants.rbegin(); v != it->second.variants.rend(); ++v) {
    const ObjectRef& o = *v;
    if (o->vary.star) continue;
    if (o->vary.empty() || rfc9111::SecondaryKey(o->vary, request) == o->secondary) {
      r.object = o;
      return r;
    }
  }
  return r;
}

bool ObjectStore::MakeRoom(uint64_t hash, uint32_t weight) {
  return cache::MakeRoom(policy_, hash, weight, [this](StorePolicy::Hook* victim) {
    Forget(static_cast<CachedObject*>(victim));
    stats_.evictions++;
  });
}

bool ObjectStore::Insert(const ObjectRef& o) {
  size_t size = o->Footprint();
  if (o->expected_length) size = std::max<size_t>(size, *o->expected_length);
  if (!Fits(size) || o->vary.star) return false;
  o->key_hash = HashKey(o->key);
  VariantSet& vs = map_[o->key];
  // Replace the variant with the same secondary key (and Vary spec).
  for (size_t i = 0; i < vs.variants.size(); i++) {
    CachedObject* old = vs.variants[i].get();
    if (old->secondary == o->secondary && old->vary.names == o->vary.names) {
      Unlink(old, false);
      vs.variants.erase(vs.variants.begin() + i);
      break;
    }
  }
  while (vs.variants.size() >= limits_.max_variants) {
    Unlink(vs.variants.front().get(), false);
    vs.variants.erase(vs.variants.begin());
    stats_.evictions++;
  }
  vs.variants.push_back(o);
  o->in_store = true;
  o->charged = size;
  tags_.Add(o.get());
  stats_.objects++;
  stats_.inserts++;
  // The new object is in the map but not yet in the policy, so it cannot be its own victim.
  ObjectRef keep = o;
  MakeRoom(o->key_hash, uint32_t(size));
  if (!o->in_store) return false;  // only possible if a victim callback removed it
  policy_.Insert(o.get(), o->key_hash, uint32_t(size));
  stats_.bytes = policy_.weight();
  return true;
}

bool ObjectStore::Recharge(CachedObject* o) {
  if (!o->in_store) return false;
  size_t size = o->Footprint();
  if (!o->complete && o->expected_length) size = std::max<size_t>(size, *o->expected_length);
  if (!Fits(size)) {
    Remove(o);
    return false;
  }
  tags_.Remove(o);  // tags may have changed with the headers (304 update)
  o->RefreshDerivedFields();
  tags_.Add(o);
  if (size != o->charged) {
    // The contract has no "resize": take the entry out, make room, put it back.
    policy_.Remove(o);
    o->charged = size;
    ObjectRef keep = Lookup(o);
    MakeRoom(o->key_hash, uint32_t(size));
    policy_.Insert(o, o->key_hash, uint32_t(size));
  }
  stats_.bytes = policy_.weight();
  return o->in_store;
}

ObjectRef ObjectStore::Lookup(CachedObject* o) {
  auto it = map_.find(o->key);
  if (it == map_.end()) return nullptr;
  for (auto& v : it->second.variants) {
    if (v.get() == o) return v;
  }
  return nullptr;
}

void ObjectStore::Forget(CachedObject* o) {
  // Already out of the policy (evicted).
  tags_.Remove(o);
  stats_.objects--;
  o->charged = 0;
  o->in_store = false;
  EraseVariant(o);
  stats_.bytes = policy_.weight();
}

void ObjectStore::Unlink(CachedObject* o, bool erase_from_map) {
  if (!o->in_store) return;
  policy_.Remove(o);
  tags_.Remove(o);
  stats_.objects--;
  stats_.bytes = policy_.weight();
  o->charged = 0;
  o->in_store = false;
  if (erase_from_map) EraseVariant(o);
}

void ObjectStore::EraseVariant(CachedObject* o) {
  auto it = map_.find(o->key);
  if (it == map_.end()) return;
  auto& v = it->second.variants;
  // Keep a reference until we return: erasing may drop the last owner.
  ObjectRef keep;
  for (size_t i = 0; i < v.size(); i++) {
    if (v[i].get() == o) {
      keep = v[i];
      v.erase(v.begin() + i);
      break;
    }
  }
  if (v.empty()) map_.erase(it);
}

void ObjectStore::Remove(CachedObject* o) { Unlink(o, true); }

void ObjectStore::SoftPurge(CachedObject* o, int64_t now_ms) {
  // Stale from now on: lifetime becomes the current age, so stale-while-revalidate and
  // stale-if-error windows count from the purge.
  int64_t age = rfc9111::CurrentAge(o->corrected_initial_age_ms, o->response_time_ms, now_ms);
  int64_t lifetime = age / 1000;
  if (lifetime < o->lifetime_s) o->lifetime_s = lifetime;
  o->soft_purged = true;
}

size_t ObjectStore::PurgeKey(const std::string& key, bool soft, int64_t now_ms) {
  auto it = map_.find(key);
  if (it == map_.end()) return 0;
  std::vector<ObjectRef> victims = it->second.variants;
  for (auto& o : victims) {
    if (soft)
      SoftPurge(o.get(), now_ms);
    else
      Remove(o.get());
  }
  return victims.size();
}

size_t ObjectStore::PurgeTag(const std::string& tag, bool soft, int64_t now_ms) {
  std::vector<CachedObject*> victims = tags_.Find(tag);
  for (CachedObject* o : victims) {
    if (soft)
      SoftPurge(o, now_ms);
    else
      Remove(o);
  }
  return victims.size();
}

size_t ObjectStore::PurgeAll(bool soft, int64_t now_ms) {
  size_t n = 0;
  if (soft) {
    for (auto& [k, vs] : map_) {
      for (auto& o : vs.variants) SoftPurge(o.get(), now_ms);
      n += vs.variants.size();
    }
    return n;
  }
  std::vector<ObjectRef> all;
  for (auto& [k, vs] : map_) all.insert(all.end(), vs.variants.begin(), vs.variants.end());
  for (auto& o : all) Remove(o.get());
  return all.size();
}

}  // namespace strata::edge
