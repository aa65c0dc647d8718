// Multi-key sorted-set commands: ZUNION/ZINTER/ZDIFF (and their STORE forms), ZINTERCARD,
// ZRANGESTORE and ZMPOP.
//
// Each has a handler for keys on one shard and a coordinator for keys spread over shards. Both
// copy the inputs' members and scores out (per shard, under the keys' locks), compute on the
// caller's thread, and write a result on the destination's shard, where it is allocated.
// Commands with a numkeys argument declare every argument from the first key on as a key, so the
// dispatcher routes and locks conservatively; the real keys are worked out here.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/strutil.h"
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"
#include "kv/commands/zset_util.h"
#include "kv/server/blocking.h"
#include "kv/server/config.h"
#include "kv/tx/multi_key.h"
#include "kv/types/set.h"

namespace strata::kv {
namespace {

// ---- Inputs ----

struct ZInput {
  bool wrongtype = false;
  std::vector<ZEntry> entries;  // empty for a missing key
};

// A sorted set, or a plain set whose members all score 1 (as Redis accepts for the algebra).
ZInput ReadInput(Shard& s, int db, std::string_view key, int64_t now_ms) {
  ZInput in;
  Typed<ZSet> t = FindObject<ZSet>(s, db, key, now_ms, Access::kRead);
  if (t.obj) {
    in.entries = t.obj->Entries();
  } else if (t.wrongtype) {
    Entry** link = s.FindLink(db, key, KeyHash(key), now_ms);
    if (link && (*link)->type == ObjType::kSet) {
      (*link)->object_as<SetObject>()->ForEach([&in](std::string_view m) {
        in.entries.push_back(ZEntry{std::string(m), 1.0});
      });
    } else {
      in.wrongtype = true;
    }
  }
  return in;
}

// ---- ZUNION / ZINTER / ZDIFF / ZINTERCARD and the STORE forms ----

enum class SetOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

struct SetOpCmd {
  SetOp op;
  bool store;      // *STORE: args[1] is the destination
  bool card_only;  // ZINTERCARD
  size_t numkeys_idx() const { return store ? 2 : 1; }
  const char* store_event() const {
    return op == SetOp::kUnion ? "zunionstore" : op == SetOp::kInter ? "zinterstore" : "zdiffstore";
  }
};

// Parses numkeys; fills the source key indexes. Replies the error and returns false on failure.
bool ParseSetOpKeys(CmdContext& ctx, const SetOpCmd& c, std::vector<size_t>* src) {
  size_t ni = c.numkeys_idx();
  int64_t setnum;
  if (!ArgInt(ctx, ni, &setnum)) return false;
  if (setnum < 1) {
    ctx.rb->Error(std::string("ERR at least 1 input key is needed for '") + ctx.spec->name +
                  "' command");
    return false;
  }
  if (uint64_t(setnum) > ctx.args.size() - (ni + 1)) {
    ctx.rb->Error(kErrSyntax);
    return false;
  }
  for (size_t i = 0; i < size_t(setnum); i++) src->push_back(ni + 1 + i);
  return true;
}

struct SetOpResult {
  std::string error;  // non-empty: reply this error
  std::vector<ZEntry> entries;
  int64_t card = 0;
  bool withscores = false;
};

void AggregateInto(double* target, double val, Aggregate agg) {
  switch (agg) {
    case Aggregate::kSum:
      *target += val;
      if (std::isnan(*target)) *target = 0;
      break;
    case Aggregate::kMin:
      *target = val < *target ? val : *target;
      break;
    case Aggregate::kMax:
      *target = val > *target ? val : *target;
      break;
  }
}

// Everything after the key lookups: the type check, the options, the computation.
SetOpResult EvalSetOp(const CmdContext& ctx, const SetOpCmd& c, const std::vector<size_t>& src,
                      std::vector<ZInput>& inputs) {
  SetOpResult res;
  for (const ZInput& in : inputs) {
    if (in.wrongtype) {
      res.error = kErrWrongType;
      return res;
    }
  }
  size_t n = src.size();
  std::vector<double> weights(n, 1.0);
  Aggregate agg = Aggregate::kSum;
  int64_t limit = 0;
  auto& a = ctx.args;
  size_t j = src.back() + 1;
  while (j < a.size()) {
    size_t remaining = a.size() - j;
    if (c.op != SetOp::kDiff && !c.card_only && remaining >= n + 1 && ArgIs(a[j], "weights")) {
      j++;
      for (size_t i = 0; i < n; i++, j++) {
        if (!ParseDouble(a[j], &weights[i])) {
          res.error = "ERR weight value is not a float";
          return res;
        }
      }
    } else if (c.op != SetOp::kDiff && !c.card_only && remaining >= 2 && ArgIs(a[j], "aggregate")) {
      std::string_view v = a[j + 1];
      if (ArgIs(v, "sum")) {
        agg = Aggregate::kSum;
      } else if (ArgIs(v, "min")) {
        agg = Aggregate::kMin;
      } else if (ArgIs(v, "max")) {
        agg = Aggregate::kMax;
      } else {
        res.error = kErrSyntax;
        return res;
      }
      j += 2;
    } else if (!c.store && !c.card_only && ArgIs(a[j], "withscores")) {
      res.withscores = true;
      j++;
    } else if (c.card_only && remaining >= 2 && ArgIs(a[j], "limit")) {
      if (!ParseInt64(a[j + 1], &limit)) {
        res.error = "ERR LIMIT can't be negative";
        return res;
      }
      if (limit < 0) {
        res.error = "ERR LIMIT can't be negative";
        return res;
      }
      j += 2;
    } else {
      res.error = kErrSyntax;
      return res;
    }
  }

  // Inputs in processing order: by size for union and intersection (as Redis), as given for
  // the difference.
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; i++) order[i] = i;
  if (c.op != SetOp::kDiff) {
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
      return inputs[x].entries.size() < inputs[y].entries.size();
    });
  }
  auto index_of = [&](const ZInput& in) {
    std::unordered_map<std::string_view, double> m;
    m.reserve(in.entries.size());
    for (const ZEntry& e : in.entries) m.emplace(e.member, e.score);
    return m;
  };

  if (c.op == SetOp::kInter) {
    const ZInput& first = inputs[order[0]];
    if (first.entries.empty()) return res;
    std::vector<std::unordered_map<std::string_view, double>> maps;
    for (size_t k = 1; k < n; k++) maps.push_back(index_of(inputs[order[k]]));
    for (const ZEntry& e : first.entries) {
      double score = weights[order[0]] * e.score;
      if (std::isnan(score)) score = 0;
      size_t k = 1;
      for (; k < n; k++) {
        auto it = maps[k - 1].find(e.member);
        if (it == maps[k - 1].end()) break;
        AggregateInto(&score, it->second * weights[order[k]], agg);
      }
      if (k < n) continue;
      if (c.card_only) {
        res.card++;
        if (limit && res.card >= limit) break;
      } else {
        res.entries.push_back({e.member, score});
      }
    }
  } else if (c.op == SetOp::kUnion) {
    std::unordered_map<std::string_view, double> acc;
    std::vector<std::string_view> members;
    for (size_t k = 0; k < n; k++) {
      for (const ZEntry& e : inputs[order[k]].entries) {
        double score = weights[order[k]] * e.score;
        if (std::isnan(score)) score = 0;
        auto [it, fresh] = acc.emplace(e.member, score);
        if (fresh)
          members.push_back(e.member);
        else
          AggregateInto(&it->second, score, agg);
      }
    }
    res.entries.reserve(members.size());
    for (std::string_view m : members) res.entries.push_back({std::string(m), acc[m]});
  } else {
    std::vector<std::unordered_map<std::string_view, double>> maps;
    for (size_t k = 1; k < n; k++) maps.push_back(index_of(inputs[k]));
    for (const ZEntry& e : inputs[0].entries) {
      bool found = false;
      for (auto& m : maps) {
        if (m.count(e.member)) {
          found = true;
          break;
        }
      }
      if (!found) res.entries.push_back(e);
    }
  }
  if (!c.store) {
    std::sort(res.entries.begin(), res.entries.end(), [](const ZEntry& x, const ZEntry& y) {
      if (x.score != y.score) return x.score < y.score;
      return x.member < y.member;
    });
  }
  return res;
}

