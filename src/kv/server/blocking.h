// Blocking commands (BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK, ...): a client that finds nothing on
// its keys waits, across shards, until a write serves it, its timeout passes, it is unblocked
// (CLIENT UNBLOCK) or it disconnects.
//
// How it works:
// - The command runs as a coroutine on its connection's thread (BlockingCall). In key order it
//   visits each key's shard and, in the same step, either serves itself from the key or
//   registers as a waiter on it; a key's waiters form a FIFO on the key's shard (BlockingTable,
//   one per shard, in ShardLocal).
// - A write that can serve a waiter (a push, ZADD, XADD, ...) calls Shard::SignalKeyReady. When
//   the command finishes on that shard (ExecuteHandler, or the unlock of a cross-shard
//   transaction), ServeBlockedClients() offers the key to its waiters in arrival order: each one
//   that finds data claims itself, takes it (the pop happens right there, before any other
//   command runs on the shard, so a pushed element consumed by a waiter is never visible to
//   anyone else) and is resumed on its own thread with its reply.
// - A BlockedClient is claimed exactly once (served, timed out, unblocked or disconnected), by an
//   atomic flag, so a client waiting on keys of several shards is never served twice. Once
//   resumed it removes itself from every shard's table, so a client leaves nothing behind.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "io/reactor.h"
#include "kv/commands/command.h"
#include "kv/server/task.h"

namespace strata::kv {

class Shard;

class BlockedClient;

// What a blocking command does with one of its keys, on the key's shard thread. The key is
// client.args[key_index].
struct BlockingOps {
  // Whether the key holds something this client can take (a non-empty list, a stream entry
  // after the client's id, ...). False for a key of another type.
  bool (*ready)(Shard& s, BlockedClient& client, size_t key_index);
  // Takes it and writes the reply with rb (the client's RESP version). Runs only right after
  // ready() returned true, in the same step.
  void (*serve)(Shard& s, BlockedClient& client, size_t key_index, resp::ReplyBuilder& rb);
  // Optional: true if the key exists with a type that makes the command fail at once with
  // WRONGTYPE (lists, sorted sets); checked in key order before blocking, as Redis does.
  bool (*wrong_type)(Shard& s, BlockedClient& client, size_t key_index) = nullptr;
  // Optional: the argument index of another key that serve() writes when it lives on the same
  // shard (BLMOVE's destination); while a transaction holds it, the client is not served.
  size_t also_writes = 0;
};

class BlockedClient {
 public:
  enum class Outcome { kPending, kServed, kTimeout, kUnblockedError, kDisconnected };

  BlockedClient(io::Reactor* home, int proto) : home_(home), proto_(proto) {}

  // Claims the client for one outcome; false if another outcome came first.
  bool TryClaim() {
    bool expected = false;
    return claimed_.compare_exchange_strong(expected, true, std::memory_order_acq_rel);
  }
  bool claimed() const { return claimed_.load(std::memory_order_acquire); }
  // After a successful TryClaim, from any thread: records the outcome and resumes the client's
  // coroutine on its own thread.
  void Finish(Outcome o);

  int proto() const { return proto_; }
  std::string& reply() { return reply_; }
  int db = 0;
  int64_t now_ms = 0;  // when the command started (serving code's clock for new ids, ...)
  const BlockingOps* ops = nullptr;
  // The command's arguments (owned by the connection, unchanged while it is blocked).
  std::span<const std::string_view> args;
  // Per-command state the ops may use, indexed by key order or as they like (XREAD's resolved
  // ids; the element BLMOVE took, to push on the destination's shard).
  std::vector<std::string> state;
  // The append-only file unit of the EXEC or script it runs in (kv/aof/aof_log.h), or null.
  aof::Unit* aof_unit = nullptr;
  // Whether the command writes (logged to the append-only file when served).
  bool writes = false;

  // Awaitable: suspends until Finish() (returns at once if it already happened).
  auto Wait() {
    struct Awaiter {
      BlockedClient* bc;
      bool await_ready() { return bc->outcome_ != Outcome::kPending; }
      void await_suspend(std::coroutine_handle<> h) { bc->waiting_ = h; }
      Outcome await_resume() { return bc->outcome_; }
    };
    return Awaiter{this};
  }
  Outcome outcome() const { return outcome_; }

 private:
  io::Reactor* home_;
  int proto_;
  std::atomic<bool> claimed_{false};
  // Home thread only:
  Outcome outcome_ = Outcome::kPending;
  std::coroutine_handle<> waiting_;
  std::string reply_;  // written by the serving shard before Finish
};

// The clients blocked on one shard's keys. Shard thread only.
class BlockingTable {
 public:
  void Add(Shard& s, std::shared_ptr<BlockedClient> c, size_t key_index);
  // Drops every waiter entry of client c on this shard.
  void Remove(Shard& s, const BlockedClient* c);
  // Serves the waiters of every key signalled ready on this shard.
  void ServeReady(Shard& s);
  size_t waiters() const { return waiters_; }

 private:
  struct Waiter {
    std::shared_ptr<BlockedClient> client;
    size_t key_index;
  };
  std::unordered_map<std::string, std::deque<Waiter>> by_key_;  // LockTable::Encode(db, key)
  size_t waiters_ = 0;
};

// After a command ran on shard s (its thread): serves clients blocked on keys it made ready.
void ServeBlockedClients(Shard& s);

// Parses a blocking timeout in seconds (fractions allowed) as Redis does; replies the error
// and returns false if invalid. *out_ms = 0 means wait forever.
bool ParseBlockingTimeout(CmdContext& ctx, std::string_view arg, int64_t* out_ms);

// Runs a blocking command whose keys are the arguments at key_indices: serves it from the
// first ready key in order, or blocks until served or timed out (timeout_ms 0 = never).
// Returns the outcome; on kServed the reply has been written to ctx.rb. On kTimeout nothing is
// written (the command writes its own timeout reply).
// `state` becomes BlockedClient::state; with state_out, the final state is handed back.
Task<BlockedClient::Outcome> BlockingCall(CmdContext& ctx, std::vector<size_t> key_indices,
                                          int64_t timeout_ms, const BlockingOps* ops,
                                          std::vector<std::string> state = {},
                                          std::vector<std::string>* state_out = nullptr);

// Clients blocked right now, process wide (INFO blocked_clients).
int64_t BlockedClientCount();

}  // namespace strata::kv
