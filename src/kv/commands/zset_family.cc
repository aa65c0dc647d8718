// Sorted-set commands: ZADD, ranks, ranges, pops, random members and ZSCAN on types/zset.h.
// The multi-key commands (set algebra, ZRANGESTORE, ZMPOP) are in zset_multi.cc.
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/glob.h"
#include "base/strutil.h"
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"
#include "kv/commands/zset_util.h"
#include "kv/server/config.h"

namespace strata::kv {

// ---- Shared helpers (zset_util.h) ----

ZSet::Limits ZSetLimits() {
  const auto& c = GlobalConfig();
  ZSet::Limits lim;
  int64_t e = c.zset_max_listpack_entries.load(std::memory_order_relaxed);
  int64_t v = c.zset_max_listpack_value.load(std::memory_order_relaxed);
  lim.max_listpack_entries = e < 0 ? 0 : size_t(e);
  lim.max_listpack_value = v < 0 ? 0 : size_t(v);
  return lim;
}

// One end of a score range as Redis's zslParseRange reads it: strtod over the C string (leading
// spaces and hex allowed, stops at a NUL byte), "(" for exclusive, NaN rejected.
static bool ParseScoreBound(std::string_view arg, double* v, bool* excl) {
  std::string buf(arg);
  const char* p = buf.c_str();
  *excl = false;
  if (p[0] == '(') {
    *excl = true;
    p++;
  }
  char* end;
  *v = strtod(p, &end);
  return end[0] == '\0' && !std::isnan(*v);
}

bool ParseScoreRange(std::string_view min, std::string_view max, ZScoreRange* r) {
  return ParseScoreBound(min, &r->min, &r->minex) && ParseScoreBound(max, &r->max, &r->maxex);
}

bool ParseLexRange(std::string_view min, std::string_view max, ZLexRange* r) {
  return ParseLexBound(min, &r->min) && ParseLexBound(max, &r->max);
}

bool ArgRangeLong(CmdContext& ctx, std::string_view arg, int64_t min, int64_t max, int64_t* out,
                  const char* msg) {
  if (!ParseInt64(arg, out)) {
    ctx.rb->Error(msg ? std::string("ERR ") + msg : std::string(kErrNotInt));
    return false;
  }
  if (*out < min || *out > max) {
    if (msg)
      ctx.rb->Error(std::string("ERR ") + msg);
    else
      ctx.rb->Error("ERR value is out of range, value must between " + std::to_string(min) +
                    " and " + std::to_string(max));
    return false;
  }
  return true;
}

void ReplyScoredArray(resp::ReplyBuilder* rb, const std::vector<ZEntry>& v, bool withscores) {
  rb->ArrayHeader(withscores && rb->proto() == 2 ? v.size() * 2 : v.size());
  for (const ZEntry& e : v) {
    if (withscores && rb->proto() >= 3) rb->ArrayHeader(2);
    rb->Bulk(e.member);
    if (withscores) rb->Double(e.score);
  }
}

bool ParseZRange(CmdContext& ctx, size_t argc_start, bool store, ZRangeKind kind, ZRangeDir dir,
                 ZRangeSpec* out) {
  auto& a = ctx.args;
  size_t minidx = argc_start + 1, maxidx = argc_start + 2;
  int64_t opt_start = 0, opt_end = 0, offset = 0, limit = -1;
  bool withscores = false;
  for (size_t j = argc_start + 3; j < a.size(); j++) {
    size_t left = a.size() - j - 1;
    if (!store && ArgIs(a[j], "withscores")) {
      withscores = true;
    } else if (ArgIs(a[j], "limit") && left >= 2) {
      if (!ArgInt(ctx, j + 1, &offset) || !ArgInt(ctx, j + 2, &limit)) return false;
      j += 2;
    } else if (dir == ZRangeDir::kAuto && ArgIs(a[j], "rev")) {
      dir = ZRangeDir::kReverse;
    } else if (kind == ZRangeKind::kAuto && ArgIs(a[j], "bylex")) {
      kind = ZRangeKind::kLex;
    } else if (kind == ZRangeKind::kAuto && ArgIs(a[j], "byscore")) {
      kind = ZRangeKind::kScore;
    } else {
      ctx.rb->Error(kErrSyntax);
      return false;
    }
  }
  if (dir == ZRangeDir::kAuto) dir = ZRangeDir::kForward;
  if (kind == ZRangeKind::kAuto) kind = ZRangeKind::kRank;
  if (limit != -1 && kind == ZRangeKind::kRank) {
    ctx.rb->Error(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    return false;
  }
  if (withscores && kind == ZRangeKind::kLex) {
    ctx.rb->Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    return false;
  }
  bool rev = dir == ZRangeDir::kReverse;
  if (rev && kind != ZRangeKind::kRank) std::swap(minidx, maxidx);
  out->kind = kind;
  out->rev = rev;
  out->withscores = withscores;
  out->offset = offset;
  out->limit = limit;
  switch (kind) {
    case ZRangeKind::kScore:
      if (!ParseScoreRange(a[minidx], a[maxidx], &out->score)) {
        ctx.rb->Error("ERR min or max is not a float");
        return false;
      }
      break;
    case ZRangeKind::kLex:
      if (!ParseLexRange(a[minidx], a[maxidx], &out->lex)) {
        ctx.rb->Error("ERR min or max not valid string range item");
        return false;
      }
      break;
    default:
      if (!ArgInt(ctx, minidx, &opt_start) || !ArgInt(ctx, maxidx, &opt_end)) return false;
      out->start = opt_start;
      out->end = opt_end;
  }
  return true;
}

// Normalises Redis's start/end indexes into ascending ranks [*lo, *hi); false if empty.
static bool RankBounds(int64_t start, int64_t end, int64_t llen, bool rev, size_t* lo, size_t* hi) {
  if (start < 0) start += llen;
  if (end < 0) end += llen;
  if (start < 0) start = 0;
  if (start > end || start >= llen) return false;
  if (end >= llen) end = llen - 1;
  if (rev) {
    *lo = size_t(llen - 1 - end);
    *hi = size_t(llen - start);
  } else {
    *lo = size_t(start);
    *hi = size_t(end + 1);
  }
  return true;
}

std::vector<ZEntry> CollectZRange(const ZSet& z, const ZRangeSpec& spec) {
  std::vector<ZEntry> out;
  size_t lo = 0, hi = 0;
  int64_t llen = int64_t(z.Length());
  if (spec.kind == ZRangeKind::kRank) {
    if (!RankBounds(spec.start, spec.end, llen, spec.rev, &lo, &hi)) return out;
  } else {
    if (spec.offset < 0 || (spec.offset > 0 && spec.offset >= llen)) return out;
    if (spec.kind == ZRangeKind::kScore) {
      lo = z.CountBelowMin(spec.score);
      hi = z.CountUpToMax(spec.score);
    } else {
      lo = z.CountBelowMin(spec.lex);
      hi = z.CountUpToMax(spec.lex);
    }
    if (hi <= lo) return out;
    size_t n = hi - lo, off = size_t(spec.offset);
    if (off >= n) return out;
    n -= off;
    if (spec.limit >= 0 && size_t(spec.limit) < n) n = size_t(spec.limit);
    if (spec.rev) {
      hi -= off;
      lo = hi - n;
    } else {
      lo += off;
      hi = lo + n;
    }
  }
  out.reserve(hi - lo);
  z.Visit(lo, hi, spec.rev, [&](std::string_view m, double s) {
    out.push_back({std::string(m), s});
    return true;
  });
  return out;
}

void StoreZSet(Shard& s, int db, std::string_view key, std::vector<ZEntry> entries, int64_t now_ms,
               const char* event) {
  if (entries.empty()) {
    DeleteKeyAndNotify(s, db, key, now_ms);
    return;
  }
  StoreObject(s, db, key, ZSet::Build(std::move(entries), ZSetLimits()), now_ms);
  Notify(db, notify::kZset, event, key);
  s.SignalKeyReady(db, key);
}

static constexpr const char* kErrNaN = "ERR resulting score is not a number (NaN)";

namespace {

// ---- ZADD / ZINCRBY ----

void ZAddGeneric(CmdContext& ctx, bool incr_cmd) {
  auto& a = ctx.args;
  int flags = incr_cmd ? ZSet::kIncr : 0;
  bool ch = false;
  size_t scoreidx = 2;
  for (; scoreidx < a.size(); scoreidx++) {
    std::string_view o = a[scoreidx];
    if (ArgIs(o, "nx"))
      flags |= ZSet::kNX;
    else if (ArgIs(o, "xx"))
      flags |= ZSet::kXX;
    else if (ArgIs(o, "ch"))
      ch = true;
    else if (ArgIs(o, "incr"))
      flags |= ZSet::kIncr;
    else if (ArgIs(o, "gt"))
      flags |= ZSet::kGT;
    else if (ArgIs(o, "lt"))
      flags |= ZSet::kLT;
    else
      break;
  }
  size_t elements = a.size() - scoreidx;
  if (elements % 2 || !elements) return ctx.rb->Error(kErrSyntax);
  elements /= 2;
  bool nx = flags & ZSet::kNX, xx = flags & ZSet::kXX, gt = flags & ZSet::kGT,
       lt = flags & ZSet::kLT, incr = flags & ZSet::kIncr;
  if (nx && xx) return ctx.rb->Error("ERR XX and NX options at the same time are not compatible");
  if ((gt && nx) || (lt && nx) || (gt && lt))
    return ctx.rb->Error("ERR GT, LT, and/or NX options at the same time are not compatible");
  if (incr && elements > 1)
    return ctx.rb->Error("ERR INCR option supports a single increment-element pair");
  std::vector<std::pair<double, std::string_view>> pairs(elements);
  for (size_t j = 0; j < elements; j++) {
    if (!ParseDouble(a[scoreidx + j * 2], &pairs[j].first)) return ctx.rb->Error(kErrNotFloat);
    pairs[j].second = a[scoreidx + j * 2 + 1];
  }
  ZAddPairs(ctx, a[1], flags, ch, pairs);
}

}  // namespace

void ZAddPairs(CmdContext& ctx, std::string_view key, int flags, bool ch,
               const std::vector<std::pair<double, std::string_view>>& pairs) {
  bool failed;
  ZSet* z = WriteObject<ZSet>(ctx, key, &failed);
  if (failed) return;
  size_t added = 0, updated = 0, processed = 0;
  double score = 0;
  if (!z && !(flags & ZSet::kXX)) {
    ZSet::Limits lim = ZSetLimits();
    z = AddObject(*ctx.shard, ctx.db, key,
                  std::make_unique<ZSet>(ZSet::EncodingFor(pairs[0].second.size(), lim)),
                  ctx.now_ms);
  }
  if (z) {
    ZSet::Limits lim = ZSetLimits();
    for (const auto& [sc, member] : pairs) {
      double ns = sc;
      auto r = z->Add(sc, member, flags, lim, &ns);
      if (r == ZSet::AddResult::kNaN) {
        if (added || updated) {
          ctx.shard->SignalKeyReady(ctx.db, key);
          Notify(ctx, notify::kZset, (flags & ZSet::kIncr) ? "zincr" : "zadd", key);
        }
        DeleteIfEmpty(ctx, key);
        return ctx.rb->Error(kErrNaN);
      }
      if (r == ZSet::AddResult::kAdded) added++;
      if (r == ZSet::AddResult::kUpdated) updated++;
      if (r != ZSet::AddResult::kNop) processed++;
      score = ns;
    }
    if (added || updated) {
      ctx.shard->SignalKeyReady(ctx.db, key);
      Notify(ctx, notify::kZset, (flags & ZSet::kIncr) ? "zincr" : "zadd", key);
    }
  }
  if (flags & ZSet::kIncr) {
    if (processed)
      ctx.rb->Double(score);
    else
      ctx.rb->Null();
  } else {
    ctx.rb->Integer(int64_t(ch ? added + updated : added));
  }
}

namespace {

void CmdZAdd(CmdContext& ctx) { ZAddGeneric(ctx, false); }
void CmdZIncrBy(CmdContext& ctx) { ZAddGeneric(ctx, true); }

// ---- Point reads ----

void CmdZScore(CmdContext& ctx) {
  bool failed;
  ZSet* z = ReadObject<ZSet>(ctx, ctx.args[1], &failed);
  if (failed) return;
  double s;
  if (!z || !z->Score(ctx.args[2], &s)) return ctx.rb->Null();
  ctx.rb->Double(s);
}

void CmdZMScore(CmdContext& ctx) {
  bool failed;
  ZSet* z = ReadObject<ZSet>(ctx, ctx.args[1], &failed);
  if (failed) return;
  ctx.rb->ArrayHeader(ctx.args.size() - 2);
  for (size_t j = 2; j < ctx.args.size(); j++) {
    double s;
    if (z && z->Score(ctx.args[j], &s))
      ctx.rb->Double(s);
    else
      ctx.rb->Null();
  }
}

void RankGeneric(CmdContext& ctx, bool rev) {
  bool failed;
  ZSet* z = ReadObject<ZSet>(ctx, ctx.args[1], &failed);
  if (failed) return;
  size_t rank;
  double s;
  if (!z || !z->Rank(ctx.args[2], &rank, &s)) return ctx.rb->Null();
  ctx.rb->Integer(int64_t(rev ? z->Length() - 1 - rank : rank));
}
void CmdZRank(CmdContext& ctx) { RankGeneric(ctx, false); }
void CmdZRevRank(CmdContext& ctx) { RankGeneric(ctx, true); }

void CmdZCard(CmdContext& ctx) {
  bool failed;
  ZSet* z = ReadObject<ZSet>(ctx, ctx.args[1], &failed);
  if (failed) return;
  ctx.rb->Integer(z ? int64_t(z->Length()) : 0);
}

void CmdZCount(CmdContext& ctx) {
  ZScoreRange r;
  if (!ParseScoreRange(ctx.args[2], ctx.args[3], &r))
    return ctx.rb->Error("ERR min or max is not a float");
  bool failed;
  ZSet* z = ReadObject<ZSet>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (!z) return ctx.rb->Integer(0);
  size_t lo = z->CountBelowMin(r), hi = z->CountUpToMax(r);
  ctx.rb->Integer(hi > lo ? int64_t(hi - lo) : 0);
}

void CmdZLexCount(CmdContext& ctx) {
  ZLexRange r;
  if (!ParseLexRange(ctx.args[2], ctx.args[3], &r))
    return ctx.rb->Error("ERR min or max not valid string range item");
  bool failed;
  ZSet* z = ReadObject<ZSet>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (!z) return ctx.rb->Integer(0);
  size_t lo = z->CountBelowMin(r), hi = z->CountUpToMax(r);
  ctx.rb->Integer(hi > lo ? int64_t(hi - lo) : 0);
}

// ---- Ranges ----

void RangeGeneric(CmdContext& ctx, ZRangeKind kind, ZRangeDir dir) {
  ZRangeSpec spec;
  if (!ParseZRange(ctx, 1, false, kind, dir, &spec)) return;
  bool failed;
  ZSet* z = ReadObject<ZSet>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (!z) return ctx.rb->ArrayHeader(0);
  ReplyScoredArray(ctx.rb, CollectZRange(*z, spec), spec.withscores);
}

void CmdZRange(CmdContext& ctx) { RangeGeneric(ctx, ZRangeKind::kAuto, ZRangeDir::kAuto); }
void CmdZRevRange(CmdContext& ctx) { RangeGeneric(ctx, ZRangeKind::kRank, ZRangeDir::kReverse); }
void CmdZRangeByScore(CmdContext& ctx) {
  RangeGeneric(ctx, ZRangeKind::kScore, ZRangeDir::kForward);
}
void CmdZRevRangeByScore(CmdContext& ctx) {
  RangeGeneric(ctx, ZRangeKind::kScore, ZRangeDir::kReverse);
}
void CmdZRangeByLex(CmdContext& ctx) { RangeGeneric(ctx, ZRangeKind::kLex, ZRangeDir::kForward); }
void CmdZRevRangeByLex(CmdContext& ctx) {
  RangeGeneric(ctx, ZRangeKind::kLex, ZRangeDir::kReverse);
}

// ---- Removal ----

void CmdZRem(CmdContext& ctx) {
  bool failed;
  ZSet* z = WriteObject<ZSet>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (!z) return ctx.rb->Integer(0);
  int64_t deleted = 0;
  for (size_t j = 2; j < ctx.args.size(); j++) {
    if (z->Remove(ctx.args[j])) deleted++;
    if (z->Length() == 0) break;
  }
  if (deleted) NotifyAndDeleteIfEmpty(ctx, notify::kZset, "zrem", ctx.args[1], z);
  ctx.rb->Integer(deleted);
}

void RemRangeGeneric(CmdContext& ctx, ZRangeKind kind) {
  int64_t start = 0, end = 0;
  ZScoreRange sr;
  ZLexRange lr;
  if (kind == ZRangeKind::kRank) {
    if (!ArgInt(ctx, 2, &start) || !ArgInt(ctx, 3, &end)) return;
  } else if (kind == ZRangeKind::kScore) {
    if (!ParseScoreRange(ctx.args[2], ctx.args[3], &sr))
      return ctx.rb->Error("ERR min or max is not a float");
  } else if (!ParseLexRange(ctx.args[2], ctx.args[3], &lr)) {
    return ctx.rb->Error("ERR min or max not valid string range item");
  }
  bool failed;
  ZSet* z = WriteObject<ZSet>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (!z) return ctx.rb->Integer(0);
  size_t lo = 0, hi = 0;
  if (kind == ZRangeKind::kRank) {
    if (!RankBounds(start, end, int64_t(z->Length()), false, &lo, &hi)) return ctx.rb->Integer(0);
  } else if (kind == ZRangeKind::kScore) {
    lo = z->CountBelowMin(sr);
    hi = z->CountUpToMax(sr);
  } else {
    lo = z->CountBelowMin(lr);
    hi = z->CountUpToMax(lr);
  }
  size_t n = hi > lo ? z->RemoveRanks(lo, hi) : 0;
  if (n) {
    const char* event = kind == ZRangeKind::kRank    ? "zremrangebyrank"
                        : kind == ZRangeKind::kScore ? "zremrangebyscore"
                                                     : "zremrangebylex";
    NotifyAndDeleteIfEmpty(ctx, notify::kZset, event, ctx.args[1], z);
  }
  ctx.rb->Integer(int64_t(n));
}

void CmdZRemRangeByRank(CmdContext& ctx) { RemRangeGeneric(ctx, ZRangeKind::kRank); }
void CmdZRemRangeByScore(CmdContext& ctx) { RemRangeGeneric(ctx, ZRangeKind::kScore); }
void CmdZRemRangeByLex(CmdContext& ctx) { RemRangeGeneric(ctx, ZRangeKind::kLex); }

// ---- Pops ----

void PopGeneric(CmdContext& ctx, bool max) {
  if (ctx.args.size() > 3) return ctx.rb->Error(kErrSyntax);
  int64_t count = -1;
  if (ctx.args.size() == 3 && !ArgRangeLong(ctx, ctx.args[2], 0, LLONG_MAX, &count,
                                            "value is out of range, must be positive"))
    return;
  bool nested = ctx.rb->proto() >= 3 && count != -1;
  bool failed;
  ZSet* z = WriteObject<ZSet>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (!z || count == 0) return ctx.rb->ArrayHeader(0);
  if (count == -1) count = 1;
  std::vector<ZEntry> v = max ? z->PopMax(size_t(count)) : z->PopMin(size_t(count));
  NotifyAndDeleteIfEmpty(ctx, notify::kZset, max ? "zpopmax" : "zpopmin", ctx.args[1], z);
  ctx.rb->ArrayHeader(nested ? v.size() : v.size() * 2);
  for (const ZEntry& e : v) {
    if (nested) ctx.rb->ArrayHeader(2);
    ctx.rb->Bulk(e.member);
    ctx.rb->Double(e.score);
  }
}
void CmdZPopMin(CmdContext& ctx) { PopGeneric(ctx, false); }
void CmdZPopMax(CmdContext& ctx) { PopGeneric(ctx, true); }

// ---- ZRANDMEMBER ----

void CmdZRandMember(CmdContext& ctx) {
  auto& a = ctx.args;
  auto& rng = ctx.shard->rng();
  if (a.size() < 3) {
    bool failed;
    ZSet* z = ReadObject<ZSet>(ctx, a[1], &failed);
    if (failed) return;
    if (!z) return ctx.rb->Null();
    ctx.rb->Bulk(z->At(rng() % z->Length()).first);
    return;
  }
  int64_t l;
  if (!ArgRangeLong(ctx, a[2], -LLONG_MAX, LLONG_MAX, &l, nullptr)) return;
  bool withscores = false;
  if (a.size() > 4 || (a.size() == 4 && !ArgIs(a[3], "withscores")))
    return ctx.rb->Error(kErrSyntax);
  if (a.size() == 4) {
    withscores = true;
    if (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2) return ctx.rb->Error("ERR value is out of range");
  }
  bool failed;
  ZSet* z = ReadObject<ZSet>(ctx, a[1], &failed);
  if (failed) return;
  if (!z || l == 0) return ctx.rb->ArrayHeader(0);
  size_t size = z->Length();
  auto emit_header = [&](size_t n) {
    ctx.rb->ArrayHeader(withscores && ctx.rb->proto() == 2 ? n * 2 : n);
  };
  auto emit = [&](std::string_view m, double s) {
    if (withscores && ctx.rb->proto() >= 3) ctx.rb->ArrayHeader(2);
    ctx.rb->Bulk(m);
    if (withscores) ctx.rb->Double(s);
  };
  if (l < 0 || l == 1) {
    uint64_t count = l < 0 ? uint64_t(-l) : 1;
    emit_header(count);
    while (count--) {
      auto [m, s] = z->At(rng() % size);
      emit(m, s);
    }
    return;
  }
  size_t count = size_t(l);
  if (count >= size) {
    emit_header(size);
    z->Visit(0, size, false, [&](std::string_view m, double s) {
      emit(m, s);
      return true;
    });
    return;
  }
  // Distinct ranks (Floyd's sampling), in random order.
  std::vector<size_t> picked;
  picked.reserve(count);
  {
    std::vector<bool> seen(size, false);
    for (size_t j = size - count; j < size; j++) {
      size_t t = rng() % (j + 1);
      if (seen[t]) t = j;
      seen[t] = true;
      picked.push_back(t);
    }
  }
  std::shuffle(picked.begin(), picked.end(), rng);
  emit_header(count);
  for (size_t r : picked) {
    auto [m, s] = z->At(r);
    emit(m, s);
  }
}

// ---- ZSCAN ----

void CmdZScan(CmdContext& ctx) {
  auto& a = ctx.args;
  uint64_t cursor;
  if (!ParseContainerScanCursor(ctx, a[2], &cursor)) return;
  bool failed;
  ZSet* z = ReadObject<ZSet>(ctx, a[1], &failed);
  if (failed) return;
  if (!z) return ReplyEmptyScan(ctx.rb);
  ScanOptions opt;
  if (!ParseScanOptions(ctx, 3, &opt)) return;
  int64_t count = opt.count;
  std::string_view pattern = opt.pattern;
  bool use_pattern = opt.use_pattern;
  std::vector<ZEntry> found;
  uint64_t next = z->Scan(cursor, size_t(count), &found);
  size_t kept = 0;
  for (const ZEntry& e : found)
    if (!use_pattern || GlobMatch(pattern, e.member)) kept++;
  ctx.rb->ArrayHeader(2);
  ctx.rb->Bulk(std::to_string(next));
  ctx.rb->ArrayHeader(kept * 2);
  for (const ZEntry& e : found) {
    if (use_pattern && !GlobMatch(pattern, e.member)) continue;
    ctx.rb->Bulk(e.member);
    ctx.rb->Bulk(DoubleToString(e.score));
  }
}

}  // namespace

void RegisterZSetFamily(CommandRegistry& r) {
  using namespace cmd;
  const uint32_t W = kWrite | kDenyOom;
  const char* g = "sorted-set";
  r.Add({"zadd", -4, W | kFast, 1, 1, 1, CmdZAdd, nullptr, g,
         "Adds one or more members to a sorted set, or updates their scores. Creates the key if "
         "it doesn't exist.",
         "1.2.0",
         "O(log(N)) for each item added, where N is the number of elements in the sorted set."});
  r.Add({"zincrby", 4, W | kFast, 1, 1, 1, CmdZIncrBy, nullptr, g,
         "Increments the score of a member in a sorted set.", "1.2.0",
         "O(log(N)) where N is the number of elements in the sorted set."});
  r.Add({"zscore", 3, kReadOnly | kFast, 1, 1, 1, CmdZScore, nullptr, g,
         "Returns the score of a member in a sorted set.", "1.2.0", "O(1)"});
  r.Add({"zmscore", -3, kReadOnly | kFast, 1, 1, 1, CmdZMScore, nullptr, g,
         "Returns the score of one or more members in a sorted set.", "6.2.0",
         "O(N) where N is the number of members being requested."});
  r.Add({"zrank", 3, kReadOnly | kFast, 1, 1, 1, CmdZRank, nullptr, g,
         "Returns the index of a member in a sorted set ordered by ascending scores.", "2.0.0",
         "O(log(N))"});
  r.Add({"zrevrank", 3, kReadOnly | kFast, 1, 1, 1, CmdZRevRank, nullptr, g,
         "Returns the index of a member in a sorted set ordered by descending scores.", "2.0.0",
         "O(log(N))"});
  r.Add({"zcard", 2, kReadOnly | kFast, 1, 1, 1, CmdZCard, nullptr, g,
         "Returns the number of members in a sorted set.", "1.2.0", "O(1)"});
  r.Add({"zcount", 4, kReadOnly | kFast, 1, 1, 1, CmdZCount, nullptr, g,
         "Returns the count of members in a sorted set that have scores within a range.", "2.0.0",
         "O(log(N)) with N being the number of elements in the sorted set."});
  r.Add({"zlexcount", 4, kReadOnly | kFast, 1, 1, 1, CmdZLexCount, nullptr, g,
         "Returns the number of members in a sorted set within a lexicographical range.", "2.8.9",
         "O(log(N)) with N being the number of elements in the sorted set."});
  const char* range_cx =
      "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
      "elements returned.";
  r.Add({"zrange", -4, kReadOnly, 1, 1, 1, CmdZRange, nullptr, g,
         "Returns members in a sorted set within a range of indexes.", "1.2.0", range_cx});
  r.Add({"zrevrange", -4, kReadOnly, 1, 1, 1, CmdZRevRange, nullptr, g,
         "Returns members in a sorted set within a range of indexes in reverse order.", "1.2.0",
         range_cx});
  r.Add({"zrangebyscore", -4, kReadOnly, 1, 1, 1, CmdZRangeByScore, nullptr, g,
         "Returns members in a sorted set within a range of scores.", "1.0.5", range_cx});
  r.Add({"zrevrangebyscore", -4, kReadOnly, 1, 1, 1, CmdZRevRangeByScore, nullptr, g,
         "Returns members in a sorted set within a range of scores in reverse order.", "2.2.0",
         range_cx});
  r.Add({"zrangebylex", -4, kReadOnly, 1, 1, 1, CmdZRangeByLex, nullptr, g,
         "Returns members in a sorted set within a lexicographical range.", "2.8.9", range_cx});
  r.Add({"zrevrangebylex", -4, kReadOnly, 1, 1, 1, CmdZRevRangeByLex, nullptr, g,
         "Returns members in a sorted set within a lexicographical range in reverse order.",
         "2.8.9", range_cx});
  r.Add({"zrem", -3, kWrite | kFast, 1, 1, 1, CmdZRem, nullptr, g,
         "Removes one or more members from a sorted set. Deletes the sorted set if all members "
         "were removed.",
         "1.2.0",
         "O(M*log(N)) with N being the number of elements in the sorted set and M the "
         "number of elements to be removed."});
  const char* rem_cx =
      "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
      "elements removed by the operation.";
  r.Add({"zremrangebyrank", 4, kWrite, 1, 1, 1, CmdZRemRangeByRank, nullptr, g,
         "Removes members in a sorted set within a range of indexes. Deletes the sorted set if "
         "all members were removed.",
         "2.0.0", rem_cx});
  r.Add({"zremrangebyscore", 4, kWrite, 1, 1, 1, CmdZRemRangeByScore, nullptr, g,
         "Removes members in a sorted set within a range of scores. Deletes the sorted set if all "
         "members were removed.",
         "1.2.0", rem_cx});
  r.Add({"zremrangebylex", 4, kWrite, 1, 1, 1, CmdZRemRangeByLex, nullptr, g,
         "Removes members in a sorted set within a lexicographical range. Deletes the sorted set "
         "if all members were removed.",
         "2.8.9", rem_cx});
  r.Add({"zpopmin", -2, kWrite | kFast, 1, 1, 1, CmdZPopMin, nullptr, g,
         "Returns the lowest-scoring members from a sorted set after removing them. Deletes the "
         "sorted set if the last member was popped.",
         "5.0.0",
         "O(log(N)*M) with N being the number of elements in the sorted set, and M being "
         "the number of elements popped."});
  r.Add({"zpopmax", -2, kWrite | kFast, 1, 1, 1, CmdZPopMax, nullptr, g,
         "Returns the highest-scoring members from a sorted set after removing them. Deletes the "
         "sorted set if the last member was popped.",
         "5.0.0",
         "O(log(N)*M) with N being the number of elements in the sorted set, and M being "
         "the number of elements popped."});
  r.Add({"zrandmember", -2, kReadOnly, 1, 1, 1, CmdZRandMember, nullptr, g,
         "Returns one or more random members from a sorted set.", "6.2.0",
         "O(N) where N is the number of members returned"});
  r.Add({"zscan", -3, kReadOnly, 1, 1, 1, CmdZScan, nullptr, g,
         "Iterates over members and scores of a sorted set.", "2.8.0",
         "O(1) for every call. O(N) for a complete iteration."});
  RegisterZSetMultiCommands(r);
  RegisterGeoCommands(r);
}

}  // namespace strata::kv
