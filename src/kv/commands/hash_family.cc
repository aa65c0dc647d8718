// Hash commands: HSET/HGET and the rest of the H* family, on types/hash.h.
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/glob.h"
#include "base/strutil.h"
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"
#include "kv/server/config.h"
#include "kv/types/hash.h"

namespace strata::kv {
namespace {

HashObject::Limits Limits() {
  const auto& c = GlobalConfig();
  HashObject::Limits l;
  l.max_entries = size_t(std::max<int64_t>(0, c.hash_max_listpack_entries.load()));
  l.max_value = size_t(std::max<int64_t>(0, c.hash_max_listpack_value.load()));
  return l;
}

void ArityError(CmdContext& ctx) {
  ctx.rb->Error(std::string("ERR wrong number of arguments for '") + ctx.spec->name + "' command");
}

// HSET key field value [field value ...] / HMSET (the same, replying OK).
void HSetGeneric(CmdContext& ctx, bool hmset) {
  if (ctx.args.size() % 2 == 1) return ArityError(ctx);
  bool failed;
  HashObject* h = WriteOrCreateObject<HashObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  HashObject::Limits lim = Limits();
  for (size_t i = 2; i < ctx.args.size(); i++) h->ConvertIfTooLong(ctx.args[i], lim);
  int64_t created = 0;
  for (size_t i = 2; i + 1 < ctx.args.size(); i += 2)
    created += h->Set(ctx.args[i], ctx.args[i + 1], lim);
  Notify(ctx, notify::kHash, "hset", ctx.args[1]);
  if (hmset)
    ctx.rb->Ok();
  else
    ctx.rb->Integer(created);
}
void CmdHSet(CmdContext& ctx) { HSetGeneric(ctx, false); }
void CmdHMSet(CmdContext& ctx) { HSetGeneric(ctx, true); }

void CmdHSetNx(CmdContext& ctx) {
  bool failed;
  HashObject* h = WriteOrCreateObject<HashObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (h->Exists(ctx.args[2])) return ctx.rb->Integer(0);
  HashObject::Limits lim = Limits();
  h->ConvertIfTooLong(ctx.args[2], lim);
  h->ConvertIfTooLong(ctx.args[3], lim);
  h->Set(ctx.args[2], ctx.args[3], lim);
  Notify(ctx, notify::kHash, "hset", ctx.args[1]);
  ctx.rb->Integer(1);
}

void CmdHGet(CmdContext& ctx) {
  bool failed;
  HashObject* h = ReadObject<HashObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  std::string_view v;
  if (h && h->Get(ctx.args[2], &v)) return ctx.rb->Bulk(v);
  ctx.rb->Null();
}

void CmdHMGet(CmdContext& ctx) {
  bool failed;
  HashObject* h = ReadObject<HashObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  ctx.rb->ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); i++) {
    std::string_view v;
    if (h && h->Get(ctx.args[i], &v))
      ctx.rb->Bulk(v);
    else
      ctx.rb->Null();
  }
}

void CmdHDel(CmdContext& ctx) {
  bool failed;
  HashObject* h = WriteObject<HashObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (!h) return ctx.rb->Integer(0);
  int64_t deleted = 0;
  for (size_t i = 2; i < ctx.args.size(); i++) {
    if (h->Delete(ctx.args[i])) {
      deleted++;
      if (h->Length() == 0) break;
    }
  }
  if (deleted) NotifyAndDeleteIfEmpty(ctx, notify::kHash, "hdel", ctx.args[1], h);
  ctx.rb->Integer(deleted);
}

void CmdHLen(CmdContext& ctx) {
  bool failed;
  HashObject* h = ReadObject<HashObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  ctx.rb->Integer(h ? int64_t(h->Length()) : 0);
}

void CmdHStrLen(CmdContext& ctx) {
  bool failed;
  HashObject* h = ReadObject<HashObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  std::string_view v;
  ctx.rb->Integer(h && h->Get(ctx.args[2], &v) ? int64_t(v.size()) : 0);
}