void ReplySetOp(resp::ReplyBuilder* rb, const SetOpCmd& c, const SetOpResult& r, size_t stored) {
  if (!r.error.empty()) return rb->Error(r.error);
  if (c.store) return rb->Integer(int64_t(stored));
  if (c.card_only) return rb->Integer(r.card);
  ReplyScoredArray(rb, r.entries, r.withscores);
}

void SetOpLocal(CmdContext& ctx, SetOpCmd c) {
  std::vector<size_t> src;
  if (!ParseSetOpKeys(ctx, c, &src)) return;
  std::vector<ZInput> inputs;
  for (size_t i : src) inputs.push_back(ReadInput(*ctx.shard, ctx.db, ctx.args[i], ctx.now_ms));
  SetOpResult r = EvalSetOp(ctx, c, src, inputs);
  size_t stored = r.entries.size();
  if (c.store && r.error.empty())
    StoreZSet(*ctx.shard, ctx.db, ctx.args[1], std::move(r.entries), ctx.now_ms, c.store_event());
  ReplySetOp(ctx.rb, c, r, stored);
}

Task<void> SetOpAcross(CmdContext& ctx, SetOpCmd c) {
  std::vector<size_t> src;
  if (!ParseSetOpKeys(ctx, c, &src)) co_return;
  std::vector<size_t> keys = src;
  if (c.store) keys.insert(keys.begin(), 1);
  MultiKeyTx tx(ctx, keys);
  co_await tx.Lock();
  auto parts = co_await tx.OnEachShard([&ctx, &c](Shard& s, const std::vector<size_t>& idx) {
    std::vector<std::pair<size_t, ZInput>> r;
    for (size_t i : idx)
      if (!(c.store && i == 1)) r.emplace_back(i, ReadInput(s, ctx.db, ctx.args[i], ctx.now_ms));
    return r;
  });
  std::vector<ZInput> inputs(src.size());
  for (auto& p : parts)
    for (auto& [i, in] : p) inputs[i - src.front()] = std::move(in);
  SetOpResult r = EvalSetOp(ctx, c, src, inputs);
  size_t stored = r.entries.size();
  if (c.store && r.error.empty()) {
    uint32_t dst = Shards().ShardOf(KeyHash(ctx.args[1]));
    co_await Shards().Hop(dst, [&ctx, &r, &c](Shard& s) {
      StoreZSet(s, ctx.db, ctx.args[1], std::move(r.entries), ctx.now_ms, c.store_event());
    });
  }
  co_await tx.Unlock();
  ReplySetOp(ctx.rb, c, r, stored);
}

