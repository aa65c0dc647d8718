// Set commands: SADD/SREM, membership, random members and set algebra, on types/set.h.
//
// Single-shard handlers work on the sets in place. When the keys of SMOVE or of the set algebra
// commands (SINTER, SUNION, SDIFF, SINTERCARD and the *STORE forms) live on several shards, a
// coordinator locks them all, copies each source set's members out on its shard, computes on
// its own thread, and writes a stored result on the destination's shard, which allocates it.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/glob.h"
#include "base/strutil.h"
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"
#include "kv/server/config.h"
#include "kv/tx/multi_key.h"
#include "kv/types/set.h"

namespace strata::kv {
namespace {

size_t MaxIntset() {
  int64_t v = GlobalConfig().set_max_intset_entries.load(std::memory_order_relaxed);
  if (v < 0) return 0;
  return size_t(std::min<int64_t>(v, int64_t(1) << 30));
}

void ReplyMembers(resp::ReplyBuilder* rb, const SetObject* s) {
  if (!s) return rb->SetHeader(0);
  rb->SetHeader(s->Length());
  s->ForEach([rb](std::string_view m) { rb->Bulk(m); });
}

// ---- Single-key commands ----

void CmdSAdd(CmdContext& ctx) {
  bool failed;
  SetObject* s = WriteOrCreateObject<SetObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  size_t max = MaxIntset();
  int64_t added = 0;
  for (size_t i = 2; i < ctx.args.size(); i++) added += s->Add(ctx.args[i], max);
  if (added) Notify(ctx, notify::kSet, "sadd", ctx.args[1]);
  ctx.rb->Integer(added);
}

void CmdSRem(CmdContext& ctx) {
  bool failed;
  SetObject* s = WriteObject<SetObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (!s) return ctx.rb->Integer(0);
  int64_t removed = 0;
  for (size_t i = 2; i < ctx.args.size(); i++) {
    removed += s->Remove(ctx.args[i]);
    if (s->Length() == 0) break;
  }
  if (removed) NotifyAndDeleteIfEmpty(ctx, notify::kSet, "srem", ctx.args[1], s);
  ctx.rb->Integer(removed);
}

void CmdSMembers(CmdContext& ctx) {
  bool failed;
  SetObject* s = ReadObject<SetObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  ReplyMembers(ctx.rb, s);
}

void CmdSIsMember(CmdContext& ctx) {
  bool failed;
  SetObject* s = ReadObject<SetObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  ctx.rb->Integer(s && s->Contains(ctx.args[2]) ? 1 : 0);
}

void CmdSMIsMember(CmdContext& ctx) {
  bool failed;
  SetObject* s = ReadObject<SetObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  ctx.rb->ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); i++)
    ctx.rb->Integer(s && s->Contains(ctx.args[i]) ? 1 : 0);
}

void CmdSCard(CmdContext& ctx) {
  bool failed;
  SetObject* s = ReadObject<SetObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  ctx.rb->Integer(s ? int64_t(s->Length()) : 0);
}

// SPOP key [count]
void CmdSPop(CmdContext& ctx) {
  if (ctx.args.size() > 3) return ctx.rb->Error(kErrSyntax);
  bool with_count = ctx.args.size() == 3;
  int64_t count = 1;
  if (with_count && (!ParseInt64(ctx.args[2], &count) || count < 0))
    return ctx.rb->Error("ERR value is out of range, must be positive");
  bool failed;
  SetObject* s = WriteObject<SetObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (!with_count) {
    if (!s) return ctx.rb->Null();
    ctx.rb->Bulk(s->PopRandom(ctx.shard->rng()));
    NotifyAndDeleteIfEmpty(ctx, notify::kSet, "spop", ctx.args[1], s);
    return;
  }
  if (!s || count == 0) return ctx.rb->SetHeader(0);
  Notify(ctx, notify::kSet, "spop", ctx.args[1]);
  if (uint64_t(count) >= s->Length()) {
    ReplyMembers(ctx.rb, s);
    DeleteKey(*ctx.shard, ctx.db, ctx.args[1], ctx.now_ms);
    Notify(ctx, notify::kGeneric, "del", ctx.args[1]);
    return;
  }
  ctx.rb->SetHeader(size_t(count));
  for (int64_t i = 0; i < count; i++) ctx.rb->Bulk(s->PopRandom(ctx.shard->rng()));
}

