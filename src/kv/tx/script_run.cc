#include "kv/tx/script_run.h"
#include "kv/aof/aof_log.h"

#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "base/clock.h"
#include "base/hash.h"
#include "base/log.h"
#include "base/sha1.h"
#include "base/strutil.h"
#include "kv/commands/command_keys.h"
#include "kv/commands/dispatch.h"
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"
#include "kv/commands/subcommand.h"
#include "kv/engine/key_snapshot.h"
#include "kv/messaging/notify.h"
#include "kv/script/script_errors.h"
#include "kv/server/blocking.h"
#include "kv/server/command_stats.h"
#include "kv/server/config.h"
#include "kv/server/monitor.h"
#include "kv/server/shard_set.h"
#include "kv/tx/lock_table.h"
#include "kv/tx/script_busy.h"
#include "kv/tx/script_store.h"

namespace strata::kv {

namespace errors = script::errors;

// ---- The token ----

ScriptToken& ScriptToken::Get() {
  static ScriptToken* t = new ScriptToken();
  return *t;
}

bool ScriptToken::Awaiter::await_ready() {
  std::lock_guard<std::mutex> l(token->mu_);
  if (token->held_) return false;
  token->held_ = true;
  return true;
}

void ScriptToken::Awaiter::await_suspend(std::coroutine_handle<> h) {
  std::unique_lock<std::mutex> l(token->mu_);
  if (!token->held_) {  // released between await_ready and here
    token->held_ = true;
    l.unlock();
    io::Reactor::Current()->Post([h] { h.resume(); });
    return;
  }
  token->waiters_.emplace_back(io::Reactor::Current(), h);
}

void ScriptToken::Release() {
  std::unique_lock<std::mutex> l(mu_);
  if (waiters_.empty()) {
    held_ = false;
    return;
  }
  io::Reactor* reactor = waiters_.front().first;
  std::coroutine_handle<> h = waiters_.front().second;
  waiters_.pop_front();
  l.unlock();
  reactor->Post([h] { h.resume(); });  // hand-over: held_ stays set
}

namespace {

// ---- Arguments ----

struct CallArgs {
  bool function = false;
  bool ro = false;
  bool by_sha = false;
  std::string_view target;  // body, SHA1 or function name
  std::span<const std::string_view> keys;
  std::span<const std::string_view> argv;
};

bool ParseCall(CmdContext& ctx, CallArgs* a) {
  std::string_view name = ctx.spec->name;
  a->function = name.starts_with("fcall");
  a->ro = name.ends_with("_ro");
  a->by_sha = name.starts_with("evalsha");
  a->target = ctx.args[1];
  int64_t n;
  if (!ParseInt64(ctx.args[2], &n)) {
    ctx.rb->Error(a->function ? "ERR Bad number of keys provided"
                              : "ERR value is not an integer or out of range");
    return false;
  }
  if (n > int64_t(ctx.args.size()) - 3) {
    ctx.rb->Error("ERR Number of keys can't be greater than number of args");
    return false;
  }
  if (n < 0) {
    ctx.rb->Error("ERR Number of keys can't be negative");
    return false;
  }
  a->keys = ctx.args.subspan(3, size_t(n));
  a->argv = ctx.args.subspan(3 + size_t(n));
  return true;
}

bool DeclaredKeys(std::span<const std::string_view> args, std::span<const std::string_view>* out) {
  if (args.size() < 3) return false;
  int64_t n;
  if (!ParseInt64(args[2], &n) || n < 0 || n > int64_t(args.size()) - 3) return false;
  *out = args.subspan(3, size_t(n));
  return true;
}

// The id a script is remembered by for escalation: its SHA1, or the function's name.
std::string CallId(const CommandSpec& spec, std::span<const std::string_view> args) {
  std::string_view name = spec.name;
  if (name.starts_with("fcall")) return "f:" + ToLower(args[1]);
  if (name.starts_with("evalsha")) return ToLower(args[1]);
  return Sha1Hex(args[1]);
}

// ---- One run ----

struct UndoItem {
  uint32_t shard;
  int db;
  std::string key;
  std::optional<Snapshot> snap;  // nullopt: the key did not exist
};

// Commands whose effect reaches past their key arguments: they need every shard.
bool TouchesWholeDatabases(const CommandSpec& spec, std::span<const std::string_view> args) {
  std::string_view n = spec.name;
  if (n == "flushdb" || n == "flushall" || n == "swapdb" || n == "move") return true;
  if (n == "copy") {
    for (size_t i = 3; i < args.size(); i++)
      if (EqualsIgnoreCase(args[i], "db")) return true;
  }
  return spec.keyless() && spec.multi != nullptr;  // INFO, DBSIZE, KEYS, SCAN, RANDOMKEY ...
}

struct Run {
  CmdContext* ctx = nullptr;
  ScriptScope scope = ScriptScope::kShard;
  const std::vector<char>* owned = nullptr;
  int db = 0;
  bool read_only = false;
  bool allow_oom = false;
  bool escalate = false;
  std::vector<UndoItem> undo;
  std::vector<char> touched;  // shards written (blocked clients to serve afterwards)
  BusyScript busy;
  aof::Unit aof;  // the script's writes, logged as one MULTI ... EXEC when it commits