constexpr SetOpCmd kZUnion{SetOp::kUnion, false, false};
constexpr SetOpCmd kZInter{SetOp::kInter, false, false};
constexpr SetOpCmd kZDiff{SetOp::kDiff, false, false};
constexpr SetOpCmd kZInterCard{SetOp::kInter, false, true};
constexpr SetOpCmd kZUnionStore{SetOp::kUnion, true, false};
constexpr SetOpCmd kZInterStore{SetOp::kInter, true, false};
constexpr SetOpCmd kZDiffStore{SetOp::kDiff, true, false};

void CmdZUnion(CmdContext& ctx) { SetOpLocal(ctx, kZUnion); }
void CmdZInter(CmdContext& ctx) { SetOpLocal(ctx, kZInter); }
void CmdZDiff(CmdContext& ctx) { SetOpLocal(ctx, kZDiff); }
void CmdZInterCard(CmdContext& ctx) { SetOpLocal(ctx, kZInterCard); }
void CmdZUnionStore(CmdContext& ctx) { SetOpLocal(ctx, kZUnionStore); }
void CmdZInterStore(CmdContext& ctx) { SetOpLocal(ctx, kZInterStore); }
void CmdZDiffStore(CmdContext& ctx) { SetOpLocal(ctx, kZDiffStore); }
Task<void> MultiZUnion(CmdContext& ctx) { return SetOpAcross(ctx, kZUnion); }
Task<void> MultiZInter(CmdContext& ctx) { return SetOpAcross(ctx, kZInter); }
Task<void> MultiZDiff(CmdContext& ctx) { return SetOpAcross(ctx, kZDiff); }
Task<void> MultiZInterCard(CmdContext& ctx) { return SetOpAcross(ctx, kZInterCard); }
Task<void> MultiZUnionStore(CmdContext& ctx) { return SetOpAcross(ctx, kZUnionStore); }
Task<void> MultiZInterStore(CmdContext& ctx) { return SetOpAcross(ctx, kZInterStore); }
Task<void> MultiZDiffStore(CmdContext& ctx) { return SetOpAcross(ctx, kZDiffStore); }