// SRANDMEMBER key [count]: distinct members for a positive count, repetitions for a negative one.
void CmdSRandMember(CmdContext& ctx) {
  if (ctx.args.size() > 3) return ctx.rb->Error(kErrSyntax);
  bool with_count = ctx.args.size() == 3;
  int64_t count = 0;
  if (with_count) {
    if (!ArgInt(ctx, 2, &count)) return;
    if (count == INT64_MIN)
      return ctx.rb->Error(
          "ERR value is out of range, value must between -9223372036854775807 and "
          "9223372036854775807");
  }
  bool failed;
  SetObject* s = ReadObject<SetObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  auto& rng = ctx.shard->rng();
  if (!with_count) {
    if (!s) return ctx.rb->Null();
    return ctx.rb->Bulk(s->RandomMember(rng));
  }
  if (!s || count == 0) return ctx.rb->ArrayHeader(0);
  if (count < 0) {
    uint64_t n = uint64_t(-count);
    ctx.rb->ArrayHeader(n);
    for (uint64_t i = 0; i < n; i++) ctx.rb->Bulk(s->RandomMember(rng));
    return;
  }
  size_t size = s->Length();
  if (uint64_t(count) >= size) {
    ctx.rb->ArrayHeader(size);
    s->ForEach([&ctx](std::string_view m) { ctx.rb->Bulk(m); });
    return;
  }
  size_t n = size_t(count);
  ctx.rb->ArrayHeader(n);
  if (n * 3 > size) {
    // A large share of the set: shuffle a copy of the members partially.
    std::vector<std::string> all = s->Members();
    for (size_t i = 0; i < n; i++) {
      size_t j = i + rng() % (all.size() - i);
      std::swap(all[i], all[j]);
      ctx.rb->Bulk(all[i]);
    }
    return;
  }
  std::unordered_set<std::string> picked;
  while (picked.size() < n) {
    std::string m = s->RandomMember(rng);
    if (picked.insert(m).second) ctx.rb->Bulk(m);
  }
}

// SSCAN key cursor [MATCH pattern] [COUNT count]
void CmdSScan(CmdContext& ctx) {
  uint64_t cursor;
  if (!ParseContainerScanCursor(ctx, ctx.args[2], &cursor)) return;
  bool failed;
  SetObject* s = ReadObject<SetObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (!s) return ReplyEmptyScan(ctx.rb);
  ScanOptions opt;
  if (!ParseScanOptions(ctx, 3, &opt)) return;
  int64_t count = opt.count;
  std::string_view pattern = opt.pattern;
  bool has_pattern = opt.use_pattern;
  std::vector<std::string> out;
  uint64_t next = s->Scan(cursor, size_t(count), [&](std::string_view m) {
    if (!has_pattern || GlobMatch(pattern, m)) out.emplace_back(m);
  });
  ctx.rb->ArrayHeader(2);
  ctx.rb->Bulk(std::to_string(next));
  ctx.rb->ArrayHeader(out.size());
  for (auto& m : out) ctx.rb->Bulk(m);
}

// ---- SMOVE ----

void CmdSMove(CmdContext& ctx) {
  std::string_view src = ctx.args[1], dst = ctx.args[2], member = ctx.args[3];
  Typed<SetObject> from =
      FindObject<SetObject>(*ctx.shard, ctx.db, src, ctx.now_ms, Access::kWrite);
  Typed<SetObject> to = FindObject<SetObject>(*ctx.shard, ctx.db, dst, ctx.now_ms, Access::kWrite);
  if (!from.obj && !from.wrongtype) return ctx.rb->Integer(0);
  if (from.wrongtype || to.wrongtype) return ctx.rb->Error(kErrWrongType);
  if (from.obj == to.obj) return ctx.rb->Integer(from.obj->Contains(member) ? 1 : 0);
  if (!from.obj->Remove(member)) return ctx.rb->Integer(0);
  NotifyAndDeleteIfEmpty(ctx, notify::kSet, "srem", src, from.obj);
  SetObject* d = to.obj;
  if (!d) d = AddObject(*ctx.shard, ctx.db, dst, std::make_unique<SetObject>(), ctx.now_ms);
  if (d->Add(member, MaxIntset())) Notify(ctx, notify::kSet, "sadd", dst);
  ctx.rb->Integer(1);
}

// ---- Set algebra ----

enum class SetOp { kInter, kUnion, kDiff };