  bool Owns(uint32_t shard) const {
    switch (scope) {
      case ScriptScope::kShard:
        return shard == ctx->shard->id();
      case ScriptScope::kShards:
        return (*owned)[shard] != 0;
      case ScriptScope::kAll:
        return true;
    }
    return false;
  }

  // Runs fn(Shard&) on shard i's thread: inline for the home shard, SyncRun otherwise.
  template <typename F>
  void On(uint32_t i, F&& fn) {
    if (scope == ScriptScope::kShard) {
      fn(*ctx->shard);
      return;
    }
    Shard* s = Shards().shard(i);
    Shards().SyncRun(i, [&fn, s] { fn(*s); });
  }

  void LogBeforeWrite(uint32_t shard, std::string_view key) {
    if (scope == ScriptScope::kAll) return;
    for (const auto& u : undo)
      if (u.shard == shard && u.db == db && u.key == key) return;
    UndoItem item{shard, db, std::string(key), std::nullopt};
    int64_t now = ctx->now_ms;
    On(shard, [&item, now](Shard& s) {
      Entry** link = s.FindLink(item.db, item.key, KeyHash(item.key), now);
      if (link) item.snap = TakeSnapshot(*link);
    });
    undo.push_back(std::move(item));
  }

  void Rollback() {
    int64_t now = ctx->now_ms;
    for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
      UndoItem* u = &*it;
      On(u->shard, [u, now](Shard& s) {
        if (u->snap) {
          Restore(s, u->db, u->key, *u->snap, now, Meta::kKeep);
        } else if (Entry** link = s.FindLink(u->db, u->key, KeyHash(u->key), now)) {
          s.Delete(u->db, link);
        }
      });
    }
    undo.clear();
  }

  // Publishes notifications held back during the run, each on the thread of its key's shard, in
  // the order they happened there.
  void PublishHeld(const std::vector<notify::Note>& notes) {
    if (notes.empty()) return;
    if (scope == ScriptScope::kShard) return notify::PublishNotes(notes);
    std::vector<std::vector<notify::Note>> by_shard(Shards().size());
    for (const notify::Note& n : notes) by_shard[Shards().ShardOf(HashKey(n.key))].push_back(n);
    for (uint32_t i = 0; i < by_shard.size(); i++) {
      if (by_shard[i].empty()) continue;
      const std::vector<notify::Note>* part = &by_shard[i];
      On(i, [part](Shard&) { notify::PublishNotes(*part); });
    }
  }