// ---- ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] ----

// The source's selected range; false (error replied later) if it holds another type.
bool ReadRange(Shard& s, const CmdContext& ctx, const ZRangeSpec& spec, std::vector<ZEntry>* out) {
  Typed<ZSet> t = FindObject<ZSet>(s, ctx.db, ctx.args[2], ctx.now_ms, Access::kRead);
  if (t.wrongtype) return false;
  if (t.obj) *out = CollectZRange(*t.obj, spec);
  return true;
}

void CmdZRangeStore(CmdContext& ctx) {
  ZRangeSpec spec;
  if (!ParseZRange(ctx, 2, true, ZRangeKind::kAuto, ZRangeDir::kAuto, &spec)) return;
  std::vector<ZEntry> v;
  if (!ReadRange(*ctx.shard, ctx, spec, &v)) return ctx.rb->Error(kErrWrongType);
  size_t n = v.size();
  StoreZSet(*ctx.shard, ctx.db, ctx.args[1], std::move(v), ctx.now_ms, "zrangestore");
  ctx.rb->Integer(int64_t(n));
}

Task<void> MultiZRangeStore(CmdContext& ctx) {
  ZRangeSpec spec;
  if (!ParseZRange(ctx, 2, true, ZRangeKind::kAuto, ZRangeDir::kAuto, &spec)) co_return;
  MultiKeyTx tx(ctx, {1, 2});
  co_await tx.Lock();
  std::vector<ZEntry> v;
  bool ok = true;
  co_await Shards().Hop(Shards().ShardOf(KeyHash(ctx.args[2])),
                        [&](Shard& s) { ok = ReadRange(s, ctx, spec, &v); });
  size_t n = v.size();
  if (ok) {
    co_await Shards().Hop(Shards().ShardOf(KeyHash(ctx.args[1])), [&](Shard& s) {
      StoreZSet(s, ctx.db, ctx.args[1], std::move(v), ctx.now_ms, "zrangestore");
    });
  }
  co_await tx.Unlock();
  if (!ok)
    ctx.rb->Error(kErrWrongType);
  else
    ctx.rb->Integer(int64_t(n));
}

// ---- ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] ----

struct ZMPopArgs {
  std::vector<size_t> keys;
  bool max = false;
  int64_t count = 1;
};