// The result of op over sets (nullptr: a missing key, an empty set), built with the same
// encoding rules as SADD.
std::unique_ptr<SetObject> Compute(SetOp op, std::vector<const SetObject*> sets) {
  auto out = std::make_unique<SetObject>();
  size_t max = MaxIntset();
  switch (op) {
    case SetOp::kInter: {
      for (const SetObject* s : sets)
        if (!s) return out;
      std::sort(sets.begin(), sets.end(),
                [](const SetObject* a, const SetObject* b) { return a->Length() < b->Length(); });
      sets[0]->ForEach([&](std::string_view m) {
        for (size_t i = 1; i < sets.size(); i++)
          if (!sets[i]->Contains(m)) return;
        out->Add(m, max);
      });
      break;
    }
    case SetOp::kUnion:
      for (const SetObject* s : sets)
        if (s) s->ForEach([&](std::string_view m) { out->Add(m, max); });
      break;
    case SetOp::kDiff:
      if (!sets[0]) return out;
      sets[0]->ForEach([&](std::string_view m) {
        for (size_t i = 1; i < sets.size(); i++)
          if (sets[i] && sets[i]->Contains(m)) return;
        out->Add(m, max);
      });
      break;
  }
  return out;
}

// SINTERCARD's count, stopping at limit (0: no limit).
int64_t InterCard(std::vector<const SetObject*> sets, int64_t limit) {
  for (const SetObject* s : sets)
    if (!s) return 0;
  std::sort(sets.begin(), sets.end(),
            [](const SetObject* a, const SetObject* b) { return a->Length() < b->Length(); });
  int64_t n = 0;
  std::vector<std::string> members = sets[0]->Members();
  for (const std::string& m : members) {
    bool all = true;
    for (size_t i = 1; i < sets.size() && all; i++) all = sets[i]->Contains(m);
    if (all && ++n == limit) break;
  }
  return n;
}

const char* StoreEvent(SetOp op) {
  return op == SetOp::kInter ? "sinterstore" : op == SetOp::kUnion ? "sunionstore" : "sdiffstore";
}

// Replaces dst with result (deletes it when the result is empty); returns the result's size.
int64_t StoreResult(Shard& s, int db, std::string_view dst, std::unique_ptr<SetObject> result,
                    int64_t now_ms, SetOp op) {
  int64_t n = int64_t(result->Length());
  if (n == 0) {
    DeleteKeyAndNotify(s, db, dst, now_ms);
    return 0;
  }
  StoreObject(s, db, dst, std::move(result), now_ms);
  Notify(db, notify::kSet, StoreEvent(op), dst);
  return n;
}

// Looks up the source keys args[first..last] on ctx's shard; false (after WRONGTYPE) if one is
// not a set.
bool LookupSources(CmdContext& ctx, size_t first, size_t last,
                   std::vector<const SetObject*>* sets) {
  bool wrong = false;
  for (size_t i = first; i <= last; i++) {
    Typed<SetObject> t =
        FindObject<SetObject>(*ctx.shard, ctx.db, ctx.args[i], ctx.now_ms, Access::kRead);
    wrong |= t.wrongtype;
    sets->push_back(t.obj);
  }
  if (wrong) ctx.rb->Error(kErrWrongType);
  return !wrong;
}

void SetOpGeneric(CmdContext& ctx, SetOp op, bool store) {
  size_t first = store ? 2 : 1;
  std::vector<const SetObject*> sets;
  if (!LookupSources(ctx, first, ctx.args.size() - 1, &sets)) return;
  std::unique_ptr<SetObject> r = Compute(op, std::move(sets));
  if (!store) return ReplyMembers(ctx.rb, r.get());
  ctx.rb->Integer(StoreResult(*ctx.shard, ctx.db, ctx.args[1], std::move(r), ctx.now_ms, op));
}

void CmdSInter(CmdContext& ctx) { SetOpGeneric(ctx, SetOp::kInter, false); }
void CmdSUnion(CmdContext& ctx) { SetOpGeneric(ctx, SetOp::kUnion, false); }
void CmdSDiff(CmdContext& ctx) { SetOpGeneric(ctx, SetOp::kDiff, false); }
void CmdSInterStore(CmdContext& ctx) { SetOpGeneric(ctx, SetOp::kInter, true); }
void CmdSUnionStore(CmdContext& ctx) { SetOpGeneric(ctx, SetOp::kUnion, true); }
void CmdSDiffStore(CmdContext& ctx) { SetOpGeneric(ctx, SetOp::kDiff, true); }

