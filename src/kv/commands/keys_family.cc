// Keyspace commands: existence, deletion, TTLs, renames and copies, iteration (KEYS, SCAN,
// RANDOMKEY), database-wide commands (DBSIZE, FLUSHDB, FLUSHALL, SWAPDB), MOVE, OBJECT and
// MEMORY USAGE. Single-shard forms run on the owning shard; cross-shard multi-key forms and
// keyspace-wide commands are coroutines at the end.
#include <algorithm>
#include <climits>
#include <memory>
#include <optional>
#include <string>

#include "base/glob.h"
#include "base/memory.h"
#include "base/strutil.h"
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"
#include "kv/commands/subcommand.h"
#include "kv/engine/key_snapshot.h"
#include "kv/messaging/tracking.h"
#include "kv/server/config.h"
#include "kv/server/connection.h"
#include "kv/tx/multi_key.h"

namespace strata::kv {
namespace {

const char* TypeName(const Entry* e) { return ObjTypeName(e->type); }

// OBJECT ENCODING, following Redis's rules for when a string keeps an integer or an embedded
// string; other types name their own encoding.
const char* Encoding(const Entry* e) {
  if (e->is_object()) return e->object()->Encoding();
  if (e->flags & Entry::kRaw) return "raw";
  std::string_view v = e->value();
  int64_t n;
  if (!(e->flags & Entry::kNoIntEncoding) && v.size() <= 20 && ParseInt64(v, &n)) return "int";
  return v.size() <= 44 ? "embstr" : "raw";
}

// ---- Counting multi-key commands: DEL, UNLINK, EXISTS, TOUCH ----

int64_t CountOnShard(CmdContext& ctx, Shard& s, const std::vector<size_t>& idx, bool del,
                     bool touch) {
  int64_t n = 0;
  for (size_t i : idx) {
    std::string_view key = ctx.args[i];
    if (touch) {  // TOUCH is a read access (Redis's lookupKeyRead: stats and the policy word)
      n += s.FindForRead(ctx.db, key, KeyHash(key), ctx.now_ms) ? 1 : 0;
      continue;
    }
    Entry** link = s.FindLink(ctx.db, key, KeyHash(key), ctx.now_ms);  // EXISTS does not touch
    if (!link) {
      // EXISTS is a read lookup for Redis: a miss is a keymiss event.
      if (!del) Notify(ctx.db, notify::kKeyMiss, "keymiss", key);
      continue;
    }
    n++;
    if (del) {
      s.Delete(ctx.db, link);
      Notify(ctx.db, notify::kGeneric, "del", key);
    }
  }
  return n;
}

std::vector<size_t> AllKeys(const CmdContext& ctx) {
  std::vector<size_t> v;
  for (size_t i = 1; i < ctx.args.size(); i++) v.push_back(i);
  return v;
}

void CmdDel(CmdContext& ctx) {
  ctx.rb->Integer(CountOnShard(ctx, *ctx.shard, AllKeys(ctx), true, false));
}
void CmdExists(CmdContext& ctx) {
  ctx.rb->Integer(CountOnShard(ctx, *ctx.shard, AllKeys(ctx), false, false));
}
void CmdTouch(CmdContext& ctx) {
  ctx.rb->Integer(CountOnShard(ctx, *ctx.shard, AllKeys(ctx), false, true));
}

Task<void> CountAcross(CmdContext& ctx, bool del, bool touch) {
  MultiKeyTx tx(ctx, AllKeys(ctx));
  co_await tx.Lock();
  auto counts =
      co_await tx.OnEachShard([&ctx, del, touch](Shard& s, const std::vector<size_t>& idx) {
        return CountOnShard(ctx, s, idx, del, touch);
      });
  co_await tx.Unlock();
  int64_t total = 0;
  for (int64_t c : counts) total += c;
  ctx.rb->Integer(total);
}
Task<void> MultiDel(CmdContext& ctx) { return CountAcross(ctx, true, false); }
Task<void> MultiExists(CmdContext& ctx) { return CountAcross(ctx, false, false); }
Task<void> MultiTouch(CmdContext& ctx) { return CountAcross(ctx, false, true); }

void CmdType(CmdContext& ctx) {
  Entry** link = ctx.shard->FindLink(ctx.db, ctx.args[1], KeyHash(ctx.args[1]), ctx.now_ms);
  if (!link) Notify(ctx, notify::kKeyMiss, "keymiss", ctx.args[1]);
  ctx.rb->SimpleString(link ? TypeName(*link) : "none");
}

// ---- TTLs ----

void ExpireGeneric(CmdContext& ctx, int64_t basetime, bool seconds) {
  enum : unsigned { NX = 1, XX = 2, GT = 4, LT = 8 };
  unsigned flags = 0;
  for (size_t i = 3; i < ctx.args.size(); i++) {
    std::string_view a = ctx.args[i];
    if (ArgIs(a, "nx"))
      flags |= NX;
    else if (ArgIs(a, "xx"))
      flags |= XX;
    else if (ArgIs(a, "gt"))
      flags |= GT;
    else if (ArgIs(a, "lt"))
      flags |= LT;
    else
      return ctx.rb->Error("ERR Unsupported option " + std::string(a));
  }
  if ((flags & NX) && (flags & (XX | GT | LT)))
    return ctx.rb->Error("ERR NX and XX, GT or LT options at the same time are not compatible");
  if ((flags & GT) && (flags & LT))
    return ctx.rb->Error("ERR GT and LT options at the same time are not compatible");
  int64_t when;
  if (!ArgInt(ctx, 2, &when)) return;
  auto invalid = [&] {
    ctx.rb->Error(std::string("ERR invalid expire time in '") + ctx.spec->name + "' command");
  };
  if (seconds) {
    if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) return invalid();
    when *= 1000;
  }
  if (when > LLONG_MAX - basetime) return invalid();
  when += basetime;
  std::string_view key = ctx.args[1];
  uint64_t hash = KeyHash(key);
  Entry** link = ctx.shard->FindForWrite(ctx.db, key, hash, ctx.now_ms);
  if (!link) return ctx.rb->Integer(0);
  int64_t cur = (*link)->has_expire() ? (*link)->expire_ms() : -1;
  if ((flags & NX) && cur != -1) return ctx.rb->Integer(0);
  if ((flags & XX) && cur == -1) return ctx.rb->Integer(0);
  if ((flags & GT) && (when <= cur || cur == -1)) return ctx.rb->Integer(0);
  if ((flags & LT) && cur != -1 && when >= cur) return ctx.rb->Integer(0);
  if (when <= ctx.now_ms) {
    ctx.shard->Delete(ctx.db, link);
    ctx.shard->stats().expired_keys += 0;  // deleted by the command, not counted as expired
    Notify(ctx, notify::kGeneric, "del", key);
  } else {
    ctx.shard->db(ctx.db).SetExpire(link, when);
    Notify(ctx, notify::kGeneric, "expire", key);
  }
  ctx.rb->Integer(1);
}

void CmdExpire(CmdContext& ctx) { ExpireGeneric(ctx, ctx.now_ms, true); }
void CmdPExpire(CmdContext& ctx) { ExpireGeneric(ctx, ctx.now_ms, false); }
void CmdExpireAt(CmdContext& ctx) { ExpireGeneric(ctx, 0, true); }
void CmdPExpireAt(CmdContext& ctx) { ExpireGeneric(ctx, 0, false); }

void TtlGeneric(CmdContext& ctx, bool ms, bool absolute) {
  Entry** link = ctx.shard->FindLink(ctx.db, ctx.args[1], KeyHash(ctx.args[1]), ctx.now_ms);
  if (!link) {
    ctx.shard->stats().keyspace_misses++;
    Notify(ctx, notify::kKeyMiss, "keymiss", ctx.args[1]);
    return ctx.rb->Integer(-2);
  }
  ctx.shard->stats().keyspace_hits++;
  Entry* e = *link;
  if (!e->has_expire()) return ctx.rb->Integer(-1);
  int64_t exp = e->expire_ms();
  if (absolute) return ctx.rb->Integer(ms ? exp : exp / 1000);
  int64_t ttl = exp - ctx.now_ms;
  if (ttl < 0) ttl = 0;
  ctx.rb->Integer(ms ? ttl : (ttl + 500) / 1000);
}
void CmdTtl(CmdContext& ctx) { TtlGeneric(ctx, false, false); }
void CmdPTtl(CmdContext& ctx) { TtlGeneric(ctx, true, false); }
void CmdExpireTime(CmdContext& ctx) { TtlGeneric(ctx, false, true); }
void CmdPExpireTime(CmdContext& ctx) { TtlGeneric(ctx, true, true); }

void CmdPersist(CmdContext& ctx) {
  Entry** link = ctx.shard->FindForWrite(ctx.db, ctx.args[1], KeyHash(ctx.args[1]), ctx.now_ms);
  if (!link || !(*link)->has_expire()) return ctx.rb->Integer(0);
  ctx.shard->db(ctx.db).Persist(*link);
  Notify(ctx, notify::kGeneric, "persist", ctx.args[1]);
  ctx.rb->Integer(1);
}

// ---- RENAME, RENAMENX, COPY, MOVE ----

void RenameGeneric(CmdContext& ctx, bool nx) {
  std::string_view src = ctx.args[1], dst = ctx.args[2];
  Entry** link = ctx.shard->FindForWrite(ctx.db, src, KeyHash(src), ctx.now_ms);
  if (!link) return ctx.rb->Error(kErrNoSuchKey);
  if (src == dst) return nx ? ctx.rb->Integer(0) : ctx.rb->Ok();
  if (ctx.shard->FindForWrite(ctx.db, dst, KeyHash(dst), ctx.now_ms) && nx)
    return ctx.rb->Integer(0);
  link = ctx.shard->FindLink(ctx.db, src, KeyHash(src), ctx.now_ms);
  Snapshot snap = DetachSnapshot(*link);
  ctx.shard->Delete(ctx.db, link);
  Restore(*ctx.shard, ctx.db, dst, snap, ctx.now_ms);
  Notify(ctx, notify::kGeneric, "rename_from", src);
  Notify(ctx, notify::kGeneric, "rename_to", dst);
  nx ? ctx.rb->Integer(1) : ctx.rb->Ok();
}
void CmdRename(CmdContext& ctx) { RenameGeneric(ctx, false); }
void CmdRenameNx(CmdContext& ctx) { RenameGeneric(ctx, true); }

// Awaitable: copies the source key (args[1]) out of its shard into *out (empty if missing),
// after a write lookup (RENAME) or a read lookup (COPY), as Redis.
auto SnapshotSource(CmdContext& ctx, uint32_t shard, std::optional<Snapshot>* out, Access access) {
  return Shards().Hop(shard, [&ctx, out, access](Shard& s) {
    std::string_view key = ctx.args[1];
    Entry* e = nullptr;
    if (access == Access::kRead) {
      e = s.FindForRead(ctx.db, key, KeyHash(key), ctx.now_ms);
    } else if (Entry** l = s.FindForWrite(ctx.db, key, KeyHash(key), ctx.now_ms)) {
      e = *l;
    }
    if (e) *out = TakeSnapshot(e);
  });
}

Task<void> RenameAcross(CmdContext& ctx, bool nx) {
  MultiKeyTx tx(ctx, {1, 2});
  co_await tx.Lock();
  uint32_t src_shard = Shards().ShardOf(KeyHash(ctx.args[1]));
  uint32_t dst_shard = Shards().ShardOf(KeyHash(ctx.args[2]));
  std::optional<Snapshot> snap;
  co_await SnapshotSource(ctx, src_shard, &snap, Access::kWrite);
  if (!snap) {
    co_await tx.Unlock();
    ctx.rb->Error(kErrNoSuchKey);
    co_return;
  }
  bool written = false;
  co_await Shards().Hop(dst_shard, [&ctx, &snap, &written, nx](Shard& s) {
    if (s.FindForWrite(ctx.db, ctx.args[2], KeyHash(ctx.args[2]), ctx.now_ms) && nx)
      return Discard(*snap);
    Restore(s, ctx.db, ctx.args[2], *snap, ctx.now_ms);
    written = true;
  });
  if (written) {
    co_await Shards().Hop(src_shard, [&ctx](Shard& s) {
      Entry** l = s.FindLink(ctx.db, ctx.args[1], KeyHash(ctx.args[1]), ctx.now_ms);
      if (l) s.Delete(ctx.db, l);
      Notify(ctx, notify::kGeneric, "rename_from", ctx.args[1]);
    });
    // rename_to follows rename_from, as in Redis: one more step on the destination's shard, taken
    // only when someone listens.
    if (notify::Enabled(notify::kGeneric)) {
      co_await Shards().Hop(
          dst_shard, [&ctx](Shard&) { Notify(ctx, notify::kGeneric, "rename_to", ctx.args[2]); });
    }
  }
  co_await tx.Unlock();
  if (nx)
    ctx.rb->Integer(written ? 1 : 0);
  else
    ctx.rb->Ok();
}
Task<void> MultiRename(CmdContext& ctx) { return RenameAcross(ctx, false); }
Task<void> MultiRenameNx(CmdContext& ctx) { return RenameAcross(ctx, true); }

// COPY source destination [DB destination-db] [REPLACE]: parsed options.
struct CopyArgs {
  int dst_db;
  bool replace = false;
};

bool ParseCopy(CmdContext& ctx, CopyArgs* out) {
  out->dst_db = ctx.db;
  for (size_t i = 3; i < ctx.args.size(); i++) {
    if (ArgIs(ctx.args[i], "replace")) {
      out->replace = true;
    } else if (ArgIs(ctx.args[i], "db") && i + 1 < ctx.args.size()) {
      int64_t db;
      if (!ParseInt64(ctx.args[i + 1], &db) || db < INT_MIN || db > INT_MAX) {
        ctx.rb->Error(kErrNotInt);
        return false;
      }
      if (db < 0 || db >= ctx.shard->databases()) {
        ctx.rb->Error(kErrDbIndex);
        return false;
      }
      out->dst_db = int(db);
      i++;
    } else {
      ctx.rb->Error(kErrSyntax);
      return false;
    }
  }
  if (ctx.args[1] == ctx.args[2] && out->dst_db == ctx.db) {
    ctx.rb->Error("ERR source and destination objects are the same");
    return false;
  }
  return true;
}

void CmdCopy(CmdContext& ctx) {
  CopyArgs a;
  if (!ParseCopy(ctx, &a)) return;
  Entry* src = ctx.shard->FindForRead(ctx.db, ctx.args[1], KeyHash(ctx.args[1]), ctx.now_ms);
  if (!src) return ctx.rb->Integer(0);
  Snapshot snap = TakeSnapshot(src);
  if (ctx.shard->FindForWrite(a.dst_db, ctx.args[2], KeyHash(ctx.args[2]), ctx.now_ms) &&
      !a.replace)
    return ctx.rb->Integer(0);
  Restore(*ctx.shard, a.dst_db, ctx.args[2], snap, ctx.now_ms, Meta::kFresh);
  Notify(a.dst_db, notify::kGeneric, "copy_to", ctx.args[2]);
  ctx.rb->Integer(1);
}

Task<void> MultiCopy(CmdContext& ctx) {
  CopyArgs a;
  if (!ParseCopy(ctx, &a)) co_return;
  MultiKeyTx tx(ctx, {1, 2});
  co_await tx.Lock();
  uint32_t src_shard = Shards().ShardOf(KeyHash(ctx.args[1]));
  uint32_t dst_shard = Shards().ShardOf(KeyHash(ctx.args[2]));
  std::optional<Snapshot> snap;
  co_await SnapshotSource(ctx, src_shard, &snap, Access::kRead);
  bool written = false;
  if (snap) {
    co_await Shards().Hop(dst_shard, [&ctx, &snap, &a, &written](Shard& s) {
      if (s.FindForWrite(a.dst_db, ctx.args[2], KeyHash(ctx.args[2]), ctx.now_ms) && !a.replace)
        return Discard(*snap);
      Restore(s, a.dst_db, ctx.args[2], *snap, ctx.now_ms, Meta::kFresh);
      Notify(a.dst_db, notify::kGeneric, "copy_to", ctx.args[2]);
      written = true;
    });
  }
  co_await tx.Unlock();
  ctx.rb->Integer(written ? 1 : 0);
}

void CmdMove(CmdContext& ctx) {
  int64_t db;
  if (!ParseInt64(ctx.args[2], &db) || db < INT_MIN || db > INT_MAX)
    return ctx.rb->Error(kErrNotInt);
  if (db < 0 || db >= ctx.shard->databases()) return ctx.rb->Error(kErrDbIndex);
  if (int(db) == ctx.db) return ctx.rb->Error("ERR source and destination objects are the same");
  std::string_view key = ctx.args[1];
  Entry** link = ctx.shard->FindForWrite(ctx.db, key, KeyHash(key), ctx.now_ms);
  if (!link) return ctx.rb->Integer(0);
  if (ctx.shard->FindForWrite(int(db), key, KeyHash(key), ctx.now_ms)) return ctx.rb->Integer(0);
  link = ctx.shard->FindLink(ctx.db, key, KeyHash(key), ctx.now_ms);
  Entry* e = ctx.shard->db(ctx.db).Unlink(link);
  ctx.shard->db(int(db)).Insert(e, KeyHash(key));
  if (e->is_object()) ctx.shard->SignalKeyReady(int(db), key);
  Notify(int(db), notify::kNew, "new", key);  // the entry moves, so Shard::Add is not involved
  Notify(ctx, notify::kGeneric, "move_from", key);
  Notify(int(db), notify::kGeneric, "move_to", key);
  ctx.rb->Integer(1);
}

// ---- OBJECT, MEMORY USAGE ----

void CmdObject(CmdContext& ctx) {
  std::string_view sub = ctx.args[1];
  if (ArgIs(sub, "help") && ctx.args.size() == 2) {
    return ReplyHelp(
        ctx, "OBJECT",
        {"ENCODING <key>",
         "    Return the kind of internal representation used in order to store the value",
         "    associated with a <key>.", "FREQ <key>",
         "    Return the access frequency index of the <key>. The returned integer is",
         "    proportional to the logarithm of the recent access frequency of the key.",
         "IDLETIME <key>",
         "    Return the idle time of the <key>, that is the approximated number of",
         "    seconds elapsed since the last access to the key.", "REFCOUNT <key>",
         "    Return the number of references of the value associated with the specified",
         "    <key>."});
  }
  bool known = ArgIs(sub, "encoding") || ArgIs(sub, "freq") || ArgIs(sub, "idletime") ||
               ArgIs(sub, "refcount");
  if (!known || ctx.args.size() != 3) {
    if (known || ArgIs(sub, "help"))
      return ctx.rb->Error("ERR wrong number of arguments for 'object|" + ToLower(sub) +
                           "' command");
    return ctx.rb->Error("ERR unknown subcommand '" + std::string(sub.substr(0, 128)) +
                         "'. Try OBJECT HELP.");
  }
  Entry** link = ctx.shard->FindLink(ctx.db, ctx.args[2], KeyHash(ctx.args[2]), ctx.now_ms);
  if (!link) return ctx.rb->Null();
  Entry* e = *link;
  const auto& policy = ctx.shard->policy();
  uint64_t hash = KeyHash(ctx.args[2]);
  if (ArgIs(sub, "encoding")) return ctx.rb->Bulk(Encoding(e));
  if (ArgIs(sub, "freq")) {
    auto f = policy.ObjectFreq(e->meta, hash, uint64_t(ctx.now_ms));
    if (!f)
      return ctx.rb->Error(
          "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
          "note that when switching between policies at runtime LRU and LFU data will take some "
          "time to adjust.");
    return ctx.rb->Integer(*f);
  }
  if (ArgIs(sub, "idletime")) {
    auto idle = policy.ObjectIdleSeconds(e->meta, uint64_t(ctx.now_ms));
    if (!idle)
      return ctx.rb->Error(
          "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
          "switching between policies at runtime LRU and LFU data will take some time to "
          "adjust.");
    return ctx.rb->Integer(int64_t(*idle));
  }
  // REFCOUNT: Redis shares the integers 0..9999 unless an LRU/LFU policy with maxmemory is set.
  int64_t n;
  bool shared = !e->is_object() && std::string_view(Encoding(e)) == "int" &&
                ParseInt64(e->value(), &n) && n >= 0 && n < 10000;
  auto algo = policy.algorithm();
  bool lru_lfu = algo == cache::sampled::Algorithm::kLru || algo == cache::sampled::Algorithm::kLfu;
  if (shared && (GlobalConfig().maxmemory.load() == 0 || !lru_lfu)) return ctx.rb->Integer(INT_MAX);
  ctx.rb->Integer(1);
}

void CmdMemory(CmdContext& ctx) {
  std::string_view sub = ctx.args[1];
  if (ArgIs(sub, "usage")) {
    if (ctx.args.size() < 3)
      return ctx.rb->Error("ERR wrong number of arguments for 'memory|usage' command");
    for (size_t i = 3; i < ctx.args.size(); i++) {
      if (ArgIs(ctx.args[i], "samples") && i + 1 < ctx.args.size()) {
        int64_t n;
        if (!ArgInt(ctx, i + 1, &n)) return;
        i++;
      } else {
        return ctx.rb->Error(kErrSyntax);
      }
    }
    Entry** link = ctx.shard->FindLink(ctx.db, ctx.args[2], KeyHash(ctx.args[2]), ctx.now_ms);
    if (!link) return ctx.rb->Null();
    // The entry's allocation plus its share of the bucket array (one pointer).
    return ctx.rb->Integer(int64_t((*link)->AllocatedSize() + sizeof(void*)));
  }
  if (ArgIs(sub, "help")) {
    return ReplyHelp(ctx, "MEMORY",
                     {"USAGE <key> [SAMPLES <count>]",
                      "    Return memory in bytes used by <key> and its value."});
  }
  ctx.rb->Error("ERR unknown subcommand '" + std::string(sub.substr(0, 128)) +
                "'. Try MEMORY HELP.");
}

// ---- Keyspace-wide commands (all shards) ----

Task<void> CmdDbSize(CmdContext& ctx) {
  int db = ctx.db;
  std::vector<int64_t> sizes(Shards().size());
  co_await Shards().Broadcast(
      [db, &sizes](Shard& s, uint32_t i) { sizes[i] = int64_t(s.db(db).size()); });
  int64_t total = 0;
  for (auto n : sizes) total += n;
  ctx.rb->Integer(total);
}

Task<void> CmdKeys(CmdContext& ctx) {
  std::string pattern(ctx.args[1]);
  int db = ctx.db;
  int64_t now = ctx.now_ms;
  std::vector<std::vector<std::string>> parts(Shards().size());
  co_await Shards().Broadcast([&pattern, &parts, db, now](Shard& s, uint32_t i) {
    std::vector<std::string>& keys = parts[i];
    bool all = pattern == "*";
    s.db(db).ForEach([&](Entry* e) {
      if (e->has_expire() && e->expire_ms() <= now) return;
      std::string_view k = e->key();
      if (all || GlobMatch(pattern, k)) keys.emplace_back(k);
    });
  });
  size_t n = 0;
  for (auto& p : parts) n += p.size();
  ctx.rb->ArrayHeader(n);
  for (auto& p : parts)
    for (auto& k : p) ctx.rb->Bulk(k);
}

bool ParseFlushMode(CmdContext& ctx) {
  if (ctx.args.size() > 2) {
    ctx.rb->Error(kErrSyntax);
    return false;
  }
  if (ctx.args.size() == 2 && !ArgIs(ctx.args[1], "async") && !ArgIs(ctx.args[1], "sync")) {
    ctx.rb->Error(kErrSyntax);
    return false;
  }
  return true;
}

// FLUSHDB, FLUSHALL and SWAPDB change every shard at one instant. Outside a transaction they take
// every shard's all-keys lock in ascending order (as EXEC holding a whole-database command), change
// every shard, append their record to the append-only file while the locks are still held, then
// release: no command on any key runs anywhere meanwhile, so the log orders them with every write,
// as a keyed cross-shard command is ordered by its key locks (docs/design/persistence.md). Inside
// EXEC, a script or the AOF replay (in_tx) the caller holds the locks and logs the unit.
template <typename F>
Task<void> OnEveryShardAtOnce(CmdContext& ctx, F apply) {
  if (ctx.in_tx) {
    co_await Shards().Broadcast(apply);
    co_return;
  }
  co_await LockEveryShard();
  co_await Shards().Broadcast(apply);
  if (aof::Enabled()) aof::Feed(ctx.db, ctx.args, "+OK\r\n", ctx.now_ms);
  for (uint32_t i = 0; i < Shards().size(); i++) {
    Shards().Post(i, [i] { UnlockAllKeys(*Shards().shard(i)); });
  }
}

Task<void> CmdFlushDb(CmdContext& ctx) {
  if (!ParseFlushMode(ctx)) co_return;
  int db = ctx.db;
  co_await OnEveryShardAtOnce(ctx, [db](Shard& s, uint32_t) {
    s.DbModified(db);
    s.db(db).Clear();
    s.PublishMemory();
  });
  tracking::InvalidateEverything();
  ctx.rb->Ok();
}

Task<void> CmdFlushAll(CmdContext& ctx) {
  if (!ParseFlushMode(ctx)) co_return;
  co_await OnEveryShardAtOnce(ctx, [](Shard& s, uint32_t) {
    for (int db = 0; db < s.databases(); db++) s.DbModified(db);
    for (auto& t : s.dbs()) t.Clear();
    s.PublishMemory();
  });
  tracking::InvalidateEverything();
  ctx.rb->Ok();
}

Task<void> CmdSwapDb(CmdContext& ctx) {
  int64_t a, b;
  if (!ParseInt64(ctx.args[1], &a) || a < INT_MIN || a > INT_MAX) {
    ctx.rb->Error("ERR invalid first DB index");
    co_return;
  }
  if (!ParseInt64(ctx.args[2], &b) || b < INT_MIN || b > INT_MAX) {
    ctx.rb->Error("ERR invalid second DB index");
    co_return;
  }
  int dbs = ctx.shard->databases();
  if (a < 0 || a >= dbs || b < 0 || b >= dbs) {
    ctx.rb->Error(kErrDbIndex);
    co_return;
  }
  // SWAPDB n n changes nothing but is logged as sent, as every successful write.
  co_await OnEveryShardAtOnce(ctx, [a, b](Shard& s, uint32_t) {
    if (a == b) return;
    s.DbModified(int(a), int(b));
    s.db(int(a)).Swap(s.db(int(b)));
  });
  if (a != b) tracking::InvalidateEverything();
  ctx.rb->Ok();
}

Task<void> CmdRandomKey(CmdContext& ctx) {
  int db = ctx.db;
  int64_t now = ctx.now_ms;
  std::vector<size_t> sizes(Shards().size());
  std::optional<std::string> key;
  for (int attempt = 0; attempt < 100 && !key; attempt++) {
    co_await Shards().Broadcast([db, &sizes](Shard& s, uint32_t i) { sizes[i] = s.db(db).size(); });
    size_t total = 0;
    for (auto n : sizes) total += n;
    if (total == 0) break;
    size_t r = ctx.shard->rng()() % total;
    uint32_t target = 0;
    while (r >= sizes[target]) r -= sizes[target++];
    co_await Shards().Hop(target, [db, now, &key](Shard& s) {
      for (int i = 0; i < 100; i++) {
        Entry* e = s.db(db).RandomEntry(s.rng());
        if (!e) return;
        if (e->has_expire() && e->expire_ms() <= now) {
          std::string k(e->key());
          s.FindLink(db, k, KeyHash(k), now);  // expires it
          continue;
        }
        key = std::string(e->key());
        return;
      }
    });
  }
  if (key)
    ctx.rb->Bulk(*key);
  else
    ctx.rb->Null();
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. With several shards the cursor carries
// the shard index in its low 8 bits and the shard table's own reverse-binary cursor above them.
Task<void> CmdScan(CmdContext& ctx) {
  uint64_t cursor;
  if (!ParseUint64(ctx.args[1], &cursor)) {
    ctx.rb->Error("ERR invalid cursor");
    co_return;
  }
  std::string pattern;
  bool has_pattern = false;
  std::optional<std::string> type;
  int64_t count = 10;
  for (size_t i = 2; i < ctx.args.size(); i++) {
    bool has_next = i + 1 < ctx.args.size();
    if (ArgIs(ctx.args[i], "count") && has_next) {
      if (!ParseInt64(ctx.args[i + 1], &count)) {
        ctx.rb->Error(kErrNotInt);
        co_return;
      }
      if (count < 1) {
        ctx.rb->Error(kErrSyntax);
        co_return;
      }
      i++;
    } else if (ArgIs(ctx.args[i], "match") && has_next) {
      pattern = std::string(ctx.args[++i]);
      has_pattern = !(pattern == "*");
    } else if (ArgIs(ctx.args[i], "type") && has_next) {
      type = ToLower(ctx.args[++i]);
    } else {
      ctx.rb->Error(kErrSyntax);
      co_return;
    }
  }
  uint32_t nshards = Shards().size();
  uint32_t shard = nshards > 1 ? uint32_t(cursor & 0xff) : 0;
  uint64_t tcur = nshards > 1 ? cursor >> 8 : cursor;
  if (shard >= nshards) {
    ctx.rb->ArrayHeader(2);
    ctx.rb->Bulk("0");
    ctx.rb->ArrayHeader(0);
    co_return;
  }
  int db = ctx.db;
  int64_t now = ctx.now_ms;
  // Walks this shard's table from tcur; when it finishes a shard with room left in COUNT it moves
  // on to the next shard in the same call, so an empty or small keyspace ends with cursor 0.
  std::vector<std::string> keys;
  uint64_t shard_next = 0;
  uint64_t next = 0;
  for (;;) {
    co_await Shards().Hop(shard, [&, db, now](Shard& s) {
      DbTable& t = s.db(db);
      int64_t max_iter = count * 10;
      std::vector<std::string> raw;
      uint64_t c = tcur;
      do {
        c = t.Scan(c, [&](Entry* e) { raw.emplace_back(e->key()); });
      } while (c && max_iter-- && int64_t(raw.size()) < count);
      for (auto& k : raw) {
        if (has_pattern && !GlobMatch(pattern, k)) continue;
        Entry** l = s.FindLink(db, k, KeyHash(k), now);  // skips (and expires) expired keys
        if (!l) {
          // Redis checks TYPE with a read lookup, which misses on the key that just expired.
          if (type) Notify(db, notify::kKeyMiss, "keymiss", k);
          continue;
        }
        if (type && *type != ToLower(TypeName(*l))) continue;  // "MBbloom--" has capitals
        keys.push_back(std::move(k));
      }
      shard_next = c;
    });
    if (nshards == 1) {
      next = shard_next;
      break;
    }
    if (shard_next != 0) {
      next = (shard_next << 8) | shard;
      break;
    }
    shard++;
    tcur = 0;
    if (shard >= nshards) {
      next = 0;
      break;
    }
    if (int64_t(keys.size()) >= count) {
      next = shard;  // start of the next shard
      break;
    }
  }
  ctx.rb->ArrayHeader(2);
  ctx.rb->Bulk(std::to_string(next));
  ctx.rb->ArrayHeader(keys.size());
  for (auto& k : keys) ctx.rb->Bulk(k);
}

}  // namespace

void RegisterKeysFamily(CommandRegistry& r) {
  using namespace cmd;
  r.Add({"del", -2, kWrite, 1, -1, 1, CmdDel, MultiDel, "generic", "Deletes one or more keys.",
         "1.0.0", "O(N)"});
  r.Add({"unlink", -2, kWrite | kFast, 1, -1, 1, CmdDel, MultiDel, "generic",
         "Asynchronously deletes one or more keys.", "4.0.0", "O(N)"});
  r.Add({"exists", -2, kReadOnly | kFast, 1, -1, 1, CmdExists, MultiExists, "generic",
         "Determines whether one or more keys exist.", "1.0.0", "O(N)"});
  r.Add({"touch", -2, kReadOnly | kFast, 1, -1, 1, CmdTouch, MultiTouch, "generic",
         "Returns the number of existing keys out of those specified after updating the time they "
         "were last accessed.",
         "3.2.1", "O(N)"});
  r.Add({"type", 2, kReadOnly | kFast, 1, 1, 1, CmdType, nullptr, "generic",
         "Determines the type of value stored at a key.", "1.0.0"});
  r.Add({"expire", -3, kWrite | kFast, 1, 1, 1, CmdExpire, nullptr, "generic",
         "Sets the expiration time of a key in seconds.", "1.0.0"});
  r.Add({"pexpire", -3, kWrite | kFast, 1, 1, 1, CmdPExpire, nullptr, "generic",
         "Sets the expiration time of a key in milliseconds.", "2.6.0"});
  r.Add({"expireat", -3, kWrite | kFast, 1, 1, 1, CmdExpireAt, nullptr, "generic",
         "Sets the expiration time of a key to a Unix timestamp.", "1.2.0"});
  r.Add({"pexpireat", -3, kWrite | kFast, 1, 1, 1, CmdPExpireAt, nullptr, "generic",
         "Sets the expiration time of a key to a Unix milliseconds timestamp.", "2.6.0"});
  r.Add({"ttl", 2, kReadOnly | kFast, 1, 1, 1, CmdTtl, nullptr, "generic",
         "Returns the expiration time in seconds of a key.", "1.0.0"});
  r.Add({"pttl", 2, kReadOnly | kFast, 1, 1, 1, CmdPTtl, nullptr, "generic",
         "Returns the expiration time in milliseconds of a key.", "2.6.0"});
  r.Add({"expiretime", 2, kReadOnly | kFast, 1, 1, 1, CmdExpireTime, nullptr, "generic",
         "Returns the expiration time of a key as a Unix timestamp.", "7.0.0"});
  r.Add({"pexpiretime", 2, kReadOnly | kFast, 1, 1, 1, CmdPExpireTime, nullptr, "generic",
         "Returns the expiration time of a key as a Unix milliseconds timestamp.", "7.0.0"});
  r.Add({"persist", 2, kWrite | kFast, 1, 1, 1, CmdPersist, nullptr, "generic",
         "Removes the expiration time of a key.", "2.2.0"});
  r.Add({"rename", 3, kWrite, 1, 2, 1, CmdRename, MultiRename, "generic",
         "Renames a key and overwrites the destination.", "1.0.0"});
  r.Add({"renamenx", 3, kWrite | kFast, 1, 2, 1, CmdRenameNx, MultiRenameNx, "generic",
         "Renames a key only when the target key name doesn't exist.", "1.0.0"});
  r.Add({"copy", -3, kWrite | kDenyOom, 1, 2, 1, CmdCopy, MultiCopy, "generic",
         "Copies the value of a key to a new key.", "6.2.0", "O(N)"});
  r.Add({"move", 3, kWrite | kFast, 1, 1, 1, CmdMove, nullptr, "generic",
         "Moves a key to another database.", "1.0.0"});
  r.Add({"object", -2, kReadOnly, 2, 2, 1, CmdObject, nullptr, "generic",
         "A container for object introspection commands.", "2.2.3"});
  r.Add({"memory", -2, kReadOnly, 2, 2, 1, CmdMemory, nullptr, "server",
         "A container for memory diagnostics commands.", "4.0.0"});
  r.Add({"dbsize", 1, kReadOnly | kFast, 0, 0, 0, nullptr, CmdDbSize, "server",
         "Returns the number of keys in the database.", "1.0.0"});
  r.Add({"keys", 2, kReadOnly, 0, 0, 0, nullptr, CmdKeys, "generic",
         "Returns all key names that match a pattern.", "1.0.0", "O(N)"});
  r.Add({"scan", -2, kReadOnly, 0, 0, 0, nullptr, CmdScan, "generic",
         "Iterates over the key names in the database.", "2.8.0",
         "O(1) for every call. O(N) for a complete iteration, including enough command calls for "
         "the cursor to return back to 0. N is the number of elements inside the collection."});
  r.Add({"randomkey", 1, kReadOnly, 0, 0, 0, nullptr, CmdRandomKey, "generic",
         "Returns a random key name from the database.", "1.0.0"});
  r.Add({"flushdb", -1, kWrite, 0, 0, 0, nullptr, CmdFlushDb, "server",
         "Remove all keys from the current database.", "1.0.0", "O(N)"});
  r.Add({"flushall", -1, kWrite, 0, 0, 0, nullptr, CmdFlushAll, "server",
         "Removes all keys from all databases.", "1.0.0", "O(N)"});
  r.Add({"swapdb", 3, kWrite | kFast, 0, 0, 0, nullptr, CmdSwapDb, "server",
         "Swaps two Redis databases.", "4.0.0", "O(N)"});
}

}  // namespace strata::kv