bool ParseZMPop(CmdContext& ctx, ZMPopArgs* out) {
  auto& a = ctx.args;
  int64_t numkeys;
  if (!ArgRangeLong(ctx, a[1], 1, LLONG_MAX, &numkeys, "numkeys should be greater than 0"))
    return false;
  if (uint64_t(numkeys) >= a.size() - 2) {
    ctx.rb->Error(kErrSyntax);
    return false;
  }
  size_t where = 2 + size_t(numkeys);
  if (ArgIs(a[where], "min")) {
    out->max = false;
  } else if (ArgIs(a[where], "max")) {
    out->max = true;
  } else {
    ctx.rb->Error(kErrSyntax);
    return false;
  }
  int64_t count = -1;
  for (size_t j = where + 1; j < a.size(); j++) {
    bool more = j + 1 < a.size();
    if (count == -1 && ArgIs(a[j], "count") && more) {
      j++;
      if (!ArgRangeLong(ctx, a[j], 1, LLONG_MAX, &count, "count should be greater than 0"))
        return false;
    } else {
      ctx.rb->Error(kErrSyntax);
      return false;
    }
  }
  out->count = count == -1 ? 1 : count;
  for (size_t i = 2; i < where; i++) out->keys.push_back(i);
  return true;
}

// One key's step: 0 = absent (try the next key), 1 = popped, -1 = wrong type.
int PopFrom(Shard& s, const CmdContext& ctx, size_t i, const ZMPopArgs& p,
            std::vector<ZEntry>* out) {
  Typed<ZSet> t = FindObject<ZSet>(s, ctx.db, ctx.args[i], ctx.now_ms, Access::kWrite);
  if (t.wrongtype) return -1;
  if (!t.obj) return 0;
  *out = p.max ? t.obj->PopMax(size_t(p.count)) : t.obj->PopMin(size_t(p.count));
  NotifyAndDeleteIfEmpty(s, ctx.db, notify::kZset, p.max ? "zpopmax" : "zpopmin", ctx.args[i],
                         ctx.now_ms, t.obj);
  return 1;
}

void ReplyZMPop(CmdContext& ctx, int rc, std::string_view key, const std::vector<ZEntry>& v) {
  if (rc < 0) return ctx.rb->Error(kErrWrongType);
  if (rc == 0) return ctx.rb->NullArray();
  ctx.rb->ArrayHeader(2);
  ctx.rb->Bulk(key);
  ctx.rb->ArrayHeader(v.size());
  for (const ZEntry& e : v) {
    ctx.rb->ArrayHeader(2);
    ctx.rb->Bulk(e.member);
    ctx.rb->Double(e.score);
  }
}

void CmdZMPop(CmdContext& ctx) {
  ZMPopArgs p;
  if (!ParseZMPop(ctx, &p)) return;
  std::vector<ZEntry> v;
  int rc = 0;
  size_t at = 0;
  for (size_t i : p.keys) {
    rc = PopFrom(*ctx.shard, ctx, i, p, &v);
    at = i;
    if (rc != 0) break;
  }
  ReplyZMPop(ctx, rc, ctx.args[at], v);
}

Task<void> MultiZMPop(CmdContext& ctx) {
  ZMPopArgs p;
  if (!ParseZMPop(ctx, &p)) co_return;
  MultiKeyTx tx(ctx, p.keys);
  co_await tx.Lock();
  std::vector<ZEntry> v;
  int rc = 0;
  size_t at = 0;
  for (size_t i : p.keys) {
    co_await Shards().Hop(Shards().ShardOf(KeyHash(ctx.args[i])),
                          [&](Shard& s) { rc = PopFrom(s, ctx, i, p, &v); });
    at = i;
    if (rc != 0) break;
  }
  co_await tx.Unlock();
  ReplyZMPop(ctx, rc, ctx.args[at], v);
}

// ---- BZPOPMIN, BZPOPMAX (key [key ...] timeout), BZMPOP (timeout numkeys key ... MIN|MAX) ----