// SINTERCARD numkeys key [key ...] [LIMIT limit]: checks the arguments, setting *numkeys and
// *limit; false after replying an error.
bool ParseInterCard(CmdContext& ctx, size_t* numkeys, int64_t* limit) {
  int64_t n;
  if (!ParseInt64(ctx.args[1], &n) || n <= 0) {
    ctx.rb->Error("ERR numkeys should be greater than 0");
    return false;
  }
  if (uint64_t(n) > ctx.args.size() - 2) {
    ctx.rb->Error("ERR Number of keys can't be greater than number of args");
    return false;
  }
  *numkeys = size_t(n);
  *limit = 0;
  for (size_t i = 2 + *numkeys; i < ctx.args.size(); i++) {
    if (ArgIs(ctx.args[i], "limit") && i + 1 < ctx.args.size()) {
      if (!ParseInt64(ctx.args[i + 1], limit) || *limit < 0) {
        ctx.rb->Error("ERR LIMIT can't be negative");
        return false;
      }
      i++;
    } else {
      ctx.rb->Error(kErrSyntax);
      return false;
    }
  }
  return true;
}

void CmdSInterCard(CmdContext& ctx) {
  size_t numkeys;
  int64_t limit;
  if (!ParseInterCard(ctx, &numkeys, &limit)) return;
  std::vector<const SetObject*> sets;
  if (!LookupSources(ctx, 2, 1 + numkeys, &sets)) return;
  ctx.rb->Integer(InterCard(std::move(sets), limit));
}

// ---- Cross-shard coordinators ----

// A source set copied out of its shard: absent, of another type, or its members.
struct SourceCopy {
  size_t arg = 0;
  bool exists = false;
  bool wrongtype = false;
  std::vector<std::string> members;
};

std::vector<size_t> Range(size_t first, size_t last) {
  std::vector<size_t> v;
  for (size_t i = first; i <= last; i++) v.push_back(i);
  return v;
}

// Copies the source keys args[first..last] out of their shards (under tx's locks) into
// temporary sets on the coordinator; false if one is not a set.
Task<bool> GatherSources(CmdContext& ctx, MultiKeyTx& tx, size_t first, size_t last,
                         std::vector<std::unique_ptr<SetObject>>* out) {
  auto parts =
      co_await tx.OnEachShard([&ctx, first, last](Shard& s, const std::vector<size_t>& idx) {
        std::vector<SourceCopy> r;
        for (size_t i : idx) {
          if (i < first || i > last) continue;
          SourceCopy c;
          c.arg = i;
          Typed<SetObject> t =
              FindObject<SetObject>(s, ctx.db, ctx.args[i], ctx.now_ms, Access::kRead);
          c.wrongtype = t.wrongtype;
          if (t.obj) {
            c.exists = true;
            c.members = t.obj->Members();
          }
          r.push_back(std::move(c));
        }
        return r;
      });
  out->clear();
  out->resize(last - first + 1);
  bool wrong = false;
  size_t max = MaxIntset();
  for (auto& part : parts) {
    for (SourceCopy& c : part) {
      wrong |= c.wrongtype;
      if (!c.exists) continue;
      auto set = std::make_unique<SetObject>();
      for (const std::string& m : c.members) set->Add(m, max);
      (*out)[c.arg - first] = std::move(set);
    }
  }
  co_return !wrong;
}

std::vector<const SetObject*> Pointers(const std::vector<std::unique_ptr<SetObject>>& v) {
  std::vector<const SetObject*> p;
  for (auto& s : v) p.push_back(s.get());
  return p;
}

Task<void> SetOpAcross(CmdContext& ctx, SetOp op, bool store) {
  size_t first = store ? 2 : 1, last = ctx.args.size() - 1;
  MultiKeyTx tx(ctx, Range(1, last));
  co_await tx.Lock();
  std::vector<std::unique_ptr<SetObject>> sets;
  if (!co_await GatherSources(ctx, tx, first, last, &sets)) {
    co_await tx.Unlock();
    ctx.rb->Error(kErrWrongType);
    co_return;
  }
  std::unique_ptr<SetObject> r = Compute(op, Pointers(sets));
  sets.clear();
  if (!store) {
    co_await tx.Unlock();
    ReplyMembers(ctx.rb, r.get());
    co_return;
  }
  std::vector<std::string> members = r->Members();
  r.reset();
  int64_t n = 0;
  co_await Shards().Hop(Shards().ShardOf(KeyHash(ctx.args[1])), [&ctx, &members, &n, op](Shard& s) {
    auto result = std::make_unique<SetObject>();
    size_t max = MaxIntset();
    for (const std::string& m : members) result->Add(m, max);
    n = StoreResult(s, ctx.db, ctx.args[1], std::move(result), ctx.now_ms, op);
  });
  co_await tx.Unlock();
  ctx.rb->Integer(n);
}

