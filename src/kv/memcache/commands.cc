#include "kv/memcache/commands.h"

#include <initializer_list>
#include <optional>
#include <span>
#include <vector>

#include "base/clock.h"
#include "kv/commands/dispatch.h"
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"
#include "kv/engine/shard.h"
#include "kv/memcache/command_util.h"
#include "kv/memcache/stats.h"

namespace strata::kv::memcache {

using ::strata::memcache::Command;
using ::strata::memcache::Request;

namespace {
constexpr int64_t kRelativeMax = 60 * 60 * 24 * 30;  // memcached's REALTIME_MAXDELTA
}  // namespace

// Runs a RESP command through its registered handler on `s` (database 0), as a RESP client's
// would run: OOM check, stats, notifications, WATCH/tracking, slow log. Returns its RESP reply.
const std::string& CallResp(Shard& s, std::initializer_list<std::string_view> args,
                            const Caller& caller, int64_t now_ms) {
  thread_local std::string reply;
  thread_local std::vector<std::string_view> argv;
  reply.clear();
  argv.assign(args.begin(), args.end());
  const CommandSpec* spec = CommandRegistry::Get().Find(argv[0]);
  resp::ReplyBuilder rb(&reply);
  CmdContext ctx;
  ctx.shard = &s;
  ctx.db = 0;
  ctx.args = std::span<const std::string_view>(argv.data(), argv.size());
  ctx.rb = &rb;
  ctx.now_ms = now_ms;
  ctx.spec = spec;
  ctx.client_id = caller.id;
  static const std::string kName = "memcached";
  ExecuteHandler(*spec, ctx, caller.addr, kName);
  return reply;
}

bool IsOk(const std::string& r) { return r.rfind("+OK", 0) == 0; }
bool IsOom(const std::string& r) { return r.rfind("-OOM", 0) == 0; }

// A RESP error turned into memcached's SERVER_ERROR line.
void ServerError(const std::string& resp, std::string* out) {
  if (IsOom(resp)) {
    Bump(Stats().store_no_memory);
    out->append("SERVER_ERROR out of memory storing object\r\n");
    return;
  }
  std::string_view msg(resp);
  if (!msg.empty() && msg[0] == '-') msg.remove_prefix(1);
  if (msg.size() >= 2 && msg.substr(msg.size() - 2) == "\r\n") msg.remove_suffix(2);
  out->append("SERVER_ERROR ").append(msg).append("\r\n");
}

namespace {

void Line(const Request& req, std::string* out, std::string_view text) {
  if (!req.noreply) out->append(text).append("\r\n");
}

}  // namespace

// The key's string entry, with a write lookup (no stats), or nullptr.
Entry* FindString(Shard& s, std::string_view key, int64_t now_ms, bool read) {
  uint64_t hash = KeyHash(key);
  Entry* e = nullptr;
  if (read) {
    e = s.FindForRead(0, key, hash, now_ms);
  } else if (Entry** link = s.FindForWrite(0, key, hash, now_ms)) {
    e = *link;
  }
  return e && !e->is_object() ? e : nullptr;
}

bool KeyExists(Shard& s, std::string_view key, int64_t now_ms) {
  return s.FindLink(0, key, KeyHash(key), now_ms) != nullptr;
}

::strata::memcache::Limits CurrentLimits() {
  ::strata::memcache::Limits l;
  l.item_size_max = size_t(GlobalConfig().memcached_max_item_size.load(std::memory_order_relaxed));
  return l;
}

void MarkFetched(Shard& s, std::string_view key, int64_t now_ms, bool fetched) {
  Entry** link = s.FindLink(0, key, KeyHash(key), now_ms);
  if (!link || (*link)->is_object()) return;
  if (fetched)
    (*link)->flags |= Entry::kFetched;
  else
    (*link)->flags &= uint8_t(~Entry::kFetched);
}

// Applies memcached's exptime to an existing key (touch, gat).
void ApplyExpire(Shard& s, std::string_view key, int64_t at, const Caller& c, int64_t now_ms) {
  if (at < 0) {
    CallResp(s, {"PERSIST", key}, c, now_ms);
  } else if (at == 0) {
    CallResp(s, {"DEL", key}, c, now_ms);
  } else {
    std::string ms = std::to_string(at);
    CallResp(s, {"PEXPIREAT", key, ms}, c, now_ms);
  }
}

namespace {

void AppendValue(std::string_view key, uint32_t flags, std::string_view value, uint64_t cas,
                 bool with_cas, std::string* out) {
  out->append("VALUE ").append(key).append(" ");
  out->append(std::to_string(flags)).append(" ").append(std::to_string(value.size()));
  if (with_cas) out->append(" ").append(std::to_string(cas));
  out->append("\r\n").append(value).append("\r\n");
}

void Get(Shard& s, const Request& req, std::string_view key, const Caller& c, int64_t now,
         std::string* out) {
  const bool touch = req.cmd == Command::kGat || req.cmd == Command::kGats;
  const bool with_cas = req.cmd == Command::kGets || req.cmd == Command::kGats;
  Bump(Stats().cmd_get);
  if (touch) Bump(Stats().cmd_touch);
  Entry* e = FindString(s, key, now, true);
  if (!e) {
    Bump(Stats().get_misses);
    if (touch) Bump(Stats().touch_misses);
    return;
  }
  e->flags |= Entry::kFetched;
  Bump(Stats().get_hits);
  MetaTable& meta = s.mc_meta();
  const Meta* row = meta.Find(key);
  Meta m = row ? *row : Meta{};
  if (!touch) {
    if (with_cas && m.cas == 0) {
      m.cas = meta.NextCas();
      meta.Put(key, m);
    }
    AppendValue(key, m.flags, e->value(), m.cas, with_cas, out);
    return;
  }
  Bump(Stats().touch_hits);
  int64_t at = ExpireAtMs(req.exptime, now);
  if (at == 0) {  // expired by this touch: the value is still returned
    std::string value(e->value());
    if (with_cas && m.cas == 0) m.cas = meta.NextCas();
    ApplyExpire(s, key, at, c, now);
    AppendValue(key, m.flags, value, m.cas, with_cas, out);
    return;
  }
  ApplyExpire(s, key, at, c, now);
  if (with_cas && m.cas == 0) m.cas = meta.NextCas();
  meta.Put(key, m);  // a TTL change keeps flags and CAS, as memcached's touch does
  Entry* now_e = FindString(s, key, now, false);
  if (now_e) AppendValue(key, m.flags, now_e->value(), m.cas, with_cas, out);
}

void Store(Shard& s, const Request& req, std::string_view key, const Caller& c, int64_t now,
           std::string* out) {
  Bump(Stats().cmd_set);
  MetaTable& meta = s.mc_meta();
  const Meta* row = meta.Find(key);
  const bool had_row = row != nullptr;
  const Meta old = row ? *row : Meta{};
  if (req.too_large) {
    Bump(Stats().store_too_large);
    // As memcached: a set that cannot store its value does not leave the old one behind.
    if (req.cmd == Command::kSet && KeyExists(s, key, now)) CallResp(s, {"DEL", key}, c, now);
    Line(req, out, "SERVER_ERROR object too large for cache");
    return;
  }
  if (req.cmd == Command::kCas) {
    if (!KeyExists(s, key, now)) {
      Bump(Stats().cas_misses);
      Line(req, out, "NOT_FOUND");
      return;
    }
    if (!had_row || old.cas == 0 || old.cas != req.cas) {
      Bump(Stats().cas_badval);
      Line(req, out, "EXISTS");
      return;
    }
  }
  const int64_t at = ExpireAtMs(req.exptime, now);
  std::string ms = at > 0 ? std::to_string(at) : std::string();
  std::string_view cond;
  if (req.cmd == Command::kAdd) cond = "NX";
  if (req.cmd == Command::kReplace || req.cmd == Command::kCas) cond = "XX";
  const std::string* r;
  if (at > 0 && !cond.empty()) {
    r = &CallResp(s, {"SET", key, req.data, "PXAT", ms, cond}, c, now);
  } else if (at > 0) {
    r = &CallResp(s, {"SET", key, req.data, "PXAT", ms}, c, now);
  } else if (!cond.empty()) {
    r = &CallResp(s, {"SET", key, req.data, cond}, c, now);
  } else {
    r = &CallResp(s, {"SET", key, req.data}, c, now);
  }
  if (IsOk(*r)) {
    if (req.cmd == Command::kCas) Bump(Stats().cas_hits);
    if (at == 0) {
      CallResp(s, {"DEL", key}, c, now);  // stored already expired (negative or past exptime)
    } else {
      meta.Put(key, Meta{req.flags, 0});
      MarkFetched(s, key, now, false);  // a new item (the value may be overwritten in place)
    }
    Line(req, out, "STORED");
    return;
  }
  if (had_row) meta.Put(key, old);  // not stored: the key did not change
  if (!r->empty() && r->front() == '-') {
    ServerError(*r, out);
    return;
  }
  Line(req, out, "NOT_STORED");
}

void Concat(Shard& s, const Request& req, std::string_view key, const Caller& c, int64_t now,
            std::string* out) {
  Bump(Stats().cmd_set);
  if (req.too_large) {
    Bump(Stats().store_too_large);
    Line(req, out, "SERVER_ERROR object too large for cache");
    return;
  }
  Entry* e = FindString(s, key, now, false);
  // As memcached, a result larger than an item may be is not stored.
  if (!e || key.size() + e->value().size() + req.data.size() + ::strata::memcache::kItemOverhead >
                CurrentLimits().item_size_max) {
    Line(req, out, "NOT_STORED");
    return;
  }
  MetaTable& meta = s.mc_meta();
  const Meta* row = meta.Find(key);
  const Meta old = row ? *row : Meta{};
  const std::string* r;
  if (req.cmd == Command::kAppend) {
    r = &CallResp(s, {"APPEND", key, req.data}, c, now);
  } else {
    std::string v;
    v.reserve(req.data.size() + e->value().size());
    v.append(req.data).append(e->value());
    r = &CallResp(s, {"SET", key, v, "KEEPTTL"}, c, now);
  }
  if (!r->empty() && r->front() == '-') {
    if (row) meta.Put(key, old);
    ServerError(*r, out);
    return;
  }
  meta.Put(key, Meta{old.flags, 0});  // a new value: a new CAS, the same flags
  MarkFetched(s, key, now, false);    // memcached builds a new item
  Line(req, out, "STORED");
}

void Arith(Shard& s, const Request& req, std::string_view key, const Caller& c, int64_t now,
           std::string* out) {
  const bool incr = req.cmd == Command::kIncr;
  Entry* e = FindString(s, key, now, false);
  if (!e) {
    Bump(incr ? Stats().incr_misses : Stats().decr_misses);
    Line(req, out, "NOT_FOUND");
    return;
  }
  uint64_t v;
  if (!ParseCounter(e->value(), &v)) {
    Line(req, out, "CLIENT_ERROR cannot increment or decrement non-numeric value");
    return;
  }
  Bump(incr ? Stats().incr_hits : Stats().decr_hits);
  if (incr) {
    v += req.delta;  // wraps at 2^64, as memcached
  } else {
    v = req.delta > v ? 0 : v - req.delta;
  }
  MetaTable& meta = s.mc_meta();
  const Meta* row = meta.Find(key);
  const Meta old = row ? *row : Meta{};
  std::string text = std::to_string(v);
  const std::string& r = CallResp(s, {"SET", key, text, "KEEPTTL"}, c, now);
  if (!r.empty() && r.front() == '-') {
    if (row) meta.Put(key, old);
    ServerError(r, out);
    return;
  }
  meta.Put(key, Meta{old.flags, 0});
  Line(req, out, text);
}

void Touch(Shard& s, const Request& req, std::string_view key, const Caller& c, int64_t now,
           std::string* out) {
  Bump(Stats().cmd_touch);
  if (!FindString(s, key, now, false)) {
    Bump(Stats().touch_misses);
    Line(req, out, "NOT_FOUND");
    return;
  }
  Bump(Stats().touch_hits);
  MetaTable& meta = s.mc_meta();
  const Meta* row = meta.Find(key);
  const std::optional<Meta> old = row ? std::optional<Meta>(*row) : std::nullopt;
  int64_t at = ExpireAtMs(req.exptime, now);
  ApplyExpire(s, key, at, c, now);
  if (old && at != 0) meta.Put(key, *old);  // the value did not change: flags and CAS stay
  MarkFetched(s, key, now, true);           // as memcached's touch, which bumps the item
  Line(req, out, "TOUCHED");
}

void Delete(Shard& s, const Request& req, std::string_view key, const Caller& c, int64_t now,
            std::string* out) {
  const std::string& r = CallResp(s, {"DEL", key}, c, now);
  if (r.rfind(":1", 0) == 0) {
    Bump(Stats().delete_hits);
    Line(req, out, "DELETED");
  } else {
    Bump(Stats().delete_misses);
    Line(req, out, "NOT_FOUND");
  }
}

}  // namespace

int64_t ExpireAtMs(int64_t exptime, int64_t now_ms) {
  if (exptime == 0) return -1;
  if (exptime < 0) return 0;
  int64_t at;
  if (exptime > kRelativeMax) {
    if (exptime > INT64_MAX / 1000) return INT64_MAX / 2;
    at = exptime * 1000;
  } else {
    at = now_ms + exptime * 1000;
  }
  return at <= now_ms ? 0 : at;
}

bool ParseCounter(std::string_view v, uint64_t* out) {
  size_t i = 0;
  while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) i++;
  size_t start = i;
  uint64_t n = 0;
  while (i < v.size() && v[i] >= '0' && v[i] <= '9') {
    uint64_t d = uint64_t(v[i] - '0');
    if (n > (UINT64_MAX - d) / 10) return false;
    n = n * 10 + d;
    i++;
  }
  if (i == start) return false;
  for (; i < v.size(); i++)
    if (v[i] != ' ' && v[i] != '\t' && v[i] != '\r' && v[i] != '\n') return false;
  *out = n;
  return true;
}

