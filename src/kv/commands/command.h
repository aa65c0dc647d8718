// Command specifications and the context a handler runs in.
//
// Every command is described once by a CommandSpec (name, Redis arity, flags, key positions,
// handlers, documentation) and registered by its family file (string_family.cc, keys_family.cc,
// server_family.cc, conn_family.cc) into the CommandRegistry.
//
// Where a command runs is decided by the dispatcher from the spec, not by the handler:
// - keyed commands whose keys all live on one shard run `handler` on that shard's thread, as one
//   atomic step (inline if it is the connection's own thread);
// - keyed commands whose keys span shards run `multi` (a coroutine coordinator, which takes key
//   locks on every shard involved so the command stays atomic);
// - keyless commands run on the connection's thread: `handler` if they need nothing else, `async`
//   if they must visit every shard (DBSIZE, KEYS, FLUSHALL, INFO, ...).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "kv/server/task.h"
#include "proto/resp/reply_builder.h"

namespace strata::kv {

class Shard;
class Connection;
struct CommandSpec;
namespace aof {
struct Unit;
}

namespace cmd {
enum Flag : uint32_t {
  kWrite = 1 << 0,
  kReadOnly = 1 << 1,
  kDenyOom = 1 << 2,  // may grow memory: refused with -OOM when over maxmemory
  kFast = 1 << 3,
  kNoAuth = 1 << 4,  // allowed before AUTH
  kAdmin = 1 << 5,
  kPubSub = 1 << 6,
  kLoading = 1 << 7,
  kStale = 1 << 8,
  kSkipMonitor = 1 << 9,
  kSkipSlowlog = 1 << 10,
  kNoScript = 1 << 11,
  kBlocking = 1 << 12,
  // Runs only where enable-debug-command allows it (DEBUG). Not shown by COMMAND INFO, as Redis.
  kProtected = 1 << 13,
  // Refused while a client is in MULTI (SAVE, SHUTDOWN), as Redis's NO_MULTI.
  kNoMulti = 1 << 14,
};
}  // namespace cmd

struct CmdContext {
  Shard* shard = nullptr;  // the shard this step runs on (keyless: the connection's own shard)
  int db = 0;
  std::span<const std::string_view> args;  // args[0] is the command name as sent
  resp::ReplyBuilder* rb = nullptr;
  int64_t now_ms = 0;
  Connection* conn = nullptr;  // set only when running on the connection's thread
  const CommandSpec* spec = nullptr;
  // Run by EXEC, which already holds the locks of every key of the transaction: cross-shard
  // commands take no locks of their own and blocking commands do not block (as in Redis).
  bool in_tx = false;
  // Set by a script run on its shard (kv/tx/script_run.h) that must run again in global mode:
  // it wrote no reply and left no trace, and the caller runs it as a coordinator instead.
  bool escalate = false;
  // The calling client (0: none, e.g. expiry) and whether its reads are to be remembered for
  // client-side caching (kv/messaging/tracking.h).
  uint64_t client_id = 0;
  bool track_reads = false;
  // Inside EXEC or a script: the append-only file records of its writes are collected here and
  // logged together at its end (kv/aof/aof_log.h); null otherwise.
  aof::Unit* aof_unit = nullptr;
};

using SyncHandler = void (*)(CmdContext&);
using AsyncHandler = Task<void> (*)(CmdContext&);

struct CommandSpec {
  const char* name;  // lower case
  int arity;         // > 0: exact argument count; < 0: at least -arity
  uint32_t flags;
  int first_key;  // 0 = keyless
  int last_key;   // -1 = last argument
  int key_step;
  SyncHandler handler = nullptr;  // single-shard or connection-thread execution
  AsyncHandler multi = nullptr;   // cross-shard coordinator (keyed) or all-shard (keyless)
  const char* group = "generic";
  const char* summary = "";
  const char* since = "1.0.0";
  const char* complexity = "O(1)";
  int id = -1;  // index in the registry, set on registration

  bool keyless() const { return first_key == 0; }
};

}  // namespace strata::kv
