// Transactions whose keys all live on one shard: EXEC runs them there in one step.
//
// Nothing else runs on a shard while its thread runs a step, so such a transaction needs no key
// locks: it only waits, like any command, for locks other coordinators hold on its keys. The
// connection routes its EXEC like a single-shard command: inline on its own shard, or in the
// batch for the shard that owns the keys (so pipelined MULTI/.../EXEC keep batching). WATCH is
// checked on that shard too, since every watched key lives there.
//
// Thread ownership: prepared and freed on the connection's thread; run on the shard's thread
// while the connection waits for it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kv/tx/client_tx.h"

namespace strata::kv {

class Shard;
struct ClientState;
struct CommandSpec;

struct ShardTx {
  std::vector<TxState::Queued> queue;
  std::shared_ptr<WatchFlag> watch;
  std::vector<std::pair<int, std::string>> watched;
  std::vector<std::string> lock_keys;  // queued commands' keys and the watched ones, encoded
  int db = 0;
  int proto = 2;
  uint64_t client_id = 0;
  bool track = false;  // the client tracks its reads (client-side caching)
  std::string client_addr, client_name;
  std::string exec_name;                   // EXEC as the client spelled it (for MONITOR)
  const CommandSpec* exec_spec = nullptr;  // for EXEC's own command statistics
};

// The shard of every key of the transaction (queued and watched) when each queued command is a
// keyed single-shard command; -1 otherwise (EXEC then locks across shards, tx_family.cc).
int SingleShardOf(const TxState& tx);

// Takes the transaction out of `tx` (which leaves MULTI with nothing watched).
std::unique_ptr<ShardTx> TakeShardTx(TxState& tx, const ClientState& client,
                                     std::string_view exec_name);

// On the shard's thread: checks WATCH, runs the commands and appends EXEC's whole reply; then
// serves blocked clients, forgets the watched keys and shows EXEC to MONITOR.
void RunShardTx(ShardTx& tx, Shard& shard, std::string* out);

}  // namespace strata::kv
