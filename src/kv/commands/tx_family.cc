// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//
// While a client is in MULTI, its connection queues every command but the transaction's own
// (Connection::Dispatch); a command refused while queuing (unknown, wrong arity) marks the
// transaction aborted, and EXEC then answers EXECABORT, as Redis does.
//
// EXEC runs the queue as one step, whatever shards its keys live on:
//   1. It finds every key the queued commands name (command_keys.h, following SELECT), groups
//      them by shard and locks them in ascending shard order, as every cross-shard command does
//      (tx/lock_table.h): the order makes waits acyclic, so there is no deadlock. A command that
//      works on a whole database (FLUSHALL, KEYS, SCAN, DBSIZE, ...) makes it lock every key of
//      every shard instead.
//   2. With the locks held it checks the WATCHed keys (an expired one counts as changed) and
//      gives up with a null reply if any changed.
//   3. It runs the commands in order: a command whose keys live on one shard runs there, as it
//      would outside a transaction; a cross-shard command runs its coordinator, which takes no
//      locks of its own (CmdContext::in_tx); blocking commands do not block.
//   4. It releases the locks. Other clients' commands on those keys waited in the shards' lock
//      queues, so none saw a state between two of the transaction's commands.
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/hash.h"
#include "base/strutil.h"
#include "kv/aof/aof_log.h"
#include "kv/commands/command_keys.h"
#include "kv/commands/dispatch.h"
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"
#include "kv/server/blocking.h"
#include "kv/server/command_stats.h"
#include "kv/server/connection.h"
#include "kv/server/monitor.h"
#include "kv/server/shard_set.h"
#include "kv/tx/client_tx.h"
#include "kv/tx/lock_table.h"
#include "kv/tx/script_run.h"

namespace strata::kv {
namespace {

using cmd::kFast;
using cmd::kLoading;
using cmd::kNoScript;
using cmd::kSkipSlowlog;
using cmd::kStale;

void CmdMulti(CmdContext& ctx) {
  TxState& tx = ctx.conn->tx();
  if (tx.in_multi) {
    ctx.rb->Error("ERR MULTI calls can not be nested");
    return;
  }
  tx.in_multi = true;
  tx.aborted = false;
  tx.queue.clear();
  ctx.rb->Ok();
}

void CmdDiscard(CmdContext& ctx) {
  TxState& tx = ctx.conn->tx();
  if (!tx.in_multi) {
    ctx.rb->Error("ERR DISCARD without MULTI");
    return;
  }
  DiscardTransaction(tx);
  ctx.rb->Ok();
}

void CmdUnwatch(CmdContext& ctx) {
  Unwatch(ctx.conn->tx());
  ctx.rb->Ok();
}

Task<void> CmdWatch(CmdContext& ctx) {
  TxState& tx = ctx.conn->tx();
  if (tx.in_multi) {
    ctx.rb->Error("ERR WATCH inside MULTI is not allowed");
    co_return;
  }
  if (!tx.watch) tx.watch = std::make_shared<WatchFlag>();
  for (size_t i = 1; i < ctx.args.size(); i++) {
    std::pair<int, std::string> dk(ctx.db, std::string(ctx.args[i]));
    bool seen = false;
    for (const auto& w : tx.watched) seen |= w == dk;
    if (seen) continue;
    tx.watched.push_back(dk);
    std::string key = LockTable::Encode(ctx.db, ctx.args[i]);
    std::shared_ptr<WatchFlag>* flag = &tx.watch;
    std::string* k = &key;
    co_await Shards().Hop(Shards().ShardOf(HashKey(ctx.args[i])),
                          [flag, k](Shard& s) { s.watches().Add(*k, *flag); });
  }
  ctx.rb->Ok();
}

// Per shard, the encoded keys a transaction locks (LockTable::kAllKeys alone: all of them).
struct TxLocks {
  std::vector<std::vector<std::string>> by_shard;

  explicit TxLocks(size_t shards) : by_shard(shards) {}

