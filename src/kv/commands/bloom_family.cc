// Bloom filter commands, as RedisBloom has them: BF.RESERVE BF.ADD BF.MADD BF.INSERT BF.EXISTS
// BF.MEXISTS BF.INFO BF.CARD, over the scalable filter of types/bloom.h (TYPE "MBbloom--").
//
// Replies and error texts follow RedisBloom 2.6, including its quirks: BF.EXISTS / BF.MEXISTS
// answer 0 for a key of another type (RedisBloom treats it as no filter), while the other
// commands reply WRONGTYPE; BF.RESERVE ignores arguments it does not know. BF.INSERT takes its
// option words whole (RedisBloom looks at their first letters only). RESP3 clients get
// booleans from the add and exists commands and maps from BF.INFO, as from RedisBloom.
//
// Every command has one key and runs on that key's shard (single-shard handlers only); the
// writes are logged to the append-only file as sent, which replays them exactly (adding an item
// is deterministic).
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "kv/commands/dispatch.h"
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"
#include "kv/types/bloom.h"

namespace strata::kv {
namespace {

constexpr const char* kErrNotFound = "ERR not found";
constexpr const char* kErrExists = "ERR item exists";
constexpr const char* kErrFull = "ERR non scaling filter is full";
constexpr const char* kErrInsert = "ERR problem inserting into filter";
constexpr const char* kErrCreate = "ERR could not create filter";

// Options of a filter created by a write on a missing key.
struct CreateOptions {
  double error = BloomFilter::kDefaultError;
  int64_t capacity = int64_t(BloomFilter::kDefaultCapacity);
  int64_t expansion = BloomFilter::kDefaultExpansion;
  bool nonscaling = false;
  bool autocreate = true;
};

// The filter at key for a write; creates it with `opt` when missing (and allowed). Replies the
// error and returns nullptr on failure.
BloomFilter* FilterForWrite(CmdContext& ctx, const CreateOptions& opt) {
  std::string_view key = ctx.args[1];
  Typed<BloomFilter> t =
      FindObject<BloomFilter>(*ctx.shard, ctx.db, key, ctx.now_ms, Access::kWrite);
  if (t.wrongtype) {
    ctx.rb->Error(kErrWrongType);
    return nullptr;
  }
  if (t.obj) return t.obj;
  if (!opt.autocreate) {
    ctx.rb->Error(kErrNotFound);
    return nullptr;
  }
  auto f = BloomFilter::Create(opt.error, uint64_t(opt.capacity), uint32_t(opt.expansion),
                               opt.nonscaling);
  if (!f) {
    ctx.rb->Error(kErrCreate);
    return nullptr;
  }
  return AddObject(*ctx.shard, ctx.db, key, std::move(f), ctx.now_ms);
}

// A 0/1 answer: an integer for RESP2, a boolean for RESP3 (as RedisBloom).
void ReplyFlag(CmdContext& ctx, bool v) {
  if (ctx.rb->proto() >= 3)
    ctx.rb->Bool(v);
  else
    ctx.rb->Integer(v ? 1 : 0);
}

// Adds items[first..] to the filter and replies: one flag, or (multi) an array of them. As
// RedisBloom, the first item that cannot be added ends the command with an error in its place.
void AddItems(CmdContext& ctx, const CreateOptions& opt, size_t first, bool multi) {
  BloomFilter* f = FilterForWrite(ctx, opt);
  if (!f) return;
  std::vector<BloomFilter::AddResult> results;
  results.reserve(ctx.args.size() - first);
  for (size_t i = first; i < ctx.args.size(); i++) {
    BloomFilter::AddResult r = f->Add(ctx.args[i]);
    results.push_back(r);
    if (r == BloomFilter::AddResult::kFull || r == BloomFilter::AddResult::kTooLarge) break;
  }
  if (multi) ctx.rb->ArrayHeader(results.size());
  for (BloomFilter::AddResult r : results) {
    switch (r) {
      case BloomFilter::AddResult::kAdded:
        ReplyFlag(ctx, true);
        break;
      case BloomFilter::AddResult::kExists:
        ReplyFlag(ctx, false);
        break;
      case BloomFilter::AddResult::kFull:
        ctx.rb->Error(kErrFull);
        break;
      case BloomFilter::AddResult::kTooLarge:
        ctx.rb->Error(kErrInsert);
        break;
    }
  }
}

// Index of `word` (any case) among args[from..], or 0.
size_t FindArg(const CmdContext& ctx, size_t from, std::string_view word) {
  for (size_t i = from; i < ctx.args.size(); i++)
    if (ArgIs(ctx.args[i], word)) return i;
  return 0;
}

// BF.RESERVE key error_rate capacity [EXPANSION expansion] [NONSCALING]
void CmdBfReserve(CmdContext& ctx) {
  if (ctx.args.size() > 7) return ReplyWrongArity(*ctx.rb, ctx.spec->name);
  CreateOptions opt;
  if (!ParseDouble(ctx.args[2], &opt.error)) return ctx.rb->Error("ERR bad error rate");
  if (!(opt.error > 0 && opt.error < 1)) return ctx.rb->Error("ERR (0 < error rate range < 1) ");
  if (!ParseInt64(ctx.args[3], &opt.capacity)) return ctx.rb->Error("ERR bad capacity");
  if (opt.capacity <= 0) return ctx.rb->Error("ERR (capacity should be larger than 0)");
  opt.nonscaling = FindArg(ctx, 4, "nonscaling") != 0;
  if (size_t at = FindArg(ctx, 4, "expansion")) {
    if (at + 1 == ctx.args.size()) return ctx.rb->Error("ERR no expansion");
    if (opt.nonscaling) return ctx.rb->Error("Nonscaling filters cannot expand");
    if (!ParseInt64(ctx.args[at + 1], &opt.expansion) || opt.expansion > int64_t(UINT32_MAX))
      return ctx.rb->Error("ERR bad expansion");
    if (opt.expansion < 1) return ctx.rb->Error("ERR expansion should be greater or equal to 1");
  }
  Typed<BloomFilter> t =
      FindObject<BloomFilter>(*ctx.shard, ctx.db, ctx.args[1], ctx.now_ms, Access::kWrite);
  if (t.wrongtype) return ctx.rb->Error(kErrWrongType);
  if (t.obj) return ctx.rb->Error(kErrExists);
  if (!FilterForWrite(ctx, opt)) return;
  ctx.rb->Ok();
}

// BF.ADD key item
void CmdBfAdd(CmdContext& ctx) { AddItems(ctx, CreateOptions{}, 2, false); }

// BF.MADD key item [item ...]
void CmdBfMAdd(CmdContext& ctx) { AddItems(ctx, CreateOptions{}, 2, true); }

// BF.INSERT key [CAPACITY capacity] [ERROR error] [EXPANSION expansion] [NOCREATE]
//           [NONSCALING] ITEMS item [item ...]
void CmdBfInsert(CmdContext& ctx) {
  CreateOptions opt;
  size_t items = 0;
  size_t n = ctx.args.size();
  for (size_t i = 2; i < n && items == 0;) {
    std::string_view a = ctx.args[i];
    if (ArgIs(a, "items")) {
      items = ++i;
    } else if (ArgIs(a, "error") || ArgIs(a, "expansion") || ArgIs(a, "capacity")) {
      if (++i == n) return ReplyWrongArity(*ctx.rb, ctx.spec->name);
      if (ArgIs(a, "error")) {
        if (!ParseDouble(ctx.args[i], &opt.error)) return ctx.rb->Error("Bad error rate");
      } else if (ArgIs(a, "expansion")) {
        if (!ParseInt64(ctx.args[i], &opt.expansion)) return ctx.rb->Error("Bad expansion");
      } else if (!ParseInt64(ctx.args[i], &opt.capacity)) {
        return ctx.rb->Error("Bad capacity");
      }
      i++;
    } else if (ArgIs(a, "nocreate")) {
      opt.autocreate = false;
      i++;
    } else if (ArgIs(a, "nonscaling")) {
      opt.nonscaling = true;
      i++;
    } else {
      return ctx.rb->Error("Unknown argument received");
    }
  }
  if (items == 0 || items == n) return ReplyWrongArity(*ctx.rb, ctx.spec->name);
  if (!(opt.error > 0 && opt.error < 1) || opt.capacity < 1 || opt.expansion < 1 ||
      opt.expansion > int64_t(UINT32_MAX))
    return ctx.rb->Error("Bad argument received");
  AddItems(ctx, opt, items, true);
}

// BF.EXISTS key item / BF.MEXISTS key item [item ...]
void Exists(CmdContext& ctx, bool multi) {
  Typed<BloomFilter> t =
      FindObject<BloomFilter>(*ctx.shard, ctx.db, ctx.args[1], ctx.now_ms, Access::kRead);
  if (multi) ctx.rb->ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); i++)
    ReplyFlag(ctx, t.obj && t.obj->Contains(ctx.args[i]));
}

