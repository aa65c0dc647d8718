// String commands: GET/SET and friends, counters, ranges, and the multi-key MGET/MSET/MSETNX.
// Handlers run on the shard that owns their key(s); the cross-shard forms of the multi-key
// commands are coroutine coordinators at the end of the file.
#include <climits>
#include <cmath>
#include <optional>
#include <string>

#include "base/strutil.h"
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"
#include "kv/commands/string_value.h"
#include "kv/server/config.h"
#include "kv/tx/multi_key.h"
#include "kv/types/lcs.h"

namespace strata::kv {
namespace {

// Stores `value` under key at `link`, the result of the command's write lookup (FindForWrite,
// which touched an existing key): replaces the value there, or adds the key when link is null.
// expire_ms < 0: no TTL, unless keep_ttl keeps the existing one.
void StoreAt(CmdContext& ctx, Entry** link, std::string_view key, uint64_t hash,
             std::string_view value, int64_t expire_ms, bool keep_ttl, uint8_t enc_flags = 0) {
  Shard& s = *ctx.shard;
  if (link) {
    Entry* old = *link;
    if (keep_ttl && old->has_expire()) expire_ms = old->expire_ms();
    Entry* e = Entry::Create(key, value, expire_ms, old->has_expire_slot());
    e->flags |= enc_flags;
    s.ReplaceEntry(ctx.db, link, e);
  } else {
    Entry* e = Entry::Create(key, value, expire_ms, false);
    e->flags |= enc_flags;
    s.Add(ctx.db, e, hash, ctx.now_ms);
  }
}

// Redis's setKey: one write lookup, then store.
void StoreString(CmdContext& ctx, std::string_view key, uint64_t hash, std::string_view value,
                 int64_t expire_ms, bool keep_ttl, uint8_t enc_flags = 0) {
  Entry** link = ctx.shard->FindForWrite(ctx.db, key, hash, ctx.now_ms);
  StoreAt(ctx, link, key, hash, value, expire_ms, keep_ttl, enc_flags);
}

void InvalidExpire(CmdContext& ctx) {
  ctx.rb->Error(std::string("ERR invalid expire time in '") + ctx.spec->name + "' command");
}

enum ExpireUnit { kSeconds, kMillis };
enum ExpireBase { kRelative, kAbsolute };

// Converts an expire argument to absolute ms as Redis does; replies the error on failure.
bool ParseExpire(CmdContext& ctx, std::string_view arg, ExpireUnit unit, ExpireBase base,
                 int64_t* out) {
  int64_t v;
  if (!ParseInt64(arg, &v)) {
    ctx.rb->Error(kErrNotInt);
    return false;
  }
  if (v <= 0 || (unit == kSeconds && v > LLONG_MAX / 1000)) {
    InvalidExpire(ctx);
    return false;
  }
  if (unit == kSeconds) v *= 1000;
  if (base == kRelative) {
    if (v > LLONG_MAX - ctx.now_ms) {
      InvalidExpire(ctx);
      return false;
    }
    v += ctx.now_ms;
  }
  *out = v;
  return true;
}

Entry* ReadString(CmdContext& ctx, std::string_view key, bool* wrongtype) {
  *wrongtype = false;
  Entry* e = ctx.shard->FindForRead(ctx.db, key, KeyHash(key), ctx.now_ms);
  if (e && e->type != ObjType::kString) {
    *wrongtype = true;
    return nullptr;
  }
  return e;
}

void CmdGet(CmdContext& ctx) {
  bool wt;
  Entry* e = ReadString(ctx, ctx.args[1], &wt);
  if (wt) return ctx.rb->Error(kErrWrongType);
  if (!e) return ctx.rb->Null();
  ctx.rb->Bulk(e->value());
}

// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms|KEEPTTL]
void CmdSet(CmdContext& ctx) {
  enum : unsigned { NX = 1, XX = 2, GET = 4, KEEPTTL = 8, EX = 16, PX = 32, EXAT = 64, PXAT = 128 };
  unsigned flags = 0;
  std::string_view expire_arg;
  const unsigned kExpireFlags = EX | PX | EXAT | PXAT;
  auto expire_opt = [](std::string_view a) -> unsigned {
    return ArgIs(a, "ex")     ? EX
           : ArgIs(a, "px")   ? PX
           : ArgIs(a, "exat") ? EXAT
           : ArgIs(a, "pxat") ? PXAT
                              : 0u;
  };
  for (size_t i = 3; i < ctx.args.size(); i++) {
    std::string_view a = ctx.args[i];
    bool has_next = i + 1 < ctx.args.size();
    if (ArgIs(a, "nx") && !(flags & XX))
      flags |= NX;
    else if (ArgIs(a, "xx") && !(flags & NX))
      flags |= XX;
    else if (ArgIs(a, "get"))
      flags |= GET;
    else if (ArgIs(a, "keepttl") && !(flags & kExpireFlags))
      flags |= KEEPTTL;
    else if (unsigned opt = expire_opt(a);
             opt && has_next && !(flags & ((kExpireFlags | KEEPTTL) & ~opt))) {
      // Like Redis, repeating the same expire option is allowed and the last value counts.
      flags |= opt;
      expire_arg = ctx.args[++i];
    } else {
      return ctx.rb->Error(kErrSyntax);
    }
  }
  int64_t expire_ms = -1;
  if (flags & kExpireFlags) {
    ExpireUnit u = (flags & (EX | EXAT)) ? kSeconds : kMillis;
    ExpireBase b = (flags & (EX | PX)) ? kRelative : kAbsolute;
    if (!ParseExpire(ctx, expire_arg, u, b, &expire_ms)) return;
  }
  // As Redis: GET is a read access (a keyspace hit or miss), then the key is looked up for
  // writing; both count as accesses for the eviction policy, whether or not NX/XX let the
  // write happen ("SET k v NX GET" is how look-aside caches read-or-fill in one round trip).
  std::string_view key = ctx.args[1];
  uint64_t hash = KeyHash(key);
  Shard& s = *ctx.shard;
  if (flags & GET) {
    Entry* cur = s.FindForRead(ctx.db, key, hash, ctx.now_ms);
    if (cur && cur->type != ObjType::kString) return ctx.rb->Error(kErrWrongType);
    if (cur)
      ctx.rb->Bulk(cur->value());
    else
      ctx.rb->Null();
  }
  Entry** link = s.FindForWrite(ctx.db, key, hash, ctx.now_ms);
  if (((flags & NX) && link) || ((flags & XX) && !link)) {
    if (!(flags & GET)) ctx.rb->Null();
    return;
  }
  StoreAt(ctx, link, key, hash, ctx.args[2], expire_ms, flags & KEEPTTL);
  Notify(ctx, notify::kString, "set", key);
  if (flags & kExpireFlags) Notify(ctx, notify::kGeneric, "expire", key);
  if (!(flags & GET)) ctx.rb->Ok();
}

void CmdSetNx(CmdContext& ctx) {
  std::string_view key = ctx.args[1];
  uint64_t hash = KeyHash(key);
  if (ctx.shard->FindForWrite(ctx.db, key, hash, ctx.now_ms)) return ctx.rb->Integer(0);
  StoreAt(ctx, nullptr, key, hash, ctx.args[2], -1, false);
  Notify(ctx, notify::kString, "set", key);
  ctx.rb->Integer(1);
}

void SetExGeneric(CmdContext& ctx, ExpireUnit unit) {
  int64_t expire_ms;
  if (!ParseExpire(ctx, ctx.args[2], unit, kRelative, &expire_ms)) return;
  StoreString(ctx, ctx.args[1], KeyHash(ctx.args[1]), ctx.args[3], expire_ms, false);
  Notify(ctx, notify::kString, "set", ctx.args[1]);
  Notify(ctx, notify::kGeneric, "expire", ctx.args[1]);
  ctx.rb->Ok();
}
void CmdSetEx(CmdContext& ctx) { SetExGeneric(ctx, kSeconds); }
void CmdPSetEx(CmdContext& ctx) { SetExGeneric(ctx, kMillis); }

void CmdGetSet(CmdContext& ctx) {
  std::string_view key = ctx.args[1];
  uint64_t hash = KeyHash(key);
  // A read access (GET), then setKey's write access, as Redis.
  Entry* cur = ctx.shard->FindForRead(ctx.db, key, hash, ctx.now_ms);
  if (cur && cur->type != ObjType::kString) return ctx.rb->Error(kErrWrongType);
  if (cur)
    ctx.rb->Bulk(cur->value());
  else
    ctx.rb->Null();
  StoreString(ctx, key, hash, ctx.args[2], -1, false);
  Notify(ctx, notify::kString, "set", key);
}

void CmdGetDel(CmdContext& ctx) {
  std::string_view key = ctx.args[1];
  // A read access (its policy word need not be touched: the key is deleted).
  Entry** link = ctx.shard->FindLink(ctx.db, key, KeyHash(key), ctx.now_ms);
  if (!link) {
    ctx.shard->stats().keyspace_misses++;
    Notify(ctx, notify::kKeyMiss, "keymiss", key);
    return ctx.rb->Null();
  }
  ctx.shard->stats().keyspace_hits++;
  if ((*link)->type != ObjType::kString) return ctx.rb->Error(kErrWrongType);
  ctx.rb->Bulk((*link)->value());
  ctx.shard->Delete(ctx.db, link);
  Notify(ctx, notify::kGeneric, "del", key);
}

// GETEX key [EX s|PX ms|EXAT ts|PXAT ms|PERSIST]
void CmdGetEx(CmdContext& ctx) {
  bool persist = false;
  size_t expire_idx = 0;  // index of the EX/PX/EXAT/PXAT word, 0 = none
  for (size_t i = 2; i < ctx.args.size(); i++) {
    std::string_view a = ctx.args[i];
    bool has_next = i + 1 < ctx.args.size();
    // Like Redis, an option may repeat (the last value counts) but not mix with another.
    if (ArgIs(a, "persist") && !expire_idx) {
      persist = true;
    } else if (has_next && !persist &&
               (ArgIs(a, "ex") || ArgIs(a, "px") || ArgIs(a, "exat") || ArgIs(a, "pxat")) &&
               (!expire_idx || EqualsIgnoreCase(a, ctx.args[expire_idx]))) {
      expire_idx = i++;
    } else {
      return ctx.rb->Error(kErrSyntax);
    }
  }
  // Redis looks the key up and checks its type before it validates the expire value.
  std::string_view key = ctx.args[1];
  uint64_t hash = KeyHash(key);
  Entry* e = ctx.shard->FindForRead(ctx.db, key, hash, ctx.now_ms);
  if (!e) return ctx.rb->Null();
  if (e->type != ObjType::kString) return ctx.rb->Error(kErrWrongType);
  int64_t expire_ms = -1;
  if (expire_idx) {
    std::string_view a = ctx.args[expire_idx];
    ExpireUnit u = (ArgIs(a, "ex") || ArgIs(a, "exat")) ? kSeconds : kMillis;
    ExpireBase b = (ArgIs(a, "ex") || ArgIs(a, "px")) ? kRelative : kAbsolute;
    if (!ParseExpire(ctx, ctx.args[expire_idx + 1], u, b, &expire_ms)) return;
  }
  ctx.rb->Bulk(e->value());
  DbTable& t = ctx.shard->db(ctx.db);
  if (persist) {
    if (e->has_expire()) {
      t.Persist(e);
      Notify(ctx, notify::kGeneric, "persist", key);
    }
  } else if (expire_idx) {
    Entry** link = t.FindLink(key, hash);
    if (expire_ms <= ctx.now_ms) {
      ctx.shard->Delete(ctx.db, link);  // EXAT/PXAT in the past
      Notify(ctx, notify::kGeneric, "del", key);
    } else {
      t.SetExpire(link, expire_ms);
      Notify(ctx, notify::kGeneric, "expire", key);
    }
  }
}

void CmdStrLen(CmdContext& ctx) {
  bool wt;
  Entry* e = ReadString(ctx, ctx.args[1], &wt);
  if (wt) return ctx.rb->Error(kErrWrongType);
  ctx.rb->Integer(e ? int64_t(e->value().size()) : 0);
}

// Integer value of a string entry (or 0 if absent); replies the error on failure.
bool IntValue(CmdContext& ctx, Entry* e, int64_t* out) {
  if (!e) {
    *out = 0;
    return true;
  }
  if (e->type != ObjType::kString) {
    ctx.rb->Error(kErrWrongType);
    return false;
  }
  std::string_view v = e->value();
  if (v.size() > 20 || !ParseInt64(v, out)) {
    ctx.rb->Error(kErrNotInt);
    return false;
  }
  return true;
}

void IncrBy(CmdContext& ctx, int64_t delta) {
  std::string_view key = ctx.args[1];
  uint64_t hash = KeyHash(key);
  Entry** link = ctx.shard->FindForWrite(ctx.db, key, hash, ctx.now_ms);
  int64_t cur;
  if (!IntValue(ctx, link ? *link : nullptr, &cur)) return;
  if ((delta < 0 && cur < 0 && delta < LLONG_MIN - cur) ||
      (delta > 0 && cur > 0 && delta > LLONG_MAX - cur))
    return ctx.rb->Error("ERR increment or decrement would overflow");
  int64_t v = cur + delta;
  char buf[24];
  size_t n = FormatInt64(v, buf);
  StoreAt(ctx, link, key, hash, std::string_view(buf, n), -1, true);
  Notify(ctx, notify::kString, "incrby", key);
  ctx.rb->Integer(v);
}

void CmdIncr(CmdContext& ctx) { IncrBy(ctx, 1); }
void CmdDecr(CmdContext& ctx) { IncrBy(ctx, -1); }
void CmdIncrBy(CmdContext& ctx) {
  int64_t d;
  if (ArgInt(ctx, 2, &d)) IncrBy(ctx, d);
}
void CmdDecrBy(CmdContext& ctx) {
  int64_t d;
  if (!ArgInt(ctx, 2, &d)) return;
  if (d == LLONG_MIN) return ctx.rb->Error("ERR decrement would overflow");
  IncrBy(ctx, -d);
}

void CmdIncrByFloat(CmdContext& ctx) {
  std::string_view key = ctx.args[1];
  uint64_t hash = KeyHash(key);
  Entry** link = ctx.shard->FindForWrite(ctx.db, key, hash, ctx.now_ms);
  long double cur = 0, incr;
  if (link) {
    if ((*link)->type != ObjType::kString) return ctx.rb->Error(kErrWrongType);
    if (!ParseLongDouble((*link)->value(), &cur)) return ctx.rb->Error(kErrNotFloat);
  }
  if (!ParseLongDouble(ctx.args[2], &incr)) return ctx.rb->Error(kErrNotFloat);
  long double v = cur + incr;
  if (std::isnan(v) || std::isinf(v))
    return ctx.rb->Error("ERR increment would produce NaN or Infinity");
  std::string s = LongDoubleToString(v);
  StoreAt(ctx, link, key, hash, s, -1, true, Entry::kNoIntEncoding);
  Notify(ctx, notify::kString, "incrbyfloat", key);
  ctx.rb->Bulk(s);
}

bool CheckStringLength(CmdContext& ctx, uint64_t size) {
  // Compared unsigned: offset + length can exceed INT64_MAX (SETRANGE k 9223372036854775807 x).
  int64_t limit = GlobalConfig().proto_max_bulk_len.load(std::memory_order_relaxed);
  if (limit < 0 || size > uint64_t(limit)) {
    ctx.rb->Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    return false;
  }
  return true;
}

void CmdAppend(CmdContext& ctx) {
  std::string_view key = ctx.args[1], add = ctx.args[2];
  uint64_t hash = KeyHash(key);
  Entry** link = ctx.shard->FindForWrite(ctx.db, key, hash, ctx.now_ms);
  if (!link) {
    StoreAt(ctx, nullptr, key, hash, add, -1, false);
    Notify(ctx, notify::kString, "append", key);
    return ctx.rb->Integer(int64_t(add.size()));
  }
  if ((*link)->type != ObjType::kString) return ctx.rb->Error(kErrWrongType);
  size_t old = (*link)->value().size();
  if (!CheckStringLength(ctx, old + add.size())) return;
  Entry* e = GrowValue(ctx, link, old + add.size());
  memcpy(e->mutable_value() + old, add.data(), add.size());
  e->flags |= Entry::kRaw;
  Notify(ctx, notify::kString, "append", key);
  ctx.rb->Integer(int64_t(old + add.size()));
}

void CmdSetRange(CmdContext& ctx) {
  std::string_view key = ctx.args[1], val = ctx.args[3];
  int64_t offset;
  if (!ArgInt(ctx, 2, &offset)) return;
  if (offset < 0) return ctx.rb->Error("ERR offset is out of range");
  uint64_t hash = KeyHash(key);
  Entry** link = ctx.shard->FindForWrite(ctx.db, key, hash, ctx.now_ms);
  if (link && (*link)->type != ObjType::kString) return ctx.rb->Error(kErrWrongType);
  if (!link) {
    if (val.empty()) return ctx.rb->Integer(0);
    if (!CheckStringLength(ctx, uint64_t(offset) + val.size())) return;
    std::string v(size_t(offset), '\0');
    v.append(val);
    StoreAt(ctx, nullptr, key, hash, v, -1, false, Entry::kRaw);
    Notify(ctx, notify::kString, "setrange", key);
    return ctx.rb->Integer(int64_t(v.size()));
  }
  size_t len = (*link)->value().size();
  if (val.empty()) return ctx.rb->Integer(int64_t(len));
  if (!CheckStringLength(ctx, uint64_t(offset) + val.size())) return;
  size_t need = size_t(offset) + val.size();
  Entry* e = need > len ? GrowValue(ctx, link, need) : *link;
  memcpy(e->mutable_value() + offset, val.data(), val.size());
  e->flags |= Entry::kRaw;
  Notify(ctx, notify::kString, "setrange", key);
  ctx.rb->Integer(int64_t(e->value().size()));
}

void CmdGetRange(CmdContext& ctx) {
  int64_t start, end;
  if (!ArgInt(ctx, 2, &start) || !ArgInt(ctx, 3, &end)) return;
  bool wt;
  Entry* e = ReadString(ctx, ctx.args[1], &wt);
  if (wt) return ctx.rb->Error(kErrWrongType);
  if (!e) return ctx.rb->Bulk("");
  std::string_view v = e->value();
  int64_t len = int64_t(v.size());
  if (start < 0 && end < 0 && start > end) return ctx.rb->Bulk("");
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) return ctx.rb->Bulk("");
  ctx.rb->Bulk(v.substr(size_t(start), size_t(end - start + 1)));
}

// ---- LCS ----

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN] over the two values (absent keys
// are empty strings). Replies the result or the error.
void ReplyLcs(CmdContext& ctx, std::string_view a, std::string_view b) {
  bool want_len = false, want_idx = false, with_len = false;
  int64_t min_len = 0;
  for (size_t j = 3; j < ctx.args.size(); j++) {
    std::string_view opt = ctx.args[j];
    bool more = j + 1 < ctx.args.size();
    if (ArgIs(opt, "idx")) {
      want_idx = true;
    } else if (ArgIs(opt, "len")) {
      want_len = true;
    } else if (ArgIs(opt, "withmatchlen")) {
      with_len = true;
    } else if (ArgIs(opt, "minmatchlen") && more) {
      if (!ArgInt(ctx, ++j, &min_len)) return;
      if (min_len < 0) min_len = 0;
    } else {
      return ctx.rb->Error(kErrSyntax);
    }
  }
  if (want_len && want_idx)
    return ctx.rb->Error("ERR If you want both the length and indexes, please just use IDX.");
  if (a.size() >= UINT32_MAX - 1 || b.size() >= UINT32_MAX - 1)
    return ctx.rb->Error("ERR String too long for LCS");
  uint64_t bytes = lcs::TableBytes(a.size(), b.size());
  int64_t limit = GlobalConfig().proto_max_bulk_len.load(std::memory_order_relaxed);
  if (bytes && bytes > uint64_t(limit))
    return ctx.rb->Error(
        "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
  lcs::Result r;
  if (!bytes || !lcs::Compute(a, b, !want_len && !want_idx, want_idx, uint64_t(min_len), &r))
    return ctx.rb->Error("ERR Insufficient memory, failed allocating transient memory for LCS");
  if (want_len) return ctx.rb->Integer(r.len);
  if (!want_idx) return ctx.rb->Bulk(r.seq);
  ctx.rb->MapHeader(2);
  ctx.rb->Bulk("matches");
  ctx.rb->ArrayHeader(r.matches.size());
  for (const lcs::Match& m : r.matches) {
    ctx.rb->ArrayHeader(with_len ? 3 : 2);
    ctx.rb->ArrayHeader(2);
    ctx.rb->Integer(m.a_start);
    ctx.rb->Integer(m.a_end);
    ctx.rb->ArrayHeader(2);
    ctx.rb->Integer(m.b_start);
    ctx.rb->Integer(m.b_end);
    if (with_len) ctx.rb->Integer(m.len);
  }
  ctx.rb->Bulk("len");
  ctx.rb->Integer(r.len);
}

constexpr const char* kErrLcsType = "ERR The specified keys must contain string values";

void CmdLcs(CmdContext& ctx) {
  bool wt_a, wt_b;
  Entry* a = ReadString(ctx, ctx.args[1], &wt_a);
  Entry* b = ReadString(ctx, ctx.args[2], &wt_b);
  if (wt_a || wt_b) return ctx.rb->Error(kErrLcsType);
  ReplyLcs(ctx, a ? a->value() : std::string_view(), b ? b->value() : std::string_view());
}

// ---- Multi-key: single-shard forms (all keys on ctx.shard) ----

void CmdMGet(CmdContext& ctx) {
  ctx.rb->ArrayHeader(ctx.args.size() - 1);
  for (size_t i = 1; i < ctx.args.size(); i++) {
    Entry* e = ctx.shard->FindForRead(ctx.db, ctx.args[i], KeyHash(ctx.args[i]), ctx.now_ms);
    if (e && e->type == ObjType::kString)
      ctx.rb->Bulk(e->value());
    else
      ctx.rb->Null();
  }
}

bool MSetArity(CmdContext& ctx) {
  if (ctx.args.size() % 2 == 0) {
    ctx.rb->Error(std::string("ERR wrong number of arguments for '") + ctx.spec->name +
                  "' command");
    return false;
  }
  return true;
}

void CmdMSet(CmdContext& ctx) {
  if (!MSetArity(ctx)) return;
  for (size_t i = 1; i + 1 < ctx.args.size(); i += 2) {
    StoreString(ctx, ctx.args[i], KeyHash(ctx.args[i]), ctx.args[i + 1], -1, false);
    Notify(ctx, notify::kString, "set", ctx.args[i]);
  }
  ctx.rb->Ok();
}

void CmdMSetNx(CmdContext& ctx) {
  if (!MSetArity(ctx)) return;
  for (size_t i = 1; i + 1 < ctx.args.size(); i += 2) {
    // As Redis, the keys are looked up for writing up to the first that exists.
    if (ctx.shard->FindForWrite(ctx.db, ctx.args[i], KeyHash(ctx.args[i]), ctx.now_ms))
      return ctx.rb->Integer(0);
  }
  for (size_t i = 1; i + 1 < ctx.args.size(); i += 2) {
    StoreString(ctx, ctx.args[i], KeyHash(ctx.args[i]), ctx.args[i + 1], -1, false);
    Notify(ctx, notify::kString, "set", ctx.args[i]);
  }
  ctx.rb->Integer(1);
}

// ---- Multi-key: cross-shard coordinators ----

std::vector<size_t> KeyIdx(const CmdContext& ctx, size_t step) {
  std::vector<size_t> v;
  for (size_t i = 1; i < ctx.args.size(); i += step) v.push_back(i);
  return v;
}

// A CmdContext for running a per-shard step on `s` with the coordinator's arguments.
CmdContext ShardCtx(const CmdContext& ctx, Shard& s, resp::ReplyBuilder* rb) {
  CmdContext c = ctx;
  c.shard = &s;
  c.conn = nullptr;
  c.rb = rb;
  return c;
}

Task<void> MultiMGet(CmdContext& ctx) {
  MultiKeyTx tx(ctx, KeyIdx(ctx, 1));
  co_await tx.Lock();
  std::vector<std::optional<std::string>> values(ctx.args.size());
  auto parts = co_await tx.OnEachShard([&ctx](Shard& s, const std::vector<size_t>& idx) {
    std::vector<std::pair<size_t, std::optional<std::string>>> r;
    for (size_t i : idx) {
      Entry* e = s.FindForRead(ctx.db, ctx.args[i], KeyHash(ctx.args[i]), ctx.now_ms);
      if (e && e->type == ObjType::kString)
        r.emplace_back(i, std::string(e->value()));
      else
        r.emplace_back(i, std::nullopt);
    }
    return r;
  });
  co_await tx.Unlock();
  for (auto& p : parts)
    for (auto& [i, v] : p) values[i] = std::move(v);
  ctx.rb->ArrayHeader(ctx.args.size() - 1);
  for (size_t i = 1; i < ctx.args.size(); i++) {
    if (values[i])
      ctx.rb->Bulk(*values[i]);
    else
      ctx.rb->Null();
  }
}

// MSET/MSETNX across shards: OOM is checked on every shard first, then (MSETNX) existence, then
// all writes, all under the keys' locks.
Task<void> MSetAcross(CmdContext& ctx, bool nx) {
  if (!MSetArity(ctx)) co_return;
  MultiKeyTx tx(ctx, KeyIdx(ctx, 2));
  co_await tx.Lock();
  bool oom = false, exists = false;
  auto ok = co_await tx.OnEachShard([](Shard& s, const std::vector<size_t>&) {
    return int(GlobalConfig().maxmemory.load(std::memory_order_relaxed) == 0 || s.EnsureMemory());
  });
  for (bool b : ok) oom |= !b;
  if (!oom && nx) {
    auto found = co_await tx.OnEachShard([&ctx](Shard& s, const std::vector<size_t>& idx) {
      for (size_t i : idx)
        if (s.FindForWrite(ctx.db, ctx.args[i], KeyHash(ctx.args[i]), ctx.now_ms)) return 1;
      return 0;
    });
    for (bool b : found) exists |= b;
  }
  if (!oom && !exists) {
    co_await tx.OnEachShard([&ctx](Shard& s, const std::vector<size_t>& idx) {
      std::string scratch;
      resp::ReplyBuilder rb(&scratch);
      CmdContext c = ShardCtx(ctx, s, &rb);
      for (size_t i : idx) {
        StoreString(c, ctx.args[i], KeyHash(ctx.args[i]), ctx.args[i + 1], -1, false);
        Notify(c, notify::kString, "set", ctx.args[i]);
      }
      return 0;
    });
  }
  co_await tx.Unlock();
  if (oom)
    ctx.rb->Error("OOM command not allowed when used memory > 'maxmemory'.");
  else if (nx)
    ctx.rb->Integer(exists ? 0 : 1);
  else
    ctx.rb->Ok();
}

Task<void> MultiMSet(CmdContext& ctx) { return MSetAcross(ctx, false); }
Task<void> MultiMSetNx(CmdContext& ctx) { return MSetAcross(ctx, true); }

// LCS with its two keys on different shards: both values are read under the keys' locks, then
// compared here.
Task<void> MultiLcs(CmdContext& ctx) {
  MultiKeyTx tx(ctx, {1, 2});
  co_await tx.Lock();
  auto parts = co_await tx.OnEachShard([&ctx](Shard& s, const std::vector<size_t>& idx) {
    std::vector<std::pair<size_t, std::optional<std::string>>> r;
    bool wrongtype = false;
    for (size_t i : idx) {
      Entry* e = s.FindForRead(ctx.db, ctx.args[i], KeyHash(ctx.args[i]), ctx.now_ms);
      wrongtype |= e && e->type != ObjType::kString;
      r.emplace_back(i, e && !wrongtype ? std::optional<std::string>(e->value()) : std::nullopt);
    }
    return std::make_pair(wrongtype, std::move(r));
  });
  co_await tx.Unlock();
  std::string values[3];
  for (auto& [wrongtype, r] : parts) {
    if (wrongtype) {
      ctx.rb->Error(kErrLcsType);
      co_return;
    }
    for (auto& [i, v] : r)
      if (v) values[i] = std::move(*v);
  }
  ReplyLcs(ctx, values[1], values[2]);
}
}  // namespace

void RegisterStringFamily(CommandRegistry& r) {
  using namespace cmd;
  const uint32_t W = kWrite | kDenyOom;
  r.Add({"get", 2, kReadOnly | kFast, 1, 1, 1, CmdGet, nullptr, "string",
         "Returns the string value of a key.", "1.0.0"});
  r.Add(
      {"set", -3, W, 1, 1, 1, CmdSet, nullptr, "string",
       "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
       "1.0.0"});
  r.Add({"setnx", 3, W | kFast, 1, 1, 1, CmdSetNx, nullptr, "string",
         "Set the string value of a key only when the key doesn't exist.", "1.0.0"});
  r.Add({"setex", 4, W, 1, 1, 1, CmdSetEx, nullptr, "string",
         "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.",
         "2.0.0"});
  r.Add({"psetex", 4, W, 1, 1, 1, CmdPSetEx, nullptr, "string",
         "Sets both string value and expiration time in milliseconds of a key. The key is created "
         "if it doesn't exist.",
         "2.6.0"});
  r.Add({"getset", 3, W | kFast, 1, 1, 1, CmdGetSet, nullptr, "string",
         "Returns the previous string value of a key after setting it to a new value.", "1.0.0"});
  r.Add({"getex", -2, kWrite | kFast, 1, 1, 1, CmdGetEx, nullptr, "string",
         "Returns the string value of a key after setting its expiration time.", "6.2.0"});
  r.Add({"getdel", 2, kWrite | kFast, 1, 1, 1, CmdGetDel, nullptr, "string",
         "Returns the string value of a key after deleting the key.", "6.2.0"});
  r.Add({"strlen", 2, kReadOnly | kFast, 1, 1, 1, CmdStrLen, nullptr, "string",
         "Returns the length of a string value.", "2.2.0"});
  r.Add({"incr", 2, W | kFast, 1, 1, 1, CmdIncr, nullptr, "string",
         "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't "
         "exist.",
         "1.0.0"});
  r.Add({"decr", 2, W | kFast, 1, 1, 1, CmdDecr, nullptr, "string",
         "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't "
         "exist.",
         "1.0.0"});
  r.Add({"incrby", 3, W | kFast, 1, 1, 1, CmdIncrBy, nullptr, "string",
         "Increments the integer value of a key by a number. Uses 0 as initial value if the key "
         "doesn't exist.",
         "1.0.0"});
  r.Add({"decrby", 3, W | kFast, 1, 1, 1, CmdDecrBy, nullptr, "string",
         "Decrements a number from the integer value of a key. Uses 0 as initial value if the key "
         "doesn't exist.",
         "1.0.0"});
  r.Add({"incrbyfloat", 3, W | kFast, 1, 1, 1, CmdIncrByFloat, nullptr, "string",
         "Increment the floating point value of a key by a number. Uses 0 as initial value if the "
         "key doesn't exist.",
         "2.6.0"});
  r.Add({"append", 3, W | kFast, 1, 1, 1, CmdAppend, nullptr, "string",
         "Appends a string to the value of a key. Creates the key if it doesn't exist.", "2.0.0"});
  r.Add({"setrange", 4, W, 1, 1, 1, CmdSetRange, nullptr, "string",
         "Overwrites a part of a string value with another by an offset. Creates the key if it "
         "doesn't exist.",
         "2.2.0"});
  r.Add({"getrange", 4, kReadOnly, 1, 1, 1, CmdGetRange, nullptr, "string",
         "Returns a substring of the string stored at a key.", "2.4.0"});
  r.Add({"mget", -2, kReadOnly | kFast, 1, -1, 1, CmdMGet, MultiMGet, "string",
         "Atomically returns the string values of one or more keys.", "1.0.0"});
  r.Add({"mset", -3, W, 1, -1, 2, CmdMSet, MultiMSet, "string",
         "Atomically creates or modifies the string values of one or more keys.", "1.0.1"});
  r.Add(
      {"msetnx", -3, W, 1, -1, 2, CmdMSetNx, MultiMSetNx, "string",
       "Atomically modifies the string values of one or more keys only when all keys don't exist.",
       "1.0.1"});
  r.Add({"lcs", -3, kReadOnly, 1, 2, 1, CmdLcs, MultiLcs, "string", "Find longest common substring",
         "7.0.0", "O(N*M) where N and M are the lengths of s1 and s2, respectively"});
}

}  // namespace strata::kv
