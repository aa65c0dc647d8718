#include "kv/commands/command_docs.h"

#include <cstring>
#include <map>
#include <string>

#include "base/glob.h"
#include "base/strutil.h"
#include "kv/commands/command_keys.h"
#include "kv/commands/family_util.h"
#include "kv/commands/key_flags.h"
#include "kv/commands/registry.h"
#include "kv/commands/subcommand.h"
#include "kv/server/connection.h"

namespace strata::kv {

std::vector<std::string> CommandFlagNames(uint32_t flags) {
  using namespace cmd;
  static const std::pair<uint32_t, const char*> kNames[] = {
      {kWrite, "write"},
      {kReadOnly, "readonly"},
      {kDenyOom, "denyoom"},
      {kAdmin, "admin"},
      {kPubSub, "pubsub"},
      {kNoScript, "noscript"},
      {kBlocking, "blocking"},
      {kLoading, "loading"},
      {kStale, "stale"},
      {kSkipMonitor, "skip_monitor"},
      {kSkipSlowlog, "skip_slowlog"},
      {kFast, "fast"},
      {kNoAuth, "no_auth"},
      {kNoMulti, "no_multi"},
  };
  std::vector<std::string> out;
  for (const auto& [bit, name] : kNames)
    if (flags & bit) out.emplace_back(name);
  return out;
}

namespace {

// Redis 7.0's explicit ACL categories of each command and subcommand (those implied by the
// command's flags are added by CommandAclCategories).
const std::map<std::string, std::string, std::less<>>& ExplicitAclCategories() {
  static const std::map<std::string, std::string, std::less<>> cats = {
      {"append", "string"},
      {"auth", "connection"},
      {"bitcount", "bitmap"},
      {"bitfield", "bitmap"},
      {"bitfield_ro", "bitmap"},
      {"bitop", "bitmap"},
      {"bitpos", "bitmap"},
      {"blmove", "list"},
      {"blmpop", "list"},
      {"blpop", "list"},
      {"brpop", "list"},
      {"brpoplpush", "list"},
      {"bzmpop", "sortedset"},
      {"bzpopmax", "sortedset"},
      {"bzpopmin", "sortedset"},
      {"client", ""},
      {"client|caching", "connection"},
      {"client|getname", "connection"},
      {"client|getredir", "connection"},
      {"client|help", "connection"},
      {"client|id", "connection"},
      {"client|info", "connection"},
      {"client|kill", "connection"},
      {"client|list", "connection"},
      {"client|no-evict", "connection"},
      {"client|pause", "connection"},
      {"client|reply", "connection"},
      {"client|setname", "connection"},
      {"client|tracking", "connection"},
      {"client|trackinginfo", "connection"},
      {"client|unblock", "connection"},
      {"client|unpause", "connection"},
      {"command", "connection"},
      {"command|count", "connection"},
      {"command|docs", "connection"},
      {"command|getkeys", "connection"},
      {"command|getkeysandflags", "connection"},
      {"command|help", "connection"},
      {"command|info", "connection"},
      {"command|list", "connection"},
      {"config", ""},
      {"config|get", ""},
      {"config|help", ""},
      {"config|resetstat", ""},
      {"config|rewrite", ""},
      {"config|set", ""},
      {"copy", "keyspace"},
      {"dbsize", "keyspace"},
      {"debug", ""},
      {"decr", "string"},
      {"decrby", "string"},
      {"del", "keyspace"},
      {"discard", "transaction"},
      {"dump", "keyspace"},
      {"echo", "connection"},
      {"eval", "scripting"},
      {"eval_ro", "scripting"},
      {"evalsha", "scripting"},
      {"evalsha_ro", "scripting"},
      {"exec", "transaction"},
      {"exists", "keyspace"},
      {"expire", "keyspace"},
      {"expireat", "keyspace"},
      {"expiretime", "keyspace"},
      {"fcall", "scripting"},
      {"fcall_ro", "scripting"},
      {"flushall", "keyspace dangerous"},
      {"flushdb", "keyspace dangerous"},
      {"function", ""},
      {"function|delete", "scripting"},
      {"function|dump", "scripting"},
      {"function|flush", "scripting"},
      {"function|help", "scripting"},
      {"function|kill", "scripting"},
      {"function|list", "scripting"},
      {"function|load", "scripting"},
      {"function|restore", "scripting"},
      {"function|stats", "scripting"},
      {"geoadd", "geo"},
      {"geodist", "geo"},
      {"geohash", "geo"},
      {"geopos", "geo"},
      {"georadius", "geo"},
      {"georadius_ro", "geo"},
      {"georadiusbymember", "geo"},
      {"georadiusbymember_ro", "geo"},
      {"geosearch", "geo"},
      {"geosearchstore", "geo"},
      {"get", "string"},
      {"getbit", "bitmap"},
      {"getdel", "string"},
      {"getex", "string"},
      {"getrange", "string"},
      {"getset", "string"},
      {"hdel", "hash"},
      {"hello", "connection"},
      {"hexists", "hash"},
      {"hget", "hash"},
      {"hgetall", "hash"},
      {"hincrby", "hash"},
      {"hincrbyfloat", "hash"},
      {"hkeys", "hash"},
      {"hlen", "hash"},
      {"hmget", "hash"},
      {"hmset", "hash"},
      {"hrandfield", "hash"},
      {"hscan", "hash"},
      {"hset", "hash"},
      {"hsetnx", "hash"},
      {"hstrlen", "hash"},
      {"hvals", "hash"},
      {"incr", "string"},
      {"incrby", "string"},
      {"incrbyfloat", "string"},
      {"info", "dangerous"},
      {"keys", "keyspace dangerous"},
      {"lastsave", "admin dangerous"},
      {"lcs", "string"},
      {"lindex", "list"},
      {"linsert", "list"},
      {"llen", "list"},
      {"lmove", "list"},
      {"lmpop", "list"},
      {"lpop", "list"},
      {"lpos", "list"},
      {"lpush", "list"},
      {"lpushx", "list"},
      {"lrange", "list"},
      {"lrem", "list"},
      {"lset", "list"},
      {"ltrim", "list"},
      {"memory", ""},
      {"memory|doctor", ""},
      {"memory|help", ""},
      {"memory|malloc-stats", ""},
      {"memory|purge", ""},
      {"memory|stats", ""},
      {"memory|usage", ""},
      {"mget", "string"},
      {"monitor", ""},
      {"move", "keyspace"},
      {"mset", "string"},
      {"msetnx", "string"},
      {"multi", "transaction"},
      {"object", ""},
      {"object|encoding", "keyspace"},
      {"object|freq", "keyspace"},
      {"object|help", "keyspace"},
      {"object|idletime", "keyspace"},
      {"object|refcount", "keyspace"},
      {"persist", "keyspace"},
      {"pexpire", "keyspace"},
      {"pexpireat", "keyspace"},
      {"pexpiretime", "keyspace"},
      {"pfadd", "hyperloglog"},
      {"pfcount", "hyperloglog"},
      {"pfmerge", "hyperloglog"},
      {"ping", "connection"},
      {"psetex", "string"},
      {"pttl", "keyspace"},
      {"quit", "connection"},
      {"randomkey", "keyspace"},
      {"rename", "keyspace"},
      {"renamenx", "keyspace"},
      {"reset", "connection"},
      {"restore", "keyspace dangerous"},
      {"rpop", "list"},
      {"rpoplpush", "list"},
      {"rpush", "list"},
      {"rpushx", "list"},
      {"sadd", "set"},
      {"scan", "keyspace"},
      {"scard", "set"},
      {"script", ""},
      {"script|debug", "scripting"},
      {"script|exists", "scripting"},
      {"script|flush", "scripting"},
      {"script|help", "scripting"},
      {"script|kill", "scripting"},
      {"script|load", "scripting"},
      {"sdiff", "set"},
      {"sdiffstore", "set"},
      {"select", "connection"},
      {"set", "string"},
      {"setbit", "bitmap"},
      {"setex", "string"},
      {"setnx", "string"},
      {"setrange", "string"},
      {"shutdown", ""},
      {"sinter", "set"},
      {"sintercard", "set"},
      {"sinterstore", "set"},
      {"sismember", "set"},
      {"slowlog", ""},
      {"slowlog|get", ""},
      {"slowlog|help", ""},
      {"slowlog|len", ""},
      {"slowlog|reset", ""},
      {"smembers", "set"},
      {"smismember", "set"},
      {"smove", "set"},
      {"sort", "set sortedset list dangerous"},
      {"sort_ro", "set sortedset list dangerous"},
      {"spop", "set"},
      {"srandmember", "set"},
      {"srem", "set"},
      {"sscan", "set"},
      {"strlen", "string"},
      {"sunion", "set"},
      {"sunionstore", "set"},
      {"swapdb", "keyspace dangerous"},
      {"time", ""},
      {"touch", "keyspace"},
      {"ttl", "keyspace"},
      {"type", "keyspace"},
      {"unlink", "keyspace"},
      {"unwatch", "transaction"},
      {"watch", "transaction"},
      {"xack", "stream"},
      {"xadd", "stream"},
      {"xautoclaim", "stream"},
      {"xclaim", "stream"},
      {"xdel", "stream"},
      {"xgroup", ""},
      {"xgroup|create", "stream"},
      {"xgroup|createconsumer", "stream"},
      {"xgroup|delconsumer", "stream"},
      {"xgroup|destroy", "stream"},
      {"xgroup|help", "stream"},
      {"xgroup|setid", "stream"},
      {"xinfo", ""},
      {"xinfo|consumers", "stream"},
      {"xinfo|groups", "stream"},
      {"xinfo|help", "stream"},
      {"xinfo|stream", "stream"},
      {"xlen", "stream"},
      {"xpending", "stream"},
      {"xrange", "stream"},
      {"xread", "stream"},
      {"xreadgroup", "stream"},
      {"xrevrange", "stream"},
      {"xsetid", "stream"},
      {"xtrim", "stream"},
      {"zadd", "sortedset"},
      {"zcard", "sortedset"},
      {"zcount", "sortedset"},
      {"zdiff", "sortedset"},
      {"zdiffstore", "sortedset"},
      {"zincrby", "sortedset"},
      {"zinter", "sortedset"},
      {"zintercard", "sortedset"},
      {"zinterstore", "sortedset"},
      {"zlexcount", "sortedset"},
      {"zmpop", "sortedset"},
      {"zmscore", "sortedset"},
      {"zpopmax", "sortedset"},
      {"zpopmin", "sortedset"},
      {"zrandmember", "sortedset"},
      {"zrange", "sortedset"},
      {"zrangebylex", "sortedset"},
      {"zrangebyscore", "sortedset"},
      {"zrangestore", "sortedset"},
      {"zrank", "sortedset"},
      {"zrem", "sortedset"},
      {"zremrangebylex", "sortedset"},
      {"zremrangebyrank", "sortedset"},
      {"zremrangebyscore", "sortedset"},
      {"zrevrange", "sortedset"},
      {"zrevrangebylex", "sortedset"},
      {"zrevrangebyscore", "sortedset"},
      {"zrevrank", "sortedset"},
      {"zscan", "sortedset"},
      {"zscore", "sortedset"},
      {"zunion", "sortedset"},
      {"zunionstore", "sortedset"},
  };
  return cats;
}

}  // namespace

std::vector<std::string> CommandAclCategories(uint32_t flags, const char* group, bool container,
                                              std::string_view full_name) {
  using namespace cmd;
  std::string explicit_cats;
  bool known = false;
  if (!full_name.empty()) {
    if (auto it = ExplicitAclCategories().find(full_name); it != ExplicitAclCategories().end()) {
      explicit_cats = " " + it->second + " ";
      known = true;
    }
  }
  // A container has no flags of its own: its explicit categories, and @slow.
  if (container) {
    if (!known) return {"@slow"};
    flags = 0;
  }
  std::string g = group ? group : "";
  std::string gcat;
  if (g == "generic")
    gcat = "keyspace";
  else if (g == "sorted-set")
    gcat = "sortedset";
  else if (g == "transactions")
    gcat = "transaction";
  else if (g == "string" || g == "list" || g == "set" || g == "hash" || g == "bitmap" ||
           g == "hyperloglog" || g == "geo" || g == "stream" || g == "pubsub" ||
           g == "connection" || g == "scripting")
    gcat = g;
  // Redis's category table order.
  static const char* kOrder[] = {
      "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
      "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
      "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting"};
  bool scripting =
      known ? explicit_cats.find(" scripting ") != std::string::npos : gcat == "scripting";
  auto has = [&](const std::string& c) {
    if (known ? explicit_cats.find(" " + c + " ") != std::string::npos : c == gcat) return true;
    if (c == "read") return (flags & kReadOnly) != 0 && !scripting;
    if (c == "write") return (flags & kWrite) != 0;
    if (c == "pubsub") return (flags & kPubSub) != 0;
    if (c == "admin" || c == "dangerous") return (flags & kAdmin) != 0;
    if (c == "fast") return (flags & kFast) != 0;
    if (c == "slow") return (flags & kFast) == 0;
    if (c == "blocking") return (flags & kBlocking) != 0;
    return false;
  };
  std::vector<std::string> out;
  for (const char* c : kOrder)
    if (has(c)) out.push_back(std::string("@") + c);
  return out;
}

namespace {

void ReplyStringSet(resp::ReplyBuilder* rb, const std::vector<std::string>& v) {
  rb->SetHeader(v.size());
  for (const auto& s : v) rb->SimpleString(s);
}

void ReplyKeySpecs(resp::ReplyBuilder* rb, const CommandSpec& spec) {
  if (spec.keyless()) {
    rb->SetHeader(0);
    return;
  }
  rb->SetHeader(1);
  rb->MapHeader(3);
  rb->Bulk("flags");
  if (spec.flags & cmd::kWrite)
    ReplyStringSet(rb, {"RW", "update"});
  else
    ReplyStringSet(rb, {"RO", "access"});
  rb->Bulk("begin_search");
  rb->MapHeader(2);
  rb->Bulk("type");
  rb->Bulk("index");
  rb->Bulk("spec");
  rb->MapHeader(1);
  rb->Bulk("index");
  rb->Integer(spec.first_key);
  rb->Bulk("find_keys");
  rb->MapHeader(2);
  rb->Bulk("type");
  rb->Bulk("range");
  rb->Bulk("spec");
  rb->MapHeader(3);
  rb->Bulk("lastkey");
  rb->Integer(spec.last_key < 0 ? spec.last_key : spec.last_key - spec.first_key);
  rb->Bulk("keystep");
  rb->Integer(spec.key_step > 0 ? spec.key_step : 1);
  rb->Bulk("limit");
  rb->Integer(0);
}

void ReplySubcommandInfo(resp::ReplyBuilder* rb, const CommandSpec& parent,
                         const SubcommandSpec& s) {
  rb->ArrayHeader(10);
  rb->Bulk(std::string(parent.name) + "|" + s.name);
  rb->Integer(s.arity);
  ReplyStringSet(rb, CommandFlagNames(s.flags));
  rb->Integer(0);
  rb->Integer(0);
  rb->Integer(0);
  ReplyStringSet(rb, CommandAclCategories(s.flags, parent.group, false,
                                          std::string(parent.name) + "|" + s.name));
  rb->SetHeader(0);  // tips
  rb->SetHeader(0);  // key specs
  rb->SetHeader(0);  // subcommands
}

void ReplyCommandInfo(resp::ReplyBuilder* rb, const CommandSpec& spec) {
  const auto* subs = SubcommandsOf(spec.name);
  rb->ArrayHeader(10);
  rb->Bulk(spec.name);
  rb->Integer(spec.arity);
  int first = spec.first_key;
  int last = spec.keyless() ? 0 : spec.last_key;
  int step = spec.keyless() ? 0 : (spec.key_step > 0 ? spec.key_step : 1);
  std::vector<std::string> flags = CommandFlagNames(spec.flags);
  if (MovableKeys(spec, &first, &last, &step)) flags.push_back("movablekeys");
  ReplyStringSet(rb, flags);
  rb->Integer(first);
  rb->Integer(last);
  rb->Integer(step);
  ReplyStringSet(rb, CommandAclCategories(spec.flags, spec.group, subs != nullptr, spec.name));
  rb->SetHeader(0);  // tips
  ReplyKeySpecs(rb, spec);
  // As Redis: an empty set when there are none, else an array.
  if (subs) {
    rb->ArrayHeader(subs->size());
    for (const auto& s : *subs) ReplySubcommandInfo(rb, spec, s);
  } else {
    rb->SetHeader(0);
  }
}

void ReplyDocFields(resp::ReplyBuilder* rb, const char* summary, const char* since,
                    const char* group, const char* complexity, const CommandSpec* container) {
  const auto* subs = container ? SubcommandsOf(container->name) : nullptr;
  rb->MapHeader(subs ? 5 : 4);
  rb->Bulk("summary");
  rb->Bulk(summary);
  rb->Bulk("since");
  rb->Bulk(since);
  rb->Bulk("group");
  rb->Bulk(group);
  rb->Bulk("complexity");
  rb->Bulk(complexity);
  if (subs) {
    rb->Bulk("subcommands");
    rb->MapHeader(subs->size());
    for (const auto& s : *subs) {
      rb->Bulk(std::string(container->name) + "|" + s.name);
      ReplyDocFields(rb, s.summary, s.since, container->group, s.complexity, nullptr);
    }
  }
}

void ReplyDocs(resp::ReplyBuilder* rb, const CommandSpec& spec) {
  rb->Bulk(spec.name);
  ReplyDocFields(rb, spec.summary, spec.since, spec.group, spec.complexity, &spec);
}

// Full names of every command and subcommand matching the COMMAND LIST filter.
std::vector<std::string> ListCommands(std::string_view kind, std::string_view value) {
  std::vector<std::string> out;
  auto consider = [&](const std::string& name, uint32_t flags, const char* group, bool container) {
    if (kind.empty()) {
      out.push_back(name);
    } else if (kind == "pattern") {
      if (GlobMatch(value, name, true)) out.push_back(name);
    } else if (kind == "aclcat") {
      std::string cat = "@" + ToLower(value);
      for (const auto& c : CommandAclCategories(flags, group, container, name)) {
        if (c == cat) {
          out.push_back(name);
          break;
        }
      }
    }
    // "module": no command comes from a module.
  };
  for (const auto& spec : CommandRegistry::Get().all()) {
    const auto* subs = SubcommandsOf(spec.name);
    consider(spec.name, spec.flags, spec.group, subs != nullptr);
    if (subs)
      for (const auto& s : *subs)
        consider(std::string(spec.name) + "|" + s.name, s.flags, spec.group, false);
  }
  return out;
}

// Scripts and functions may be called without keys (Redis's no-mandatory-keys commands).
bool KeysOptional(const CommandSpec& spec) {
  static const char* const kNames[] = {"eval",       "evalsha", "eval_ro",
                                       "evalsha_ro", "fcall",   "fcall_ro"};
  for (const char* n : kNames)
    if (strcmp(spec.name, n) == 0) return true;
  return false;
}

// COMMAND GETKEYS / GETKEYSANDFLAGS <full command>.
void ReplyGetKeys(CmdContext& ctx, bool with_flags) {
  auto cmd_args = ctx.args.subspan(2);
  const CommandSpec* spec = CommandRegistry::Get().Find(cmd_args[0]);
  if (!spec) {
    ctx.rb->Error("ERR Invalid command specified");
    return;
  }
  bool movable = MovableKeys(*spec);
  if (spec->keyless() && !movable) {
    ctx.rb->Error("ERR The command has no key arguments");
    return;
  }
  int argc = int(cmd_args.size());
  if ((spec->arity > 0 && argc != spec->arity) || (spec->arity < 0 && argc < -spec->arity)) {
    ctx.rb->Error("ERR Invalid number of arguments specified for command");
    return;
  }
  std::vector<size_t> idx;
  if (!CommandKeys(*spec, cmd_args, &idx) || idx.empty()) {
    if (KeysOptional(*spec)) {
      ctx.rb->ArrayHeader(0);
      return;
    }
    ctx.rb->Error(movable ? "ERR Invalid arguments specified for command"
                          : "ERR The command has no key arguments");
    return;
  }
  ctx.rb->ArrayHeader(idx.size());
  if (!with_flags) {
    for (size_t i : idx) ctx.rb->Bulk(cmd_args[i]);
    return;
  }
  auto flags = KeyFlagNames(*spec, cmd_args, idx);
  for (size_t j = 0; j < idx.size(); j++) {
    ctx.rb->ArrayHeader(2);
    ctx.rb->Bulk(cmd_args[idx[j]]);
    ctx.rb->SetHeader(flags[j].size());
    for (const auto& f : flags[j]) ctx.rb->SimpleString(f);
  }
}

void CmdCommand(CmdContext& ctx) {
  const auto& all = CommandRegistry::Get().all();
  if (ctx.args.size() == 1) {
    ctx.rb->ArrayHeader(all.size());
    for (const auto& spec : all) ReplyCommandInfo(ctx.rb, spec);
    return;
  }
  const SubcommandSpec* sub = ResolveSubcommand(ctx);
  if (!sub) return;
  std::string_view name = sub->name;
  if (ctx.conn) ctx.conn->state().last_subcmd = std::string("command|") + sub->name;
  if (name == "count") {
    ctx.rb->Integer(int64_t(all.size()));
  } else if (name == "info") {
    if (ctx.args.size() == 2) {
      ctx.rb->ArrayHeader(all.size());
      for (const auto& spec : all) ReplyCommandInfo(ctx.rb, spec);
      return;
    }
    ctx.rb->ArrayHeader(ctx.args.size() - 2);
    for (size_t i = 2; i < ctx.args.size(); i++) {
      const CommandSpec* spec = CommandRegistry::Get().Find(ctx.args[i]);
      if (spec)
        ReplyCommandInfo(ctx.rb, *spec);
      else
        ctx.rb->Null();
    }
  } else if (name == "docs") {
    if (ctx.args.size() == 2) {
      ctx.rb->MapHeader(all.size());
      for (const auto& spec : all) ReplyDocs(ctx.rb, spec);
      return;
    }
    std::vector<const CommandSpec*> found;
    for (size_t i = 2; i < ctx.args.size(); i++) {
      const CommandSpec* spec = CommandRegistry::Get().Find(ctx.args[i]);
      if (spec) found.push_back(spec);
    }
    ctx.rb->MapHeader(found.size());
    for (const auto* spec : found) ReplyDocs(ctx.rb, *spec);
  } else if (name == "list") {
    std::string kind;
    std::string_view value;
    if (ctx.args.size() != 2) {
      if (ctx.args.size() != 5 || !ArgIs(ctx.args[2], "filterby")) {
        ctx.rb->Error(kErrSyntax);
        return;
      }
      kind = ToLower(ctx.args[3]);
      value = ctx.args[4];
      if (kind != "module" && kind != "aclcat" && kind != "pattern") {
        ctx.rb->Error(kErrSyntax);
        return;
      }
    }
    auto names = ListCommands(kind, value);
    ctx.rb->ArrayHeader(names.size());
    for (const auto& n : names) ctx.rb->Bulk(n);
  } else if (name == "getkeys" || name == "getkeysandflags") {
    ReplyGetKeys(ctx, name == "getkeysandflags");
  } else if (name == "help") {
    ReplyHelp(ctx, "COMMAND",
              {"(no subcommand)",
               "    Return details about all Redis commands.",
               "COUNT",
               "    Return the total number of commands in this Redis server.",
               "LIST",
               "    Return a list of all commands in this Redis server.",
               "INFO [<command-name> ...]",
               "    Return details about multiple Redis commands.",
               "    If no command names are given, documentation details for all",
               "    commands are returned.",
               "DOCS [<command-name> ...]",
               "    Return documentation details about multiple Redis commands.",
               "    If no command names are given, documentation details for all",
               "    commands are returned.",
               "GETKEYS <full-command>",
               "    Return the keys from a full Redis command.",
               "GETKEYSANDFLAGS <full-command>",
               "    Return the keys and the access flags from a full Redis command.",
               "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
               "    Return a list of all commands in this Redis server."});
  }
}

}  // namespace

void RegisterCommandCommand(CommandRegistry& r) {
  using namespace cmd;
  const uint32_t kCmd = kLoading | kStale;
  r.Add({"command", -1, kCmd, 0, 0, 0, CmdCommand, nullptr, "server",
         "Returns detailed information about all commands.", "2.8.13",
         "O(N) where N is the total number of Redis commands"});
  RegisterSubcommands(
      "command",
      {
          {"count", 2, kCmd, "Returns a count of commands.", "2.8.13"},
          {"info", -2, kCmd, "Returns information about one, multiple or all commands.", "2.8.13",
           "O(N) where N is the number of commands to look up"},
          {"docs", -2, kCmd, "Returns documentary information about one, multiple or all commands.",
           "7.0.0", "O(N) where N is the number of commands to look up"},
          {"list", -2, kCmd, "Returns a list of command names.", "7.0.0",
           "O(N) where N is the total number of Redis commands"},
          {"getkeys", -4, kCmd, "Extracts the key names from an arbitrary command.", "2.8.13",
           "O(N) where N is the number of arguments to the command"},
          {"getkeysandflags", -4, kCmd,
           "Extracts the key names and access flags for an arbitrary command.", "7.0.0",
           "O(N) where N is the number of arguments to the command"},
          {"help", 2, kCmd, "Returns helpful text about the different subcommands.", "5.0.0"},
      });
}

}  // namespace strata::kv