  void Commit() {
    for (auto& u : undo) {
      if (!u.snap || !u.snap->obj) continue;
      UndoItem* p = &u;
      On(u.shard, [p](Shard&) { Discard(*p->snap); });
    }
    undo.clear();
  }
};

std::string ErrorReply(std::string_view msg) {
  std::string out;
  resp::ReplyBuilder(&out).Error(msg);
  return out;
}

constexpr const char* kOom = "OOM command not allowed when used memory > 'maxmemory'.";

// redis.call / redis.pcall.
std::string CallFromScript(Run& run, const std::vector<std::string>& argv, int resp) {
  if (run.escalate) return ErrorReply("ERR script is being restarted");
  if (argv.empty()) return ErrorReply(errors::kWrongArity);
  const CommandSpec* spec = CommandRegistry::Get().Find(argv[0]);
  if (!spec) return ErrorReply(errors::kUnknownCommand);
  int argc = int(argv.size());
  int arity = spec->arity;
  if (const auto* subs = SubcommandsOf(*spec); subs && argc >= 2) {
    // As Redis looks commands up: a container's unknown subcommand is an unknown command.
    const SubcommandSpec* found = nullptr;
    for (const auto& sc : *subs)
      if (EqualsIgnoreCase(argv[1], sc.name)) found = &sc;
    if (!found) return ErrorReply(errors::kUnknownCommand);
    arity = found->arity;
  }
  if ((arity > 0 && argc != arity) || (arity < 0 && argc < -arity))
    return ErrorReply(errors::kWrongArity);
  std::vector<std::string_view> args(argv.begin(), argv.end());
  std::span<const std::string_view> view(args);
  uint32_t flags = InvocationFlags(*spec, view);  // a subcommand's own flags where it has them
  if (flags & (cmd::kNoScript | cmd::kProtected)) return ErrorReply(errors::kNotAllowed);
  if (spec->flags & cmd::kBlocking) {
    std::string_view n = spec->name;
    if (n == "xread" || n == "xreadgroup") {
      for (size_t i = 1; i < args.size(); i++) {
        if (EqualsIgnoreCase(args[i], "streams")) break;
        if (EqualsIgnoreCase(args[i], "block"))
          return ErrorReply("ERR " + std::string(n) +
                            " command is not allowed with BLOCK option from scripts");
      }
    }
  }
  bool write = flags & cmd::kWrite;
  if (write && run.read_only) return ErrorReply(errors::kWriteFromReadOnly);
  const uint32_t nshards = Shards().size();

  // Which shards does it touch, and does this run own them?
  std::vector<size_t> idx;
  bool keys_ok = spec->keyless() && !MovableKeys(*spec) ? true : CommandKeys(*spec, view, &idx);
  int target = -1;  // the one shard of its keys, or -1 (keyless, or several)
  bool several = false;
  for (size_t i : idx) {
    int s = int(Shards().ShardOf(HashKey(args[i])));
    if (target < 0) target = s;
    several |= s != target;
  }
  bool whole = TouchesWholeDatabases(*spec, view);
  bool needs_escalation = false;
  if (whole) {
    // A whole-database read can run on the only shard; anything else needs every shard.
    needs_escalation = run.scope != ScriptScope::kAll && !(nshards == 1 && !write);
  } else {
    for (size_t i : idx) {
      uint32_t s = Shards().ShardOf(HashKey(args[i]));
      if (!run.Owns(s)) needs_escalation = true;
    }
    if (run.scope == ScriptScope::kShard && !needs_escalation && !run.ctx->shard->locks().empty()) {
      // A key a transaction holds (its lock queue runs after us otherwise).
      LockTable& locks = run.ctx->shard->locks();
      if (locks.IsLocked(LockTable::kAllKeys)) needs_escalation = !idx.empty();
      for (size_t i : idx)
        if (locks.IsLocked(LockTable::Encode(run.db, args[i]))) needs_escalation = true;
    }
  }
  if (needs_escalation) {
    run.escalate = true;
    return ErrorReply("ERR script is being restarted");
  }

  if (Monitors::Get().active()) {
    static const std::string kLua = "lua";
    Monitors::Get().FeedAs(run.db, kLua, view);
  }

  if (write && keys_ok) {
    for (size_t i : idx) run.LogBeforeWrite(Shards().ShardOf(HashKey(args[i])), args[i]);
  }

  std::string out;
  resp::ReplyBuilder rb(&out, resp);
  bool deny_oom = (spec->flags & cmd::kDenyOom) && !run.allow_oom &&
                  GlobalConfig().maxmemory.load(std::memory_order_relaxed) != 0;
  const CmdContext& outer = *run.ctx;
  int db = run.db;
  auto prepare = [&](Shard& s, CmdContext& c) {
    c.shard = &s;
    c.db = db;
    c.args = view;
    c.rb = &rb;
    c.now_ms = outer.now_ms;
    c.spec = spec;
    c.in_tx = true;
    c.aof_unit = &run.aof;  // coordinators (MultiKeyTx) log into the script's unit
  };
  auto count = [spec](int64_t start, std::string_view reply) {
    auto& counters = LocalCommandCounters()[size_t(spec->id)];
    counters.calls++;
    counters.usec += uint64_t(AdvanceLoopClock() - start);
    LocalTotals().commands++;
    if (!reply.empty() && reply[0] == '-') {
      counters.failed++;
      CountErrorReply(reply);
    }
  };

  bool single = spec->handler && !(spec->flags & cmd::kBlocking) && !several && !whole;
  if (single) {
    uint32_t where = target >= 0
                         ? uint32_t(target)
                         : (run.scope == ScriptScope::kShard ? run.ctx->shard->id()
                                                             : uint32_t(ShardSet::Current()));
    run.On(where, [&](Shard& s) {
      int64_t start = LoopMonoMicros();
      if (deny_oom && !s.EnsureMemory()) {
        rb.Error(kOom);
        LocalCommandCounters()[size_t(spec->id)].rejected++;
        CountErrorReply("-OOM");
        return;
      }
      CmdContext c;
      prepare(s, c);
      tracking::ModifierScope modifier(run.ctx->client_id);
      spec->handler(c);
      if (write && (run.ctx->aof_unit || aof::Enabled())) run.aof.Add(db, args, out, c.now_ms);
      if (write && s.ObservesWrites())
        for (size_t i : idx) s.KeyModified(db, args[i]);
      if (!write && run.ctx->track_reads && (spec->flags & cmd::kReadOnly)) {
        c.client_id = run.ctx->client_id;
        RememberReads(*spec, c);
      }
      count(start, out);
    });
    if (write) run.touched[where] = 1;
  } else {
    // A coordinator: every hop it makes is synchronous here, and it takes no locks (in_tx).
    Shard* local = run.scope == ScriptScope::kShard ? run.ctx->shard
                                                    : Shards().shard(uint32_t(ShardSet::Current()));
    if (deny_oom && !local->EnsureMemory()) return ErrorReply(kOom);
    CmdContext c;
    prepare(*local, c);
    ShardSet::SyncScope sync;
    int64_t start = LoopMonoMicros();
    bool done = false;
    size_t before = out.size();
    RunDetached(spec->multi(c), [&done] { done = true; });
    if ((run.ctx->aof_unit || aof::Enabled()) && aof::KeylessWrite(*spec, args))
      run.aof.Add(db, args, std::string_view(out).substr(before), c.now_ms);
    if (!done) {
      // Cannot happen with synchronous hops; never let the script run on with it pending.
      LOG_WARNING("script: '%s' did not complete synchronously", spec->name);
      std::abort();
    }
    count(start, out);
    if (write) std::fill(run.touched.begin(), run.touched.end(), 1);
  }
  if (std::strcmp(spec->name, "select") == 0 && out == "+OK\r\n") {
    int64_t n;
    if (ParseInt64(args[1], &n)) run.db = int(n);
  }
  if (write && !out.empty() && out[0] != '-') run.busy.MarkWrote();
  return out;
}

}  // namespace

