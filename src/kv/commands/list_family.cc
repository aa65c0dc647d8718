// List commands: pushes, pops, ranges and moves, on types/list.h.
// Handlers run on the shard that owns their key(s); LMOVE/RPOPLPUSH with keys on two shards and
// LMPOP (whose keys follow a count, so it always runs as a coordinator) are at the end.
#include <algorithm>
#include <climits>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/memory.h"
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"
#include "kv/server/blocking.h"
#include "kv/server/config.h"
#include "kv/tx/multi_key.h"
#include "kv/types/list.h"

namespace strata::kv {
namespace {

using End = ListObject::End;

int Fill() { return GlobalConfig().list_max_listpack_size.load(std::memory_order_relaxed); }
int Depth() { return GlobalConfig().list_compress_depth.load(std::memory_order_relaxed); }

void ReplyElem(resp::ReplyBuilder* rb, const ListElem& e) {
  char buf[24];
  rb->Bulk(e.View(buf));
}

// Redis's getPositiveLongFromObjectOrReply.
bool ArgNonNegative(CmdContext& ctx, size_t i, int64_t* out, const char* err) {
  if (!ParseInt64(ctx.args[i], out) || *out < 0) {
    ctx.rb->Error(err);
    return false;
  }
  return true;
}

bool ParseEnd(CmdContext& ctx, std::string_view arg, End* out) {
  if (ArgIs(arg, "left")) {
    *out = ListObject::kHead;
  } else if (ArgIs(arg, "right")) {
    *out = ListObject::kTail;
  } else {
    ctx.rb->Error(kErrSyntax);
    return false;
  }
  return true;
}

// The events of a push and of a pop at `end`, as Redis names them.
const char* PushEvent(End end) { return end == ListObject::kHead ? "lpush" : "rpush"; }
const char* PopEvent(End end) { return end == ListObject::kHead ? "lpop" : "rpop"; }

void WrongArity(CmdContext& ctx) {
  ctx.rb->Error(std::string("ERR wrong number of arguments for '") + ctx.spec->name + "' command");
}

// ---- Pushes ----

void PushGeneric(CmdContext& ctx, End end, bool only_existing) {
  std::string_view key = ctx.args[1];
  bool failed;
  ListObject* l = WriteObject<ListObject>(ctx, key, &failed);
  if (failed) return;
  if (!l) {
    if (only_existing) return ctx.rb->Integer(0);
    l = AddObject(*ctx.shard, ctx.db, key, std::make_unique<ListObject>(), ctx.now_ms);
  }
  int fill = Fill(), depth = Depth();
  for (size_t i = 2; i < ctx.args.size(); i++) l->Push(end, ctx.args[i], fill, depth);
  Notify(ctx, notify::kList, PushEvent(end), key);
  ctx.rb->Integer(int64_t(l->Length()));
  ctx.shard->SignalKeyReady(ctx.db, key);
}

void CmdLPush(CmdContext& ctx) { PushGeneric(ctx, ListObject::kHead, false); }
void CmdRPush(CmdContext& ctx) { PushGeneric(ctx, ListObject::kTail, false); }
void CmdLPushX(CmdContext& ctx) { PushGeneric(ctx, ListObject::kHead, true); }
void CmdRPushX(CmdContext& ctx) { PushGeneric(ctx, ListObject::kTail, true); }

// ---- Pops ----

// Replies up to n elements popped from `end` as an array, deleting the key if it empties.
void PopRangeReply(CmdContext& ctx, std::string_view key, ListObject* l, End end, size_t n) {
  if (n > l->Length()) n = l->Length();
  ctx.rb->ArrayHeader(n);
  l->PopMany(end, n, Depth(), [&](const ListElem& e) { ReplyElem(ctx.rb, e); });
  NotifyAndDeleteIfEmpty(ctx, notify::kList, PopEvent(end), key, l);
}

void PopGeneric(CmdContext& ctx, End end) {
  if (ctx.args.size() > 3) return WrongArity(ctx);
  bool has_count = ctx.args.size() == 3;
  int64_t count = 0;
  if (has_count && !ArgNonNegative(ctx, 2, &count, "ERR value is out of range, must be positive"))
    return;
  std::string_view key = ctx.args[1];
  bool failed;
  ListObject* l = WriteObject<ListObject>(ctx, key, &failed);
  if (failed) return;
  if (!l) return has_count ? ctx.rb->NullArray() : ctx.rb->Null();
  if (has_count && count == 0) return ctx.rb->ArrayHeader(0);
  if (!has_count) {
    std::string v;
    l->Pop(end, &v, Depth());
    ctx.rb->Bulk(v);
    NotifyAndDeleteIfEmpty(ctx, notify::kList, PopEvent(end), key, l);
    return;
  }
  PopRangeReply(ctx, key, l, end, size_t(count));
}

void CmdLPop(CmdContext& ctx) { PopGeneric(ctx, ListObject::kHead); }
void CmdRPop(CmdContext& ctx) { PopGeneric(ctx, ListObject::kTail); }

// ---- Reads ----

void CmdLLen(CmdContext& ctx) {
  bool failed;
  ListObject* l = ReadObject<ListObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  ctx.rb->Integer(l ? int64_t(l->Length()) : 0);
}

void CmdLIndex(CmdContext& ctx) {
  bool failed;
  ListObject* l = ReadObject<ListObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (!l) return ctx.rb->Null();
  int64_t idx;
  if (!ArgInt(ctx, 2, &idx)) return;
  ListElem e;
  std::string text;
  if (!l->Index(idx, &e, &text)) return ctx.rb->Null();
  ReplyElem(ctx.rb, e);
}

// Clamps [start, end] (negative from the tail) to the list; false if the range is empty.
bool NormalizeRange(int64_t len, int64_t* start, int64_t* end) {
  if (*start < 0) *start += len;
  if (*end < 0) *end += len;
  if (*start < 0) *start = 0;
  if (*start > *end || *start >= len) return false;
  if (*end >= len) *end = len - 1;
  return true;
}

void CmdLRange(CmdContext& ctx) {
  int64_t start, end;
  if (!ArgInt(ctx, 2, &start) || !ArgInt(ctx, 3, &end)) return;
  bool failed;
  ListObject* l = ReadObject<ListObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (!l || !NormalizeRange(int64_t(l->Length()), &start, &end)) return ctx.rb->ArrayHeader(0);
  size_t n = size_t(end - start + 1);
  ctx.rb->ArrayHeader(n);
  l->ForRange(size_t(start), n, false, [&](const ListElem& e) { ReplyElem(ctx.rb, e); });
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
void CmdLPos(CmdContext& ctx) {
  int64_t rank = 1, count = -1, maxlen = 0;
  for (size_t i = 3; i < ctx.args.size(); i++) {
    std::string_view opt = ctx.args[i];
    bool more = i + 1 < ctx.args.size();
    if (ArgIs(opt, "rank") && more) {
      if (!ArgInt(ctx, ++i, &rank)) return;
      if (rank == 0)
        return ctx.rb->Error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list");
    } else if (ArgIs(opt, "count") && more) {
      if (!ArgNonNegative(ctx, ++i, &count, "ERR COUNT can't be negative")) return;
    } else if (ArgIs(opt, "maxlen") && more) {
      if (!ArgNonNegative(ctx, ++i, &maxlen, "ERR MAXLEN can't be negative")) return;
    } else {
      return ctx.rb->Error(kErrSyntax);
    }
  }
  bool reverse = false;
  // As Redis, a negative rank searches from the tail; the most negative one stays negative
  // after the sign change and then matches from the first hit on.
  if (rank < 0) {
    rank = int64_t(uint64_t(0) - uint64_t(rank));
    reverse = true;
  }
  bool failed;
  ListObject* l = ReadObject<ListObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (!l) return count != -1 ? ctx.rb->ArrayHeader(0) : ctx.rb->Null();
  ListNeedle needle(ctx.args[2]);
  int64_t len = int64_t(l->Length());
  std::vector<int64_t> found;
  int64_t index = 0, matches = 0, match_index = -1;
  ListObject::Iter it(*l, reverse ? size_t(len - 1) : 0, reverse);
  ListElem e;
  while ((maxlen == 0 || index < maxlen) && it.Next(&e)) {
    if (needle.Matches(e)) {
      matches++;
      match_index = reverse ? len - index - 1 : index;
      if (matches >= rank) {
        if (count == -1) break;
        found.push_back(match_index);
        // matches - rank + 1 wraps as in Redis for the most negative rank.
        if (count && int64_t(uint64_t(matches) - uint64_t(rank) + 1) >= count) break;
      }
    }
    index++;
    match_index = -1;
  }
  if (count != -1) {
    ctx.rb->ArrayHeader(found.size());
    for (int64_t i : found) ctx.rb->Integer(i);
  } else if (match_index != -1) {
    ctx.rb->Integer(match_index);
  } else {
    ctx.rb->Null();
  }
}

// ---- Writes in place ----

void CmdLSet(CmdContext& ctx) {
  bool failed;
  ListObject* l = WriteObject<ListObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (!l) return ctx.rb->Error(kErrNoSuchKey);
  int64_t idx;
  if (!ArgInt(ctx, 2, &idx)) return;
  if (!l->Set(idx, ctx.args[3], Fill(), Depth())) return ctx.rb->Error("ERR index out of range");
  Notify(ctx, notify::kList, "lset", ctx.args[1]);
  ctx.rb->Ok();
}

// LINSERT key BEFORE|AFTER pivot element
void CmdLInsert(CmdContext& ctx) {
  bool after;
  if (ArgIs(ctx.args[2], "after"))
    after = true;
  else if (ArgIs(ctx.args[2], "before"))
    after = false;
  else
    return ctx.rb->Error(kErrSyntax);
  bool failed;
  ListObject* l = WriteObject<ListObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (!l) return ctx.rb->Integer(0);
  if (!l->Insert(ctx.args[3], after, ctx.args[4], Fill(), Depth())) return ctx.rb->Integer(-1);
  Notify(ctx, notify::kList, "linsert", ctx.args[1]);
  ctx.rb->Integer(int64_t(l->Length()));
}

void CmdLRem(CmdContext& ctx) {
  int64_t count;
  if (!ArgInt(ctx, 2, &count)) return;
  bool failed;
  ListObject* l = WriteObject<ListObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (!l) return ctx.rb->Integer(0);
  size_t removed = l->Remove(count, ctx.args[3], Depth());
  if (removed) Notify(ctx, notify::kList, "lrem", ctx.args[1]);
  if (DeleteIfEmpty(ctx, ctx.args[1])) Notify(ctx, notify::kGeneric, "del", ctx.args[1]);
  ctx.rb->Integer(int64_t(removed));
}

void CmdLTrim(CmdContext& ctx) {
  int64_t start, end;
  if (!ArgInt(ctx, 2, &start) || !ArgInt(ctx, 3, &end)) return;
  bool failed;
  ListObject* l = WriteObject<ListObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (!l) return ctx.rb->Ok();
  if (NormalizeRange(int64_t(l->Length()), &start, &end))
    l->Keep(size_t(start), size_t(end - start + 1), Depth());
  else
    l->Keep(0, 0, Depth());
  NotifyAndDeleteIfEmpty(ctx, notify::kList, "ltrim", ctx.args[1], l);
  ctx.rb->Ok();
}

// ---- LMOVE / RPOPLPUSH on one shard ----

void MoveGeneric(CmdContext& ctx, End from, End to) {
  std::string_view src = ctx.args[1], dst = ctx.args[2];
  bool failed;
  ListObject* s = WriteObject<ListObject>(ctx, src, &failed);
  if (failed) return;
  if (!s) return ctx.rb->Null();
  ListObject* d = WriteObject<ListObject>(ctx, dst, &failed);
  if (failed) return;
  std::string v;
  s->Pop(from, &v, Depth());
  // With src == dst the same list takes the element back, so it never empties.
  if (!d) d = AddObject(*ctx.shard, ctx.db, dst, std::make_unique<ListObject>(), ctx.now_ms);
  d->Push(to, v, Fill(), Depth());
  Notify(ctx, notify::kList, PushEvent(to), dst);
  ctx.shard->SignalKeyReady(ctx.db, dst);
  ctx.rb->Bulk(v);
  NotifyAndDeleteIfEmpty(ctx, notify::kList, PopEvent(from), src, s);
}

void CmdLMove(CmdContext& ctx) {
  End from, to;
  if (!ParseEnd(ctx, ctx.args[3], &from) || !ParseEnd(ctx, ctx.args[4], &to)) return;
  MoveGeneric(ctx, from, to);
}

void CmdRPopLPush(CmdContext& ctx) { MoveGeneric(ctx, ListObject::kTail, ListObject::kHead); }

// ---- Cross-shard coordinators ----

// An element copied on one shard and carried to another: its bytes count for the copying
// shard's ledger until the thread that frees them takes them over (Carry::Release).
struct Carry {
  std::string value;
  MemoryLedger* ledger = nullptr;
  int64_t bytes = 0;

  // Copies the element at `from` (the list is not empty).
  void Copy(const ListObject* l, End from) {
    ListElem e;
    std::string text;
    l->Index(from == ListObject::kHead ? 0 : -1, &e, &text);
    value = e.ToString();
    ledger = CurrentMemoryLedger();
    bytes = value.capacity() > 15 ? int64_t(AllocationSize(value.capacity() + 1)) : 0;
  }
  // Called on the thread that is about to free the value.
  void Release() {
    if (ledger && ledger != CurrentMemoryLedger() && bytes) {
      CreditMemoryLedger(ledger, -bytes);
      CreditMemoryLedger(CurrentMemoryLedger(), bytes);
    }
    ledger = nullptr;
    value = std::string();
  }
};

enum class Probe { kMissing, kWrongType, kList };

// Pushes the carried element on the list at `key` (created if absent), on its shard, unless the
// key holds another type. Returns what it found there.
Probe PushCarried(Shard& s, int db, std::string_view key, const Carry& carry, End to,
                  int64_t now_ms) {
  Typed<ListObject> t = FindObject<ListObject>(s, db, key, now_ms, Access::kWrite);
  if (t.wrongtype) return Probe::kWrongType;
  ListObject* d = t.obj;
  if (!d) d = AddObject(s, db, key, std::make_unique<ListObject>(), now_ms);
  // The element is copied into the destination's own nodes on its shard.
  d->Push(to, carry.value, Fill(), Depth());
  Notify(db, notify::kList, PushEvent(to), key);
  s.SignalKeyReady(db, key);
  return t.obj ? Probe::kList : Probe::kMissing;
}

// Pops the element at `from` that PushCarried copied, deleting the list if it empties.
void PopCarried(Shard& s, int db, std::string_view key, End from, int64_t now_ms) {
  Typed<ListObject> t = FindObject<ListObject>(s, db, key, now_ms, Access::kWrite);
  std::string v;
  t.obj->Pop(from, &v, Depth());
  NotifyAndDeleteIfEmpty(s, db, notify::kList, PopEvent(from), key, now_ms, t.obj);
}

// Moves one element from args[1] to args[2] atomically, wherever they live. With
// null_if_empty false an empty source writes no reply (the blocking forms wait instead).
// Returns false when the source was empty.
//
// As in Redis, the element is pushed on the destination before it is popped from the source, so
// the events come in Redis's order (and a list moved onto itself rotates): the source's end is
// copied first, and under the keys' locks nothing changes it before the pop.
Task<bool> MoveAcross(CmdContext& ctx, End from, End to, bool null_if_empty = true) {
  MultiKeyTx tx(ctx, {1, 2});
  co_await tx.Lock();
  uint32_t src_shard = Shards().ShardOf(KeyHash(ctx.args[1]));
  uint32_t dst_shard = Shards().ShardOf(KeyHash(ctx.args[2]));
  Probe src = Probe::kMissing, dst = Probe::kMissing;
  Carry carry;
  co_await Shards().Hop(src_shard, [&ctx, &src, &carry, from](Shard& s) {
    Typed<ListObject> t =
        FindObject<ListObject>(s, ctx.db, ctx.args[1], ctx.now_ms, Access::kWrite);
    src = t.wrongtype ? Probe::kWrongType : t.obj ? Probe::kList : Probe::kMissing;
    if (t.obj) carry.Copy(t.obj, from);
  });
  if (src == Probe::kList) {
    co_await Shards().Hop(dst_shard, [&ctx, &dst, &carry, to](Shard& s) {
      dst = PushCarried(s, ctx.db, ctx.args[2], carry, to, ctx.now_ms);
    });
  }
  bool moved = src == Probe::kList && dst != Probe::kWrongType;
  if (moved) {
    co_await Shards().Hop(src_shard, [&ctx, from](Shard& s) {
      PopCarried(s, ctx.db, ctx.args[1], from, ctx.now_ms);
    });
  }
  co_await tx.Unlock();
  bool empty = src == Probe::kMissing;
  if (src == Probe::kWrongType || dst == Probe::kWrongType)
    ctx.rb->Error(kErrWrongType);
  else if (!moved && (null_if_empty || !empty))
    ctx.rb->Null();
  else if (moved)
    ctx.rb->Bulk(carry.value);
  carry.Release();
  co_return !empty;
}

Task<void> MultiLMove(CmdContext& ctx) {
  End from, to;
  if (!ParseEnd(ctx, ctx.args[3], &from) || !ParseEnd(ctx, ctx.args[4], &to)) co_return;
  co_await MoveAcross(ctx, from, to);
}

Task<void> MultiRPopLPush(CmdContext& ctx) {
  co_await MoveAcross(ctx, ListObject::kTail, ListObject::kHead);
}

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: the first non-empty list in argument
// order gives up to count elements. Its keys follow numkeys, so the dispatcher treats it as
// keyless and this coordinator locks them itself.
struct LMPopArgs {
  End end = ListObject::kHead;
  int64_t count = 1;
  std::vector<size_t> keys;
};

// numkeys key [key ...] LEFT|RIGHT [COUNT count], numkeys at args[at]; replies the error.
bool ParseLMPop(CmdContext& ctx, size_t at, LMPopArgs* out) {
  int64_t numkeys;
  if (!ParseInt64(ctx.args[at], &numkeys) || numkeys < 1) {
    ctx.rb->Error("ERR numkeys should be greater than 0");
    return false;
  }
  if (numkeys >= int64_t(ctx.args.size() - at) - 1) {
    ctx.rb->Error(kErrSyntax);
    return false;
  }
  size_t where_idx = size_t(numkeys) + at + 1;
  if (!ParseEnd(ctx, ctx.args[where_idx], &out->end)) return false;
  int64_t count = -1;
  for (size_t i = where_idx + 1; i < ctx.args.size(); i++) {
    if (count == -1 && ArgIs(ctx.args[i], "count") && i + 1 < ctx.args.size()) {
      if (!ParseInt64(ctx.args[++i], &count) || count < 1) {
        ctx.rb->Error("ERR count should be greater than 0");
        return false;
      }
    } else {
      ctx.rb->Error(kErrSyntax);
      return false;
    }
  }
  out->count = count == -1 ? 1 : count;
  for (size_t i = at + 1; i < where_idx; i++) out->keys.push_back(i);
  return true;
}

Task<void> MultiLMPop(CmdContext& ctx) {
  LMPopArgs p;
  if (!ParseLMPop(ctx, 1, &p)) co_return;
  End end = p.end;
  int64_t count = p.count;
  std::vector<size_t> keys = p.keys;
  MultiKeyTx tx(ctx, keys);
  co_await tx.Lock();
  bool wrongtype = false;
  size_t popped_key = 0;
  std::vector<std::string> values;
  for (size_t i : keys) {
    co_await Shards().Hop(Shards().ShardOf(KeyHash(ctx.args[i])), [&, i](Shard& s) {
      Typed<ListObject> t =
          FindObject<ListObject>(s, ctx.db, ctx.args[i], ctx.now_ms, Access::kWrite);
      if (t.wrongtype) {
        wrongtype = true;
        return;
      }
      if (!t.obj || t.obj->Length() == 0) return;
      popped_key = i;
      t.obj->PopMany(end, size_t(count), Depth(),
                     [&values](const ListElem& e) { values.push_back(e.ToString()); });
      NotifyAndDeleteIfEmpty(s, ctx.db, notify::kList, PopEvent(end), ctx.args[i], ctx.now_ms,
                             t.obj);
    });
    if (wrongtype || popped_key) break;
  }
  co_await tx.Unlock();
  if (wrongtype) {
    ctx.rb->Error(kErrWrongType);
  } else if (!popped_key) {
    ctx.rb->NullArray();
  } else {
    ctx.rb->ArrayHeader(2);
    ctx.rb->Bulk(ctx.args[popped_key]);
    ctx.rb->ArrayHeader(values.size());
    for (const auto& v : values) ctx.rb->Bulk(v);
  }
}

// ---- Blocking forms: BLPOP, BRPOP, BLMPOP, BLMOVE, BRPOPLPUSH ----

Entry* FindEntry(Shard& s, const BlockedClient& c, size_t ki) {
  Entry** link = s.FindLink(c.db, c.args[ki], KeyHash(c.args[ki]), LoopUnixMillis());
  return link ? *link : nullptr;
}

bool ListReady(Shard& s, BlockedClient& c, size_t ki) {
  Entry* e = FindEntry(s, c, ki);
  return e && e->type == ObjType::kList && e->object()->Length() > 0;
}

bool ListWrongType(Shard& s, BlockedClient& c, size_t ki) {
  Entry* e = FindEntry(s, c, ki);
  return e && e->type != ObjType::kList;
}

ListObject* ServedList(Shard& s, BlockedClient& c, size_t ki) {
  return FindObject<ListObject>(s, c.db, c.args[ki], LoopUnixMillis(), Access::kWrite).obj;
}

void BPopServe(Shard& s, BlockedClient& c, size_t ki, resp::ReplyBuilder& rb) {
  ListObject* l = ServedList(s, c, ki);
  std::string v;
  End end = ArgIs(c.args[0], "blpop") ? ListObject::kHead : ListObject::kTail;
  l->Pop(end, &v, Depth());
  rb.ArrayHeader(2);
  rb.Bulk(c.args[ki]);
  rb.Bulk(v);
  NotifyAndDeleteIfEmpty(s, c.db, notify::kList, PopEvent(end), c.args[ki], LoopUnixMillis(), l);
}

void BLMPopServe(Shard& s, BlockedClient& c, size_t ki, resp::ReplyBuilder& rb) {
  std::string scratch;  // the arguments were validated before blocking
  resp::ReplyBuilder err_rb(&scratch, 2);
  CmdContext pctx;
  pctx.args = c.args;
  pctx.rb = &err_rb;
  LMPopArgs p;
  ParseLMPop(pctx, 2, &p);
  ListObject* l = ServedList(s, c, ki);
  size_t n = std::min(size_t(p.count), l->Length());
  rb.ArrayHeader(2);
  rb.Bulk(c.args[ki]);
  rb.ArrayHeader(n);
  l->PopMany(p.end, n, Depth(), [&rb](const ListElem& e) { ReplyElem(&rb, e); });
  NotifyAndDeleteIfEmpty(s, c.db, notify::kList, PopEvent(p.end), c.args[ki], LoopUnixMillis(), l);
}

// BLMOVE src dst LEFT|RIGHT LEFT|RIGHT timeout / BRPOPLPUSH src dst timeout.
void MoveEnds(const BlockedClient& c, End* from, End* to) {
  *from = ListObject::kTail;
  *to = ListObject::kHead;
  if (ArgIs(c.args[0], "blmove")) {
    *from = ArgIs(c.args[3], "left") ? ListObject::kHead : ListObject::kTail;
    *to = ArgIs(c.args[4], "left") ? ListObject::kHead : ListObject::kTail;
  }
}

bool SameShard(std::string_view a, std::string_view b) {
  return Shards().ShardOf(KeyHash(a)) == Shards().ShardOf(KeyHash(b));
}

// Serves a blocked move. With both lists on this shard the element moves here and now.
// Otherwise the source key is reserved: locked on its shard (as a cross-shard transaction locks
// it) with the element still in it, so no other client can take or see it change; the blocked
// command then locks the destination and moves the element as LMOVE would (MoveReserved).
bool MoveReady(Shard& s, BlockedClient& c, size_t ki) {
  if (!ListReady(s, c, ki)) return false;
  if (!SameShard(c.args[1], c.args[2])) return true;
  Entry* d = FindEntry(s, c, 2);  // a destination of another type: wait, as Redis does
  return !d || d->type == ObjType::kList;
}

void MoveServe(Shard& s, BlockedClient& c, size_t ki, resp::ReplyBuilder& rb) {
  c.state.assign(2, std::string());
  if (!SameShard(c.args[1], c.args[2])) {
    // No transaction holds the key (the blocking table serves none that is held); a transaction
    // queued for it waits behind this client, who was served first.
    std::vector<std::string> key{LockTable::Encode(c.db, c.args[1])};
    s.locks().Take(key);
    c.state[1] = "reserved";
    return;
  }
  End from, to;
  MoveEnds(c, &from, &to);
  ListObject* l = ServedList(s, c, ki);
  std::string v;
  l->Pop(from, &v, Depth());
  rb.Bulk(v);
  // As LMOVE: the push, then the pop (with src == dst the same list takes the element back).
  ListObject* d = ServedList(s, c, 2);
  if (!d) d = AddObject(s, c.db, c.args[2], std::make_unique<ListObject>(), LoopUnixMillis());
  d->Push(to, v, Fill(), Depth());
  Notify(c.db, notify::kList, PushEvent(to), c.args[2]);
  s.SignalKeyReady(c.db, c.args[2]);
  NotifyAndDeleteIfEmpty(s, c.db, notify::kList, PopEvent(from), c.args[1], LoopUnixMillis(), l);
  c.state[1] = "pushed";
}

// Releases a lock taken on shard `shard` and lets its blocked clients be served.
void ReleaseLock(uint32_t shard, std::string key) {
  Shards().Post(shard, [shard, key = std::move(key)] {
    Shard* s = Shards().shard(shard);
    std::vector<std::string> keys{key};
    s->locks().Release(keys);
    ServeBlockedClients(*s);
  });
}

// Finishes a blocked cross-shard move whose source key MoveServe reserved: locks the
// destination, moves the element from the source's head or tail to the destination, releases
// both keys and replies. Locks are taken in ascending shard order, as every transaction takes
// them; when the destination's shard comes first, the lock is only tried (taking it after the
// source could deadlock with a transaction holding it and waiting for the source). Returns false
// when the move could not be made (the destination was busy, or the source was emptied): the
// reservation is released and the command waits again.
Task<bool> MoveReserved(CmdContext& ctx, End from, End to) {
  uint32_t src_shard = Shards().ShardOf(KeyHash(ctx.args[1]));
  uint32_t dst_shard = Shards().ShardOf(KeyHash(ctx.args[2]));
  std::string src_lock = LockTable::Encode(ctx.db, ctx.args[1]);
  std::string dst_lock = LockTable::Encode(ctx.db, ctx.args[2]);
  bool locked = false;
  Probe dst = Probe::kMissing;
  std::string* dl = &dst_lock;
  bool* lk = &locked;
  if (dst_shard > src_shard) {
    co_await Shards().HopDeferred(dst_shard, [dl, lk](Shard& s, auto done) {
      std::vector<std::string> keys{*dl};
      *lk = true;
      s.locks().Acquire(std::move(keys), done);
    });
  } else {
    co_await Shards().Hop(dst_shard, [dl, lk](Shard& s) {
      if (s.locks().IsBlocked(*dl)) return;
      std::vector<std::string> keys{*dl};
      s.locks().Take(keys);
      *lk = true;
    });
  }
  // As MoveAcross: copy the source's end, push it on the destination, then pop it.
  Carry carry;
  bool have = false, moved = false;
  if (locked) {
    co_await Shards().Hop(src_shard, [&ctx, &carry, &have, from](Shard& s) {
      Typed<ListObject> t =
          FindObject<ListObject>(s, ctx.db, ctx.args[1], LoopUnixMillis(), Access::kWrite);
      if (!t.obj) return;
      carry.Copy(t.obj, from);
      have = true;
    });
  }
  if (have) {
    co_await Shards().Hop(dst_shard, [&ctx, &carry, &dst, to](Shard& s) {
      dst = PushCarried(s, ctx.db, ctx.args[2], carry, to, LoopUnixMillis());
      if (dst != Probe::kWrongType) s.KeyModified(ctx.db, ctx.args[2]);
    });
    moved = dst != Probe::kWrongType;
  }
  if (moved) {
    co_await Shards().Hop(src_shard, [&ctx, from](Shard& s) {
      s.KeyModified(ctx.db, ctx.args[1]);
      PopCarried(s, ctx.db, ctx.args[1], from, LoopUnixMillis());
    });
  }
  if (locked) ReleaseLock(dst_shard, dst_lock);
  ReleaseLock(src_shard, src_lock);
  if (locked && dst == Probe::kWrongType) {
    carry.Release();
    ctx.rb->Error(kErrWrongType);
    co_return true;
  }
  if (!moved) co_return false;
  ctx.rb->Bulk(carry.value);
  carry.Release();
  co_return true;
}

const BlockingOps kBPopOps{ListReady, BPopServe, ListWrongType};
const BlockingOps kBLMPopOps{ListReady, BLMPopServe, ListWrongType};
const BlockingOps kMoveOps{MoveReady, MoveServe, ListWrongType, /*also_writes=*/2};

Task<void> MultiBPop(CmdContext& ctx) {
  int64_t timeout;
  if (!ParseBlockingTimeout(ctx, ctx.args.back(), &timeout)) co_return;
  std::vector<size_t> keys;
  for (size_t i = 1; i + 1 < ctx.args.size(); i++) keys.push_back(i);
  auto o = co_await BlockingCall(ctx, keys, timeout, &kBPopOps);
  if (o == BlockedClient::Outcome::kTimeout) ctx.rb->NullArray();
}

Task<void> MultiBLMPop(CmdContext& ctx) {
  int64_t timeout;
  if (!ParseBlockingTimeout(ctx, ctx.args[1], &timeout)) co_return;
  LMPopArgs p;
  if (!ParseLMPop(ctx, 2, &p)) co_return;
  auto o = co_await BlockingCall(ctx, p.keys, timeout, &kBLMPopOps);
  if (o == BlockedClient::Outcome::kTimeout) ctx.rb->NullArray();
}

Task<void> MultiBMove(CmdContext& ctx) {
  bool blmove = ArgIs(ctx.args[0], "blmove");
  End from = ListObject::kTail, to = ListObject::kHead;
  if (blmove && (!ParseEnd(ctx, ctx.args[3], &from) || !ParseEnd(ctx, ctx.args[4], &to))) co_return;
  int64_t timeout;
  if (!ParseBlockingTimeout(ctx, ctx.args.back(), &timeout)) co_return;
  int64_t deadline = timeout ? LoopUnixMillis() + timeout : 0;
  std::vector<size_t> src_key{1};
  for (;;) {
    // With something to take, it is LMOVE (atomic across shards).
    if (co_await MoveAcross(ctx, from, to, /*null_if_empty=*/false)) co_return;
    int64_t left = 0;
    if (deadline) {
      left = deadline - LoopUnixMillis();
      if (left <= 0) {
        ctx.rb->NullArray();
        co_return;
      }
    }
    std::vector<std::string> state;
    std::vector<std::string> no_state;
    auto o = co_await BlockingCall(ctx, src_key, left, &kMoveOps, no_state, &state);
    if (o == BlockedClient::Outcome::kTimeout) ctx.rb->NullArray();
    if (o != BlockedClient::Outcome::kServed || state.size() != 2 || state[1] != "reserved")
      co_return;
    if (co_await MoveReserved(ctx, from, to)) co_return;
  }
}

}  // namespace

void RegisterListFamily(CommandRegistry& r) {
  using namespace cmd;
  const uint32_t W = kWrite | kDenyOom;
  r.Add({"blpop", -3, cmd::kNoScript | kWrite | kBlocking, 1, -2, 1, nullptr, MultiBPop, "list",
         "Removes and returns the first element in a list. Blocks until an element is available "
         "otherwise. Deletes the list if the last element was popped.",
         "2.0.0", "O(N) where N is the number of provided keys."});
  r.Add({"brpop", -3, cmd::kNoScript | kWrite | kBlocking, 1, -2, 1, nullptr, MultiBPop, "list",
         "Removes and returns the last element in a list. Blocks until an element is available "
         "otherwise. Deletes the list if the last element was popped.",
         "2.0.0", "O(N) where N is the number of provided keys."});
  r.Add({"blmpop", -5, kWrite | kBlocking, 0, 0, 0, nullptr, MultiBLMPop, "list",
         "Pops the first element from one of multiple lists. Blocks until an element is "
         "available otherwise. Deletes the list if the last element was popped.",
         "7.0.0",
         "O(N+M) where N is the number of provided keys and M is the number of elements "
         "returned."});
  r.Add({"blmove", 6, cmd::kNoScript | W | kBlocking, 1, 2, 1, nullptr, MultiBMove, "list",
         "Pops an element from a list, pushes it to another list and returns it. Blocks until "
         "an element is available otherwise. Deletes the list if the last element was moved.",
         "6.2.0", "O(1)"});
  r.Add({"brpoplpush", 4, cmd::kNoScript | W | kBlocking, 1, 2, 1, nullptr, MultiBMove, "list",
         "Pops an element from a list, pushes it to another list and returns it. Block until an "
         "element is available otherwise. Deletes the list if the last element was popped.",
         "2.2.0", "O(1)"});
  r.Add({"lpush", -3, W | kFast, 1, 1, 1, CmdLPush, nullptr, "list",
         "Prepends one or more elements to a list. Creates the key if it doesn't exist.", "1.0.0",
         "O(1) for each element added, so O(N) to add N elements when the command is called with "
         "multiple arguments."});
  r.Add({"rpush", -3, W | kFast, 1, 1, 1, CmdRPush, nullptr, "list",
         "Appends one or more elements to a list. Creates the key if it doesn't exist.", "1.0.0",
         "O(1) for each element added, so O(N) to add N elements when the command is called with "
         "multiple arguments."});
  r.Add({"lpushx", -3, W | kFast, 1, 1, 1, CmdLPushX, nullptr, "list",
         "Prepends one or more elements to a list only when the list exists.", "2.2.0",
         "O(1) for each element added, so O(N) to add N elements when the command is called with "
         "multiple arguments."});
  r.Add({"rpushx", -3, W | kFast, 1, 1, 1, CmdRPushX, nullptr, "list",
         "Appends an element to a list only when the list exists.", "2.2.0",
         "O(1) for each element added, so O(N) to add N elements when the command is called with "
         "multiple arguments."});
  r.Add({"lpop", -2, kWrite | kFast, 1, 1, 1, CmdLPop, nullptr, "list",
         "Returns the first elements in a list after removing it. Deletes the list if the last "
         "element was popped.",
         "1.0.0", "O(N) where N is the number of elements returned"});
  r.Add({"rpop", -2, kWrite | kFast, 1, 1, 1, CmdRPop, nullptr, "list",
         "Returns and removes the last elements of a list. Deletes the list if the last element "
         "was popped.",
         "1.0.0", "O(N) where N is the number of elements returned"});
  r.Add({"llen", 2, kReadOnly | kFast, 1, 1, 1, CmdLLen, nullptr, "list",
         "Returns the length of a list.", "1.0.0", "O(1)"});
  r.Add({"lindex", 3, kReadOnly, 1, 1, 1, CmdLIndex, nullptr, "list",
         "Returns an element from a list by its index.", "1.0.0",
         "O(N) where N is the number of elements to traverse to get to the element at index. This "
         "makes asking for the first or the last element of the list O(1)."});
  r.Add({"lrange", 4, kReadOnly, 1, 1, 1, CmdLRange, nullptr, "list",
         "Returns a range of elements from a list.", "1.0.0",
         "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest "
         "end (HEAD or TAIL) for large lists; and N is the number of elements in the specified "
         "range."});
  r.Add({"lpos", -3, kReadOnly, 1, 1, 1, CmdLPos, nullptr, "list",
         "Returns the index of matching elements in a list.", "6.0.6",
         "O(N) where N is the number of elements in the list, for the average case. When "
         "searching for elements near the head or the tail of the list, or when the MAXLEN option "
         "is provided, the command may run in constant time."});
  r.Add({"lset", 4, W, 1, 1, 1, CmdLSet, nullptr, "list",
         "Sets the value of an element in a list by its index.", "1.0.0",
         "O(N) where N is the length of the list. Setting either the first or the last element of "
         "the list is O(1)."});
  r.Add({"linsert", 5, W, 1, 1, 1, CmdLInsert, nullptr, "list",
         "Inserts an element before or after another element in a list.", "2.2.0",
         "O(N) where N is the number of elements to traverse before seeing the value pivot. This "
         "means that inserting somewhere on the left end on the list (head) can be considered "
         "O(1) and inserting somewhere on the right end (tail) is O(N)."});
  r.Add({"lrem", 4, kWrite, 1, 1, 1, CmdLRem, nullptr, "list",
         "Removes elements from a list. Deletes the list if the last element was removed.", "1.0.0",
         "O(N+M) where N is the length of the list and M is the number of elements removed."});
  r.Add({"ltrim", 4, kWrite, 1, 1, 1, CmdLTrim, nullptr, "list",
         "Removes elements from both ends a list. Deletes the list if all elements were trimmed.",
         "1.0.0", "O(N) where N is the number of elements to be removed by the operation."});
  r.Add({"lmove", 5, W, 1, 2, 1, CmdLMove, MultiLMove, "list",
         "Returns an element after popping it from one list and pushing it to another. Deletes "
         "the list if the last element was moved.",
         "6.2.0", "O(1)"});
  r.Add({"rpoplpush", 3, W, 1, 2, 1, CmdRPopLPush, MultiRPopLPush, "list",
         "Returns the last element of a list after removing and pushing it to another list. "
         "Deletes the list if the last element was popped.",
         "1.2.0", "O(1)"});
  r.Add({"lmpop", -4, kWrite, 0, 0, 0, nullptr, MultiLMPop, "list",
         "Returns multiple elements from a list after removing them. Deletes the list if the last "
         "element was popped.",
         "7.0.0",
         "O(N+M) where N is the number of provided keys and M is the number of elements "
         "returned."});
}

}  // namespace strata::kv
