// Running EVAL / EVALSHA / FCALL (and their _RO forms) atomically across shard threads.
//
// Lua 5.1 cannot yield across a C call, so redis.call is synchronous: a script cannot await a
// hop. A run therefore has to own, for its whole length, every key it may touch. It starts with
// the least it can own and widens only when the script proves it needs more:
//
//   kShard   The script's declared keys live on one shard (or it declared none): it runs on
//            that shard's thread, in the shard's batch path like any single-shard command, so a
//            pipelined EVALSHA costs what a pipelined INCR does. Nothing else runs on the shard
//            meanwhile. It keeps an undo log of the keys it writes.
//   kShards  Its declared keys span shards: from the connection's thread, holding the global
//            script token, it locks every key of those shards (LockTable::kAllKeys, ascending
//            shard order) and runs; redis.call on another shard is a synchronous call to that
//            shard's thread (ShardSet::SyncRun). Also with an undo log.
//   kAll     As kShards, with every shard locked: nothing can escalate, no undo log.
//
// Escalation. A kShard or kShards run that touches a key it does not own (another shard, a key a
// transaction holds, or a whole-database command) stops at once: its writes are undone from the
// undo log (nothing else ran on those keys meanwhile, so this restores the exact state), and the
// script runs again in kAll. The script's id is remembered, and its later runs start in kAll.
// A script therefore always works and stays atomic, whatever keys it declared.
//
// Deadlock freedom: the token is taken before any lock, locks in ascending shard order, and only
// the token holder ever blocks a thread (SyncRun), on threads that never block themselves (a
// kShard run never waits: it escalates instead).
#pragma once

#include <coroutine>
#include <deque>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

#include "kv/commands/command.h"
#include "kv/server/task.h"

namespace strata::io {
class Reactor;
}

namespace strata::kv {

enum class ScriptScope { kShard, kShards, kAll };

enum class ScriptOutcome { kDone, kEscalate };

// Whether a command runs a script or function (EVAL*, FCALL*): dispatched by its declared keys.
bool IsScriptCall(const CommandSpec& spec);

// The shard of every declared key of a script call, or -1 when they span shards; 0-key calls
// run on `local_shard`. Malformed numkeys also gives `local_shard` (the handler replies).
int ScriptCallShard(const CommandSpec& spec, std::span<const std::string_view> args,
                    uint32_t local_shard);

// Whether this call must start in kAll (it escalated before).
bool ScriptCallNeedsGlobal(const CommandSpec& spec, std::span<const std::string_view> args);

// Runs a script call on this thread. kShard: ctx.shard is the shard of its declared keys and
// this is that shard's thread. kShards/kAll: the caller holds the token and the locks of
// `owned` (every shard for kAll) and runs on the connection's thread.
// kEscalate: the run wrote no reply and left no trace; run it again in kAll.
ScriptOutcome RunScriptCall(CmdContext& ctx, ScriptScope scope, const std::vector<char>* owned);

// The global run: token, locks, run, escalation to kAll if needed. For the async route and for
// kShard runs that escalated.
Task<void> RunScriptGlobal(CmdContext& ctx);

// The script token (see the top of this file). FIFO; waiting blocks no thread.
class ScriptToken {
 public:
  static ScriptToken& Get();
  struct Awaiter {
    ScriptToken* token;
    bool await_ready();
    void await_suspend(std::coroutine_handle<> h);
    void await_resume() {}
  };
  Awaiter Acquire() { return Awaiter{this}; }
  void Release();

 private:
  std::mutex mu_;
  bool held_ = false;
  std::deque<std::pair<io::Reactor*, std::coroutine_handle<>>> waiters_;
};

}  // namespace strata::kv
