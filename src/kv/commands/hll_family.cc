// HyperLogLog commands: PFADD PFCOUNT PFMERGE, on string values in Redis's HLL format (the
// encoding and estimator are in types/hyperloglog.h). PFCOUNT over several keys and PFMERGE run
// as coordinators when their keys live on several shards: each shard merges its own sketches
// into 16384 raw registers, the coordinator takes the maximum, and PFMERGE stores the result on
// the destination's shard, all under the keys' locks.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "kv/commands/family_util.h"
#include "kv/commands/multi_util.h"
#include "kv/commands/registry.h"
#include "kv/commands/string_value.h"
#include "kv/server/config.h"
#include "kv/types/hyperloglog.h"

namespace strata::kv {
namespace {

constexpr const char* kErrNotHll = "WRONGTYPE Key is not a valid HyperLogLog string value.";
constexpr const char* kErrCorrupt = "INVALIDOBJ Corrupted HLL object detected";

size_t SparseMaxBytes() {
  return size_t(GlobalConfig().hll_sparse_max_bytes.load(std::memory_order_relaxed));
}

// Why a key cannot be read as a sketch, if it cannot.
enum class HllState { kOk, kMissing, kWrongType, kNotHll, kCorrupt };

HllState Check(const Entry* e) {
  if (!e) return HllState::kMissing;
  if (e->type != ObjType::kString) return HllState::kWrongType;
  return hll::IsHll(e->value()) ? HllState::kOk : HllState::kNotHll;
}

void ReplyState(CmdContext& ctx, HllState st) {
  switch (st) {
    case HllState::kWrongType:
      return ctx.rb->Error(kErrWrongType);
    case HllState::kNotHll:
      return ctx.rb->Error(kErrNotHll);
    case HllState::kCorrupt:
      return ctx.rb->Error(kErrCorrupt);
    default:
      return;
  }
}

// Registers merged from some keys of one shard, or the first of them that failed.
struct Merged {
  std::unique_ptr<uint8_t[]> max;  // hll::kRegisters bytes
  bool any_dense = false;
  size_t failed_idx = SIZE_MAX;  // argument index of the first key that failed
  HllState failed = HllState::kOk;
};

// Reads the sketches at the given argument indices (in order) on `s` and merges their registers,
// stopping at the first key that is not a valid sketch.
Merged MergeOnShard(Shard& s, const CmdContext& ctx, const std::vector<size_t>& idx) {
  Merged m;
  m.max = std::make_unique<uint8_t[]>(hll::kRegisters);
  std::fill_n(m.max.get(), hll::kRegisters, uint8_t(0));
  for (size_t i : idx) {
    Entry* e = s.FindForRead(ctx.db, ctx.args[i], KeyHash(ctx.args[i]), ctx.now_ms);
    HllState st = Check(e);
    if (st == HllState::kMissing) continue;  // an absent key is an empty sketch
    if (st == HllState::kOk) {
      if (hll::IsDense(e->value())) m.any_dense = true;
      if (hll::MergeInto(e->value(), m.max.get())) continue;
      st = HllState::kCorrupt;
    }
    m.failed_idx = i;
    m.failed = st;
    break;
  }
  return m;
}

// PFADD key [element ...]
void CmdPfAdd(CmdContext& ctx) {
  std::string_view key = ctx.args[1];
  uint64_t hash = KeyHash(key);
  Entry** link = ctx.shard->FindForWrite(ctx.db, key, hash, ctx.now_ms);
  int updated = 0;
  if (link) {
    HllState st = Check(*link);
    if (st != HllState::kOk) return ReplyState(ctx, st);
    (*link)->flags |= Entry::kRaw;  // Redis unshares the value before writing it
    if (hll::IsDense((*link)->value())) {
      // Dense sketches keep their length: update the entry's bytes in place.
      char* v = (*link)->mutable_value();
      for (size_t j = 2; j < ctx.args.size(); j++) {
        uint32_t index;
        uint8_t count = hll::PatternLength(ctx.args[j], &index);
        updated += hll::DenseRaise(v, index, count);
      }
      if (updated) {
        hll::InvalidateCache(v);
        Notify(ctx, notify::kString, "pfadd", key);
      }
      return ctx.rb->Integer(updated ? 1 : 0);
    }
  } else {
    updated++;  // creating the key counts as a change
  }
  std::string v = link ? std::string((*link)->value()) : hll::NewSparse();
  size_t max_bytes = SparseMaxBytes();
  bool failed = false;
  for (size_t j = 2; j < ctx.args.size() && !failed; j++) {
    int r = hll::Add(&v, ctx.args[j], max_bytes);
    if (r < 0)
      failed = true;
    else
      updated += r;
  }
  if (updated && !failed) hll::InvalidateCache(v.data());
  // As Redis, elements added before a corrupt opcode was met stay added.
  if (link)
    RewriteValue(ctx, link, v);
  else
    AddRawString(ctx, key, hash, v);
  if (failed) return ctx.rb->Error(kErrCorrupt);
  if (updated) Notify(ctx, notify::kString, "pfadd", key);
  ctx.rb->Integer(updated ? 1 : 0);
}

// PFCOUNT key [key ...], all keys on this shard.
void CmdPfCount(CmdContext& ctx) {
  if (ctx.args.size() > 2) {
    Merged m = MergeOnShard(*ctx.shard, ctx, ArgRange(ctx, 1));
    if (m.failed != HllState::kOk) return ReplyState(ctx, m.failed);
    return ctx.rb->Integer(int64_t(hll::CountRaw(m.max.get())));
  }
  std::string_view key = ctx.args[1];
  Entry* e = ctx.shard->FindForRead(ctx.db, key, KeyHash(key), ctx.now_ms);
  HllState st = Check(e);
  if (st == HllState::kMissing) return ctx.rb->Integer(0);
  if (st != HllState::kOk) return ReplyState(ctx, st);
  e->flags |= Entry::kRaw;  // the cache may be written: Redis unshares the value first
  std::string_view v = e->value();
  if (hll::CacheValid(v)) return ctx.rb->Integer(int64_t(hll::CachedCardinality(v)));
  bool invalid = false;
  uint64_t card = hll::Count(v, &invalid);
  if (invalid) return ctx.rb->Error(kErrCorrupt);
  hll::SetCachedCardinality(e->mutable_value(), card);
  ctx.rb->Integer(int64_t(card));
}

// Writes merged registers into the destination (args[1]) on ctx.shard, creating it if needed.
// False if the destination turned out corrupt.
bool StoreMergedAt(CmdContext& ctx, const uint8_t* max, bool to_dense) {
  std::string_view key = ctx.args[1];
  uint64_t hash = KeyHash(key);
  Entry** link = ctx.shard->FindForWrite(ctx.db, key, hash, ctx.now_ms);
  std::string v = link ? std::string((*link)->value()) : hll::NewSparse();
  if (!hll::StoreMerged(&v, max, to_dense, SparseMaxBytes())) {
    if (link) (*link)->flags |= Entry::kRaw;
    return false;
  }
  if (link)
    RewriteValue(ctx, link, v);
  else
    AddRawString(ctx, key, hash, v);
  // As Redis: a merge is a mass add.
  Notify(ctx, notify::kString, "pfadd", key);
  return true;
}

// PFMERGE destkey [sourcekey ...], all keys on this shard. The destination is a source too.
void CmdPfMerge(CmdContext& ctx) {
  Merged m = MergeOnShard(*ctx.shard, ctx, ArgRange(ctx, 1));
  if (m.failed != HllState::kOk) return ReplyState(ctx, m.failed);
  if (!StoreMergedAt(ctx, m.max.get(), m.any_dense)) return ctx.rb->Error(kErrCorrupt);
  ctx.rb->Ok();
}

// Merges the sketches of every key across the shards: per-shard merges combined into `max`.
// Returns the first failure in argument order, or kOk.
Task<HllState> MergeAcross(CmdContext& ctx, MultiKeyTx& tx, uint8_t* max, bool* any_dense) {
  auto parts = co_await tx.OnEachShard([&ctx](Shard& s, const std::vector<size_t>& idx) {
    return std::make_shared<Merged>(MergeOnShard(s, ctx, idx));
  });
  const Merged* first_fail = nullptr;
  for (const auto& p : parts)
    if (p->failed != HllState::kOk && (!first_fail || p->failed_idx < first_fail->failed_idx))
      first_fail = p.get();
  if (first_fail) co_return first_fail->failed;
  std::fill_n(max, hll::kRegisters, uint8_t(0));
  for (const auto& p : parts) {
    *any_dense |= p->any_dense;
    for (int i = 0; i < hll::kRegisters; i++) max[i] = std::max(max[i], p->max[size_t(i)]);
  }
  co_return HllState::kOk;
}

Task<void> MultiPfCount(CmdContext& ctx) {
  MultiKeyTx tx(ctx, ArgRange(ctx, 1));
  co_await tx.Lock();
  std::vector<uint8_t> max(hll::kRegisters);
  bool any_dense = false;
  HllState st = co_await MergeAcross(ctx, tx, max.data(), &any_dense);
  co_await tx.Unlock();
  if (st != HllState::kOk) {
    ReplyState(ctx, st);
    co_return;
  }
  ctx.rb->Integer(int64_t(hll::CountRaw(max.data())));
}

Task<void> MultiPfMerge(CmdContext& ctx) {
  MultiKeyTx tx(ctx, ArgRange(ctx, 1));
  co_await tx.Lock();
  if (!co_await EnsureMemoryOnAll(tx)) {
    co_await tx.Unlock();
    ctx.rb->Error(kErrOom);
    co_return;
  }
  std::vector<uint8_t> max(hll::kRegisters);
  bool any_dense = false;
  HllState st = co_await MergeAcross(ctx, tx, max.data(), &any_dense);
  if (st == HllState::kOk) {
    bool stored = false;
    co_await Shards().Hop(Shards().ShardOf(HashKey(ctx.args[1])), [&](Shard& s) {
      std::string scratch;
      resp::ReplyBuilder rb(&scratch);
      CmdContext c = ShardStepCtx(ctx, s, &rb);
      stored = StoreMergedAt(c, max.data(), any_dense);
    });
    if (!stored) st = HllState::kCorrupt;
  }
  co_await tx.Unlock();
  if (st != HllState::kOk) {
    ReplyState(ctx, st);
    co_return;
  }
  ctx.rb->Ok();
}

}  // namespace

void RegisterHllFamily(CommandRegistry& r) {
  using namespace cmd;
  const uint32_t W = kWrite | kDenyOom;
  r.Add({"pfadd", -2, W | kFast, 1, 1, 1, CmdPfAdd, nullptr, "hyperloglog",
         "Adds the specified elements to the specified HyperLogLog.", "2.8.9",
         "O(1) to add every element."});
  r.Add({"pfcount", -2, kReadOnly, 1, -1, 1, CmdPfCount, MultiPfCount, "hyperloglog",
         "Return the approximated cardinality of the set(s) observed by the HyperLogLog at "
         "key(s).",
         "2.8.9",
         "O(1) with a very small average constant time when called with a single key. O(N) with "
         "N being the number of keys, and much bigger constant times, when called with multiple "
         "keys."});
  r.Add({"pfmerge", -2, W, 1, -1, 1, CmdPfMerge, MultiPfMerge, "hyperloglog",
         "Merge N different HyperLogLogs into a single one.", "2.8.9",
         "O(N) to merge N HyperLogLogs, but with high constant times."});
}

}  // namespace strata::kv