void CmdHExists(CmdContext& ctx) {
  bool failed;
  HashObject* h = ReadObject<HashObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  ctx.rb->Integer(h && h->Exists(ctx.args[2]) ? 1 : 0);
}

enum class Part { kFields, kValues, kBoth };

void HGetAllGeneric(CmdContext& ctx, Part part) {
  bool failed;
  HashObject* h = ReadObject<HashObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  size_t n = h ? h->Length() : 0;
  if (part == Part::kBoth)
    ctx.rb->MapHeader(n);
  else
    ctx.rb->ArrayHeader(n);
  if (!h) return;
  resp::ReplyBuilder* rb = ctx.rb;
  h->ForEach([rb, part](std::string_view f, std::string_view v) {
    if (part != Part::kValues) rb->Bulk(f);
    if (part != Part::kFields) rb->Bulk(v);
  });
}
void CmdHGetAll(CmdContext& ctx) { HGetAllGeneric(ctx, Part::kBoth); }
void CmdHKeys(CmdContext& ctx) { HGetAllGeneric(ctx, Part::kFields); }
void CmdHVals(CmdContext& ctx) { HGetAllGeneric(ctx, Part::kValues); }

void CmdHIncrBy(CmdContext& ctx) {
  int64_t incr;
  if (!ArgInt(ctx, 3, &incr)) return;
  bool failed;
  HashObject* h = WriteOrCreateObject<HashObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  int64_t cur = 0;
  std::string_view v;
  if (h->Get(ctx.args[2], &v) && !ParseInt64(v, &cur))
    return ctx.rb->Error("ERR hash value is not an integer");
  if ((incr < 0 && cur < 0 && incr < LLONG_MIN - cur) ||
      (incr > 0 && cur > 0 && incr > LLONG_MAX - cur))
    return ctx.rb->Error("ERR increment or decrement would overflow");
  int64_t nv = cur + incr;
  char buf[24];
  size_t n = FormatInt64(nv, buf);
  h->Set(ctx.args[2], std::string_view(buf, n), Limits());
  Notify(ctx, notify::kHash, "hincrby", ctx.args[1]);
  ctx.rb->Integer(nv);
}

void CmdHIncrByFloat(CmdContext& ctx) {
  long double incr;
  if (!ParseLongDouble(ctx.args[3], &incr)) return ctx.rb->Error(kErrNotFloat);
  if (std::isnan(incr) || std::isinf(incr)) return ctx.rb->Error("ERR value is NaN or Infinity");
  bool failed;
  HashObject* h = WriteOrCreateObject<HashObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  long double cur = 0;
  std::string_view v;
  if (h->Get(ctx.args[2], &v) && !ParseLongDouble(v, &cur))
    return ctx.rb->Error("ERR hash value is not a float");
  long double nv = cur + incr;
  if (std::isnan(nv) || std::isinf(nv))
    return ctx.rb->Error("ERR increment would produce NaN or Infinity");
  std::string s = LongDoubleToString(nv);
  h->Set(ctx.args[2], s, Limits());
  Notify(ctx, notify::kHash, "hincrbyfloat", ctx.args[1]);
  ctx.rb->Bulk(s);
}

// ---- HRANDFIELD ----

using Pair = std::pair<std::string_view, std::string_view>;

void ReplyPairs(CmdContext& ctx, const std::vector<Pair>& pairs, bool withvalues) {
  resp::ReplyBuilder* rb = ctx.rb;
  rb->ArrayHeader(withvalues && rb->proto() == 2 ? pairs.size() * 2 : pairs.size());
  for (const Pair& p : pairs) {
    if (withvalues && rb->proto() > 2) rb->ArrayHeader(2);
    rb->Bulk(p.first);
    if (withvalues) rb->Bulk(p.second);
  }
}

std::vector<Pair> AllPairs(const HashObject* h) {
  std::vector<Pair> all;
  all.reserve(h->Length());
  h->ForEach([&all](std::string_view f, std::string_view v) { all.emplace_back(f, v); });
  return all;
}