bool IsScriptCall(const CommandSpec& spec) {
  std::string_view n = spec.name;
  return n == "eval" || n == "evalsha" || n == "eval_ro" || n == "evalsha_ro" || n == "fcall" ||
         n == "fcall_ro";
}

int ScriptCallShard(const CommandSpec&, std::span<const std::string_view> args,
                    uint32_t local_shard) {
  std::span<const std::string_view> keys;
  if (!DeclaredKeys(args, &keys) || keys.empty()) return int(local_shard);
  uint32_t s = Shards().ShardOf(HashKey(keys[0]));
  for (auto k : keys)
    if (Shards().ShardOf(HashKey(k)) != s) return -1;
  return int(s);
}

bool ScriptCallNeedsGlobal(const CommandSpec& spec, std::span<const std::string_view> args) {
  if (args.size() < 2 || !ScriptStore::Get().AnyGlobal()) return false;
  return ScriptStore::Get().NeedsGlobal(CallId(spec, args));
}

ScriptOutcome RunScriptCall(CmdContext& ctx, ScriptScope scope, const std::vector<char>* owned) {
  ThreadScripts& ts = ThreadScripts::Local();
  std::string_view cmd = ctx.spec->name;
  const bool function = cmd.starts_with("fcall");
  const bool by_sha = cmd.starts_with("evalsha");
  // Redis's order of checks: FCALL finds the function first, EVALSHA refuses a malformed SHA1
  // first, then the key count, then the script lookup or compilation.
  const script::FunctionRegistry::Function* fn = nullptr;
  script::FunctionRegistry* registry = nullptr;  // one lookup: a reload would free `fn`
  if (function) {
    registry = &ts.functions();
    fn = registry->FindFunction(ctx.args[1]);
    if (!fn) {
      ctx.rb->Error(errors::kFunctionNotFound);
      return ScriptOutcome::kDone;
    }
  } else if (by_sha && ctx.args[1].size() != 40) {
    ctx.rb->Error(errors::kNoScript);
    return ScriptOutcome::kDone;
  }
  CallArgs a;
  if (!ParseCall(ctx, &a)) return ScriptOutcome::kDone;

  const script::ScriptCache::Entry* entry = nullptr;
  uint32_t flags = 0;
  bool flags_declared = false;
  if (function) {
    flags = fn->flags;
    flags_declared = true;
  } else if (by_sha) {
    entry = ts.FindScript(a.target);
    if (!entry) {
      ctx.rb->Error(errors::kNoScript);
      return ScriptOutcome::kDone;
    }
  } else {
    auto r = ts.LoadScript(a.target);
    if (!r.entry) {
      ctx.rb->Error(r.error);
      return ScriptOutcome::kDone;
    }
    entry = r.entry;
  }
  if (entry) {
    flags = entry->shebang.flags;
    flags_declared = entry->shebang.present;
  }
  bool no_writes = flags & script::kScriptNoWrites;
  if (a.ro && flags_declared && !no_writes) {
    ctx.rb->Error(errors::kWriteWithRoCommand);
    return ScriptOutcome::kDone;
  }

  Run run;
  run.ctx = &ctx;
  run.scope = scope;
  run.owned = owned;
  run.db = ctx.db;
  run.read_only = a.ro || (flags_declared && no_writes);
  run.allow_oom = flags & script::kScriptAllowOom;
  run.touched.assign(Shards().size(), 0);
  if (flags_declared && !run.read_only && !run.allow_oom &&
      GlobalConfig().maxmemory.load(std::memory_order_relaxed) != 0) {
    bool ok = true;
    uint32_t home = scope == ScriptScope::kShard ? ctx.shard->id() : uint32_t(ShardSet::Current());
    run.On(home, [&ok](Shard& s) { ok = s.EnsureMemory(); });
    if (!ok) {
      ctx.rb->Error(kOom);
      return ScriptOutcome::kDone;
    }
  }

  script::ScriptHost host;
  host.call = [&run](const std::vector<std::string>& argv, int resp) {
    return CallFromScript(run, argv, resp);
  };
  host.log = [](script::ScriptLogLevel level, std::string_view msg) {
    std::string m(msg);
    switch (level) {
      case script::ScriptLogLevel::kDebug:
        LOG_DEBUG("%s", m.c_str());
        break;
      case script::ScriptLogLevel::kVerbose:
        LOG_VERBOSE("%s", m.c_str());
        break;
      case script::ScriptLogLevel::kNotice:
        LOG_NOTICE("%s", m.c_str());
        break;
      case script::ScriptLogLevel::kWarning:
        LOG_WARNING("%s", m.c_str());
        break;
    }
  };
  host.should_abort = [&run] { return run.escalate || run.busy.Poll(); };

  // A run that may still be undone (it keeps an undo log) holds its keyspace notifications back
  // until it commits: an escalated run publishes nothing, and its rerun publishes them once.
  std::optional<notify::Capture> held;
  if (scope != ScriptScope::kAll && notify::Enabled(~0u)) held.emplace(true);
  run.busy.Start(a.function, fn ? std::string_view(fn->name) : std::string_view(), ctx.args);
  script::ScriptReply reply = a.function
                                  ? registry->Call(*fn, a.keys, a.argv, ctx.rb->proto(), &host)
                                  : ts.cache().Run(*entry, a.keys, a.argv, ctx.rb->proto(), &host);
  run.busy.Stop();
  ts.ReportMemory();
  if (run.escalate) {
    // Keys that expired or were evicted meanwhile stay gone: those events are published; the
    // others are the rerun's to publish.
    std::vector<notify::Note> kept;
    if (held) {
      for (notify::Note& n : held->notes)
        if (n.cls & (notify::kExpired | notify::kEvicted)) kept.push_back(std::move(n));
      held.reset();
    }
    {
      notify::Capture undoing(false);  // putting keys back is not an event
      run.Rollback();
    }
    run.PublishHeld(kept);
    return ScriptOutcome::kEscalate;
  }
  run.Commit();
  if (ctx.aof_unit)
    ctx.aof_unit->Append(std::move(run.aof));
  else
    aof::FeedUnit(std::move(run.aof));
  if (held) {
    std::vector<notify::Note> notes = std::move(held->notes);
    held.reset();
    run.PublishHeld(notes);
  }
  if (scope == ScriptScope::kShard) ServeBlockedClients(*ctx.shard);
  ctx.rb->out()->append(reply.bytes);
  return ScriptOutcome::kDone;
}

