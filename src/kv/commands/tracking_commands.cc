// CLIENT TRACKING, CLIENT CACHING, CLIENT TRACKINGINFO and CLIENT GETREDIR: the client-side
// caching subcommands of CLIENT (client_family.cc dispatches here). They change only the calling
// connection's settings, on its thread; kv/messaging/tracking.h does the rest.
#include <string>
#include <vector>

#include "base/strutil.h"
#include "kv/commands/client_info.h"
#include "kv/commands/family_util.h"
#include "kv/messaging/tracking.h"
#include "kv/server/connection.h"

namespace strata::kv {
namespace {

bool PrefixOverlap(const std::string& a, const std::string& b) {
  size_t n = a.size() < b.size() ? a.size() : b.size();
  return a.compare(0, n, b, 0, n) == 0;
}

void ClientTrackingCmd(CmdContext& ctx, Connection* conn) {
  auto args = ctx.args;
  int64_t redirect = 0;
  bool bcast = false, optin = false, optout = false, noloop = false;
  std::vector<std::string> prefixes;
  for (size_t j = 3; j < args.size(); j++) {
    bool more = j + 1 < args.size();
    if (ArgIs(args[j], "redirect") && more) {
      j++;
      if (redirect != 0) {
        ctx.rb->Error("ERR A client can only redirect to a single other client");
        return;
      }
      if (!ParseInt64(args[j], &redirect)) {
        ctx.rb->Error(kErrNotInt);
        return;
      }
      if (tracking::ShardOfClient(uint64_t(redirect)) < 0) {
        ctx.rb->Error("ERR The client ID you want redirect to does not exist");
        return;
      }
    } else if (ArgIs(args[j], "bcast")) {
      bcast = true;
    } else if (ArgIs(args[j], "optin")) {
      optin = true;
    } else if (ArgIs(args[j], "optout")) {
      optout = true;
    } else if (ArgIs(args[j], "noloop")) {
      noloop = true;
    } else if (ArgIs(args[j], "prefix") && more) {
      prefixes.emplace_back(args[++j]);
    } else {
      ctx.rb->Error(kErrSyntax);
      return;
    }
  }
  tracking::ClientTracking& t = conn->tracking();
  if (ArgIs(args[2], "on")) {
    if (!bcast && !prefixes.empty()) {
      ctx.rb->Error("ERR PREFIX option requires BCAST mode to be enabled");
      return;
    }
    if (t.on && t.bcast != bcast) {
      ctx.rb->Error(
          "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and "
          "then re-enabling it with a different mode.");
      return;
    }
    if (bcast && (optin || optout)) {
      ctx.rb->Error("ERR OPTIN and OPTOUT are not compatible with BCAST");
      return;
    }
    if (optin && optout) {
      ctx.rb->Error("ERR You can't specify both OPTIN mode and OPTOUT mode");
      return;
    }
    if ((optin && t.optout) || (optout && t.optin)) {
      ctx.rb->Error(
          "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and "
          "then re-enabling it with a different mode.");
      return;
    }
    if (bcast) {
      for (size_t i = 0; i < prefixes.size(); i++) {
        for (const auto& have : t.prefixes) {
          if (PrefixOverlap(have, prefixes[i])) {
            ctx.rb->Error("ERR Prefix '" + prefixes[i] + "' overlaps with an existing prefix '" +
                          have + "'. Prefixes for a single client must not overlap.");
            return;
          }
        }
        for (size_t j = i + 1; j < prefixes.size(); j++) {
          if (PrefixOverlap(prefixes[i], prefixes[j])) {
            ctx.rb->Error("ERR Prefix '" + prefixes[i] +
                          "' overlaps with another provided prefix '" + prefixes[j] +
                          "'. Prefixes for a single client must not overlap.");
            return;
          }
        }
      }
    }
    tracking::Enable(conn, uint64_t(redirect), bcast, optin, optout, noloop, prefixes);
  } else if (ArgIs(args[2], "off")) {
    tracking::Disable(conn);
  } else {
    ctx.rb->Error(kErrSyntax);
    return;
  }
  ctx.rb->Ok();
}

void ClientCachingCmd(CmdContext& ctx, Connection* conn) {
  tracking::ClientTracking& t = conn->tracking();
  if (!t.on) {
    ctx.rb->Error(
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or "
        "OPTOUT mode enabled");
    return;
  }
  if (ArgIs(ctx.args[2], "yes")) {
    if (!t.optin) {
      ctx.rb->Error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
      return;
    }
  } else if (ArgIs(ctx.args[2], "no")) {
    if (!t.optout) {
      ctx.rb->Error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
      return;
    }
  } else {
    ctx.rb->Error(kErrSyntax);
    return;
  }
  t.caching = true;
  ctx.rb->Ok();
}

void ClientTrackingInfoCmd(CmdContext& ctx, Connection* conn) {
  const tracking::ClientTracking& t = conn->tracking();
  std::vector<const char*> flags;
  flags.push_back(t.on ? "on" : "off");
  if (t.bcast) flags.push_back("bcast");
  if (t.optin) {
    flags.push_back("optin");
    if (t.caching) flags.push_back("caching-yes");
  }
  if (t.optout) {
    flags.push_back("optout");
    if (t.caching) flags.push_back("caching-no");
  }
  if (t.noloop) flags.push_back("noloop");
  if (t.broken_redirect) flags.push_back("broken_redirect");
  ctx.rb->MapHeader(3);
  ctx.rb->Bulk("flags");
  ctx.rb->SetHeader(flags.size());
  for (const char* f : flags) ctx.rb->Bulk(f);
  ctx.rb->Bulk("redirect");
  ctx.rb->Integer(t.on ? int64_t(t.redirect) : -1);
  ctx.rb->Bulk("prefixes");
  ctx.rb->ArrayHeader(t.prefixes.size());
  for (const auto& p : t.prefixes) ctx.rb->Bulk(p);
}

}  // namespace

bool RunTrackingSubcommand(CmdContext& ctx, std::string_view name) {
  Connection* conn = ctx.conn;
  if (name != "tracking" && name != "caching" && name != "trackinginfo" && name != "getredir")
    return false;
  if (!conn) {
    ctx.rb->Error("ERR CLIENT " + ToUpper(name) + " is not allowed here");
    return true;
  }
  if (name == "tracking") {
    ClientTrackingCmd(ctx, conn);
  } else if (name == "caching") {
    ClientCachingCmd(ctx, conn);
  } else if (name == "trackinginfo") {
    ClientTrackingInfoCmd(ctx, conn);
  } else {
    const tracking::ClientTracking& t = conn->tracking();
    ctx.rb->Integer(t.on ? int64_t(t.redirect) : -1);
  }
  return true;
}

}  // namespace strata::kv
