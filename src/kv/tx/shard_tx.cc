#include "kv/tx/shard_tx.h"

#include "base/clock.h"
#include "base/hash.h"
#include "kv/aof/aof_log.h"
#include "kv/commands/command_keys.h"
#include "kv/commands/dispatch.h"
#include "kv/commands/family_util.h"
#include "kv/server/blocking.h"
#include "kv/server/command_stats.h"
#include "kv/server/connection.h"
#include "kv/server/monitor.h"
#include "kv/server/shard_set.h"
#include "kv/tx/lock_table.h"
#include "kv/tx/script_run.h"

namespace strata::kv {
namespace {

std::vector<std::string_view> Views(const std::vector<std::string>& args) {
  return std::vector<std::string_view>(args.begin(), args.end());
}

}  // namespace

int SingleShardOf(const TxState& tx) {
  int shard = -1;
  auto same = [&shard](std::string_view key) {
    int s = int(Shards().ShardOf(HashKey(key)));
    if (shard < 0) shard = s;
    return s == shard;
  };
  for (const auto& q : tx.queue) {
    const CommandSpec& spec = *q.spec;
    if (!spec.handler || (spec.flags & cmd::kBlocking) || IsScriptCall(spec)) return -1;
    if (spec.keyless() && !MovableKeys(spec)) return -1;  // SELECT, PING, CLIENT, FLUSHALL ...
    std::vector<std::string_view> args = Views(q.args);
    std::vector<size_t> idx;
    if (!CommandKeys(spec, args, &idx) || idx.empty()) return -1;
    for (size_t i : idx)
      if (!same(args[i])) return -1;
  }
  for (const auto& w : tx.watched)
    if (!same(w.second)) return -1;
  return shard;
}

std::unique_ptr<ShardTx> TakeShardTx(TxState& tx, const ClientState& client,
                                     std::string_view exec_name) {
  auto t = std::make_unique<ShardTx>();
  t->exec_name = exec_name;
  t->db = client.db;
  t->proto = client.proto;
  t->client_id = client.id;
  t->client_addr = client.addr;
  t->client_name = client.name;
  for (const auto& q : tx.queue) LockKeysOf(*q.spec, Views(q.args), client.db, &t->lock_keys);
  for (const auto& [db, key] : tx.watched) t->lock_keys.push_back(LockTable::Encode(db, key));
  t->queue = std::move(tx.queue);
  t->watch = std::move(tx.watch);
  t->watched = std::move(tx.watched);
  tx.queue.clear();
  tx.watched.clear();
  tx.watch.reset();
  tx.in_multi = false;
  tx.aborted = false;
  return t;
}

void RunShardTx(ShardTx& t, Shard& shard, std::string* out) {
  int64_t start = AdvanceLoopClock();
  int64_t now = LoopUnixMillis();
  resp::ReplyBuilder rb(out, t.proto);
  for (const auto& [wdb, wkey] : t.watched)
    shard.FindLink(wdb, wkey, KeyHash(wkey), now);  // expires it if it is due
  bool dirty = t.watch && t.watch->dirty.load(std::memory_order_acquire);
  bool monitor = Monitors::Get().active();
  if (dirty) {
    rb.NullArray();
  } else {
    rb.ArrayHeader(t.queue.size());
    aof::Unit unit;
    for (const auto& q : t.queue) {
      std::vector<std::string_view> args = Views(q.args);
      if (monitor) Monitors::Get().FeedAs(t.db, t.client_addr, args, t.client_id);
      CmdContext c;
      c.shard = &shard;
      c.db = t.db;
      c.args = args;
      c.rb = &rb;
      c.now_ms = now;
      c.spec = q.spec;
      c.in_tx = true;
      c.client_id = t.client_id;
      c.track_reads = t.track;
      c.aof_unit = &unit;
      ExecuteHandler(*q.spec, c, t.client_addr, t.client_name, /*serve_blocked=*/false);
    }
    aof::FeedUnit(std::move(unit));
    ServeBlockedClients(shard);
  }
  if (t.watch) {
    for (const auto& [wdb, wkey] : t.watched)
      shard.watches().Remove(LockTable::Encode(wdb, wkey), t.watch.get());
  }
  if (t.exec_spec) {
    auto& counters = LocalCommandCounters()[size_t(t.exec_spec->id)];
    counters.calls++;
    counters.usec += uint64_t(AdvanceLoopClock() - start);
    LocalTotals().commands++;
  }
  if (monitor) {
    std::string_view exec[] = {t.exec_name};
    Monitors::Get().FeedAs(t.db, t.client_addr, exec, t.client_id);
  }
}

}  // namespace strata::kv