Task<void> MultiSInter(CmdContext& ctx) { return SetOpAcross(ctx, SetOp::kInter, false); }
Task<void> MultiSUnion(CmdContext& ctx) { return SetOpAcross(ctx, SetOp::kUnion, false); }
Task<void> MultiSDiff(CmdContext& ctx) { return SetOpAcross(ctx, SetOp::kDiff, false); }
Task<void> MultiSInterStore(CmdContext& ctx) { return SetOpAcross(ctx, SetOp::kInter, true); }
Task<void> MultiSUnionStore(CmdContext& ctx) { return SetOpAcross(ctx, SetOp::kUnion, true); }
Task<void> MultiSDiffStore(CmdContext& ctx) { return SetOpAcross(ctx, SetOp::kDiff, true); }

Task<void> MultiSInterCard(CmdContext& ctx) {
  size_t numkeys;
  int64_t limit;
  if (!ParseInterCard(ctx, &numkeys, &limit)) co_return;
  MultiKeyTx tx(ctx, Range(2, 1 + numkeys));
  co_await tx.Lock();
  std::vector<std::unique_ptr<SetObject>> sets;
  bool ok = co_await GatherSources(ctx, tx, 2, 1 + numkeys, &sets);
  co_await tx.Unlock();
  if (!ok) {
    ctx.rb->Error(kErrWrongType);
    co_return;
  }
  ctx.rb->Integer(InterCard(Pointers(sets), limit));
}

// SMOVE across shards: both keys are checked before anything moves, all under their locks.
Task<void> MultiSMove(CmdContext& ctx) {
  MultiKeyTx tx(ctx, {1, 2});
  co_await tx.Lock();
  uint32_t src_shard = Shards().ShardOf(KeyHash(ctx.args[1]));
  uint32_t dst_shard = Shards().ShardOf(KeyHash(ctx.args[2]));
  std::string_view member = ctx.args[3];
  bool src_exists = false, src_wrong = false, has_member = false, dst_wrong = false;
  co_await Shards().Hop(src_shard, [&](Shard& s) {
    Typed<SetObject> t = FindObject<SetObject>(s, ctx.db, ctx.args[1], ctx.now_ms, Access::kWrite);
    src_exists = t.obj || t.wrongtype;
    src_wrong = t.wrongtype;
    has_member = t.obj && t.obj->Contains(member);
  });
  if (src_exists) {
    co_await Shards().Hop(dst_shard, [&](Shard& s) {
      Typed<SetObject> t =
          FindObject<SetObject>(s, ctx.db, ctx.args[2], ctx.now_ms, Access::kWrite);
      dst_wrong = t.wrongtype;
      if (dst_wrong || src_wrong || !has_member) return;
      SetObject* d = t.obj;
      if (!d) d = AddObject(s, ctx.db, ctx.args[2], std::make_unique<SetObject>(), ctx.now_ms);
      if (d->Add(member, MaxIntset())) Notify(ctx.db, notify::kSet, "sadd", ctx.args[2]);
    });
  }
  bool moved = src_exists && !src_wrong && !dst_wrong && has_member;
  if (moved) {
    co_await Shards().Hop(src_shard, [&](Shard& s) {
      Typed<SetObject> t =
          FindObject<SetObject>(s, ctx.db, ctx.args[1], ctx.now_ms, Access::kWrite);
      if (t.obj && t.obj->Remove(member))
        NotifyAndDeleteIfEmpty(s, ctx.db, notify::kSet, "srem", ctx.args[1], ctx.now_ms, t.obj);
    });
  }
  co_await tx.Unlock();
  if (!src_exists)
    ctx.rb->Integer(0);
  else if (src_wrong || dst_wrong)
    ctx.rb->Error(kErrWrongType);
  else
    ctx.rb->Integer(moved ? 1 : 0);
}

}  // namespace

