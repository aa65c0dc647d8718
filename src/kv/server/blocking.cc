#include "kv/server/blocking.h"

#include <algorithm>
#include <climits>
#include <cmath>

#include "base/hash.h"
#include "base/strutil.h"
#include "kv/aof/aof_log.h"
#include "kv/engine/shard.h"
#include "kv/server/connection.h"
#include "kv/server/shard_local.h"
#include "kv/server/shard_set.h"
#include "kv/tx/lock_table.h"

namespace strata::kv {

namespace {

// Append-only file: a served blocking write is logged as its non-blocking effect, on the key's
// shard right after it took the element.
void LogServed(BlockedClient& c) {
  if (!c.writes || (!c.aof_unit && !aof::Enabled())) return;
  // BLMOVE and BRPOPLPUSH move the element under their own key locks, which log it.
  if (c.args.empty() || EqualsIgnoreCase(c.args[0], "blmove") ||
      EqualsIgnoreCase(c.args[0], "brpoplpush"))
    return;
  if (c.aof_unit)
    c.aof_unit->Add(c.db, c.args, c.reply(), c.now_ms);
  else
    aof::Feed(c.db, c.args, c.reply(), c.now_ms);
}

}  // namespace

namespace {

std::atomic<int64_t> g_blocked{0};

// The keys on shard s that serving this client through `key` touches: the key itself and, for
// BLMOVE, a destination on the same shard.
std::vector<std::string> TouchedKeys(Shard& s, const std::string& key, const BlockedClient& c) {
  std::vector<std::string> keys{key};
  if (c.ops->also_writes) {
    std::string_view other = c.args[c.ops->also_writes];
    if (Shards().shard(Shards().ShardOf(HashKey(other))) == &s)
      keys.push_back(LockTable::Encode(c.db, other));
  }
  return keys;
}

// Whether a cross-shard transaction holds (or is queued for) a key this client's service would
// touch on shard s: then serving waits until the transaction has released it, so nothing is
// popped from or pushed onto a key in the middle of a transaction.
bool HeldByTransaction(Shard& s, const std::vector<std::string>& keys) {
  if (s.locks().empty()) return false;
  for (const std::string& k : keys)
    if (s.locks().IsBlocked(k)) return true;
  return false;
}

}  // namespace

void BlockedClient::Finish(Outcome o) {
  // Posted even when already home: the coroutine may be between two awaits right now. The
  // awaiting coroutine keeps the client alive until this has run.
  home_->Post([this, o] {
    outcome_ = o;
    if (waiting_) {
      auto h = waiting_;
      waiting_ = nullptr;
      h.resume();
    }
  });
}

void BlockingTable::Add(Shard& s, std::shared_ptr<BlockedClient> c, size_t key_index) {
  std::string k = LockTable::Encode(c->db, c->args[key_index]);
  s.waited_keys().insert(k);
  by_key_[k].push_back(Waiter{std::move(c), key_index});
  waiters_++;
}

void BlockingTable::Remove(Shard& s, const BlockedClient* c) {
  for (auto it = by_key_.begin(); it != by_key_.end();) {
    auto& q = it->second;
    size_t before = q.size();
    q.erase(
        std::remove_if(q.begin(), q.end(), [c](const Waiter& w) { return w.client.get() == c; }),
        q.end());
    waiters_ -= before - q.size();
    if (q.empty()) {
      s.waited_keys().erase(it->first);
      it = by_key_.erase(it);
    } else {
      ++it;
    }
  }
}

void BlockingTable::ServeReady(Shard& s) {
  // Keys whose service must wait for a transaction's locks; they stay ready for the next turn
  // (every release of a lock is followed by ServeBlockedClients).
  std::vector<std::string> later;
  // Serving may make more keys ready (BLMOVE pushing on this shard): loop until none is left.
  while (!s.ready_keys().empty()) {
    std::vector<std::string> ready;
    ready.swap(s.ready_keys());
    for (const std::string& k : ready) {
      auto it = by_key_.find(k);
      if (it == by_key_.end()) continue;
      auto& q = it->second;
      for (size_t i = 0; i < q.size();) {
        Waiter& w = q[i];
        BlockedClient& c = *w.client;
        if (c.claimed()) {  // served elsewhere, timed out or gone: drop it
          q.erase(q.begin() + long(i));
          waiters_--;
          continue;
        }
        // The earliest waiter goes first: nobody overtakes one that must wait for a lock.
        if (!s.locks().empty() && HeldByTransaction(s, TouchedKeys(s, k, c))) {
          later.push_back(k);
          break;
        }
        if (!c.ops->ready(s, c, w.key_index)) {
          i++;
          continue;
        }
        if (!c.TryClaim()) continue;  // claimed meanwhile by another thread: dropped next turn
        {
          resp::ReplyBuilder rb(&c.reply(), c.proto());
          c.ops->serve(s, c, w.key_index, rb);
        }
        LogServed(c);
        if (s.ObservesWrites())
          for (const std::string& t : TouchedKeys(s, k, c)) s.EncodedKeyModified(t);
        std::shared_ptr<BlockedClient> keep = std::move(w.client);
        q.erase(q.begin() + long(i));
        waiters_--;
        keep->Finish(BlockedClient::Outcome::kServed);
      }
      if (q.empty()) {
        s.waited_keys().erase(it->first);
        by_key_.erase(it);
      }
    }
  }
  for (std::string& k : later)
    if (std::find(s.ready_keys().begin(), s.ready_keys().end(), k) == s.ready_keys().end())
      s.ready_keys().push_back(std::move(k));
}

void ServeBlockedClients(Shard& s) {
  if (s.ready_keys().empty()) return;
  Local().blocking.ServeReady(s);
}

bool ParseBlockingTimeout(CmdContext& ctx, std::string_view arg, int64_t* out_ms) {
  long double v;
  if (!ParseLongDouble(arg, &v) || std::isnan(v)) {
    ctx.rb->Error("ERR timeout is not a float or out of range");
    return false;
  }
  v *= 1000.0L;
  if (v > (long double)LLONG_MAX) {
    ctx.rb->Error("ERR timeout is out of range");
    return false;
  }
  int64_t ms = int64_t(std::ceil(v));
  if (ms < 0) {
    ctx.rb->Error("ERR timeout is negative");
    return false;
  }
  if (ms > 0 && ms > LLONG_MAX - ctx.now_ms) {
    ctx.rb->Error("ERR timeout is out of range");
    return false;
  }
  *out_ms = ms;
  return true;
}

namespace {

// One key of a blocking call, on its shard: fail with WRONGTYPE, serve, or join the key's waiters.
void VisitKey(Shard& s, const std::shared_ptr<BlockedClient>& bc, size_t ki, bool wait) {
  using Outcome = BlockedClient::Outcome;
  BlockedClient& c = *bc;
  if (c.ops->wrong_type && c.ops->wrong_type(s, c, ki)) {
    if (!c.TryClaim()) return;
    resp::ReplyBuilder rb(&c.reply(), c.proto());
    rb.Error("WRONGTYPE Operation against a key holding the wrong kind of value");
    c.Finish(Outcome::kServed);
    return;
  }
  if (c.ops->ready(s, c, ki)) {
    if (!c.TryClaim()) return;
    {
      resp::ReplyBuilder rb(&c.reply(), c.proto());
      c.ops->serve(s, c, ki, rb);
    }
    LogServed(c);
    if (s.ObservesWrites()) {
      std::string k = LockTable::Encode(c.db, c.args[ki]);
      for (const std::string& t : TouchedKeys(s, k, c)) s.EncodedKeyModified(t);
    }
    c.Finish(Outcome::kServed);
    return;
  }
  if (wait) Local().blocking.Add(s, bc, ki);
}

}  // namespace

Task<BlockedClient::Outcome> BlockingCall(CmdContext& ctx, std::vector<size_t> key_indices,
                                          int64_t timeout_ms, const BlockingOps* ops,
                                          std::vector<std::string> state,
                                          std::vector<std::string>* state_out) {
  using Outcome = BlockedClient::Outcome;
  io::Reactor* home = io::Reactor::Current();
  auto bc = std::make_shared<BlockedClient>(home, ctx.rb->proto());
  bc->db = ctx.db;
  bc->now_ms = ctx.now_ms;
  bc->ops = ops;
  bc->args = ctx.args;
  bc->state = std::move(state);
  bc->aof_unit = ctx.aof_unit;
  bc->writes = ctx.spec && (ctx.spec->flags & cmd::kWrite);
  BlockedClient* raw = bc.get();
  std::vector<uint32_t> visited;
  // In key order: serve from the first key that has something, or wait on it.
  for (size_t ki : key_indices) {
    uint32_t shard = Shards().ShardOf(HashKey(ctx.args[ki]));
    if (std::find(visited.begin(), visited.end(), shard) == visited.end()) visited.push_back(shard);
    std::shared_ptr<BlockedClient>* bcp = &bc;
    bool in_tx = ctx.in_tx;
    co_await Shards().HopDeferred(shard, [bcp, ki, in_tx](Shard& s, auto done) {
      auto step = [bcp, ki, &s, done, in_tx] {
        BlockedClient& c = **bcp;
        if (!c.claimed()) VisitKey(s, *bcp, ki, !in_tx);
        done();
      };
      // A key held by a cross-shard transaction is visited once it is released, as any
      // command's would be (inside EXEC, the transaction holding it is this one).
      BlockedClient& c = **bcp;
      if (in_tx || s.locks().empty()) return step();
      std::vector<std::string> keys = TouchedKeys(s, LockTable::Encode(c.db, c.args[ki]), c);
      if (HeldByTransaction(s, keys))
        s.locks().Defer(std::move(keys), step);
      else
        step();
    });
    if (raw->claimed()) break;
  }
  // Inside MULTI/EXEC a blocking command that finds nothing times out at once, as in Redis.
  if (ctx.in_tx && raw->TryClaim()) co_return Outcome::kTimeout;
  if (ctx.in_tx) {
    // Served during the visit, so the reply is ready now. Finish's message to `home` has not
    // run yet and a script cannot wait for it (its hops are synchronous): keep the client
    // alive until it has, and answer at once.
    home->Post([bc] {});
    ctx.rb->out()->append(raw->reply());
    if (state_out) *state_out = std::move(raw->state);
    co_return Outcome::kServed;
  }
  io::Reactor::TimerId timer = 0;
  bool blocked = !raw->claimed();
  if (blocked) {
    g_blocked.fetch_add(1, std::memory_order_relaxed);
    if (ctx.conn) ctx.conn->set_blocked(bc);
    if (timeout_ms > 0) {
      timer = home->RunAfter(timeout_ms, [bc] {
        if (bc->TryClaim()) bc->Finish(Outcome::kTimeout);
      });
    }
  }
  Outcome o = co_await raw->Wait();
  if (blocked) {
    g_blocked.fetch_sub(1, std::memory_order_relaxed);
    if (timer && o != Outcome::kTimeout) home->Cancel(timer);
    if (ctx.conn) ctx.conn->set_blocked(nullptr);
  }
  // Leave nothing behind on the shards this client waited on.
  for (uint32_t shard : visited) {
    Shards().Post(shard, [bc, shard] {
      Shard* s = Shards().shard(shard);
      Local().blocking.Remove(*s, bc.get());
    });
  }
  if (o == Outcome::kServed) ctx.rb->out()->append(raw->reply());
  if (state_out) *state_out = std::move(raw->state);
  if (o == Outcome::kUnblockedError) ctx.rb->Error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
  co_return o;
}

int64_t BlockedClientCount() { return g_blocked.load(std::memory_order_relaxed); }

}  // namespace strata::kv