void CmdBfExists(CmdContext& ctx) { Exists(ctx, false); }
void CmdBfMExists(CmdContext& ctx) { Exists(ctx, true); }

// The filter at key for BF.INFO / BF.CARD; replies the error when there is none (missing: "not
// found" unless `missing_ok`).
BloomFilter* FilterForRead(CmdContext& ctx, bool* failed, bool missing_ok) {
  Typed<BloomFilter> t =
      FindObject<BloomFilter>(*ctx.shard, ctx.db, ctx.args[1], ctx.now_ms, Access::kRead);
  *failed = true;
  if (t.wrongtype) {
    ctx.rb->Error(kErrWrongType);
    return nullptr;
  }
  if (!t.obj && !missing_ok) {
    ctx.rb->Error(kErrNotFound);
    return nullptr;
  }
  *failed = false;
  return t.obj;
}

// BF.INFO key [CAPACITY | SIZE | FILTERS | ITEMS | EXPANSION]
void CmdBfInfo(CmdContext& ctx) {
  if (ctx.args.size() > 3) return ReplyWrongArity(*ctx.rb, ctx.spec->name);
  bool failed;
  BloomFilter* f = FilterForRead(ctx, &failed, false);
  if (failed) return;
  struct Field {
    const char* arg;
    const char* label;
  };
  static constexpr Field kFields[] = {{"capacity", "Capacity"},
                                      {"size", "Size"},
                                      {"filters", "Number of filters"},
                                      {"items", "Number of items inserted"},
                                      {"expansion", "Expansion rate"}};
  auto value = [&](size_t i) {
    switch (i) {
      case 0:
        return ctx.rb->Integer(int64_t(f->TotalCapacity()));
      case 1:
        return ctx.rb->Integer(int64_t(f->InfoSize()));
      case 2:
        return ctx.rb->Integer(int64_t(f->layer_count()));
      case 3:
        return ctx.rb->Integer(int64_t(f->items()));
      default:
        if (f->nonscaling()) return ctx.rb->Null();
        return ctx.rb->Integer(int64_t(f->expansion()));
    }
  };
  if (ctx.args.size() == 3) {
    for (size_t i = 0; i < 5; i++) {
      if (!ArgIs(ctx.args[2], kFields[i].arg)) continue;
      // One value: an array of it for RESP2, a one-entry map for RESP3.
      if (ctx.rb->proto() >= 3) {
        ctx.rb->MapHeader(1);
        ctx.rb->SimpleString(kFields[i].label);
      } else {
        ctx.rb->ArrayHeader(1);
      }
      return value(i);
    }
    return ctx.rb->Error("Invalid information value");
  }
  ctx.rb->MapHeader(5);
  for (size_t i = 0; i < 5; i++) {
    ctx.rb->SimpleString(kFields[i].label);
    value(i);
  }
}

