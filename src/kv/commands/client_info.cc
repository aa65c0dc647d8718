#include "kv/commands/client_info.h"

#include <climits>

#include "base/strutil.h"
#include "kv/server/connection.h"

namespace strata::kv {

bool ValidClientName(std::string_view name) {
  for (char ch : name) {
    if (ch < '!' || ch > '~') return false;
  }
  return true;
}

ClientInfo SnapshotClient(Connection* c, int64_t now_ms) {
  const ClientState& st = c->state();
  ClientInfo i;
  i.id = st.id;
  i.addr = st.addr;
  i.laddr = st.laddr;
  i.fd = c->fd();
  i.name = st.name;
  i.age_s = (now_ms - st.created_ms) / 1000;
  i.idle_s = (now_ms - st.last_interaction_ms) / 1000;
  i.monitor = st.monitor;
  i.flags.clear();
  const TxState& tx = c->tx();
  const tracking::ClientTracking& tr = c->tracking();
  if (st.monitor) i.flags += 'O';
  if (c->subscribed()) i.flags += 'P';
  if (tx.in_multi) i.flags += 'x';
  if (c->blocked()) i.flags += 'b';
  if (tr.on) i.flags += 't';
  if (tr.broken_redirect) i.flags += 'R';
  if (tr.bcast) i.flags += 'B';
  if (tx.watch && tx.watch->dirty.load(std::memory_order_relaxed)) i.flags += 'd';
  if (st.no_evict) i.flags += 'e';
  if (tx.in_multi) {
    i.multi = int64_t(tx.queue.size());
    for (const auto& q : tx.queue)
      for (const auto& a : q.args) i.multi_mem += a.size();
  }
  if (i.flags.empty()) i.flags = "N";
  i.db = st.db;
  i.sub = int64_t(c->subs().channels.size());
  i.psub = int64_t(c->subs().patterns.size());
  i.ssub = int64_t(c->subs().shard_channels.size());
  i.pubsub = c->subscribed();
  i.redir = tr.on ? int64_t(tr.redirect) : -1;
  i.qbuf = c->query_buffer_size();
  i.omem = c->output_size();
  i.obl = i.omem;
  i.tot_mem = i.qbuf + i.omem + i.multi_mem + sizeof(Connection);
  i.events = i.omem > 0 ? "rw" : "r";
  i.cmd = st.last_subcmd.empty() ? std::string(st.last_cmd) : st.last_subcmd;
  i.resp = st.proto;
  i.lib_name = st.lib_name;
  i.lib_ver = st.lib_ver;
  return i;
}

std::string FormatClientLine(const ClientInfo& c) {
  std::string s;
  s.reserve(300);
  auto num = [&s](const char* k, int64_t v) {
    s += k;
    s += '=';
    s += std::to_string(v);
    s += ' ';
  };
  auto str = [&s](const char* k, const std::string& v) {
    s += k;
    s += '=';
    s += v;
    s += ' ';
  };
  num("id", int64_t(c.id));
  str("addr", c.addr);
  str("laddr", c.laddr);
  num("fd", c.fd);
  str("name", c.name);
  num("age", c.age_s);
  num("idle", c.idle_s);
  str("flags", c.flags);
  num("db", c.db);
  num("sub", c.sub);
  num("psub", c.psub);
  num("ssub", c.ssub);
  num("multi", c.multi);
  num("qbuf", int64_t(c.qbuf));
  num("qbuf-free", int64_t(c.qbuf_free));
  num("argv-mem", int64_t(c.argv_mem));
  num("multi-mem", int64_t(c.multi_mem));
  num("rbs", 0);
  num("rbp", 0);
  num("obl", int64_t(c.obl));
  num("oll", int64_t(c.oll));
  num("omem", int64_t(c.omem));
  num("tot-mem", int64_t(c.tot_mem));
  str("events", c.events);
  str("cmd", c.cmd);
  str("user", "default");
  num("redir", c.redir);
  num("resp", c.resp);
  str("lib-name", c.lib_name);
  s += "lib-ver=";
  s += c.lib_ver;
  return s;
}

bool ClientFilter::Matches(const ClientInfo& c) const {
  if (!ids.empty()) {
    bool found = false;
    for (uint64_t id : ids) found |= id == c.id;
    if (!found) return false;
  }
  // Clients are normal or pubsub (no replicas or masters).
  if (!type.empty() && type != (c.pubsub ? "pubsub" : "normal")) return false;
  if (!addr.empty() && addr != c.addr) return false;
  if (!laddr.empty() && laddr != c.laddr) return false;
  if (skipme && self_id != 0 && c.id == self_id) return false;
  return true;
}

namespace {

// Redis's getClientTypeByName; "" if unknown.
std::string ClientType(std::string_view name) {
  std::string t = ToLower(name);
  if (t == "normal" || t == "master" || t == "pubsub") return t;
  if (t == "replica" || t == "slave") return "replica";
  return "";
}

bool ParseClientId(std::string_view s, uint64_t* out) {
  int64_t v;
  if (!ParseInt64(s, &v) || v < 1) return false;
  *out = uint64_t(v);
  return true;
}

}  // namespace

std::string ParseListFilter(std::span<const std::string_view> args, ClientFilter* f) {
  f->skipme = false;
  if (args.empty()) return "";
  if (args.size() == 2 && EqualsIgnoreCase(args[0], "type")) {
    f->type = ClientType(args[1]);
    if (f->type.empty()) return "ERR Unknown client type '" + std::string(args[1]) + "'";
    return "";
  }
  if (args.size() > 1 && EqualsIgnoreCase(args[0], "id")) {
    for (size_t i = 1; i < args.size(); i++) {
      uint64_t id;
      if (!ParseClientId(args[i], &id)) return "ERR Invalid client ID";
      f->ids.push_back(id);
    }
    return "";
  }
  return "ERR syntax error";
}

std::string ParseKillFilter(std::span<const std::string_view> args, ClientFilter* f) {
  f->skipme = true;
  if (args.size() < 2) return "ERR syntax error";
  for (size_t i = 0; i < args.size(); i += 2) {
    bool more = i + 1 < args.size();
    std::string_view opt = args[i];
    if (!more) return "ERR syntax error";
    std::string_view v = args[i + 1];
    if (EqualsIgnoreCase(opt, "id")) {
      uint64_t id;
      if (!ParseClientId(v, &id)) return "ERR client-id should be greater than 0";
      f->ids.assign(1, id);
    } else if (EqualsIgnoreCase(opt, "type")) {
      f->type = ClientType(v);
      if (f->type.empty()) return "ERR Unknown client type '" + std::string(v) + "'";
    } else if (EqualsIgnoreCase(opt, "addr")) {
      f->addr = std::string(v);
    } else if (EqualsIgnoreCase(opt, "laddr")) {
      f->laddr = std::string(v);
    } else if (EqualsIgnoreCase(opt, "user")) {
      if (v != "default") return "ERR No such user '" + std::string(v) + "'";
    } else if (EqualsIgnoreCase(opt, "skipme")) {
      if (EqualsIgnoreCase(v, "yes"))
        f->skipme = true;
      else if (EqualsIgnoreCase(v, "no"))
        f->skipme = false;
      else
        return "ERR syntax error";
    } else {
      return "ERR syntax error";
    }
  }
  return "";
}

}  // namespace strata::kv
