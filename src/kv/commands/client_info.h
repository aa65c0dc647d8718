// CLIENT LIST / CLIENT INFO / CLIENT KILL building blocks, kept pure for testing:
//
// - ClientInfo: a copy of what one connection reports (taken on its own thread by SnapshotClient,
//   then carried to the coordinating thread);
// - FormatClientLine: the Redis 7.2 "id=... addr=... ... lib-ver=" line (without the newline);
// - ClientFilter: the CLIENT LIST / CLIENT KILL selection (ID, TYPE, ADDR, LADDR, USER, SKIPME),
//   parsed with Redis's error texts and matched against a ClientInfo.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata::kv {

class Connection;
class CommandRegistry;
struct CmdContext;

inline constexpr const char* kErrClientName =
    "ERR Client names cannot contain spaces, newlines or special characters.";

// Client names and library names: printable ASCII without spaces ('!' to '~').
bool ValidClientName(std::string_view name);

struct ClientInfo {
  uint64_t id = 0;
  std::string addr, laddr;
  int fd = -1;
  std::string name;
  int64_t age_s = 0;
  int64_t idle_s = 0;
  std::string flags = "N";
  int db = 0;
  size_t qbuf = 0;
  size_t qbuf_free = 0;
  size_t argv_mem = 0;
  size_t obl = 0;
  size_t oll = 0;
  size_t omem = 0;
  size_t tot_mem = 0;
  std::string events = "r";
  std::string cmd = "NULL";
  int resp = 2;
  std::string lib_name, lib_ver;
  bool monitor = false;
  int64_t sub = 0, psub = 0, ssub = 0;  // subscriptions
  bool pubsub = false;                  // subscribed to anything (CLIENT LIST TYPE pubsub)
  int64_t redir = -1;                   // tracking redirection, -1 with tracking off
  int64_t multi = -1;                   // commands queued in MULTI, -1 outside one
  size_t multi_mem = 0;                 // their argument bytes
};

// Must run on the connection's own thread.
ClientInfo SnapshotClient(Connection* c, int64_t now_ms);
std::string FormatClientLine(const ClientInfo& c);

struct ClientFilter {
  std::vector<uint64_t> ids;  // empty = any
  std::string type;           // "" = any; else normal, master, replica, pubsub
  std::string addr, laddr;    // "" = any
  bool skipme = true;         // CLIENT KILL only
  uint64_t self_id = 0;

  bool Matches(const ClientInfo& c) const;
};

// Parses CLIENT LIST options (args after "LIST"): TYPE t | ID id [id ...]. Returns "" or the error
// text.
std::string ParseListFilter(std::span<const std::string_view> args, ClientFilter* f);
// Parses CLIENT KILL's new form (args after "KILL"): <filter> <value> pairs.
std::string ParseKillFilter(std::span<const std::string_view> args, ClientFilter* f);

// Registers CLIENT (client_family.cc).
void RegisterClientCommand(CommandRegistry& r);
// CLIENT TRACKING, CACHING, TRACKINGINFO, GETREDIR (tracking_commands.cc); false for others.
bool RunTrackingSubcommand(CmdContext& ctx, std::string_view name);

}  // namespace strata::kv
