// The store's eviction policy: the shared cache core's ARC (src/cache/policy/arc.h), the default
// docs/design/eviction.md chooses for the edge store. ObjectStore drives it only through the
// core's policy contract (cache::EvictionPolicy: Hook, OnMiss / Insert / Access / Remove /
// Evict, byte weights with the capacity in bytes), so any other core policy (S3-FIFO,
// W-TinyLFU, LRU, ...) can be used by changing this alias.
#pragma once

#include "cache/policy/arc.h"
#include "cache/policy/policy.h"

namespace strata::edge {

using StorePolicy = cache::Arc;
static_assert(cache::EvictionPolicy<StorePolicy>);

}  // namespace strata::edge
