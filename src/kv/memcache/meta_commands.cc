// memcached's meta commands (mg, ms, md, ma, me) on the shard that owns the key, answering as
// memcached 1.6.18 does (docs/design/memcached.md, "Meta commands" and "Leases").
//
// Values are read and written as the text commands do (commands.cc): writes are RESP commands
// run through their handlers, so every write drops the key's MetaTable row through
// Shard::KeyModified, and the step then puts back the row the command asks for. The lease state
// (stale, a fill handed out, placeholder) is in that row: any change of the key that is not a
// meta command's own bookkeeping voids it. Runs on the key's shard thread only.
#include <cinttypes>
#include <cstdio>

#include "base/hash.h"
#include "kv/engine/shard.h"
#include "kv/memcache/command_util.h"
#include "kv/memcache/stats.h"

namespace strata::kv::memcache {

using ::strata::memcache::Command;
using ::strata::memcache::MetaFlags;
using ::strata::memcache::Request;

namespace {

constexpr uint8_t kBinaryKey = Meta::kBinaryKey;

// Remaining whole seconds of an absolute expiry (-1: none), as memcached's "t" reports it.
int64_t TtlSeconds(int64_t at, int64_t now) {
  if (at < 0) return -1;
  int64_t ms = at - now;
  return ms <= 0 ? 0 : (ms + 999) / 1000;
}

int64_t ExpireOf(const Entry* e) { return e && e->has_expire() ? e->expire_ms() : -1; }

void AppendKey(std::string* out, std::string_view key, bool binary) {
  out->append(" k");
  if (binary) {
    ::strata::memcache::Base64Encode(key, out);
    out->append(" b");
  } else {
    out->append(key);
  }
}

// The O and k flags, in request order: what every answer echoes.
void AppendEcho(std::string* out, const MetaFlags& m, std::string_view key, bool binary) {
  for (char f : m.order) {
    if (f == 'O') {
      out->append(" ").append(m.opaque);
    } else if (f == 'k') {
      AppendKey(out, key, binary);
    }
  }
}

// Reads the row of `key` with an expired win taken as no win.
Meta CurrentRow(MetaTable& mt, std::string_view key, int64_t now) {
  const Meta* r = mt.Find(key);
  Meta m = r ? *r : Meta{};
  if ((m.state & Meta::kTokenSent) && !m.token_live(now)) m.state &= uint8_t(~Meta::kTokenSent);
  return m;
}

void MetaGet(Shard& s, const Request& req, std::string_view key, const Caller& c, int64_t now,
             std::string* out) {
  const MetaFlags& m = req.meta;
  MetaTable& mt = s.mc_meta();
  // h and l report the item as it was before this read: whether a memcached read fetched it
  // since it was stored, and the seconds since its last access (from the policy word, under
  // the policies that keep an access clock; 0 under the LFU ones).
  bool fetched_before = false;
  uint64_t idle_before = 0;
  if (m.order.find_first_of("hl") != std::string::npos) {
    if (Entry** link = s.FindLink(0, key, DbTable::Hash(key), now); link && !(*link)->is_object()) {
      fetched_before = ((*link)->flags & Entry::kFetched) != 0;
      idle_before = s.policy().ObjectIdleSeconds((*link)->meta, uint64_t(now)).value_or(0);
    }
  }
  Entry* e = FindString(s, key, now, true);
  if (e && !m.no_update) e->flags |= Entry::kFetched;  // u: no bump, as memcached
  bool created = false;
  if (!e && m.vivify && !KeyExists(s, key, now)) {
    int64_t at = ExpireAtMs(m.vivify_ttl, now);
    if (at == 0) at = now + 1;  // a TTL in the past: the placeholder is gone at once
    std::string ms = std::to_string(at);
    const std::string& r = at > 0 ? CallResp(s, {"SET", key, "", "PXAT", ms, "NX"}, c, now)
                                  : CallResp(s, {"SET", key, "", "NX"}, c, now);
    if (IsOk(r)) {
      created = true;
      Meta row;
      row.state = Meta::kPlaceholder;
      row.cas = mt.NextCas();
      mt.Put(key, row);
      e = FindString(s, key, now, false);
      if (e && !m.no_update) e->flags |= Entry::kFetched;
    }
  }
  if (m.has_ttl) Bump(Stats().cmd_touch);
  Bump(Stats().cmd_get);
  if (!e) {
    Bump(Stats().get_misses);
    if (m.has_ttl) Bump(Stats().touch_misses);
    if (m.quiet) return;
    out->append("EN");
    AppendEcho(out, m, key, req.binary_key);
    out->append("\r\n");
    return;
  }
  Bump(Stats().get_hits);
  if (m.has_ttl) Bump(Stats().touch_hits);
  Meta row = CurrentRow(mt, key, now);
  const bool token_before = (row.state & Meta::kTokenSent) && !created;
  bool won = created;
  bool row_changed = false;
  int64_t expire = ExpireOf(e);
  // A placeholder has no TTL until its N flag is reached among the flags, as in memcached.
  int64_t new_expire = created ? -1 : expire;
  std::string_view value = e->value();
  if (m.value) {
    out->append("VA ").append(std::to_string(value.size()));
  } else {
    out->append("HD");
  }
  for (char f : m.order) {
    switch (f) {
      case 'T':
        new_expire = ExpireAtMs(m.ttl, now);
        break;
      case 'N':
        if (created) new_expire = ExpireAtMs(m.vivify_ttl, now);
        break;
      case 'R':
        if (!token_before && !created && new_expire > 0 &&
            new_expire < ExpireAtMs(m.recache_ttl, now) && m.recache_ttl > 0)
          won = true;
        break;
      case 's':
        out->append(" s").append(std::to_string(value.size()));
        break;
      case 't':
        out->append(" t").append(std::to_string(TtlSeconds(new_expire, now)));
        break;
      case 'c':
        if (row.cas == 0) {
          row.cas = mt.NextCas();
          row_changed = true;
        }
        out->append(" c").append(std::to_string(row.cas));
        break;
      case 'f':
        out->append(" f").append(std::to_string(row.flags));
        break;
      case 'l':
        out->append(" l").append(std::to_string(idle_before));
        break;
      case 'h':
        out->append(fetched_before ? " h1" : " h0");
        break;
      case 'O':
        out->append(" ").append(m.opaque);
        break;
      case 'k':
        AppendKey(out, key, (row.state & kBinaryKey) != 0);
        break;
    }
  }
  if (token_before) out->append(" Z");
  if (row.state & Meta::kStale) {
    out->append(" X");
    if (!token_before) won = true;
  }
  // A placeholder whose fill expired unfilled: this reader fills it (memcached's would stay
  // taken for the placeholder's life).
  if ((row.state & Meta::kPlaceholder) && !token_before) won = true;
  if (won) {
    out->append(" W");
    row.state |= Meta::kTokenSent;
    if (row.cas == 0) row.cas = mt.NextCas();
    int64_t until = new_expire > 0 && (created || new_expire < now + kDefaultWinMs)
                        ? new_expire
                        : now + kDefaultWinMs;
    row.win_until_ms = until;
    row_changed = true;
  }
  out->append("\r\n");
  if (m.value) out->append(value).append("\r\n");
  if (new_expire != expire) {
    ApplyExpire(s, key, new_expire, c, now);  // drops the row: it is put back below
    if (new_expire == 0) return;
    row_changed = true;
  }
  if (row_changed) mt.Put(key, row);
}

void MetaSet(Shard& s, const Request& req, std::string_view key, const Caller& c, int64_t now,
             std::string* out) {
  const MetaFlags& m = req.meta;
  Bump(Stats().cmd_set);
  if (req.too_large) {
    Bump(Stats().store_too_large);
    // As memcached: a value that cannot be stored does not leave the old one behind.
    if (KeyExists(s, key, now)) CallResp(s, {"DEL", key}, c, now);
    out->append("SERVER_ERROR object too large for cache\r\n");
    return;
  }
  MetaTable& mt = s.mc_meta();
  const Meta* found = mt.Find(key);
  const bool had_row = found != nullptr;
  const Meta old = CurrentRow(mt, key, now);
  const char mode = m.mode ? m.mode : 'S';
  const bool cas_mode = m.has_cas && (mode == 'S' || mode == 'R');
  const int64_t at = m.has_ttl ? ExpireAtMs(m.ttl, now) : -1;
  const std::string ms = at > 0 ? std::to_string(at) : std::string();
  const char* code = "NS";
  Meta row;  // the row after a successful store
  row.flags = m.client_flags;
  const std::string* r = nullptr;
  bool keep_ttl = false;  // the store keeps the old TTL whatever T says
  if (cas_mode) {
    Entry* e = FindString(s, key, now, false);
    if (!e) {
      Bump(Stats().cas_misses);
      code = "NF";
    } else if (old.cas != 0 && old.cas == m.cas) {
      r = at > 0 ? &CallResp(s, {"SET", key, req.data, "PXAT", ms, "XX"}, c, now)
                 : &CallResp(s, {"SET", key, req.data, "XX"}, c, now);
      Bump(Stats().cas_hits);
    } else if (m.invalidate && m.cas != 0 && (old.cas == 0 || m.cas < old.cas)) {
      // (A value without a CAS unique is newer than every unique handed out.)
      // An older CAS with I: the value is stored but stays stale, with the item's TTL and any
      // fill already handed out (memcached's set_stale).
      r = &CallResp(s, {"SET", key, req.data, "KEEPTTL", "XX"}, c, now);
      keep_ttl = true;
      row.state = Meta::kStale | (old.state & Meta::kTokenSent);
      row.win_until_ms = old.win_until_ms;
      row.cas = mt.NextCas();
      Bump(Stats().cas_hits);
    } else {
      Bump(Stats().cas_badval);
      code = "EX";
    }
  } else if (mode == 'A' || mode == 'P') {
    Entry* e = FindString(s, key, now, false);
    if (!e) {
      code = "NS";
    } else if (m.has_cas && m.cas != 0 && old.cas != m.cas) {
      code = "EX";
    } else if (key.size() + e->value().size() + req.data.size() +
                   ::strata::memcache::kItemOverhead >
               CurrentLimits().item_size_max) {
      code = "NS";
    } else if (mode == 'A') {
      keep_ttl = true;
      r = &CallResp(s, {"APPEND", key, req.data}, c, now);
      row.flags = old.flags;
    } else {
      std::string v;
      v.reserve(req.data.size() + e->value().size());
      v.append(req.data).append(e->value());
      keep_ttl = true;
      r = &CallResp(s, {"SET", key, v, "KEEPTTL"}, c, now);
      row.flags = old.flags;
    }
  } else {
    std::string_view cond = mode == 'E' ? "NX" : mode == 'R' ? "XX" : "";
    if (at > 0 && !cond.empty()) {
      r = &CallResp(s, {"SET", key, req.data, "PXAT", ms, cond}, c, now);
    } else if (at > 0) {
      r = &CallResp(s, {"SET", key, req.data, "PXAT", ms}, c, now);
    } else if (!cond.empty()) {
      r = &CallResp(s, {"SET", key, req.data, cond}, c, now);
    } else {
      r = &CallResp(s, {"SET", key, req.data}, c, now);
    }
  }
  bool stored = false;
  if (r) {
    if (!r->empty() && r->front() == '-') {
      if (had_row) mt.Put(key, old);
      ServerError(*r, out);
      return;
    }
    stored = r->rfind("+OK", 0) == 0 || r->rfind(":", 0) == 0;
    if (!stored) {
      code = "NS";
      if (had_row) mt.Put(key, old);  // nothing changed
    }
  }
  uint64_t cas_out = 0;
  if (stored) {
    code = "HD";
    if (at == 0 && !keep_ttl) {
      CallResp(s, {"DEL", key}, c, now);  // stored already expired
    } else {
      bool want_cas = m.order.find('c') != std::string::npos;
      if (want_cas && row.cas == 0) row.cas = mt.NextCas();
      // An appended value is a new item without memcached's binary-key mark.
      if (req.binary_key && mode != 'A' && mode != 'P') row.state |= kBinaryKey;
      mt.Put(key, row);
      MarkFetched(s, key, now, false);  // a new item (the value may be overwritten in place)
    }
    cas_out = row.cas;
    if (m.quiet) return;
  }
  out->append(code);
  for (char f : m.order) {
    if (f == 'O') {
      out->append(" ").append(m.opaque);
    } else if (f == 'k') {
      AppendKey(out, key, req.binary_key);
    } else if (f == 'c') {
      out->append(" c").append(std::to_string(cas_out));
    }
  }
  out->append("\r\n");
}

void MetaDelete(Shard& s, const Request& req, std::string_view key, const Caller& c, int64_t now,
                std::string* out) {
  const MetaFlags& m = req.meta;
  MetaTable& mt = s.mc_meta();
  const char* code;
  bool quiet_ok = false;
  if (!KeyExists(s, key, now)) {
    Bump(Stats().delete_misses);
    code = "NF";
  } else {
    Meta row = CurrentRow(mt, key, now);
    Entry* e = FindString(s, key, now, false);
    if (m.has_cas && (row.cas == 0 || row.cas != m.cas)) {
      Bump(Stats().delete_misses);
      code = "EX";
    } else if (m.invalidate && e) {
      // Invalidation: the value stays, marked stale, with a new CAS; the next reader wins the
      // fill (any fill handed out before is void).
      row.state |= Meta::kStale;
      row.state &= uint8_t(~Meta::kTokenSent);
      row.win_until_ms = 0;
      row.cas = mt.NextCas();
      bool gone = false;
      if (m.has_ttl) {
        int64_t at = ExpireAtMs(m.ttl, now);
        ApplyExpire(s, key, at, c, now);
        gone = at == 0;
      }
      if (!gone) mt.Put(key, row);
      code = "HD";
      quiet_ok = true;
    } else {
      Bump(Stats().delete_hits);
      CallResp(s, {"DEL", key}, c, now);
      code = "HD";
      quiet_ok = true;
    }
  }
  if (quiet_ok && m.quiet) return;
  out->append(code);
  AppendEcho(out, m, key, req.binary_key);
  out->append("\r\n");
}

void MetaArith(Shard& s, const Request& req, std::string_view key, const Caller& c, int64_t now,
               std::string* out) {
  const MetaFlags& m = req.meta;
  MetaTable& mt = s.mc_meta();
  const bool incr = !(m.mode == 'D' || m.mode == '-');
  Entry* e = FindString(s, key, now, false);
  std::string num;
  bool have_item = false, created = false;
  const char* code = nullptr;
  Meta row;
  if (e) {
    row = CurrentRow(mt, key, now);
    uint64_t v = 0;
    if (e->value().empty()) {
      out->append("CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
      return;
    }
    if (m.has_cas && m.cas != 0 && row.cas != m.cas) {
      code = "EX";
    } else if (!ParseCounter(e->value(), &v)) {
      out->append("CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
      return;
    } else {
      Bump(incr ? Stats().incr_hits : Stats().decr_hits);
      if (incr) {
        v += m.delta;
      } else {
        v = m.delta > v ? 0 : v - m.delta;
      }
      num = std::to_string(v);
      const std::string& r = CallResp(s, {"SET", key, num, "KEEPTTL"}, c, now);
      if (!r.empty() && r.front() == '-') {
        mt.Put(key, row);
        ServerError(r, out);
        return;
      }
      row = Meta{row.flags, 0};
      have_item = true;
    }
  } else if (m.vivify && !KeyExists(s, key, now)) {
    num = std::to_string(m.initial);
    const std::string& r = CallResp(s, {"SET", key, num, "NX"}, c, now);
    if (IsOk(r)) {
      have_item = created = true;
    } else if (!r.empty() && r.front() == '-') {
      ServerError(r, out);
      return;
    } else {
      code = "NS";
    }
  } else {
    Bump(incr ? Stats().incr_misses : Stats().decr_misses);
    code = "NF";
  }
  if (!have_item) {
    out->append(code);
    AppendEcho(out, m, key, req.binary_key);
    out->append("\r\n");
    return;
  }
  std::string line;
  Entry* now_e = FindString(s, key, now, false);
  int64_t expire = ExpireOf(now_e);
  int64_t new_expire = expire;
  line.append(m.value ? "VA " + std::to_string(num.size()) : std::string("HD"));
  for (char f : m.order) {
    switch (f) {
      case 'c':
        if (row.cas == 0) row.cas = mt.NextCas();
        line.append(" c").append(std::to_string(row.cas));
        break;
      case 't':
        line.append(" t").append(std::to_string(TtlSeconds(new_expire, now)));
        break;
      case 'T':
        new_expire = ExpireAtMs(m.ttl, now);
        break;
      case 'N':
        if (created) new_expire = ExpireAtMs(m.vivify_ttl, now);
        break;
      case 'O':
        line.append(" ").append(m.opaque);
        break;
      case 'k':
        AppendKey(&line, key, req.binary_key);
        break;
    }
  }
  line.append("\r\n");
  if (m.value) line.append(num).append("\r\n");
  if (new_expire != expire) {
    ApplyExpire(s, key, new_expire, c, now);
    if (new_expire == 0) row = Meta{};
  }
  mt.Put(key, row);
  // A quiet ma drops its nominal answer, but not the one of a counter it just created.
  if (m.quiet && !created) return;
  out->append(line);
}

void MetaDebug(Shard& s, const Request& req, std::string_view key, int64_t now, std::string* out) {
  (void)req;
  // me looks without touching: la and fetch are the item's as they were.
  Entry** link = s.FindLink(0, key, DbTable::Hash(key), now);
  Entry* e = link && !(*link)->is_object() ? *link : nullptr;
  if (!e) {
    out->append("EN\r\n");
    return;
  }
  Meta row = CurrentRow(s.mc_meta(), key, now);
  out->append("ME");
  std::string k;
  AppendKey(&k, key, (row.state & kBinaryKey) != 0);
  if (row.state & kBinaryKey) k.resize(k.size() - 2);  // "ME" shows the key without " b"
  out->append(" ").append(std::string_view(k).substr(2));
  int64_t at = ExpireOf(e);
  char buf[160];
  uint64_t idle = s.policy().ObjectIdleSeconds(e->meta, uint64_t(now)).value_or(0);
  snprintf(buf, sizeof(buf),
           " exp=%" PRId64 " la=%" PRIu64 " cas=%" PRIu64 " fetch=%s cls=1 size=%zu\r\n",
           at < 0 ? int64_t(-1) : -TtlSeconds(at, now), idle, row.cas,
           (e->flags & Entry::kFetched) ? "yes" : "no",
           key.size() + e->value().size() + ::strata::memcache::kItemOverhead);
  out->append(buf);
}

}  // namespace

void RunMeta(Shard& s, const Request& req, std::string_view key, const Caller& caller, int64_t now,
             std::string* out) {
  switch (req.cmd) {
    case Command::kMetaGet:
      MetaGet(s, req, key, caller, now, out);
      return;
    case Command::kMetaSet:
      MetaSet(s, req, key, caller, now, out);
      return;
    case Command::kMetaDelete:
      MetaDelete(s, req, key, caller, now, out);
      return;
    case Command::kMetaArith:
      MetaArith(s, req, key, caller, now, out);
      return;
    case Command::kMetaDebug:
      MetaDebug(s, req, key, now, out);
      return;
    default:
      return;
  }
}

}  // namespace strata::kv::memcache