Task<void> RunScriptGlobal(CmdContext& ctx) {
  const uint32_t n = Shards().size();
  std::vector<char> owned(n, 0);
  std::span<const std::string_view> keys;
  bool all =
      ScriptCallNeedsGlobal(*ctx.spec, ctx.args) || !DeclaredKeys(ctx.args, &keys) || keys.empty();
  if (!all) {
    for (auto k : keys) owned[Shards().ShardOf(HashKey(k))] = 1;
  } else {
    std::fill(owned.begin(), owned.end(), 1);
  }
  co_await ScriptToken::Get().Acquire();
  while (true) {
    size_t count = 0;
    for (char o : owned) count += o ? 1 : 0;
    ScriptScope scope = count == n ? ScriptScope::kAll : ScriptScope::kShards;
    std::vector<std::string> lock_all{LockTable::kAllKeys};
    std::vector<std::string>* lk = &lock_all;
    for (uint32_t s = 0; s < n; s++) {
      if (!owned[s]) continue;
      co_await Shards().HopDeferred(s,
                                    [lk](Shard& sh, auto done) { sh.locks().Acquire(*lk, done); });
    }
    ctx.now_ms = LoopUnixMillis();
    ScriptOutcome o;
    {
      ShardSet::SyncScope sync;
      o = RunScriptCall(ctx, scope, &owned);
    }
    for (uint32_t s = 0; s < n; s++) {
      if (!owned[s]) continue;
      Shards().Post(s, [s] {
        Shard* sh = Shards().shard(s);
        sh->locks().Release({LockTable::kAllKeys});
        ServeBlockedClients(*sh);
      });
    }
    if (o == ScriptOutcome::kDone) break;
    ScriptStore::Get().MarkGlobal(CallId(*ctx.spec, ctx.args));
    std::fill(owned.begin(), owned.end(), 1);
  }
  ScriptToken::Get().Release();
}

}  // namespace strata::kv
