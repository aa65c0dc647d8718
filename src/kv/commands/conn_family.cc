// Connection commands: PING, ECHO, QUIT, RESET, AUTH, HELLO, SELECT. They run on the
// connection's own thread (keyless, synchronous) and change only that client's state.
#include <string>

#include "base/strutil.h"
#include "kv/commands/client_info.h"
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"
#include "kv/messaging/pubsub.h"
#include "kv/server/config.h"
#include "kv/server/connection.h"
#include "kv/server/monitor.h"
#include "kv/version.h"

namespace strata::kv {
namespace {

constexpr const char* kErrWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";

// Constant-time comparison, so the time taken does not reveal how much of a password matched.
bool SecretEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  size_t n = a.size() > b.size() ? a.size() : b.size();
  for (size_t i = 0; i < n; i++) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

// The only user is "default": with no requirepass it accepts any password (Redis's nopass).
bool CheckUser(std::string_view user, std::string_view pass) {
  if (user != "default") return false;
  const Config& cfg = GlobalConfig();
  if (!cfg.has_password()) return true;
  return SecretEquals(pass, cfg.requirepass());
}

void CmdPing(CmdContext& ctx) {
  if (ctx.args.size() > 2) {
    ctx.rb->Error("ERR wrong number of arguments for 'ping' command");
    return;
  }
  if (ctx.conn && ctx.conn->subscribed() && ctx.rb->proto() == 2) {
    // RESP2 subscribed mode: a push-shaped pong, as Redis replies there.
    ctx.rb->ArrayHeader(2);
    ctx.rb->Bulk("pong");
    ctx.rb->Bulk(ctx.args.size() == 2 ? ctx.args[1] : std::string_view());
    return;
  }
  if (ctx.args.size() == 2)
    ctx.rb->Bulk(ctx.args[1]);
  else
    ctx.rb->SimpleString("PONG");
}

void CmdEcho(CmdContext& ctx) { ctx.rb->Bulk(ctx.args[1]); }

void CmdQuit(CmdContext& ctx) {
  ctx.rb->Ok();
  if (ctx.conn) ctx.conn->CloseAfterReply();
}

void CmdReset(CmdContext& ctx) {
  if (ctx.conn) {
    ClientState& st = ctx.conn->state();
    if (st.monitor) {
      Monitors::Get().Remove(ctx.conn);
      st.monitor = false;
    }
    // As Redis's clearClientConnectionState: out of MULTI and unwatched, db 0, RESP2, the
    // default user (unauthenticated when it has a password), no name, replies on, and no
    // subscriptions or tracking. CLIENT NO-EVICT is kept, as in Redis.
    DiscardTransaction(ctx.conn->tx());
    if (ctx.conn->subscribed()) pubsub::UnsubscribeAll(ctx.conn);
    tracking::Disable(ctx.conn);
    st.db = 0;
    st.proto = 2;
    st.name.clear();
    st.reply_off = st.reply_skip_next = false;
    st.authenticated = !GlobalConfig().has_password();
  }
  ctx.rb->set_proto(2);
  ctx.rb->SimpleString("RESET");
}

void CmdAuth(CmdContext& ctx) {
  if (ctx.args.size() > 3) {
    ctx.rb->Error(kErrSyntax);
    return;
  }
  std::string_view user = "default", pass;
  if (ctx.args.size() == 2) {
    if (!GlobalConfig().has_password()) {
      ctx.rb->Error(
          "ERR AUTH <password> called without any password configured for the default user. "
          "Are you sure your configuration is correct?");
      return;
    }
    pass = ctx.args[1];
  } else {
    user = ctx.args[1];
    pass = ctx.args[2];
  }
  if (!CheckUser(user, pass)) {
    ctx.rb->Error(kErrWrongPass);
    return;
  }
  if (ctx.conn) ctx.conn->state().authenticated = true;
  ctx.rb->Ok();
}

void CmdHello(CmdContext& ctx) {
  ClientState* st = ctx.conn ? &ctx.conn->state() : nullptr;
  int64_t ver = 0;
  size_t next = 1;
  if (ctx.args.size() >= 2) {
    if (!ParseInt64(ctx.args[next++], &ver)) {
      ctx.rb->Error("ERR Protocol version is not an integer or out of range");
      return;
    }
    if (ver < 2 || ver > 3) {
      ctx.rb->Error("NOPROTO unsupported protocol version");
      return;
    }
  }
  const std::string_view* user = nullptr;
  const std::string_view* pass = nullptr;
  const std::string_view* name = nullptr;
  for (size_t j = next; j < ctx.args.size(); j++) {
    size_t more = ctx.args.size() - 1 - j;
    if (ArgIs(ctx.args[j], "auth") && more >= 2) {
      user = &ctx.args[j + 1];
      pass = &ctx.args[j + 2];
      j += 2;
    } else if (ArgIs(ctx.args[j], "setname") && more >= 1) {
      name = &ctx.args[j + 1];
      j++;
    } else {
      ctx.rb->Error("ERR Syntax error in HELLO option '" + std::string(ctx.args[j]) + "'");
      return;
    }
  }
  if (user) {
    if (!CheckUser(*user, *pass)) {
      ctx.rb->Error(kErrWrongPass);
      return;
    }
    if (st) st->authenticated = true;
  }
  if (st && !st->authenticated) {
    ctx.rb->Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO AUTH <user> <pass> option can be used to authenticate the client and "
        "select the RESP protocol version at the same time");
    return;
  }
  if (name) {
    if (!ValidClientName(*name)) {
      ctx.rb->Error(kErrClientName);
      return;
    }
    if (st) st->name = std::string(*name);
  }
  int proto = st ? st->proto : ctx.rb->proto();
  if (ver) proto = int(ver);
  if (st) st->proto = proto;
  ctx.rb->set_proto(proto);
  ctx.rb->MapHeader(7);
  ctx.rb->Bulk("server");
  ctx.rb->Bulk("redis");
  ctx.rb->Bulk("version");
  ctx.rb->Bulk(kRedisCompatVersion);
  ctx.rb->Bulk("proto");
  ctx.rb->Integer(proto);
  ctx.rb->Bulk("id");
  ctx.rb->Integer(st ? int64_t(st->id) : 0);
  ctx.rb->Bulk("mode");
  ctx.rb->Bulk("standalone");
  ctx.rb->Bulk("role");
  ctx.rb->Bulk("master");
  ctx.rb->Bulk("modules");
  ctx.rb->ArrayHeader(0);
}

void CmdSelect(CmdContext& ctx) {
  int64_t db;
  if (!ArgInt(ctx, 1, &db)) return;
  if (db < 0 || db >= GlobalConfig().databases) {
    ctx.rb->Error(kErrDbIndex);
    return;
  }
  if (ctx.conn) ctx.conn->state().db = int(db);
  ctx.rb->Ok();
}

}  // namespace

