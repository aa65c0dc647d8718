// LEASE.GET, LEASE.SET, LEASE.RELEASE: read-through leases for RESP clients, on the same state as
// memcached's meta-protocol leases (mg ... N / md ... I and the W, Z, X flags), so both protocols
// see one lease per key (docs/design/memcached.md, "Leases").
//
//   LEASE.GET key ttl-ms   -> ["HIT", value]               a current value
//                             ["WIN", token]               a miss: the caller fills the key
//                             ["WIN", token, stale-value]  stale: the caller refills it
//                             ["STALE", stale-value]       stale, someone else refills it
//                             ["WAIT"]                     a miss someone else is filling
//   LEASE.SET key token value [EX s|PX ms] -> OK, or an error when the token is not (or no
//                             longer) the key's live lease
//   LEASE.RELEASE key token -> 1 (a placeholder is removed, a stale value's fill is free again)
//                             or 0
//
// The lease lives in the memcached side table (kv/memcache/meta_table.h), database 0 only: a miss
// stores an empty placeholder value that expires after ttl-ms (as memcached's mg N does), and the
// token is the row's CAS unique, handed out for ttl-ms. Any write of the key (RESP or memcached,
// expiry, eviction) drops the row through Shard::KeyModified and so voids the token. These
// commands run on the key's shard thread. They are not flagged as writes: the dispatcher's
// KeyModified after a write command would drop the very lease they hand out, so the writes they
// do make (the placeholder, LEASE.SET's value, LEASE.RELEASE's delete) report the key themselves.
#include <string>

#include "kv/aof/aof_log.h"
#include "kv/commands/dispatch.h"
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"
#include "kv/engine/shard.h"
#include "kv/memcache/meta_table.h"

