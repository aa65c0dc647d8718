// Background freeing of large values, so that deleting, expiring, evicting or overwriting a
// container with millions of elements never stalls its shard (Redis's lazyfree).
//
// FreeObject() frees a small object at once; one whose FreeEffort() exceeds
// Object::kLazyFreeThreshold goes to a single background thread. Until that thread has freed
// it, its bytes still count in used_memory (as in Redis); the freed bytes are then credited back
// to the ledger of the shard that let it go (base/memory.h), so per-shard accounting stays exact.
//
// The background thread runs between LazyFreer::Start() and Stop() (the server's lifetime);
// without it (unit tests, shutdown) everything is freed synchronously.
#pragma once

#include <cstdint>

#include "kv/engine/object.h"

namespace strata::kv {

// Frees obj now or in the background (see above). Call on the thread that owns it.
void FreeObject(Object* obj);

class LazyFreer {
 public:
  static void Start();
  // Frees everything still queued, then stops the thread.
  static void Stop();
  // Objects queued and not yet freed (INFO lazyfree_pending_objects).
  static uint64_t Pending();
  // Objects freed in the background so far (INFO lazyfreed_objects).
  static uint64_t Freed();
  // Blocks until the queue is empty (tests, FLUSHALL SYNC semantics).
  static void Drain();
};

}  // namespace strata::kv
