// CLIENT: the connection-introspection container command. Its subcommands run on the calling
// connection's thread; LIST and KILL also visit every shard thread (each owns the connections it
// accepted), collecting ClientInfo snapshots or closing matching clients on their own thread.
#include <algorithm>
#include <string>

#include "base/clock.h"
#include "base/strutil.h"
#include "kv/commands/client_info.h"
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"
#include "kv/commands/subcommand.h"
#include "kv/server/blocking.h"
#include "kv/server/client_pause.h"
#include "kv/server/connection.h"
#include "kv/server/shard_set.h"

namespace strata::kv {
namespace {

// Runs on one shard thread: snapshots of its matching connections.
std::vector<ClientInfo> CollectClients(const ClientFilter& f) {
  std::vector<ClientInfo> out;
  int64_t now = UnixMillis();
  for (Connection* c : Connection::LocalConnections()) {
    if (c->closed()) continue;
    ClientInfo info = SnapshotClient(c, now);
    if (f.Matches(info)) out.push_back(std::move(info));
  }
  return out;
}

// Runs on one shard thread: closes its matching connections; `self` only after its reply.
int64_t KillClients(const ClientFilter& f, Connection* self) {
  int64_t killed = 0;
  int64_t now = UnixMillis();
  auto conns = Connection::LocalConnections();  // Close() may change the list later
  for (Connection* c : conns) {
    if (c->closed()) continue;
    if (!f.Matches(SnapshotClient(c, now))) continue;
    killed++;
    if (c == self)
      c->CloseAfterReply();
    else
      c->Close("killed by CLIENT KILL");
  }
  return killed;
}

Task<void> ClientList(CmdContext& ctx, ClientFilter f) {
  std::vector<std::vector<ClientInfo>> parts(Shards().size());
  co_await Shards().Broadcast([&f, &parts](Shard&, uint32_t i) { parts[i] = CollectClients(f); });
  std::vector<ClientInfo> all;
  for (auto& p : parts)
    for (auto& c : p) all.push_back(std::move(c));
  std::sort(all.begin(), all.end(),
            [](const ClientInfo& a, const ClientInfo& b) { return a.id < b.id; });
  std::string text;
  for (const auto& c : all) {
    text += FormatClientLine(c);
    text += '\n';
  }
  ctx.rb->Verbatim(text);
}

Task<void> ClientKill(CmdContext& ctx) {
  ClientFilter f;
  f.self_id = ctx.conn ? ctx.conn->state().id : 0;
  bool old_form = ctx.args.size() == 3;
  if (old_form) {
    f.addr = std::string(ctx.args[2]);
    f.skipme = false;
  } else {
    std::string err = ParseKillFilter(ctx.args.subspan(2), &f);
    if (!err.empty()) {
      ctx.rb->Error(err);
      co_return;
    }
  }
  Connection* self = ctx.conn;
  std::vector<int64_t> counts(Shards().size());
  co_await Shards().Broadcast(
      [&f, &counts, self](Shard&, uint32_t i) { counts[i] = KillClients(f, self); });
  int64_t killed = 0;
  for (int64_t n : counts) killed += n;
  if (old_form) {
    if (killed == 0)
      ctx.rb->Error("ERR No such client");
    else
      ctx.rb->Ok();
  } else {
    ctx.rb->Integer(killed);
  }
}

Task<void> CmdClient(CmdContext& ctx) {
  const SubcommandSpec* sub = ResolveSubcommand(ctx);
  if (!sub) co_return;
  std::string_view name = sub->name;
  Connection* conn = ctx.conn;
  if (conn) conn->state().last_subcmd = std::string("client|") + sub->name;
  if (RunTrackingSubcommand(ctx, name)) co_return;
  if (name == "id") {
    ctx.rb->Integer(conn ? int64_t(conn->state().id) : 0);
  } else if (name == "getname") {
    if (conn && !conn->state().name.empty())
      ctx.rb->Bulk(conn->state().name);
    else
      ctx.rb->Null();
  } else if (name == "setname") {
    if (!ValidClientName(ctx.args[2])) {
      ctx.rb->Error(kErrClientName);
      co_return;
    }
    if (conn) conn->state().name = std::string(ctx.args[2]);
    ctx.rb->Ok();
  } else if (name == "setinfo") {
    std::string_view attr = ctx.args[2], v = ctx.args[3];
    bool is_name = EqualsIgnoreCase(attr, "lib-name");
    if (!is_name && !EqualsIgnoreCase(attr, "lib-ver")) {
      ctx.rb->Error("ERR Unrecognized option '" + std::string(attr) + "'");
      co_return;
    }
    if (!ValidClientName(v)) {
      ctx.rb->Error(std::string("ERR ") + (is_name ? "lib-name" : "lib-ver") +
                    " cannot contain spaces, newlines or special characters.");
      co_return;
    }
    if (conn) (is_name ? conn->state().lib_name : conn->state().lib_ver) = std::string(v);
    ctx.rb->Ok();
  } else if (name == "no-evict") {
    bool on;
    if (ArgIs(ctx.args[2], "on"))
      on = true;
    else if (ArgIs(ctx.args[2], "off"))
      on = false;
    else {
      ctx.rb->Error(kErrSyntax);
      co_return;
    }
    if (conn) conn->state().no_evict = on;
    ctx.rb->Ok();
  } else if (name == "reply") {
    // As Redis: OFF and SKIP do not answer (SKIP is ignored while replies are off).
    if (ArgIs(ctx.args[2], "on")) {
      if (conn) conn->state().reply_off = conn->state().reply_skip_next = false;
      ctx.rb->Ok();
    } else if (ArgIs(ctx.args[2], "off")) {
      if (conn) conn->state().reply_off = true;
    } else if (ArgIs(ctx.args[2], "skip")) {
      if (conn && !conn->state().reply_off) conn->state().reply_skip_next = true;
    } else {
      ctx.rb->Error(kErrSyntax);
    }
  } else if (name == "pause") {
    if (ctx.args.size() > 4) {
      ctx.rb->Error("ERR unknown subcommand or wrong number of arguments for '" +
                    std::string(ctx.args[1]) + "'. Try CLIENT HELP.");
      co_return;
    }
    PauseType type = PauseType::kAll;
    if (ctx.args.size() == 4) {
      if (ArgIs(ctx.args[3], "write")) {
        type = PauseType::kWrite;
      } else if (!ArgIs(ctx.args[3], "all")) {
        ctx.rb->Error("ERR CLIENT PAUSE mode must be WRITE or ALL");
        co_return;
      }
    }
    int64_t ms;
    if (!ParseInt64(ctx.args[2], &ms)) {
      ctx.rb->Error("ERR timeout is not an integer or out of range");
      co_return;
    }
    if (ms < 0) {
      ctx.rb->Error("ERR timeout is negative");
      co_return;
    }
    int64_t now = UnixMillis();
    int64_t end = ms == 0 ? 0 : (ms > INT64_MAX - now ? INT64_MAX : now + ms);
    PauseClients(type, end);
    ctx.rb->Ok();
  } else if (name == "unpause") {
    UnpauseClients();
    // Every shard resumes its waiting clients now (this one after this command).
    for (uint32_t s = 0; s < Shards().size(); s++)
      Shards().Post(s, [] { Connection::ResumePausedClients(); });
    ctx.rb->Ok();
  } else if (name == "info") {
    std::string line = conn ? FormatClientLine(SnapshotClient(conn, UnixMillis())) : "";
    ctx.rb->Verbatim(line + "\n");
  } else if (name == "list") {
    ClientFilter f;
    std::string err = ParseListFilter(ctx.args.subspan(2), &f);
    if (!err.empty()) {
      ctx.rb->Error(err);
      co_return;
    }
    co_await ClientList(ctx, std::move(f));
  } else if (name == "kill") {
    co_await ClientKill(ctx);
  } else if (name == "unblock") {
    if (ctx.args.size() > 4) {
      ctx.rb->Error("ERR unknown subcommand or wrong number of arguments for '" +
                    std::string(ctx.args[1]) + "'. Try CLIENT HELP.");
      co_return;
    }
    int64_t id;
    if (!ArgInt(ctx, 2, &id)) co_return;
    if (ctx.args.size() == 4 && !ArgIs(ctx.args[3], "timeout") && !ArgIs(ctx.args[3], "error")) {
      ctx.rb->Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
      co_return;
    }
    bool as_error = ctx.args.size() == 4 && ArgIs(ctx.args[3], "error");
    std::vector<int64_t> found(Shards().size(), 0);
    co_await Shards().Broadcast([id, as_error, &found](Shard&, uint32_t i) {
      for (Connection* c : Connection::LocalConnections()) {
        if (c->closed() || c->state().id != uint64_t(id) || !c->blocked()) continue;
        BlockedClient* b = c->blocked();
        if (!b->TryClaim()) continue;
        b->Finish(as_error ? BlockedClient::Outcome::kUnblockedError
                           : BlockedClient::Outcome::kTimeout);
        found[i] = 1;
      }
    });
    int64_t n = 0;
    for (int64_t f : found) n += f;
    ctx.rb->Integer(n);
  } else if (name == "help") {
    ReplyHelp(ctx, "CLIENT",
              {"GETNAME",
               "    Return the name of the current connection.",
               "ID",
               "    Return the ID of the current connection.",
               "INFO",
               "    Return information about the current client connection.",
               "KILL <ip:port>",
               "    Kill connection made from <ip:port>.",
               "KILL <option> <value> [<option> <value> [...]]",
               "    Kill connections. Options are:",
               "    * ADDR (<ip:port>|<unixsocket>:0)",
               "      Kill connections made from the specified address",
               "    * LADDR (<ip:port>|<unixsocket>:0)",
               "      Kill connections made to specified local address",
               "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
               "      Kill connections by type.",
               "    * USER <username>",
               "      Kill connections authenticated by <username>.",
               "    * SKIPME (YES|NO)",
               "      Skip killing current connection (default: yes).",
               "    * ID <client-id>",
               "      Kill connections by client id.",
               "LIST [options ...]",
               "    Return information about client connections. Options:",
               "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
               "      Return clients of specified type.",
               "    * ID <client-id> [<client-id> ...]",
               "      Return clients of specified IDs only.",
               "UNPAUSE",
               "    Stop the current client pause, resuming traffic.",
               "PAUSE <timeout> [WRITE|ALL]",
               "    Suspend all, or just write, clients for <timeout> milliseconds.",
               "REPLY (ON|OFF|SKIP)",
               "    Control the replies sent to the current connection.",
               "SETNAME <name>",
               "    Assign the name <name> to the current connection.",
               "SETINFO <option> <value>",
               "    Set client meta attr. Options are:",
               "    * LIB-NAME: the client lib name.",
               "    * LIB-VER: the client lib version.",
               "NO-EVICT (ON|OFF)",
               "    Protect current client connection from eviction."});
  }
}

}  // namespace

void RegisterClientCommand(CommandRegistry& r) {
  using namespace cmd;
  const uint32_t kConn = kNoScript | kLoading | kStale;
  r.Add({"client", -2, 0, 0, 0, 0, nullptr, CmdClient, "connection",
         "A container for client connection commands.", "2.4.0", "Depends on subcommand."});
  RegisterSubcommands(
      "client",
      {
          {"id", 2, kConn, "Returns the unique client ID of the connection.", "5.0.0"},
          {"getname", 2, kConn, "Returns the name of the connection.", "2.6.9"},
          {"setname", 3, kConn, "Sets the connection name.", "2.6.9"},
          {"setinfo", 4, kConn, "Sets information specific to the client or connection.", "7.2.0"},
          {"no-evict", 3, kAdmin | kConn, "Sets the client eviction mode of the connection.",
           "7.0.0"},
          {"info", 2, kConn, "Returns information about the connection.", "6.2.0"},
          {"reply", 3, kConn, "Instructs the server whether to reply to commands.", "3.2.0"},
          {"pause", -3, kAdmin | kConn, "Suspends commands processing.", "3.0.0"},
          {"unpause", 2, kAdmin | kConn, "Resumes processing of clients that were paused.", "6.2.0",
           "O(N) Where N is the number of paused clients"},
          {"list", -2, kAdmin | kConn, "Lists open connections.", "2.4.0",
           "O(N) where N is the number of client connections"},
          {"kill", -3, kAdmin | kConn, "Terminates open connections.", "2.4.0",
           "O(N) where N is the number of client connections"},
          {"unblock", -3, kAdmin | kConn, "Unblocks a client blocked by a blocking command.",
           "5.0.0", "O(log N) where N is the number of client connections"},
          {"getredir", 2, kConn,
           "Returns the client ID to which the connection's tracking notifications are "
           "redirected.",
           "6.0.0"},
          {"tracking", -3, kConn,
           "Controls server-assisted client-side caching for the connection.", "6.0.0",
           "O(1). Some options may introduce additional complexity."},
          {"caching", 3, kConn,
           "Instructs the server whether to track the keys in the next request.", "6.0.0"},
          {"trackinginfo", 2, kConn,
           "Returns information about server-assisted client-side caching for the connection.",
           "6.2.0"},
          {"help", 2, kLoading | kStale, "Returns helpful text about the different subcommands.",
           "5.0.0"},
      });
}

}  // namespace strata::kv