void RegisterSetFamily(CommandRegistry& r) {
  using namespace cmd;
  r.Add({"sadd", -3, kWrite | kDenyOom | kFast, 1, 1, 1, CmdSAdd, nullptr, "set",
         "Adds one or more members to a set. Creates the key if it doesn't exist.", "1.0.0",
         "O(1) for each element added, so O(N) to add N elements when the command is called with "
         "multiple arguments."});
  r.Add({"srem", -3, kWrite | kFast, 1, 1, 1, CmdSRem, nullptr, "set",
         "Removes one or more members from a set. Deletes the set if the last member was removed.",
         "1.0.0", "O(N) where N is the number of members to be removed."});
  r.Add({"smembers", 2, kReadOnly, 1, 1, 1, CmdSMembers, nullptr, "set",
         "Returns all members of a set.", "1.0.0", "O(N) where N is the set cardinality."});
  r.Add({"sismember", 3, kReadOnly | kFast, 1, 1, 1, CmdSIsMember, nullptr, "set",
         "Determines whether a member belongs to a set.", "1.0.0", "O(1)"});
  r.Add({"smismember", -3, kReadOnly | kFast, 1, 1, 1, CmdSMIsMember, nullptr, "set",
         "Determines whether multiple members belong to a set.", "6.2.0",
         "O(N) where N is the number of elements being checked for membership"});
  r.Add({"scard", 2, kReadOnly | kFast, 1, 1, 1, CmdSCard, nullptr, "set",
         "Returns the number of members in a set.", "1.0.0", "O(1)"});
  r.Add({"spop", -2, kWrite | kFast, 1, 1, 1, CmdSPop, nullptr, "set",
         "Returns one or more random members from a set after removing them. Deletes the set if "
         "the last member was popped.",
         "1.0.0",
         "Without the count argument O(1), otherwise O(N) where N is the value of the passed "
         "count."});
  r.Add({"srandmember", -2, kReadOnly, 1, 1, 1, CmdSRandMember, nullptr, "set",
         "Get one or multiple random members from a set", "1.0.0",
         "Without the count argument O(1), otherwise O(N) where N is the absolute value of the "
         "passed count."});
  r.Add({"smove", 4, kWrite | kFast, 1, 2, 1, CmdSMove, MultiSMove, "set",
         "Moves a member from one set to another.", "1.0.0", "O(1)"});
  r.Add({"sinter", -2, kReadOnly, 1, -1, 1, CmdSInter, MultiSInter, "set",
         "Returns the intersect of multiple sets.", "1.0.0",
         "O(N*M) worst case where N is the cardinality of the smallest set and M is the number "
         "of sets."});
  r.Add({"sintercard", -3, kReadOnly, 2, -1, 1, CmdSInterCard, MultiSInterCard, "set",
         "Returns the number of members of the intersect of multiple sets.", "7.0.0",
         "O(N*M) worst case where N is the cardinality of the smallest set and M is the number "
         "of sets."});
  r.Add({"sinterstore", -3, kWrite | kDenyOom, 1, -1, 1, CmdSInterStore, MultiSInterStore, "set",
         "Stores the intersect of multiple sets in a key.", "1.0.0",
         "O(N*M) worst case where N is the cardinality of the smallest set and M is the number "
         "of sets."});
  r.Add({"sunion", -2, kReadOnly, 1, -1, 1, CmdSUnion, MultiSUnion, "set",
         "Returns the union of multiple sets.", "1.0.0",
         "O(N) where N is the total number of elements in all given sets."});
  r.Add({"sunionstore", -3, kWrite | kDenyOom, 1, -1, 1, CmdSUnionStore, MultiSUnionStore, "set",
         "Stores the union of multiple sets in a key.", "1.0.0",
         "O(N) where N is the total number of elements in all given sets."});
  r.Add({"sdiff", -2, kReadOnly, 1, -1, 1, CmdSDiff, MultiSDiff, "set",
         "Returns the difference of multiple sets.", "1.0.0",
         "O(N) where N is the total number of elements in all given sets."});
  r.Add({"sdiffstore", -3, kWrite | kDenyOom, 1, -1, 1, CmdSDiffStore, MultiSDiffStore, "set",
         "Stores the difference of multiple sets in a key.", "1.0.0",
         "O(N) where N is the total number of elements in all given sets."});
  r.Add({"sscan", -3, kReadOnly, 1, 1, 1, CmdSScan, nullptr, "set",
         "Iterates over members of a set.", "2.8.0",
         "O(1) for every call. O(N) for a complete iteration, including enough command calls for "
         "the cursor to return back to 0. N is the number of elements inside the collection."});
}

}  // namespace strata::kv