// HRANDFIELD key [count [WITHVALUES]]
void CmdHRandField(CmdContext& ctx) {
  if (ctx.args.size() == 2) {
    bool failed;
    HashObject* h = ReadObject<HashObject>(ctx, ctx.args[1], &failed);
    if (failed) return;
    if (!h) return ctx.rb->Null();
    ctx.rb->Bulk(h->RandomPair(ctx.shard->rng()).first);
    return;
  }
  int64_t l;
  if (!ArgInt(ctx, 2, &l)) return;
  if (l < -LLONG_MAX) {
    return ctx.rb->Error(
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807");
  }
  bool withvalues = false;
  if (ctx.args.size() > 4 || (ctx.args.size() == 4 && !ArgIs(ctx.args[3], "withvalues")))
    return ctx.rb->Error(kErrSyntax);
  if (ctx.args.size() == 4) {
    withvalues = true;
    if (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2) return ctx.rb->Error("ERR value is out of range");
  }
  bool failed;
  HashObject* h = ReadObject<HashObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (!h || l == 0) return ctx.rb->ArrayHeader(0);
  std::mt19937_64& rng = ctx.shard->rng();
  size_t size = h->Length();
  std::vector<Pair> out;
  if (l < 0 || l == 1) {
    // Repeats allowed: independent draws.
    size_t count = size_t(l < 0 ? -l : l);
    resp::ReplyBuilder* rb = ctx.rb;
    rb->ArrayHeader(withvalues && rb->proto() == 2 ? count * 2 : count);
    std::vector<Pair> all;
    if (h->packed()) all = AllPairs(h);
    for (size_t i = 0; i < count; i++) {
      Pair p = h->packed() ? all[rng() % all.size()] : h->RandomPair(rng);
      if (withvalues && rb->proto() > 2) rb->ArrayHeader(2);
      rb->Bulk(p.first);
      if (withvalues) rb->Bulk(p.second);
    }
    return;
  }
  size_t count = size_t(l);
  if (count >= size) return ReplyPairs(ctx, AllPairs(h), withvalues);
  if (h->packed() || count * 3 > size) {
    // Partial shuffle of all pairs.
    std::vector<Pair> all = AllPairs(h);
    for (size_t i = 0; i < count; i++) std::swap(all[i], all[i + rng() % (size - i)]);
    all.resize(count);
    return ReplyPairs(ctx, all, withvalues);
  }
  std::unordered_set<std::string_view> seen;
  while (out.size() < count) {
    Pair p = h->RandomPair(rng);
    if (seen.insert(p.first).second) out.push_back(p);
  }
  ReplyPairs(ctx, out, withvalues);
}

// ---- HSCAN ----

// HSCAN key cursor [MATCH pattern] [COUNT count]
void CmdHScan(CmdContext& ctx) {
  uint64_t cursor;
  if (!ParseContainerScanCursor(ctx, ctx.args[2], &cursor)) return;
  bool failed;
  HashObject* h = ReadObject<HashObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (!h) return ReplyEmptyScan(ctx.rb);
  ScanOptions opt;
  if (!ParseScanOptions(ctx, 3, &opt)) return;
  int64_t count = opt.count;
  std::string_view pattern = opt.pattern;
  bool use_pattern = opt.use_pattern;
  std::vector<Pair> found;
  auto collect = [&found](std::string_view f, std::string_view v) { found.emplace_back(f, v); };
  if (h->packed()) {
    cursor = h->Scan(cursor, collect);
  } else {
    // As Redis: COUNT counts returned elements (a field and its value are two), and at most
    // ten times COUNT steps are taken so a sparse table cannot stall the shard.
    int64_t want = count * 2;
    int64_t max_steps = count * 10;
    do {
      cursor = h->Scan(cursor, collect);
    } while (cursor && max_steps-- && int64_t(found.size() * 2) < want);
  }
  ctx.rb->ArrayHeader(2);
  ctx.rb->Bulk(std::to_string(cursor));
  size_t kept = 0;
  for (const Pair& p : found)
    if (!use_pattern || GlobMatch(pattern, p.first)) kept++;
  ctx.rb->ArrayHeader(kept * 2);
  for (const Pair& p : found) {
    if (use_pattern && !GlobMatch(pattern, p.first)) continue;
    ctx.rb->Bulk(p.first);
    ctx.rb->Bulk(p.second);
  }
}

}  // namespace