Entry* FindEntry(Shard& s, const BlockedClient& c, size_t ki) {
  Entry** link = s.FindLink(c.db, c.args[ki], KeyHash(c.args[ki]), LoopUnixMillis());
  return link ? *link : nullptr;
}

bool ZSetReady(Shard& s, BlockedClient& c, size_t ki) {
  Entry* e = FindEntry(s, c, ki);
  return e && e->type == ObjType::kZSet && e->object()->Length() > 0;
}

bool ZSetWrongType(Shard& s, BlockedClient& c, size_t ki) {
  Entry* e = FindEntry(s, c, ki);
  return e && e->type != ObjType::kZSet;
}

// Pops for a served client: from the ZSet at args[ki], max or min, up to count.
std::vector<ZEntry> PopForClient(Shard& s, BlockedClient& c, size_t ki, bool max, size_t count) {
  Typed<ZSet> t = FindObject<ZSet>(s, c.db, c.args[ki], LoopUnixMillis(), Access::kWrite);
  std::vector<ZEntry> v = max ? t.obj->PopMax(count) : t.obj->PopMin(count);
  NotifyAndDeleteIfEmpty(s, c.db, notify::kZset, max ? "zpopmax" : "zpopmin", c.args[ki],
                         LoopUnixMillis(), t.obj);
  return v;
}

void BZPopServe(Shard& s, BlockedClient& c, size_t ki, resp::ReplyBuilder& rb) {
  bool max = ArgIs(c.args[0], "bzpopmax");
  std::vector<ZEntry> v = PopForClient(s, c, ki, max, 1);
  rb.ArrayHeader(3);
  rb.Bulk(c.args[ki]);
  rb.Bulk(v[0].member);
  rb.Double(v[0].score);
}

void BZMPopServe(Shard& s, BlockedClient& c, size_t ki, resp::ReplyBuilder& rb) {
  // The options were validated before blocking; parse them again from the arguments.
  std::string scratch;
  resp::ReplyBuilder err_rb(&scratch, 2);
  CmdContext pctx;
  pctx.args = c.args.subspan(1);
  pctx.rb = &err_rb;
  ZMPopArgs p;
  ParseZMPop(pctx, &p);
  std::vector<ZEntry> v = PopForClient(s, c, ki, p.max, size_t(p.count));
  CmdContext rctx;
  rctx.rb = &rb;
  ReplyZMPop(rctx, 1, c.args[ki], v);
}

const BlockingOps kBZPopOps{ZSetReady, BZPopServe, ZSetWrongType};
const BlockingOps kBZMPopOps{ZSetReady, BZMPopServe, ZSetWrongType};

Task<void> MultiBZPop(CmdContext& ctx) {
  int64_t timeout;
  if (!ParseBlockingTimeout(ctx, ctx.args.back(), &timeout)) co_return;
  std::vector<size_t> keys;
  for (size_t i = 1; i + 1 < ctx.args.size(); i++) keys.push_back(i);
  auto o = co_await BlockingCall(ctx, keys, timeout, &kBZPopOps);
  if (o == BlockedClient::Outcome::kTimeout) ctx.rb->NullArray();
}

Task<void> MultiBZMPop(CmdContext& ctx) {
  int64_t timeout;
  if (!ParseBlockingTimeout(ctx, ctx.args[1], &timeout)) co_return;
  CmdContext pctx = ctx;
  pctx.args = ctx.args.subspan(1);
  ZMPopArgs p;
  if (!ParseZMPop(pctx, &p)) co_return;
  std::vector<size_t> keys;
  for (size_t i : p.keys) keys.push_back(i + 1);
  auto o = co_await BlockingCall(ctx, keys, timeout, &kBZMPopOps);
  if (o == BlockedClient::Outcome::kTimeout) ctx.rb->NullArray();
}

}  // namespace