  void LockAll() {
    for (auto& keys : by_shard) keys.assign(1, LockTable::kAllKeys);
  }
  void Add(int db, std::string_view key) {
    auto& keys = by_shard[Shards().ShardOf(HashKey(key))];
    if (keys.size() == 1 && keys[0] == LockTable::kAllKeys) return;
    std::string k = LockTable::Encode(db, key);
    for (const auto& x : keys)
      if (x == k) return;
    keys.push_back(std::move(k));
  }
};

std::vector<std::string_view> Views(const std::vector<std::string>& args) {
  return std::vector<std::string_view>(args.begin(), args.end());
}

// The locks the queued commands need, starting in database `db`.
TxLocks LocksOf(const std::vector<TxState::Queued>& queue, int db) {
  TxLocks locks(Shards().size());
  bool all = false;
  for (const auto& q : queue) {
    std::vector<std::string_view> args = Views(q.args);
    if (IsScriptCall(*q.spec)) {
      all = true;  // a script may touch any key: it runs with every shard (script_run.h)
      continue;
    }
    if (q.spec->handler == nullptr && q.spec->keyless() && !MovableKeys(*q.spec)) {
      all = true;  // works on whole databases (FLUSHALL, KEYS, SCAN, SWAPDB, ...)
      continue;
    }
    if (std::string_view(q.spec->name) == "select") {
      int64_t n;
      if (ParseInt64(args[1], &n) && n >= 0 && n < Shards().shard(0)->databases()) db = int(n);
      continue;
    }
    std::vector<size_t> idx;
    CommandKeys(*q.spec, args, &idx);
    for (size_t i : idx) locks.Add(db, args[i]);
  }
  if (all) locks.LockAll();
  return locks;
}

// The shard all of a command's keys live on, or -1 (keyless, or several shards).
int OneShard(const CommandSpec& spec, std::span<const std::string_view> args) {
  std::vector<size_t> idx;
  if (!CommandKeys(spec, args, &idx) || idx.empty()) return -1;
  uint32_t s = Shards().ShardOf(HashKey(args[idx[0]]));
  for (size_t i : idx)
    if (Shards().ShardOf(HashKey(args[i])) != s) return -1;
  return int(s);
}

// Runs one queued command inside EXEC, its reply appended to *out.
// `track`: the client's reads are remembered (its tracking mode when EXEC was read).
Task<void> RunQueued(Connection* conn, const TxState::Queued& q, int* db, std::string* out,
                     bool track, aof::Unit* unit) {
  std::vector<std::string_view> args = Views(q.args);
  const CommandSpec* spec = q.spec;
  resp::ReplyBuilder rb(out, conn->state().proto);
  CmdContext c;
  c.db = *db;
  c.args = args;
  c.rb = &rb;
  c.now_ms = LoopUnixMillis();
  c.spec = spec;
  c.in_tx = true;
  c.client_id = conn->state().id;
  c.track_reads = track;
  c.aof_unit = unit;
  if (Monitors::Get().active()) Monitors::Get().Feed(conn->state(), args);
  const ClientState& st = conn->state();
  int shard = spec->handler && !(spec->flags & cmd::kBlocking) && !IsScriptCall(*spec)
                  ? OneShard(*spec, args)
                  : -1;
  if (IsScriptCall(*spec)) {
    // EXEC holds the script token and every shard (LocksOf): the script runs as in kAll.
    c.shard = Shards().shard(conn->shard_id());
    c.conn = conn;
    int64_t start = MonoMicros();
    {
      ShardSet::SyncScope sync;
      RunScriptCall(c, ScriptScope::kAll, nullptr);
    }
    auto& counters = LocalCommandCounters()[size_t(spec->id)];
    counters.calls++;
    counters.usec += uint64_t(MonoMicros() - start);
    LocalTotals().commands++;
  } else if (shard >= 0) {
    // Where it would run outside a transaction: on its keys' shard, as a plain command.
    CmdContext* cp = &c;
    const ClientState* sp = &st;
    co_await Shards().Hop(uint32_t(shard), [cp, sp, spec](Shard& s) {
      cp->shard = &s;
      ExecuteHandler(*spec, *cp, sp->addr, sp->name);
    });
  } else if (spec->handler && (spec->keyless() || !spec->multi)) {
    // Keyless commands run on the connection's thread (SELECT, PING, CLIENT, CONFIG ...).
    c.shard = Shards().shard(conn->shard_id());
    c.conn = conn;
    ExecuteHandler(*spec, c, st.addr, st.name);
  } else {
    c.shard = Shards().shard(conn->shard_id());
    c.conn = conn;
    size_t before = out->size();
    int64_t start = MonoMicros();
    co_await spec->multi(c);
    // Keyless writes across shards (FLUSHALL, FLUSHDB, SWAPDB) go in the transaction's unit.
    if (aof::KeylessWrite(*spec, args)) aof::FeedContext(c, std::string_view(*out).substr(before));
    auto& counters = LocalCommandCounters()[size_t(spec->id)];
    counters.calls++;
    counters.usec += uint64_t(MonoMicros() - start);
    LocalTotals().commands++;
    if (out->size() > before && (*out)[before] == '-') {
      counters.failed++;
      CountErrorReply(std::string_view(*out).substr(before));
    }
  }
  *db = conn->state().db;  // SELECT moves the rest of the transaction to another database
}

// After the commands it ran, as Redis shows it.
struct FeedExecToMonitors {
  Connection* conn;
  std::span<const std::string_view> args;
  ~FeedExecToMonitors() {
    if (Monitors::Get().active()) Monitors::Get().Feed(conn->state(), args);
  }
};

Task<void> CmdExec(CmdContext& ctx) {
  Connection* conn = ctx.conn;
  FeedExecToMonitors feed{conn, ctx.args};
  TxState& tx = conn->tx();
  if (!tx.in_multi) {
    ctx.rb->Error("ERR EXEC without MULTI");
    co_return;
  }
  std::vector<TxState::Queued> queue = std::move(tx.queue);
  bool aborted = tx.aborted;
  tx.in_multi = false;
  tx.aborted = false;
  tx.queue.clear();
  if (aborted) {
    Unwatch(tx);
    ctx.rb->Error("EXECABORT Transaction discarded because of previous errors.");
    co_return;
  }

  // 1. Lock every key involved, in ascending shard order. With a script in the queue, the
  //    script token comes first (the order every script run takes them in, script_run.h).
  bool scripts = false;
  for (const auto& q : queue) scripts |= IsScriptCall(*q.spec);
  if (scripts) co_await ScriptToken::Get().Acquire();
  TxLocks locks = LocksOf(queue, ctx.db);
  for (uint32_t s = 0; s < Shards().size(); s++) {
    if (locks.by_shard[s].empty()) continue;
    std::vector<std::string>* keys = &locks.by_shard[s];
    co_await Shards().HopDeferred(
        s, [keys](Shard& sh, auto done) { sh.locks().Acquire(*keys, done); });
  }

  // 2. WATCH: a watched key that changed, or has expired since, fails the transaction.
  bool dirty = false;
  if (tx.watch) {
    for (const auto& [wdb, wkey] : tx.watched) {
      const std::string* k = &wkey;
      int d = wdb;
      co_await Shards().Hop(Shards().ShardOf(HashKey(wkey)), [k, d](Shard& s) {
        s.FindLink(d, *k, KeyHash(*k), LoopUnixMillis());  // expires it if it is due
      });
    }
    dirty = tx.watch->dirty.load(std::memory_order_acquire);
  }

  // 3. Run the commands.
  std::string replies;
  if (!dirty) {
    int db = ctx.db;
    aof::Unit unit;
    for (const auto& q : queue) co_await RunQueued(conn, q, &db, &replies, ctx.track_reads, &unit);
    // Logged as one MULTI ... EXEC while the transaction's locks are still held.
    aof::FeedUnit(std::move(unit));
  }

  // 4. Release the locks; blocked clients the transaction's writes can serve are served now.
  for (uint32_t s = 0; s < Shards().size(); s++) {
    if (locks.by_shard[s].empty()) continue;
    Shards().Post(s, [s, keys = std::move(locks.by_shard[s])] {
      Shard* sh = Shards().shard(s);
      sh->locks().Release(keys);
      ServeBlockedClients(*sh);
    });
  }
  if (scripts) ScriptToken::Get().Release();
  Unwatch(tx);
  if (dirty) {
    ctx.rb->NullArray();
    co_return;
  }
  ctx.rb->ArrayHeader(queue.size());
  ctx.rb->out()->append(replies);
}

}  // namespace

void RegisterTxFamily(CommandRegistry& r) {
  const uint32_t kTxFlags = kNoScript | kLoading | kStale | kFast;
  r.Add({"multi", 1, kTxFlags, 0, 0, 0, CmdMulti, nullptr, "transactions", "Starts a transaction.",
         "1.2.0", "O(1)"});
  r.Add({"exec", 1, kNoScript | kLoading | kStale | kSkipSlowlog, 0, 0, 0, nullptr, CmdExec,
         "transactions", "Executes all commands in a transaction.", "1.2.0",
         "Depends on commands in the transaction"});
  r.Add({"discard", 1, kTxFlags, 0, 0, 0, CmdDiscard, nullptr, "transactions",
         "Discards a transaction.", "2.0.0", "O(N), when N is the number of queued commands"});
  r.Add({"watch", -2, kTxFlags, 1, -1, 1, nullptr, CmdWatch, "transactions",
         "Monitors changes to keys to determine the execution of a transaction.", "2.2.0",
         "O(1) for every key."});
  r.Add({"unwatch", 1, kTxFlags, 0, 0, 0, CmdUnwatch, nullptr, "transactions",
         "Forgets about watched keys of a transaction.", "2.2.0", "O(1)"});
}

}  // namespace strata::kv