void RegisterConnFamily(CommandRegistry& r) {
  using namespace cmd;
  r.Add({"ping", -1, kFast, 0, 0, 0, CmdPing, nullptr, "connection",
         "Returns the server's liveliness response.", "1.0.0"});
  r.Add({"echo", 2, kFast | kLoading | kStale, 0, 0, 0, CmdEcho, nullptr, "connection",
         "Returns the given string.", "1.0.0"});
  r.Add({"quit", -1, kFast | kNoAuth | kNoScript | kLoading | kStale, 0, 0, 0, CmdQuit, nullptr,
         "connection", "Closes the connection.", "1.0.0"});
  r.Add({"reset", 1, kFast | kNoAuth | kNoScript | kLoading | kStale, 0, 0, 0, CmdReset, nullptr,
         "connection", "Resets the connection.", "6.2.0"});
  r.Add({"auth", -2, kFast | kNoAuth | kNoScript | kLoading | kStale | kSkipMonitor | kSkipSlowlog,
         0, 0, 0, CmdAuth, nullptr, "connection", "Authenticates the connection.", "1.0.0",
         "O(N) where N is the number of passwords defined for the user"});
  r.Add({"hello", -1, kFast | kNoAuth | kNoScript | kLoading | kStale | kSkipMonitor | kSkipSlowlog,
         0, 0, 0, CmdHello, nullptr, "connection", "Handshakes with the Redis server.", "6.0.0"});
  r.Add({"select", 2, kFast | kLoading | kStale, 0, 0, 0, CmdSelect, nullptr, "connection",
         "Changes the selected database.", "1.0.0"});
  RegisterClientCommand(r);
}

}  // namespace strata::kv