void RegisterZSetMultiCommands(CommandRegistry& r) {
  using namespace cmd;
  const uint32_t W = kWrite | kDenyOom;
  const char* g = "sorted-set";
  const char* union_cx =
      "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being "
      "the number of elements in the resulting sorted set.";
  const char* inter_cx =
      "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the "
      "number of input sorted sets and M being the number of elements in the resulting sorted "
      "set.";
  const char* diff_cx =
      "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N "
      "is the size of the first set, and K is the size of the result set.";
  r.Add({"zunion", -3, kReadOnly, 2, -1, 1, CmdZUnion, MultiZUnion, g,
         "Returns the union of multiple sorted sets.", "6.2.0", union_cx});
  r.Add({"zinter", -3, kReadOnly, 2, -1, 1, CmdZInter, MultiZInter, g,
         "Returns the intersect of multiple sorted sets.", "6.2.0", inter_cx});
  r.Add({"zdiff", -3, kReadOnly, 2, -1, 1, CmdZDiff, MultiZDiff, g,
         "Returns the difference between multiple sorted sets.", "6.2.0", diff_cx});
  r.Add({"zintercard", -3, kReadOnly, 2, -1, 1, CmdZInterCard, MultiZInterCard, g,
         "Returns the number of members of the intersect of multiple sorted sets.", "7.0.0",
         "O(N*K) worst case with N being the smallest input sorted set, K being the number of "
         "input sorted sets."});
  r.Add({"zunionstore", -4, W, 1, -1, 1, CmdZUnionStore, MultiZUnionStore, g,
         "Stores the union of multiple sorted sets in a key.", "2.0.0", union_cx});
  r.Add({"zinterstore", -4, W, 1, -1, 1, CmdZInterStore, MultiZInterStore, g,
         "Stores the intersect of multiple sorted sets in a key.", "2.0.0", inter_cx});
  r.Add({"zdiffstore", -4, W, 1, -1, 1, CmdZDiffStore, MultiZDiffStore, g,
         "Stores the difference of multiple sorted sets in a key.", "6.2.0", diff_cx});
  r.Add({"zrangestore", -5, W, 1, 2, 1, CmdZRangeStore, MultiZRangeStore, g,
         "Stores a range of members from sorted set in a key.", "6.2.0",
         "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
         "elements stored into the destination key."});
  r.Add({"zmpop", -4, kWrite, 2, -1, 1, CmdZMPop, MultiZMPop, g,
         "Returns the highest- or lowest-scoring members from one or more sorted sets after "
         "removing them. Deletes the sorted set if the last member was popped.",
         "7.0.0",
         "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of "
         "elements in the sorted set, and M being the number of elements popped."});
  r.Add({"bzpopmin", -3, cmd::kNoScript | kWrite | kFast | kBlocking, 1, -2, 1, nullptr, MultiBZPop,
         g,
         "Removes and returns the member with the lowest score from one or more sorted sets. "
         "Blocks until a member is available otherwise. Deletes the sorted set if the last "
         "element was popped.",
         "5.0.0", "O(log(N)) with N being the number of elements in the sorted set."});
  r.Add({"bzpopmax", -3, cmd::kNoScript | kWrite | kFast | kBlocking, 1, -2, 1, nullptr, MultiBZPop,
         g,
         "Removes and returns the member with the highest score from one or more sorted sets. "
         "Blocks until a member available otherwise.  Deletes the sorted set if the last element "
         "was popped.",
         "5.0.0", "O(log(N)) with N being the number of elements in the sorted set."});
  r.Add({"bzmpop", -5, kWrite | kBlocking, 3, -1, 1, nullptr, MultiBZMPop, g,
         "Removes and returns a member by score from one or more sorted sets. Blocks until a "
         "member is available otherwise. Deletes the sorted set if the last element was popped.",
         "7.0.0",
         "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of "
         "elements in the sorted set, and M being the number of elements popped."});
}

}  // namespace strata::kv
