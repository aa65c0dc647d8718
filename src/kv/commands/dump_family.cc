// DUMP and RESTORE: a key's value as a Redis 7.0 payload (RDB object + RDB version 10 + CRC64),
// interchangeable with redis-server's. Both are single-key commands and run on the key's shard.
//
// RESTORE's IDLETIME and FREQ set the key's policy word as Redis's objectSetLRUOrLFU does:
// IDLETIME under the policies whose word is Redis's LRU clock (noeviction, *-lru, *-random,
// volatile-ttl), FREQ under *-lfu; otherwise, as in Redis, they are accepted and ignored. The
// FIFO, LRFU and TinyLRU words hold no clock or counter a client could set, so there they are
// ignored too.
#include <string>

#include "cache/sampled/redis_meta.h"
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"
#include "kv/engine/key_snapshot.h"
#include "kv/rdb/rdb_keyspace.h"
#include "kv/server/snapshot.h"

namespace strata::kv {
namespace {

using cache::sampled::Algorithm;

// DUMP key
void CmdDump(CmdContext& ctx) {
  std::string_view key = ctx.args[1];
  Entry* e = ctx.shard->FindForRead(ctx.db, key, KeyHash(key), ctx.now_ms);
  if (!e) return ctx.rb->Null();
  rdb::RdbValue v = rdb::ValueOf(e);
  ctx.rb->Bulk(rdb::CreateDumpPayload(v));
}

// The policy word RESTORE's IDLETIME / FREQ ask for, if the current policy can hold it.
bool PolicyWord(const Shard& s, int64_t idle, int64_t freq, int64_t now_ms, uint32_t* word) {
  namespace redis = cache::redis;
  Algorithm algo = s.policy().algorithm();
  if (freq >= 0 && algo == Algorithm::kLfu) {
    *word = redis::LfuPack(uint32_t(freq), uint64_t(now_ms));
    return true;
  }
  bool lru_clock = algo == Algorithm::kLru || algo == Algorithm::kNone ||
                   algo == Algorithm::kRandom || algo == Algorithm::kTtl;
  if (idle >= 0 && lru_clock) {
    int64_t clock = int64_t(redis::LruClock(uint64_t(now_ms)));
    // The idle time in clock ticks (seconds); too long an idle time for the clock lands half a
    // wrap away, as in Redis.
    int64_t abs = clock - idle;
    if (abs < 0) abs = (clock + int64_t(redis::kLruClockMax / 2)) % int64_t(redis::kLruClockMax);
    *word = uint32_t(abs);
    return true;
  }
  return false;
}

// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
void CmdRestore(CmdContext& ctx) {
  bool replace = false, absttl = false;
  int64_t idle = -1, freq = -1;
  for (size_t j = 4; j < ctx.args.size(); j++) {
    bool more = j + 1 < ctx.args.size();
    std::string_view a = ctx.args[j];
    if (ArgIs(a, "replace")) {
      replace = true;
    } else if (ArgIs(a, "absttl")) {
      absttl = true;
    } else if (ArgIs(a, "idletime") && more && freq == -1) {
      if (!ArgInt(ctx, j + 1, &idle)) return;
      if (idle < 0) return ctx.rb->Error("ERR Invalid IDLETIME value, must be >= 0");
      j++;
    } else if (ArgIs(a, "freq") && more && idle == -1) {
      if (!ArgInt(ctx, j + 1, &freq)) return;
      if (freq < 0 || freq > 255)
        return ctx.rb->Error("ERR Invalid FREQ value, must be >= 0 and <= 255");
      j++;
    } else {
      return ctx.rb->Error(kErrSyntax);
    }
  }
  std::string_view key = ctx.args[1];
  uint64_t hash = KeyHash(key);
  if (!replace && ctx.shard->FindForWrite(ctx.db, key, hash, ctx.now_ms))
    return ctx.rb->Error("BUSYKEY Target key name already exists.");
  int64_t ttl;
  if (!ArgInt(ctx, 2, &ttl)) return;
  if (ttl < 0) return ctx.rb->Error("ERR Invalid TTL value, must be >= 0");
  std::string_view payload = ctx.args[3];
  if (!rdb::VerifyDumpPayload(payload))
    return ctx.rb->Error("ERR DUMP payload version or checksum are wrong");
  rdb::RdbValue v;
  if (!rdb::DecodeDumpPayload(payload, &v)) return ctx.rb->Error("ERR Bad data format");
  std::unique_ptr<Object> built;
  if (v.kind != 0) {
    built = rdb::BuildObject(&v, ConfiguredBuildLimits());
    if (!built) return ctx.rb->Error("ERR Bad data format");  // a malformed Bloom filter
  }

  bool deleted = false;
  if (replace) {
    if (Entry** link = ctx.shard->FindLink(ctx.db, key, hash, ctx.now_ms)) {
      ctx.shard->Delete(ctx.db, link);
      deleted = true;
    }
  }
  // A relative TTL too large for the clock wraps negative, as in Redis, and so counts as already
  // expired (computed unsigned: no signed overflow).
  if (ttl && !absttl) ttl = int64_t(uint64_t(ttl) + uint64_t(ctx.now_ms));
  if (ttl && ttl <= ctx.now_ms) {
    // Already expired: nothing is created (an existing key replaced is just deleted).
    if (deleted) Notify(ctx, notify::kGeneric, "del", key);
    return ctx.rb->Ok();
  }
  Snapshot snap;
  snap.type = ObjType(v.kind);
  snap.expire_ms = ttl ? ttl : -1;
  if (v.kind == 0)
    snap.value = std::move(v.str);
  else
    snap.obj = std::move(built);
  Restore(*ctx.shard, ctx.db, key, snap, ctx.now_ms, Meta::kFresh);
  uint32_t word;
  if ((idle >= 0 || freq >= 0) && PolicyWord(*ctx.shard, idle, freq, ctx.now_ms, &word)) {
    if (Entry** link = ctx.shard->FindLink(ctx.db, key, hash, ctx.now_ms)) (*link)->meta = word;
  }
  Notify(ctx, notify::kGeneric, "restore", key);
  ctx.rb->Ok();
}

}  // namespace

void RegisterDumpFamily(CommandRegistry& r) {
  using namespace cmd;
  r.Add({"dump", 2, kReadOnly, 1, 1, 1, CmdDump, nullptr, "generic",
         "Returns a serialized representation of the value stored at a key.", "2.6.0",
         "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of "
         "Redis objects composing the value and M their average size. For small string values "
         "the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1)."});
  r.Add({"restore", -4, kWrite | kDenyOom, 1, 1, 1, CmdRestore, nullptr, "generic",
         "Creates a key from the serialized representation of a value.", "2.6.0",
         "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, "
         "where N is the number of Redis objects composing the value and M their average size. "
         "For small string values the time complexity is thus O(1)+O(1*M) where M is small, so "
         "simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because "
         "inserting values into sorted sets is O(log(N))."});
}

}  // namespace strata::kv
