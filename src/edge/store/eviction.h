// The store's eviction policy seam. ObjectStore talks to its policy only through this small,
// byte-weighted interface (OnInsert / OnAccess / OnRemove / Victim), the same shape as the
// shared cache core's policy contract, so the policy can be swapped without touching the store.
//
// ByteLru is the stand-in: a doubly-linked recency list threaded through the objects (the
// `lru_pos` hook in CachedObject, no allocation per access). Byte weights are accounted by the
// store; LRU order does not depend on them.
#pragma once

#include <list>

#include "edge/store/object.h"

namespace strata::edge {

class ByteLru {
 public:
  void OnInsert(CachedObject* o) { o->lru_pos = list_.insert(list_.end(), o); }
  void OnAccess(CachedObject* o) { list_.splice(list_.end(), list_, o->lru_pos); }
  void OnRemove(CachedObject* o) { list_.erase(o->lru_pos); }
  // The next object to evict, or nullptr when empty.
  CachedObject* Victim() const { return list_.empty() ? nullptr : list_.front(); }
  size_t size() const { return list_.size(); }

 private:
  std::list<CachedObject*> list_;  // front = least recently used
};

}  // namespace strata::edge