namespace strata::kv {
namespace {

using memcache::Meta;

constexpr const char* kErrDb = "ERR LEASE commands work on database 0 (the memcached keyspace)";
constexpr const char* kErrToken = "ERR the lease token is not valid (expired, released or voided)";
constexpr const char* kErrTtl = "ERR invalid lease ttl";

bool ParsePositive(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v <= 0) return false;
  *out = v;
  return true;
}

bool ParseToken(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t d = uint64_t(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return v != 0;
}

// Runs a registered write command's handler on this shard for `args` (as part of the lease
// command), then reports the key as modified, as the dispatcher does for a write command.
void RunWrite(CmdContext& ctx, std::initializer_list<std::string_view> args, bool log = true) {
  thread_local std::vector<std::string_view> argv;
  argv.assign(args.begin(), args.end());
  const CommandSpec* spec = CommandRegistry::Get().Find(argv[0]);
  CmdContext sub = ctx;
  sub.args = std::span<const std::string_view>(argv.data(), argv.size());
  sub.spec = spec;
  std::string* out = sub.rb->out();
  size_t before = out->size();
  spec->handler(sub);
  // The append-only file logs the write itself (LEASE.* are not write commands to the
  // dispatcher, whose after-write step would void the lease they hand out).
  if (log) aof::FeedContext(sub, std::string_view(*out).substr(before));
  if (ctx.shard->ObservesWrites()) ctx.shard->KeyModified(0, argv[1]);
  ctx.shard->AddDirty();
}

// The key's live lease, if `token` is it.
bool TokenValid(Shard& s, std::string_view key, uint64_t token, int64_t now) {
  const Meta* row = s.mc_meta().Find(key);
  return row && row->token_live(now) && row->cas == token;
}

void CmdLeaseGet(CmdContext& ctx) {
  if (ctx.db != 0) return ctx.rb->Error(kErrDb);
  int64_t ttl;
  if (!ParsePositive(ctx.args[2], &ttl)) return ctx.rb->Error(kErrTtl);
  Shard& s = *ctx.shard;
  std::string_view key = ctx.args[1];
  const int64_t now = ctx.now_ms;
  Entry* e = s.FindForRead(0, key, KeyHash(key), now);
  if (e && e->is_object()) return ctx.rb->Error(kErrWrongType);
  memcache::MetaTable& mt = s.mc_meta();
  if (!e) {
    std::string at = std::to_string(now + ttl);
    std::string reply;
    resp::ReplyBuilder rb(&reply);
    CmdContext sub = ctx;
    sub.rb = &rb;
    // The placeholder is not logged: a lease does not survive a restart, and an empty value
    // without its lease row would read as a hit.
    RunWrite(sub, {"SET", key, "", "PXAT", at, "NX"}, /*log=*/false);
    if (reply.rfind("+OK", 0) != 0) return ctx.rb->Raw(reply);  // -OOM and the like
    Meta row;
    row.state = Meta::kPlaceholder | Meta::kTokenSent;
    row.cas = mt.NextCas();
    row.win_until_ms = now + ttl;
    mt.Put(key, row);
    ctx.rb->ArrayHeader(2);
    ctx.rb->Bulk("WIN");
    ctx.rb->Bulk(std::to_string(row.cas));
    return;
  }
  const Meta* found = mt.Find(key);
  Meta row = found ? *found : Meta{};
  const bool placeholder = row.state & Meta::kPlaceholder;
  const bool stale = row.state & Meta::kStale;
  if (!placeholder && !stale) {
    ctx.rb->ArrayHeader(2);
    ctx.rb->Bulk("HIT");
    ctx.rb->Bulk(e->value());
    return;
  }
  if (row.token_live(now)) {
    if (placeholder && !stale) {
      ctx.rb->ArrayHeader(1);
      ctx.rb->Bulk("WAIT");
    } else {
      ctx.rb->ArrayHeader(2);
      ctx.rb->Bulk("STALE");
      ctx.rb->Bulk(e->value());
    }
    return;
  }
  // The fill is free: this caller wins it.
  row.state |= Meta::kTokenSent;
  if (row.cas == 0) row.cas = mt.NextCas();
  row.win_until_ms = now + ttl;
  mt.Put(key, row);
  ctx.rb->ArrayHeader(stale && !placeholder ? 3 : 2);
  ctx.rb->Bulk("WIN");
  ctx.rb->Bulk(std::to_string(row.cas));
  if (stale && !placeholder) ctx.rb->Bulk(e->value());
}

void CmdLeaseSet(CmdContext& ctx) {
  if (ctx.db != 0) return ctx.rb->Error(kErrDb);
  const size_t n = ctx.args.size();
  if (n != 4 && n != 6) return ctx.rb->Error(kErrSyntax);
  uint64_t token;
  if (!ParseToken(ctx.args[2], &token)) return ctx.rb->Error(kErrToken);
  int64_t amount = 0;
  const bool ex = n == 6 && ArgIs(ctx.args[4], "ex");
  const bool px = n == 6 && ArgIs(ctx.args[4], "px");
  if (n == 6) {
    if (!ex && !px) return ctx.rb->Error(kErrSyntax);
    if (!ParsePositive(ctx.args[5], &amount))
      return ctx.rb->Error("ERR invalid expire time in 'lease.set' command");
  }
  Shard& s = *ctx.shard;
  std::string_view key = ctx.args[1];
  Entry* e = s.FindForRead(0, key, KeyHash(key), ctx.now_ms);
  if (!e || !TokenValid(s, key, token, ctx.now_ms)) return ctx.rb->Error(kErrToken);
  if (n == 6) {
    RunWrite(ctx, {"SET", key, ctx.args[3], ex ? "EX" : "PX", ctx.args[5]});
  } else {
    RunWrite(ctx, {"SET", key, ctx.args[3]});
  }
}

void CmdLeaseRelease(CmdContext& ctx) {
  if (ctx.db != 0) return ctx.rb->Error(kErrDb);
  uint64_t token;
  Shard& s = *ctx.shard;
  std::string_view key = ctx.args[1];
  if (!ParseToken(ctx.args[2], &token) || !s.FindForRead(0, key, KeyHash(key), ctx.now_ms) ||
      !TokenValid(s, key, token, ctx.now_ms))
    return ctx.rb->Integer(0);
  Meta row = *s.mc_meta().Find(key);
  if ((row.state & Meta::kPlaceholder) && !(row.state & Meta::kStale)) {
    std::string reply;
    resp::ReplyBuilder rb(&reply);
    CmdContext sub = ctx;
    sub.rb = &rb;
    RunWrite(sub, {"DEL", key});
  } else {
    row.state &= uint8_t(~Meta::kTokenSent);
    row.win_until_ms = 0;
    s.mc_meta().Put(key, row);
  }
  ctx.rb->Integer(1);
}

}  // namespace

void RegisterLeaseFamily(CommandRegistry& r) {
  using namespace cmd;
  r.Add({"lease.get", 3, kDenyOom | kFast, 1, 1, 1, CmdLeaseGet, nullptr, "string",
         "Returns a key's value, or a lease to fill it when it is missing or stale.", "7.0.0"});
  r.Add({"lease.set", -4, kDenyOom, 1, 1, 1, CmdLeaseSet, nullptr, "string",
         "Sets a key's value with the lease token LEASE.GET handed out.", "7.0.0"});
  r.Add({"lease.release", 3, kFast, 1, 1, 1, CmdLeaseRelease, nullptr, "string",
         "Gives up a lease without filling the key.", "7.0.0"});
}

}  // namespace strata::kv
