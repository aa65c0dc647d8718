// ShardLocal: the state that belongs to a shard's event loop rather than to its data: command
// statistics, the shard's client connections, and its memory ledger.
//
// A shard is normally run by its own thread, but at low load another thread's loop may run it as
// a guest (io::Reactor hosting; see thread_packing.h). So this state is not thread_local: each
// shard's reactor carries its ShardLocal as context, and the reactor switch hook points the
// thread at the right one whenever it starts working for another shard. Local() is that one.
// Threads that are not running any shard (the main thread, tests) get a private fallback.
#pragma once

#include <cstdint>
#include <functional>
#include <unordered_map>
#include <vector>

#include "base/memory.h"
#include "kv/messaging/pubsub.h"
#include "kv/messaging/tracking.h"
#include "kv/server/blocking.h"
#include "kv/server/command_stats.h"

namespace strata::io {
class Reactor;
}

namespace strata::kv {

class Connection;
class TurnClient;

struct ShardLocal {
  int shard = -1;
  ShardCommandStats stats;
  std::vector<Connection*> connections;  // the shard's clients, in no order
  MemoryLedger memory;                   // bytes allocated while working for this shard
  BlockingTable blocking;                // clients blocked on this shard's keys
  pubsub::LocalSubscribers pubsub;       // this shard's clients' subscriptions
  // The end-of-turn step (kv/server/reply_hold.h): whether it is scheduled for this turn, the
  // connections it flushes (output appended since their last write: replies held for the
  // append-only file, pushes), what waits for its log write (direct replies), and the
  // connections whose output waits for the log to be fsynced (and whether the fsync thread
  // will post their release).
  bool turn_end_scheduled = false;
  std::vector<TurnClient*> turn_clients;
  std::vector<std::function<void()>> after_log_write;
  std::vector<TurnClient*> held;
  uint64_t held_min = UINT64_MAX;  // the least log position a held connection needs
  bool held_release_due = false;
  bool releasing = false;  // inside a release (the held list is re-built)
  std::unordered_map<uint64_t, Connection*> clients_by_id;  // the shard's clients, by id
  tracking::Outbox tracking_out;  // invalidations for other shards' clients, sent per round
};

// The ShardLocal of the shard this thread is working for now.
ShardLocal& Local();

// Installs the reactor switch hook that keeps Local(), ShardSet::Current() and the memory ledger
// in step with io::Reactor::Current(). Reactors whose context is not a ShardLocal must carry none.
void InstallShardLocalHook();

}  // namespace strata::kv
