#include "edge/fsm/context.h"

#include "base/clock.h"
#include "base/hash.h"
#include "base/strutil.h"
#include "edge/fsm/fetch.h"

namespace strata::edge {

int64_t WorkerContext::NowWallMs() const { return UnixMillis(); }

OriginPool* WorkerContext::PoolFor(std::string_view host) {
  if (!host_pools.empty()) {
    std::string h = ToLower(host);
    size_t colon = h.rfind(':');
    if (colon != std::string::npos && h.find(']') == std::string::npos) {
      auto it = host_pools.find(h);
      if (it != host_pools.end()) return it->second.get();
      h.resize(colon);
    }
    auto it = host_pools.find(h);
    if (it != host_pools.end()) return it->second.get();
  }
  return default_pool.get();
}

int WorkerContext::OwnerOf(std::string_view key) const {
  if (!all_workers || all_workers->size() < 2) return index;
  return int(HashKey(key) % all_workers->size());
}

void WorkerContext::Broadcast(std::function<void(WorkerContext*)> fn) {
  if (!all_workers) {
    fn(this);
    return;
  }
  for (WorkerContext* w : *all_workers) {
    if (w == this) {
      fn(this);
    } else {
      w->reactor.Post([w, fn] { fn(w); });
    }
  }
}

void WorkerContext::PublishStoreStats() {
  const StoreStats& s = store.stats();
  metrics.objects.store(s.objects, std::memory_order_relaxed);
  metrics.stored_bytes.store(s.bytes, std::memory_order_relaxed);
  metrics.evictions.store(s.evictions, std::memory_order_relaxed);
}

void WorkerContext::RetireFetch(FetchTask* f) {
  if (!fetches.erase(f)) return;
  reactor.Post([f] { delete f; });
}

}  // namespace strata::edge