void RegisterHashFamily(CommandRegistry& r) {
  using namespace cmd;
  const uint32_t W = kWrite | kDenyOom;
  r.Add({"hset", -4, W | kFast, 1, 1, 1, CmdHSet, nullptr, "hash",
         "Creates or modifies the value of a field in a hash.", "2.0.0", "O(N)"});
  r.Add({"hsetnx", 4, W | kFast, 1, 1, 1, CmdHSetNx, nullptr, "hash",
         "Sets the value of a field in a hash only when the field doesn't exist.", "2.0.0"});
  r.Add({"hmset", -4, W | kFast, 1, 1, 1, CmdHMSet, nullptr, "hash",
         "Sets the values of multiple fields.", "2.0.0", "O(N)"});
  r.Add({"hget", 3, kReadOnly | kFast, 1, 1, 1, CmdHGet, nullptr, "hash",
         "Returns the value of a field in a hash.", "2.0.0"});
  r.Add({"hmget", -3, kReadOnly | kFast, 1, 1, 1, CmdHMGet, nullptr, "hash",
         "Returns the values of all fields in a hash.", "2.0.0", "O(N)"});
  r.Add({"hgetall", 2, kReadOnly, 1, 1, 1, CmdHGetAll, nullptr, "hash",
         "Returns all fields and values in a hash.", "2.0.0", "O(N)"});
  r.Add({"hdel", -3, kWrite | kFast, 1, 1, 1, CmdHDel, nullptr, "hash",
         "Deletes one or more fields and their values from a hash. Deletes the hash if no fields "
         "remain.",
         "2.0.0", "O(N)"});
  r.Add({"hexists", 3, kReadOnly | kFast, 1, 1, 1, CmdHExists, nullptr, "hash",
         "Determines whether a field exists in a hash.", "2.0.0"});
  r.Add({"hlen", 2, kReadOnly | kFast, 1, 1, 1, CmdHLen, nullptr, "hash",
         "Returns the number of fields in a hash.", "2.0.0"});
  r.Add({"hstrlen", 3, kReadOnly | kFast, 1, 1, 1, CmdHStrLen, nullptr, "hash",
         "Returns the length of the value of a field.", "3.2.0"});
  r.Add({"hkeys", 2, kReadOnly, 1, 1, 1, CmdHKeys, nullptr, "hash", "Returns all fields in a hash.",
         "2.0.0", "O(N)"});
  r.Add({"hvals", 2, kReadOnly, 1, 1, 1, CmdHVals, nullptr, "hash", "Returns all values in a hash.",
         "2.0.0", "O(N)"});
  r.Add({"hincrby", 4, W | kFast, 1, 1, 1, CmdHIncrBy, nullptr, "hash",
         "Increments the integer value of a field in a hash by a number. Uses 0 as initial value "
         "if the field doesn't exist.",
         "2.0.0"});
  r.Add({"hincrbyfloat", 4, W | kFast, 1, 1, 1, CmdHIncrByFloat, nullptr, "hash",
         "Increments the floating point value of a field by a number. Uses 0 as initial value if "
         "the field doesn't exist.",
         "2.6.0"});
  r.Add({"hrandfield", -2, kReadOnly, 1, 1, 1, CmdHRandField, nullptr, "hash",
         "Returns one or more random fields from a hash.", "6.2.0", "O(N)"});
  r.Add({"hscan", -3, kReadOnly, 1, 1, 1, CmdHScan, nullptr, "hash",
         "Iterates over fields and values of a hash.", "2.8.0", "O(N)"});
}

}  // namespace strata::kv