// BF.CARD key
void CmdBfCard(CmdContext& ctx) {
  bool failed;
  BloomFilter* f = FilterForRead(ctx, &failed, true);
  if (failed) return;
  ctx.rb->Integer(f ? int64_t(f->items()) : 0);
}

}  // namespace

void RegisterBloomFamily(CommandRegistry& r) {
  using namespace cmd;
  r.Add({"bf.reserve", -4, kWrite | kDenyOom, 1, 1, 1, CmdBfReserve, nullptr, "bf",
         "Creates a new Bloom Filter", "1.0.0", "O(1)"});
  r.Add({"bf.add", 3, kWrite | kDenyOom, 1, 1, 1, CmdBfAdd, nullptr, "bf",
         "Adds an item to a Bloom Filter", "1.0.0",
         "O(k), where k is the number of hash functions "
         "used by the last sub-filter"});
  r.Add({"bf.madd", -3, kWrite | kDenyOom, 1, 1, 1, CmdBfMAdd, nullptr, "bf",
         "Adds one or more items to a Bloom Filter. A filter will be created if it does not exist",
         "1.0.0",
         "O(k * n), where k is the number of hash functions and n is the number of items"});
  r.Add({"bf.insert", -4, kWrite | kDenyOom, 1, 1, 1, CmdBfInsert, nullptr, "bf",
         "Adds one or more items to a Bloom Filter. A filter will be created if it does not "
         "exist",
         "1.0.0",
         "O(k * n), where k is the number of hash functions and n is the number of items"});
  r.Add({"bf.exists", 3, kReadOnly | kFast, 1, 1, 1, CmdBfExists, nullptr, "bf",
         "Checks whether an item exists in a Bloom Filter", "1.0.0",
         "O(k), where k is the number of hash functions used by the last sub-filter"});
  r.Add({"bf.mexists", -3, kReadOnly | kFast, 1, 1, 1, CmdBfMExists, nullptr, "bf",
         "Checks whether one or more items exist in a Bloom Filter", "1.0.0",
         "O(k * n), where k is the number of hash functions and n is the number of items"});
  r.Add({"bf.info", -2, kReadOnly | kFast, 1, 1, 1, CmdBfInfo, nullptr, "bf",
         "Returns information about a Bloom Filter", "1.0.0", "O(1)"});
  r.Add({"bf.card", 2, kReadOnly | kFast, 1, 1, 1, CmdBfCard, nullptr, "bf",
         "Returns the cardinality of a Bloom filter", "2.4.4", "O(1)"});
}

}  // namespace strata::kv
