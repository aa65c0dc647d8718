#include "kv/commands/dispatch.h"

#include <cstring>

#include "base/clock.h"
#include "base/hash.h"
#include "base/strutil.h"
#include "kv/aof/aof_log.h"
#include "kv/commands/command_keys.h"
#include "kv/commands/registry.h"
#include "kv/commands/subcommand.h"
#include "kv/engine/shard.h"
#include "kv/server/bgsave.h"
#include "kv/server/blocking.h"
#include "kv/server/command_stats.h"
#include "kv/server/config.h"
#include "kv/server/connection.h"
#include "kv/server/latency_monitor.h"
#include "kv/server/loading.h"
#include "kv/server/shard_set.h"
#include "kv/tx/lock_table.h"
#include "kv/tx/script_run.h"

namespace strata::kv {

void ReplyUnknownCommand(resp::ReplyBuilder& rb, std::span<const std::string_view> args) {
  // Redis formats these with printf's "%.*s", which stops at a NUL byte.
  auto c_str = [](std::string_view a) { return a.substr(0, a.find('\0')); };
  std::string msg = "ERR unknown command '";
  msg.append(c_str(args[0]).substr(0, 128));
  msg += "', with args beginning with: ";
  std::string list;
  for (size_t i = 1; i < args.size() && list.size() < 128; i++) {
    size_t room = 128 - list.size();  // Redis: "'%.*s' " with 128 - length so far
    list += "'";
    list.append(c_str(args[i]).substr(0, room));
    list += "' ";
  }
  msg += list;
  rb.Error(msg);
}

void ReplyWrongArity(resp::ReplyBuilder& rb, std::string_view name) {
  rb.Error("ERR wrong number of arguments for '" + ToLower(name) + "' command");
}

bool ProtectedActionAllowed(const ClientState& client) {
  return ProtectedActionAllowed(GlobalConfig().enable_debug_command, client);
}

bool ProtectedActionAllowed(ProtectedAction setting, const ClientState& client) {
  switch (setting) {
    case ProtectedAction::kYes:
      return true;
    case ProtectedAction::kLocal:
      return client.local;
    default:
      return false;
  }
}

Route ResolveCommand(std::span<const std::string_view> args, const ClientState& client,
                     uint32_t local_shard, resp::ReplyBuilder& rb, const CommandSpec** out) {
  const CommandSpec* spec = CommandRegistry::Get().Find(args[0]);
  *out = spec;
  if (!spec) {
    ReplyUnknownCommand(rb, args);
    return {};
  }
  int argc = int(args.size());
  if ((spec->arity > 0 && argc != spec->arity) || (spec->arity < 0 && argc < -spec->arity)) {
    ReplyWrongArity(rb, spec->name);
    return {};
  }
  if (!client.authenticated && !(spec->flags & cmd::kNoAuth) && GlobalConfig().has_password()) {
    rb.Error("NOAUTH Authentication required.");
    return {};
  }
  if ((spec->flags & cmd::kProtected) && !ProtectedActionAllowed(client)) {
    rb.Error(
        "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", "
        "you can run it from a local connection, otherwise you need to set this option in the "
        "configuration file, and then restart the server.");
    return {};
  }
  if (client.monitor && (spec->flags & (cmd::kWrite | cmd::kReadOnly))) {
    rb.Error("ERR Replica can't interact with the keyspace");
    return {};
  }
  // The dataset is still being loaded at start (kv/server/loading.h): only commands flagged
  // `loading` run. One relaxed load here; the flag lookup only while loading.
  if (IsLoading() && !(InvocationFlags(*spec, args) & cmd::kLoading)) [[unlikely]] {
    rb.Error(kLoadingError);
    return {};
  }
  // Scripts run where their declared keys live, or globally (kv/tx/script_run.h).
  if (IsScriptCall(*spec)) {
    if (ScriptCallNeedsGlobal(*spec, args)) return {Route::kAsync, 0};
    int s = ScriptCallShard(*spec, args, local_shard);
    if (s < 0) return {Route::kAsync, 0};
    return {uint32_t(s) == local_shard ? Route::kInline : Route::kRemote, uint32_t(s)};
  }
  // Blocking commands are coroutines wherever their keys are: they may have to wait.
  if ((spec->flags & cmd::kBlocking) && spec->multi) return {Route::kAsync, 0};
  // Keyed commands with only a coordinator (SORT: its patterns name keys anywhere) run as one.
  if (spec->multi && !spec->handler) return {Route::kAsync, 0};
  if (spec->keyless()) {
    if (spec->multi) return {Route::kAsync, 0};
    return {Route::kInline, local_shard};
  }
  // Keyed: which shards own the keys?
  ShardSet& set = Shards();
  size_t first = size_t(spec->first_key);
  if (first >= args.size()) return {Route::kInline, local_shard};  // e.g. OBJECT HELP
  if (set.size() == 1) return {Route::kInline, local_shard};
  uint32_t owner = set.ShardOf(HashKey(args[first]));
  size_t last = spec->last_key < 0 ? args.size() + size_t(spec->last_key) : size_t(spec->last_key);
  size_t step = spec->key_step > 0 ? size_t(spec->key_step) : 1;
  for (size_t i = first + step; i <= last && i < args.size(); i += step) {
    if (set.ShardOf(HashKey(args[i])) != owner) {
      if (spec->multi) return {Route::kAsync, 0};
      rb.Error("ERR keys of this command must belong to one shard");
      return {};
    }
  }
  return {owner == local_shard ? Route::kInline : Route::kRemote, owner};
}

void LockKeysOf(const CommandSpec& spec, std::span<const std::string_view> args, int db,
                std::vector<std::string>* out) {
  std::vector<size_t> idx;
  CommandKeys(spec, args, &idx);
  for (size_t i : idx) out->push_back(LockTable::Encode(db, args[i]));
  // MOVE and COPY ... DB n touch another database on the same shard.
}

void RememberReads(const CommandSpec& spec, const CmdContext& ctx) {
  thread_local std::vector<size_t> idx;  // reused: this runs after every tracked read
  idx.clear();
  CommandKeys(spec, ctx.args, &idx);
  for (size_t i : idx) ctx.shard->tracking().Remember(ctx.args[i], ctx.client_id);
}

void ExecuteHandler(const CommandSpec& spec, CmdContext& ctx, const std::string& client_addr,
                    const std::string& client_name, bool serve_blocked) {
  auto& counters = LocalCommandCounters()[size_t(spec.id)];
  std::string* out = ctx.rb->out();
  size_t before = out->size();
  if ((spec.flags & cmd::kDenyOom) && GlobalConfig().maxmemory.load(std::memory_order_relaxed) &&
      !ctx.shard->EnsureMemory()) {
    ctx.rb->Error("OOM command not allowed when used memory > 'maxmemory'.");
    counters.rejected++;
    CountErrorReply("-OOM");
    return;
  }
  // A failed background save (kv/server/bgsave.h) or a failed write or fsync of the
  // append-only file (kv/aof/aof_log.h) refuses writes (and PING, as Redis) until the disk
  // recovers. The flags are read first, so other commands pay two relaxed loads.
  int aof_errno = 0;
  if (bool rdb = WritesDeniedBySaveError(); rdb || (aof_errno = aof::WriteError()) != 0)
      [[unlikely]] {
    if ((spec.flags & cmd::kWrite) || std::string_view(spec.name) == "ping") {
      ctx.rb->Error(rdb ? std::string(kMisconfError)
                        : std::string("MISCONF Errors writing to the AOF file: ") +
                              strerror(aof_errno));
      counters.rejected++;
      CountErrorReply("-MISCONF");
      return;
    }
  }
  // Timed on the loop clock: it was read after the socket read or at the end of the previous
  // command, so each command costs one clock read (the parse of its own arguments counts in).
  int64_t start = LoopMonoMicros();
  {
    tracking::ModifierScope modifier(ctx.client_id);
    spec.handler(ctx);
    // Append-only file: the write is logged on its shard before anything else runs there.
    // (XGROUP is a container whose subcommands but HELP write.)
    if ((ctx.aof_unit || aof::Enabled()) &&
        ((spec.flags & cmd::kWrite) ||
         (spec.name[0] == 'x' && std::strcmp(spec.name, "xgroup") == 0 && ctx.args.size() > 2)) &&
        (!spec.keyless() || !aof::KeylessWrite(spec, ctx.args))) {
      aof::FeedContext(ctx, std::string_view(*out).substr(before));
    }
    if ((spec.flags & cmd::kWrite) && ctx.shard->ObservesWrites()) {
      std::vector<size_t> idx;
      CommandKeys(spec, ctx.args, &idx);
      for (size_t i : idx) ctx.shard->KeyModified(ctx.db, ctx.args[i]);
    }
  }
  if (ctx.track_reads && (spec.flags & cmd::kReadOnly) && !(spec.flags & cmd::kPubSub))
    RememberReads(spec, ctx);
  if (serve_blocked) ServeBlockedClients(*ctx.shard);
  int64_t dur = AdvanceLoopClock() - start;
  counters.calls++;
  counters.usec += uint64_t(dur);
  LocalTotals().commands++;
  if (out->size() > before && (*out)[before] == '-') {
    counters.failed++;
    CountErrorReply(std::string_view(*out).substr(before));
  } else if (spec.flags & cmd::kWrite) {
    ctx.shard->AddDirty();
  }
  if (!(spec.flags & cmd::kSkipSlowlog)) {
    Slowlog::Get().Maybe(dur, ctx.args, client_addr, client_name);
  }
  RecordCommandLatency((spec.flags & cmd::kFast) != 0, dur);
}

}  // namespace strata::kv