void RunKey(Shard& s, const Request& req, std::string_view key, const Caller& caller,
            std::string* out) {
  int64_t now = LoopUnixMillis();
  switch (req.cmd) {
    case Command::kGet:
    case Command::kGets:
    case Command::kGat:
    case Command::kGats:
      Get(s, req, key, caller, now, out);
      return;
    case Command::kSet:
    case Command::kAdd:
    case Command::kReplace:
    case Command::kCas:
      Store(s, req, key, caller, now, out);
      return;
    case Command::kAppend:
    case Command::kPrepend:
      Concat(s, req, key, caller, now, out);
      return;
    case Command::kIncr:
    case Command::kDecr:
      Arith(s, req, key, caller, now, out);
      return;
    case Command::kTouch:
      Touch(s, req, key, caller, now, out);
      return;
    case Command::kDelete:
      Delete(s, req, key, caller, now, out);
      return;
    case Command::kMetaGet:
    case Command::kMetaSet:
    case Command::kMetaDelete:
    case Command::kMetaArith:
    case Command::kMetaDebug:
      RunMeta(s, req, key, caller, now, out);
      return;
    default:
      return;
  }
}

void FlushShard(Shard& s) {
  s.DbModified(0);
  s.db(0).Clear();
  s.PublishMemory();
}

}  // namespace strata::kv::memcache
