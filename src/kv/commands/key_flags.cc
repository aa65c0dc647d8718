#include "kv/commands/key_flags.h"

#include <cstring>
#include <map>

#include "base/strutil.h"
#include "kv/commands/command.h"

namespace strata::kv {
namespace {

enum KeyFlag : uint32_t {
  kRo = 1 << 0,
  kRw = 1 << 1,
  kOw = 1 << 2,
  kRm = 1 << 3,
  kAccess = 1 << 4,
  kUpdate = 1 << 5,
  kInsert = 1 << 6,
  kDelete = 1 << 7,
  kNotKey = 1 << 8,
  kIncomplete = 1 << 9,
  kVariableFlags = 1 << 10,
};

// One key spec: its keys start at argument `index` (> 0), or after `keyword` searched from
// `startfrom` (negative: backwards from the end), or somewhere unknown (index -1).
struct KeySpec {
  int index;
  const char* keyword;
  int startfrom;
  bool single;  // exactly one key
  uint32_t flags;
};

// Redis 7.0's key specs of the commands Strata has (their flags and where each group starts).
const std::map<std::string, std::vector<KeySpec>, std::less<>>& KeySpecs() {
  static const std::map<std::string, std::vector<KeySpec>, std::less<>> specs = {
      {"append", {{1, nullptr, 0, true, kRw | kInsert}}},
      // RedisBloom's (plain RW / RO, no access or update flags).
      {"bf.add", {{1, nullptr, 0, true, kRw}}},
      {"bf.card", {{1, nullptr, 0, true, kRo}}},
      {"bf.exists", {{1, nullptr, 0, true, kRo}}},
      {"bf.info", {{1, nullptr, 0, true, kRo}}},
      {"bf.insert", {{1, nullptr, 0, true, kRw}}},
      {"bf.madd", {{1, nullptr, 0, true, kRw}}},
      {"bf.mexists", {{1, nullptr, 0, true, kRo}}},
      {"bf.reserve", {{1, nullptr, 0, true, kRw}}},
      {"bitcount", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"bitfield", {{1, nullptr, 0, true, kRw | kAccess | kUpdate | kVariableFlags}}},
      {"bitfield_ro", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"bitop", {{2, nullptr, 0, true, kOw | kUpdate}, {3, nullptr, 0, false, kRo | kAccess}}},
      {"bitpos", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"blmove",
       {{1, nullptr, 0, true, kRw | kAccess | kDelete}, {2, nullptr, 0, true, kRw | kInsert}}},
      {"blmpop", {{2, nullptr, 0, false, kRw | kAccess | kDelete}}},
      {"blpop", {{1, nullptr, 0, false, kRw | kAccess | kDelete}}},
      {"brpop", {{1, nullptr, 0, false, kRw | kAccess | kDelete}}},
      {"brpoplpush",
       {{1, nullptr, 0, true, kRw | kAccess | kDelete}, {2, nullptr, 0, true, kRw | kInsert}}},
      {"bzmpop", {{2, nullptr, 0, false, kRw | kAccess | kDelete}}},
      {"bzpopmax", {{1, nullptr, 0, false, kRw | kAccess | kDelete}}},
      {"bzpopmin", {{1, nullptr, 0, false, kRw | kAccess | kDelete}}},
      {"copy", {{1, nullptr, 0, true, kRo | kAccess}, {2, nullptr, 0, true, kOw | kUpdate}}},
      {"decr", {{1, nullptr, 0, true, kRw | kAccess | kUpdate}}},
      {"decrby", {{1, nullptr, 0, true, kRw | kAccess | kUpdate}}},
      {"del", {{1, nullptr, 0, false, kRm | kDelete}}},
      {"dump", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"eval", {{2, nullptr, 0, false, kRw | kAccess | kUpdate}}},
      {"eval_ro", {{2, nullptr, 0, false, kRo | kAccess}}},
      {"evalsha", {{2, nullptr, 0, false, kRw | kAccess | kUpdate}}},
      {"evalsha_ro", {{2, nullptr, 0, false, kRo | kAccess}}},
      {"exists", {{1, nullptr, 0, false, kRo}}},
      {"expire", {{1, nullptr, 0, true, kRw | kUpdate}}},
      {"expireat", {{1, nullptr, 0, true, kRw | kUpdate}}},
      {"expiretime", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"fcall", {{2, nullptr, 0, false, kRw | kAccess | kUpdate}}},
      {"fcall_ro", {{2, nullptr, 0, false, kRo | kAccess}}},
      {"geoadd", {{1, nullptr, 0, true, kRw | kUpdate}}},
      {"geodist", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"geohash", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"geopos", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"georadius",
       {{1, nullptr, 0, true, kRo | kAccess},
        {0, "store", 6, true, kOw | kUpdate},
        {0, "storedist", 6, true, kOw | kUpdate}}},
      {"georadius_ro", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"georadiusbymember",
       {{1, nullptr, 0, true, kRo | kAccess},
        {0, "store", 5, true, kOw | kUpdate},
        {0, "storedist", 5, true, kOw | kUpdate}}},
      {"georadiusbymember_ro", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"geosearch", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"geosearchstore",
       {{1, nullptr, 0, true, kOw | kUpdate}, {2, nullptr, 0, true, kRo | kAccess}}},
      {"get", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"getbit", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"getdel", {{1, nullptr, 0, true, kRw | kAccess | kDelete}}},
      {"getex", {{1, nullptr, 0, true, kRw | kAccess | kUpdate}}},
      {"getrange", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"getset", {{1, nullptr, 0, true, kRw | kAccess | kUpdate}}},
      {"hdel", {{1, nullptr, 0, true, kRw | kDelete}}},
      {"hexists", {{1, nullptr, 0, true, kRo}}},
      {"hget", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"hgetall", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"hincrby", {{1, nullptr, 0, true, kRw | kAccess | kUpdate}}},
      {"hincrbyfloat", {{1, nullptr, 0, true, kRw | kAccess | kUpdate}}},
      {"hkeys", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"hlen", {{1, nullptr, 0, true, kRo}}},
      {"hmget", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"hmset", {{1, nullptr, 0, true, kRw | kUpdate}}},
      {"hrandfield", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"hscan", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"hset", {{1, nullptr, 0, true, kRw | kUpdate}}},
      {"hsetnx", {{1, nullptr, 0, true, kRw | kInsert}}},
      {"hstrlen", {{1, nullptr, 0, true, kRo}}},
      {"hvals", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"incr", {{1, nullptr, 0, true, kRw | kAccess | kUpdate}}},
      {"incrby", {{1, nullptr, 0, true, kRw | kAccess | kUpdate}}},
      {"incrbyfloat", {{1, nullptr, 0, true, kRw | kAccess | kUpdate}}},
      {"lcs", {{1, nullptr, 0, false, kRo | kAccess}}},
      {"lindex", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"linsert", {{1, nullptr, 0, true, kRw | kInsert}}},
      {"llen", {{1, nullptr, 0, true, kRo}}},
      {"lmove",
       {{1, nullptr, 0, true, kRw | kAccess | kDelete}, {2, nullptr, 0, true, kRw | kInsert}}},
      {"lmpop", {{1, nullptr, 0, false, kRw | kAccess | kDelete}}},
      {"lpop", {{1, nullptr, 0, true, kRw | kAccess | kDelete}}},
      {"lpos", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"lpush", {{1, nullptr, 0, true, kRw | kInsert}}},
      {"lpushx", {{1, nullptr, 0, true, kRw | kInsert}}},
      {"lrange", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"lrem", {{1, nullptr, 0, true, kRw | kDelete}}},
      {"lset", {{1, nullptr, 0, true, kRw | kUpdate}}},
      {"ltrim", {{1, nullptr, 0, true, kRw | kDelete}}},
      {"memory|usage", {{2, nullptr, 0, true, kRo}}},
      {"mget", {{1, nullptr, 0, false, kRo | kAccess}}},
      {"move", {{1, nullptr, 0, true, kRw | kAccess | kUpdate}}},
      {"mset", {{1, nullptr, 0, false, kOw | kUpdate}}},
      {"msetnx", {{1, nullptr, 0, false, kOw | kInsert}}},
      {"object|encoding", {{2, nullptr, 0, true, kRo}}},
      {"object|freq", {{2, nullptr, 0, true, kRo}}},
      {"object|idletime", {{2, nullptr, 0, true, kRo}}},
      {"object|refcount", {{2, nullptr, 0, true, kRo}}},
      {"persist", {{1, nullptr, 0, true, kRw | kUpdate}}},
      {"pexpire", {{1, nullptr, 0, true, kRw | kUpdate}}},
      {"pexpireat", {{1, nullptr, 0, true, kRw | kUpdate}}},
      {"pexpiretime", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"pfadd", {{1, nullptr, 0, true, kRw | kInsert}}},
      {"pfcount", {{1, nullptr, 0, false, kRw | kAccess}}},
      {"pfmerge",
       {{1, nullptr, 0, true, kRw | kAccess | kInsert}, {2, nullptr, 0, false, kRo | kAccess}}},
      {"psetex", {{1, nullptr, 0, true, kOw | kUpdate}}},
      {"pttl", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"rename",
       {{1, nullptr, 0, true, kRw | kAccess | kDelete}, {2, nullptr, 0, true, kOw | kUpdate}}},
      {"renamenx",
       {{1, nullptr, 0, true, kRw | kAccess | kDelete}, {2, nullptr, 0, true, kOw | kInsert}}},
      {"restore", {{1, nullptr, 0, true, kOw | kUpdate}}},
      {"rpop", {{1, nullptr, 0, true, kRw | kAccess | kDelete}}},
      {"rpoplpush",
       {{1, nullptr, 0, true, kRw | kAccess | kDelete}, {2, nullptr, 0, true, kRw | kInsert}}},
      {"rpush", {{1, nullptr, 0, true, kRw | kInsert}}},
      {"rpushx", {{1, nullptr, 0, true, kRw | kInsert}}},
      {"sadd", {{1, nullptr, 0, true, kRw | kInsert}}},
      {"scard", {{1, nullptr, 0, true, kRo}}},
      {"sdiff", {{1, nullptr, 0, false, kRo | kAccess}}},
      {"sdiffstore", {{1, nullptr, 0, true, kOw | kUpdate}, {2, nullptr, 0, false, kRo | kAccess}}},
      {"set", {{1, nullptr, 0, true, kRw | kAccess | kUpdate | kVariableFlags}}},
      {"setbit", {{1, nullptr, 0, true, kRw | kAccess | kUpdate}}},
      {"setex", {{1, nullptr, 0, true, kOw | kUpdate}}},
      {"setnx", {{1, nullptr, 0, true, kOw | kInsert}}},
      {"setrange", {{1, nullptr, 0, true, kRw | kUpdate}}},
      {"sinter", {{1, nullptr, 0, false, kRo | kAccess}}},
      {"sintercard", {{1, nullptr, 0, false, kRo | kAccess}}},
      {"sinterstore",
       {{1, nullptr, 0, true, kRw | kUpdate}, {2, nullptr, 0, false, kRo | kAccess}}},
      {"sismember", {{1, nullptr, 0, true, kRo}}},
      {"smembers", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"smismember", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"smove",
       {{1, nullptr, 0, true, kRw | kAccess | kDelete}, {2, nullptr, 0, true, kRw | kInsert}}},
      {"sort",
       {{1, nullptr, 0, true, kRo | kAccess},
        {-1, nullptr, 0, false, kRo | kAccess},
        {-1, nullptr, 0, false, kOw | kUpdate}}},
      {"sort_ro", {{1, nullptr, 0, true, kRo | kAccess}, {-1, nullptr, 0, false, kRo | kAccess}}},
      {"spop", {{1, nullptr, 0, true, kRw | kAccess | kDelete}}},
      {"srandmember", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"srem", {{1, nullptr, 0, true, kRw | kDelete}}},
      {"sscan", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"strlen", {{1, nullptr, 0, true, kRo}}},
      {"sunion", {{1, nullptr, 0, false, kRo | kAccess}}},
      {"sunionstore",
       {{1, nullptr, 0, true, kOw | kUpdate}, {2, nullptr, 0, false, kRo | kAccess}}},
      {"touch", {{1, nullptr, 0, false, kRo}}},
      {"ttl", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"type", {{1, nullptr, 0, true, kRo}}},
      {"unlink", {{1, nullptr, 0, false, kRm | kDelete}}},
      {"watch", {{1, nullptr, 0, false, kRo}}},
      {"xack", {{1, nullptr, 0, true, kRw | kUpdate}}},
      {"xadd", {{1, nullptr, 0, true, kRw | kUpdate}}},
      {"xautoclaim", {{1, nullptr, 0, true, kRw | kDelete}}},
      {"xclaim", {{1, nullptr, 0, true, kRw | kUpdate}}},
      {"xdel", {{1, nullptr, 0, true, kRw | kDelete}}},
      {"xgroup|create", {{2, nullptr, 0, true, kRw | kInsert}}},
      {"xgroup|createconsumer", {{2, nullptr, 0, true, kRw | kInsert}}},
      {"xgroup|delconsumer", {{2, nullptr, 0, true, kRw | kDelete}}},
      {"xgroup|destroy", {{2, nullptr, 0, true, kRw | kDelete}}},
      {"xgroup|setid", {{2, nullptr, 0, true, kRw | kUpdate}}},
      {"xinfo|consumers", {{2, nullptr, 0, true, kRo | kAccess}}},
      {"xinfo|groups", {{2, nullptr, 0, true, kRo | kAccess}}},
      {"xinfo|stream", {{2, nullptr, 0, true, kRo | kAccess}}},
      {"xlen", {{1, nullptr, 0, true, kRo}}},
      {"xpending", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"xrange", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"xread", {{0, "streams", 1, false, kRo | kAccess}}},
      {"xreadgroup", {{0, "streams", 4, false, kRo | kAccess}}},
      {"xrevrange", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"xsetid", {{1, nullptr, 0, true, kRw | kUpdate}}},
      {"xtrim", {{1, nullptr, 0, true, kRw | kDelete}}},
      {"zadd", {{1, nullptr, 0, true, kRw | kUpdate}}},
      {"zcard", {{1, nullptr, 0, true, kRo}}},
      {"zcount", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"zdiff", {{1, nullptr, 0, false, kRo | kAccess}}},
      {"zdiffstore", {{1, nullptr, 0, true, kOw | kUpdate}, {2, nullptr, 0, false, kRo | kAccess}}},
      {"zincrby", {{1, nullptr, 0, true, kRw | kAccess | kUpdate}}},
      {"zinter", {{1, nullptr, 0, false, kRo | kAccess}}},
      {"zintercard", {{1, nullptr, 0, false, kRo | kAccess}}},
      {"zinterstore",
       {{1, nullptr, 0, true, kOw | kUpdate}, {2, nullptr, 0, false, kRo | kAccess}}},
      {"zlexcount", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"zmpop", {{1, nullptr, 0, false, kRw | kAccess | kDelete}}},
      {"zmscore", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"zpopmax", {{1, nullptr, 0, true, kRw | kAccess | kDelete}}},
      {"zpopmin", {{1, nullptr, 0, true, kRw | kAccess | kDelete}}},
      {"zrandmember", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"zrange", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"zrangebylex", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"zrangebyscore", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"zrangestore", {{1, nullptr, 0, true, kOw | kUpdate}, {2, nullptr, 0, true, kRo | kAccess}}},
      {"zrank", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"zrem", {{1, nullptr, 0, true, kRw | kDelete}}},
      {"zremrangebylex", {{1, nullptr, 0, true, kRw | kDelete}}},
      {"zremrangebyrank", {{1, nullptr, 0, true, kRw | kDelete}}},
      {"zremrangebyscore", {{1, nullptr, 0, true, kRw | kDelete}}},
      {"zrevrange", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"zrevrangebylex", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"zrevrangebyscore", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"zrevrank", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"zscan", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"zscore", {{1, nullptr, 0, true, kRo | kAccess}}},
      {"zunion", {{1, nullptr, 0, false, kRo | kAccess}}},
      {"zunionstore",
       {{1, nullptr, 0, true, kOw | kUpdate}, {2, nullptr, 0, false, kRo | kAccess}}},
  };
  return specs;
}

// Where a spec's keys start in `args`, or -1 (unknown, or its keyword is absent).
int SpecStart(const KeySpec& s, std::span<const std::string_view> args) {
  int argc = int(args.size());
  if (s.index > 0) return s.index;
  if (!s.keyword) return -1;
  if (s.startfrom >= 0) {
    for (int i = s.startfrom; i < argc; i++)
      if (EqualsIgnoreCase(args[size_t(i)], s.keyword)) return i + 1;
  } else {
    for (int i = argc + s.startfrom; i > 0; i--)
      if (EqualsIgnoreCase(args[size_t(i)], s.keyword)) return i + 1;
  }
  return -1;
}

// SET and BITFIELD: the flags depend on the arguments, as Redis's key extraction decides them.
uint32_t VariableFlags(std::string_view name, std::span<const std::string_view> args,
                       uint32_t flags) {
  if (name == "set") {
    for (size_t i = 3; i < args.size(); i++)
      if (EqualsIgnoreCase(args[i], "get")) return kRw | kAccess | kUpdate;
    return kOw | kUpdate;
  }
  if (name == "bitfield") {
    bool readonly = true;
    for (size_t i = 2; i < args.size(); i++) {
      size_t more = args.size() - i - 1;
      if (EqualsIgnoreCase(args[i], "get") && more >= 2) {
        i += 2;
      } else if ((EqualsIgnoreCase(args[i], "set") || EqualsIgnoreCase(args[i], "incrby")) &&
                 more >= 3) {
        readonly = false;
        break;
      } else if (EqualsIgnoreCase(args[i], "overflow") && more >= 1) {
        i += 1;
      } else {
        readonly = false;
        break;
      }
    }
    return readonly ? kRo | kAccess : kRw | kAccess | kUpdate;
  }
  return flags & ~kVariableFlags;
}

std::vector<std::string> Names(uint32_t flags) {
  static const std::pair<uint32_t, const char*> kNames[] = {
      {kRo, "RO"},         {kRw, "RW"},         {kOw, "OW"},
      {kRm, "RM"},         {kAccess, "access"}, {kUpdate, "update"},
      {kInsert, "insert"}, {kDelete, "delete"}, {kNotKey, "not_key"}};
  std::vector<std::string> out;
  for (const auto& [bit, name] : kNames)
    if (flags & bit) out.emplace_back(name);
  return out;
}

}  // namespace

std::vector<std::vector<std::string>> KeyFlagNames(const CommandSpec& spec,
                                                   std::span<const std::string_view> args,
                                                   const std::vector<size_t>& keys) {
  // A container's keys are its subcommand's (OBJECT ENCODING, XINFO STREAM, ...).
  std::string name = spec.name;
  const std::vector<KeySpec>* specs = nullptr;
  if (args.size() > 1) {
    std::string sub = name + "|" + ToLower(args[1]);
    if (auto it = KeySpecs().find(sub); it != KeySpecs().end()) {
      specs = &it->second;
      name = std::move(sub);
    }
  }
  if (auto it = KeySpecs().find(name); !specs && it != KeySpecs().end()) specs = &it->second;
  // Without specs (not expected): what the command's flags say.
  uint32_t fallback = (spec.flags & cmd::kWrite) ? kRw | kUpdate : kRo | kAccess;
  std::vector<int> starts;
  if (specs)
    for (const KeySpec& s : *specs) starts.push_back(SpecStart(s, args));
  std::vector<std::vector<std::string>> out;
  for (size_t k : keys) {
    int pos = int(k);
    const KeySpec* best = nullptr;
    int best_start = -1;
    const KeySpec* unknown = nullptr;
    if (specs) {
      for (size_t i = 0; i < specs->size(); i++) {
        const KeySpec& s = (*specs)[i];
        if (starts[i] < 0) {
          if (s.index < 0) unknown = &s;
          continue;
        }
        if (starts[i] > pos || starts[i] < best_start) continue;
        if (s.single && starts[i] != pos) continue;
        best = &s;
        best_start = starts[i];
      }
    }
    // A key no known group covers belongs to the last group of unknown position (SORT's STORE).
    if (!best) best = unknown;
    uint32_t flags = best ? best->flags : fallback;
    if (flags & kVariableFlags) flags = VariableFlags(name, args, flags);
    out.push_back(Names(flags & ~kIncomplete));
  }
  return out;
}

}  // namespace strata::kv
