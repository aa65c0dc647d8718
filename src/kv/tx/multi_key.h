// Cross-shard multi-key commands: group a command's keys by owning shard, lock them on every
// shard involved (ascending shard order, see lock_table.h), run per-shard steps, unlock.
//
//   MultiKeyTx tx(ctx, key_indices);
//   co_await tx.Lock();
//   auto counts = co_await tx.OnEachShard([&](Shard& s, const std::vector<size_t>& idx) {...});
//   co_await tx.Unlock();
//
// Per-shard steps run on the owning shard threads; results come back to the coordinator's thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "base/hash.h"
#include "kv/aof/aof_log.h"
#include "kv/commands/command.h"
#include "kv/server/blocking.h"
#include "kv/server/shard_set.h"
#include "kv/server/task.h"
#include "kv/tx/lock_table.h"

namespace strata::kv {

class MultiKeyTx {
 public:
  struct Group {
    uint32_t shard;
    std::vector<size_t> idx;  // argument indices of this shard's keys, in request order
    std::vector<std::string> lock_keys;
  };

  MultiKeyTx(const CmdContext& ctx, const std::vector<size_t>& key_indices)
      : ctx_(&ctx),
        in_tx_(ctx.in_tx),
        write_(ctx.spec && (ctx.spec->flags & cmd::kWrite)),
        track_(ctx.track_reads && ctx.spec && (ctx.spec->flags & cmd::kReadOnly) ? ctx.client_id
                                                                                 : 0) {
    ShardSet& set = Shards();
    for (size_t i : key_indices) {
      uint32_t s = set.ShardOf(HashKey(ctx.args[i]));
      auto it = std::find_if(groups_.begin(), groups_.end(),
                             [s](const Group& g) { return g.shard == s; });
      if (it == groups_.end()) {
        groups_.push_back(Group{s, {}, {}});
        it = groups_.end() - 1;
      }
      it->idx.push_back(i);
      it->lock_keys.push_back(LockTable::Encode(ctx.db, ctx.args[i]));
    }
    std::sort(groups_.begin(), groups_.end(),
              [](const Group& a, const Group& b) { return a.shard < b.shard; });
  }

  const std::vector<Group>& groups() const { return groups_; }

  Task<void> Lock() {
    if (in_tx_) co_return;  // EXEC holds them
    for (size_t g = 0; g < groups_.size(); g++) {
      const std::vector<std::string>* keys = &groups_[g].lock_keys;
      co_await Shards().HopDeferred(
          groups_[g].shard, [keys](Shard& s, auto done) { s.locks().Acquire(*keys, done); });
    }
  }

  Task<void> Unlock() {
    // Append-only file: logged while the keys are still locked, so the log orders it with every
    // conflicting write.
    if (write_ && (ctx_->aof_unit || aof::Enabled())) aof::FeedContext(*ctx_, std::string_view());
    for (const auto& g : groups_) {
      Shards().Post(g.shard, [shard = g.shard, keys = g.lock_keys, in_tx = in_tx_, write = write_,
                              track = track_] {
        Shard* s = Shards().shard(shard);
        if (track)  // still under the locks: no write came between the read and this
          for (const std::string& k : keys)
            s->tracking().Remember(std::string_view(k).substr(sizeof(int)), track);
        if (write && s->ObservesWrites())
          for (const std::string& k : keys) s->EncodedKeyModified(k);
        if (in_tx) return;  // EXEC releases the locks and serves blocked clients
        s->locks().Release(keys);
        ServeBlockedClients(*s);  // the transaction's writes may serve blocked clients
      });
    }
    co_return;
  }

  // Runs fn(Shard&, group's argument indices) on every group's shard in turn and returns the
  // results in group order.
  template <typename F>
  Task<std::vector<std::invoke_result_t<F, Shard&, const std::vector<size_t>&>>> OnEachShard(F fn) {
    using R = std::invoke_result_t<F, Shard&, const std::vector<size_t>&>;
    std::vector<R> out(groups_.size());
    for (size_t g = 0; g < groups_.size(); g++) {
      R* slot = &out[g];
      const std::vector<size_t>* idx = &groups_[g].idx;
      const F* f = &fn;
      co_await Shards().Hop(groups_[g].shard, [slot, idx, f](Shard& s) { *slot = (*f)(s, *idx); });
    }
    co_return out;
  }

 private:
  std::vector<Group> groups_;
  const CmdContext* ctx_;  // the command's context (lives as long as the command)
  bool in_tx_;
  bool write_;      // a write command: its keys count as changed for WATCH
  uint64_t track_;  // the client whose reads are remembered for client-side caching, or 0
};

// The whole keyspace at one instant (FLUSHALL, SWAPDB, a snapshot's start): takes every shard's
// all-keys lock in ascending shard order, as a transaction holding a whole-database command
// does, so no cross-shard step (EXEC, a multi-key command, a script) is caught half done and no
// command on any key runs until each shard's lock is released.
inline Task<void> LockEveryShard() {
  static const std::vector<std::string> kAll{LockTable::kAllKeys};
  for (uint32_t i = 0; i < Shards().size(); i++)
    co_await Shards().HopDeferred(i, [](Shard& s, auto done) { s.locks().Acquire(kAll, done); });
}

// On shard s's thread: releases its all-keys lock and serves the clients blocked meanwhile.
inline void UnlockAllKeys(Shard& s) {
  s.locks().Release({LockTable::kAllKeys});
  ServeBlockedClients(s);
}

}  // namespace strata::kv
