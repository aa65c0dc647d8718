// WorkerContext: everything one worker thread owns. A worker runs one io::Reactor; its store
// shard, in-flight table, origin pools, fetches and sessions are touched only on that thread.
// Other threads reach a worker only through `reactor->Post` (see Broadcast). Every primary key
// has one owner worker (OwnerOf): lookups for it run only there, so its shard holds it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "edge/coalesce/inflight.h"
#include "edge/server/config.h"
#include "edge/server/metrics.h"
#include "edge/store/object_store.h"
#include "edge/upstream/origin.h"
#include "io/reactor.h"

namespace strata::edge {

class FetchTask;
class AccessLog;

struct WorkerContext {
  WorkerContext(int index, const EdgeConfig* config, StoreLimits limits)
      : index(index), config(config), store(limits) {}

  int index;
  const EdgeConfig* config;
  io::Reactor reactor;
  ObjectStore store;
  InFlightTable inflight;
  Metrics metrics;
  AccessLog* access_log = nullptr;
  std::unique_ptr<OriginPool> default_pool;
  std::unordered_map<std::string, std::unique_ptr<OriginPool>> host_pools;  // by lowercase host
  std::unordered_set<FetchTask*> fetches;                                   // owned
  std::vector<WorkerContext*>* all_workers = nullptr;
  // Refreshed per event-loop iteration by users that need wall-clock time.
  int64_t NowWallMs() const;

  OriginPool* PoolFor(std::string_view host);
  // The worker that owns a primary key: its store entry, in-flight fetch and hit-for-pass mark
  // live only there (HashKey(key) % workers).
  int OwnerOf(std::string_view key) const;
  // Runs fn on every worker (this one synchronously, others via Post).
  void Broadcast(std::function<void(WorkerContext*)> fn);
  // Publishes store gauges into metrics.
  void PublishStoreStats();
  // Deletes a finished fetch later on this thread.
  void RetireFetch(FetchTask* f);
};

}  // namespace strata::edge
