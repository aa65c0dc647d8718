#include "kv/script/lua_redis_api.h"

#include <lua.hpp>

#include <strings.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "base/sha1.h"
#include "base/strutil.h"
#include "kv/script/lua_memory.h"
#include "kv/script/lua_reply.h"
#include "kv/script/lua_vm.h"
#include "kv/script/shebang.h"
#include "kv/version.h"

namespace strata::kv::script {
namespace {

const char kNoArgs[] = "Please specify at least one argument for this redis lib call";
const char kBadArgType[] = "Lua redis lib command arguments must be strings or integers";

// lua_Number -> C int as the x86-64 conversion does (out of range and NaN give INT_MIN).
int ToCInt(lua_Number d) {
  if (!(d > -2147483649.0 && d < 2147483648.0)) return INT32_MIN;
  return int(d);
}

// Pushes {err="ERR <msg>"}.
void PushApiError(lua_State* L, const char* msg) { PushErrorTableFrom(L, msg, false); }

// Arguments 1..argc must be strings or numbers; pushes the matching error table otherwise.
bool CheckCommandArgs(lua_State* L, int argc) {
  if (argc == 0) {
    PushApiError(L, kNoArgs);
    return false;
  }
  for (int j = 1; j <= argc; j++) {
    int t = lua_type(L, j);
    if (t != LUA_TSTRING && t != LUA_TNUMBER) {
      PushApiError(L, kBadArgType);
      return false;
    }
  }
  return true;
}

// Command arguments as Redis builds them: numbers with "%.17g" (Lua's own conversion would
// drop precision), strings as they are. Runs under UnlimitedScope.
std::vector<std::string> CollectArgv(lua_State* L, int argc) {
  std::vector<std::string> argv;
  argv.reserve(size_t(argc));
  for (int j = 1; j <= argc; j++) {
    if (lua_type(L, j) == LUA_TNUMBER) {
      argv.push_back(DoubleToString(double(lua_tonumber(L, j))));  // == "%.17g", faster
    } else {
      size_t len;
      const char* s = lua_tolstring(L, j, &len);
      argv.emplace_back(s, len);
    }
  }
  return argv;
}

enum class CallOutcome { kValue, kErrorReply };

// Sends the command to the host and pushes the Lua form of its reply. All C++ objects live
// here and are gone before the caller may raise.
CallOutcome CallHost(lua_State* L, RunContext* run, int argc) {
  UnlimitedScope unlimited(L);
  std::string reply;
  {
    std::vector<std::string> argv = CollectArgv(L, argc);
    try {
      if (run->host && run->host->call)
        reply = run->host->call(argv, run->resp);
      else
        reply = "-ERR Unknown Redis command called from script\r\n";
    } catch (...) {
      reply = "-ERR command failed inside the server\r\n";
    }
  }
  lua_settop(L, 0);  // the arguments are no longer needed; this leaves room for the reply
  if (!PushRespAsLua(L, reply)) {
    PushApiError(L, "Protocol error: invalid reply from the command");
    return CallOutcome::kErrorReply;
  }
  return !reply.empty() && reply[0] == '-' ? CallOutcome::kErrorReply : CallOutcome::kValue;
}

int GenericCall(lua_State* L, bool raise) {
  RunContext* run = LuaVm::CurrentRun(L);
  if (run == nullptr || run->loading)
    RaiseApiError(L, "redis.call/pcall can only be called inside a script invocation");
  int argc = lua_gettop(L);
  if (!CheckCommandArgs(L, argc)) return raise ? lua_error(L) : 1;
  if (CallHost(L, run, argc) == CallOutcome::kErrorReply && raise) return lua_error(L);
  return 1;
}

int RedisCall(lua_State* L) { return GenericCall(L, true); }
int RedisPcall(lua_State* L) { return GenericCall(L, false); }

void ForwardLog(lua_State* L, RunContext* run, int level, int argc) {
  UnlimitedScope unlimited(L);
  std::string msg;
  for (int j = 2; j <= argc; j++) {
    size_t len;
    const char* s = lua_tolstring(L, j, &len);  // numbers are converted; others skipped
    if (s) {
      // The separator follows the argument's position, not whether one was printed before.
      if (j != 2) msg.push_back(' ');
      msg.append(s, len);
    }
  }
  if (run && run->host && run->host->log) {
    try {
      run->host->log(static_cast<ScriptLogLevel>(level), msg);
    } catch (...) {
    }
  }
}

int RedisLog(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc < 2) RaiseApiError(L, "redis.log() requires two arguments or more.");
  if (!lua_isnumber(L, 1)) RaiseApiError(L, "First argument must be a number (log level).");
  int level = ToCInt(lua_tonumber(L, 1));
  if (level < 0 || level > 3) RaiseApiError(L, "Invalid debug level.");
  ForwardLog(L, LuaVm::CurrentRun(L), level, argc);
  return 0;
}

int RedisSetResp(lua_State* L) {
  RunContext* run = LuaVm::CurrentRun(L);
  if (lua_gettop(L) != 1) RaiseApiError(L, "redis.setresp() requires one argument.");
  int resp = ToCInt(lua_tonumber(L, 1));
  if (resp != 2 && resp != 3) RaiseApiError(L, "RESP version must be 2 or 3.");
  if (run) run->resp = resp;
  return 0;
}

int RedisSha1Hex(lua_State* L) {
  if (lua_gettop(L) != 1) RaiseApiError(L, "wrong number of arguments");
  size_t len = 0;
  const char* s = lua_tolstring(L, 1, &len);  // NULL (hashed as "") for non-strings
  char hex[40];
  Sha1HexTo(std::string_view(s ? s : "", s ? len : 0), hex);
  lua_pushlstring(L, hex, sizeof hex);
  return 1;
}

int RedisErrorReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    PushApiError(L, "wrong number or type of arguments");
    return 1;
  }
  // Redis copies the text as a C string and puts a '-' in front unless there is one, so a
  // leading word always counts as the error code ("MY err" -> code MY; "oops" -> ERR oops).
  std::string_view text = CStringPrefix(std::string_view(lua_tostring(L, 1), lua_objlen(L, 1)));
  if (!text.empty() && text[0] == '-') text.remove_prefix(1);
  PushErrorTableFrom(L, text, true);
  return 1;
}

int RedisStatusReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    PushApiError(L, "wrong number or type of arguments");
    return 1;
  }
  lua_newtable(L);
  lua_pushvalue(L, 1);
  lua_setfield(L, -2, "ok");
  return 1;
}

int RedisSetRepl(lua_State* L) {
  if (lua_gettop(L) != 1) RaiseApiError(L, "redis.set_repl() requires two arguments.");
  int flags = ToCInt(lua_tonumber(L, 1));
  // REPL_AOF | REPL_REPLICA is all there is; Strata accepts the choice and replicates as usual.
  if ((flags & ~3) != 0)
    RaiseApiError(L,
                  "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
  return 0;
}

int RedisReplicateCommands(lua_State* L) {
  lua_pushboolean(L, 1);  // effects replication is the only mode
  return 1;
}

int RedisBreakpoint(lua_State* L) {
  lua_pushboolean(L, 0);  // no debugging session
  return 1;
}

int RedisDebug(lua_State*) { return 0; }

AclCheckResult AskAcl(lua_State* L, RunContext* run, int argc) {
  UnlimitedScope unlimited(L);
  if (!run || !run->host || !run->host->acl_check) return AclCheckResult::kAllowed;
  std::vector<std::string> argv = CollectArgv(L, argc);
  try {
    return run->host->acl_check(argv);
  } catch (...) {
    return AclCheckResult::kDenied;
  }
}

int RedisAclCheckCmd(lua_State* L) {
  RunContext* run = LuaVm::CurrentRun(L);
  int argc = lua_gettop(L);
  if (!CheckCommandArgs(L, argc)) return lua_error(L);
  AclCheckResult r = AskAcl(L, run, argc);
  if (r == AclCheckResult::kUnknownCommand)
    RaiseApiError(L, "Invalid command passed to redis.acl_check_cmd()");
  lua_pushboolean(L, r == AclCheckResult::kAllowed);
  return 1;
}

// --- redis.register_function (library load only) ---

// Value at idx as a string if Lua considers it one (numbers included). Leaves nothing pushed.
bool GetString(lua_State* L, int idx, const char** s, size_t* len) {
  if (!lua_isstring(L, idx)) return false;
  *s = lua_tolstring(L, idx, len);
  return true;
}

// Reads flags = {"no-writes", ...} from the table on top: t[1], t[2], ... until nil.
bool ReadFunctionFlags(lua_State* L, uint32_t* flags) {
  uint32_t out = 0;
  for (int j = 1;; j++) {
    lua_pushnumber(L, j);
    lua_gettable(L, -2);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      break;
    }
    size_t len;
    const char* s;
    if (!GetString(L, -1, &s, &len)) {
      lua_pop(L, 1);
      return false;
    }
    uint32_t f;
    bool found = LookupScriptFlag(CStringPrefix(std::string_view(s, len)), true, &f);
    lua_pop(L, 1);
    if (!found) return false;
    out |= f;
  }
  *flags = out;
  return true;
}

// The registration itself, once the arguments are valid: name at name_idx, callback on top
// (popped into a registry reference), optional description at desc_idx (0 = none).
void Register(lua_State* L, RunContext* run, int name_idx, int desc_idx, uint32_t flags) {
  const char* err = nullptr;
  {
    UnlimitedScope unlimited(L);
    size_t len;
    const char* s = lua_tolstring(L, name_idx, &len);
    std::string name(s, len);
    if (!IsValidFunctionName(name)) {
      // Redis 7.0 reports invalid function names with the library-name text.
      err =
          "Library names can only contain letters, numbers, or underscores(_) and must be at "
          "least one character long";
    } else {
      for (const RegisteredFunction& f : *run->registrations) {
        if (f.name == name) {
          err = "Function already exists in the library";
          break;
        }
      }
    }
    if (!err) {
      RegisteredFunction f;
      f.name = std::move(name);
      f.flags = flags;
      if (desc_idx != 0) {
        const char* d = lua_tolstring(L, desc_idx, &len);
        f.description.emplace(d, len);
      }
      lua_pushvalue(L, -1);
      f.ref = luaL_ref(L, LUA_REGISTRYINDEX);
      run->registrations->push_back(std::move(f));
    }
  }
  if (err) RaiseApiError(L, err);
}

int RedisRegisterFunction(lua_State* L) {
  RunContext* run = LuaVm::CurrentRun(L);
  if (run == nullptr || !run->loading || run->registrations == nullptr)
    RaiseApiError(L, "redis.register_function can only be called on FUNCTION LOAD command");
  int argc = lua_gettop(L);
  if (argc < 1 || argc > 2)
    RaiseApiError(L, "wrong number of arguments to redis.register_function");
  if (argc == 2) {
    if (!lua_isstring(L, 1))
      RaiseApiError(L, "first argument to redis.register_function must be a string");
    if (!lua_isfunction(L, 2))
      RaiseApiError(L, "second argument to redis.register_function must be a function");
    lua_tostring(L, 1);  // a number name becomes its string form
    lua_pushvalue(L, 2);
    Register(L, run, 1, 0, 0);
    return 0;
  }
  if (!lua_istable(L, 1))
    RaiseApiError(L,
                  "calling redis.register_function with a single argument is only applicable to "
                  "Lua table (representing named arguments).");
  // Named arguments land in slots 2 (name), 3 (callback), 4 (description).
  lua_settop(L, 4);
  uint32_t flags = 0;
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    // Stack: ..., key, value. A number key is a string to Lua, and matches no argument name.
    if (lua_type(L, -2) == LUA_TNUMBER)
      RaiseApiError(L, "unknown argument given to redis.register_function");
    if (lua_type(L, -2) != LUA_TSTRING)
      RaiseApiError(L, "named argument key given to redis.register_function is not a string");
    const char* key = lua_tostring(L, -2);
    if (strcasecmp(key, "function_name") == 0) {
      if (!lua_isstring(L, -1))
        RaiseApiError(L,
                      "function_name argument given to redis.register_function must be a string");
      lua_tostring(L, -1);
      lua_replace(L, 2);
      continue;
    }
    if (strcasecmp(key, "description") == 0) {
      if (!lua_isstring(L, -1))
        RaiseApiError(L, "description argument given to redis.register_function must be a string");
      lua_tostring(L, -1);
      lua_replace(L, 4);
      continue;
    }
    if (strcasecmp(key, "callback") == 0) {
      if (!lua_isfunction(L, -1))
        RaiseApiError(L, "callback argument given to redis.register_function must be a function");
      lua_replace(L, 3);
      continue;
    }
    if (strcasecmp(key, "flags") == 0) {
      if (!lua_istable(L, -1))
        RaiseApiError(L,
                      "flags argument to redis.register_function must be a table representing "
                      "function flags");
      if (!ReadFunctionFlags(L, &flags)) RaiseApiError(L, "unknown flag given");
      lua_pop(L, 1);
      continue;
    }
    RaiseApiError(L, "unknown argument given to redis.register_function");
  }
  if (lua_isnil(L, 2))
    RaiseApiError(L, "redis.register_function must get a function name argument");
  if (lua_isnil(L, 3)) RaiseApiError(L, "redis.register_function must get a callback argument");
  lua_pushvalue(L, 3);
  Register(L, run, 2, lua_isnil(L, 4) ? 0 : 4, flags);
  return 0;
}

void SetNumber(lua_State* L, const char* name, lua_Number v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, name);
}

void SetFunction(lua_State* L, const char* name, lua_CFunction fn) {
  lua_pushcfunction(L, fn);
  lua_setfield(L, -2, name);
}

// "7.0.15" -> 0x07000f
lua_Number VersionNumber(const char* v) {
  unsigned major = 0, minor = 0, patch = 0;
  sscanf(v, "%u.%u.%u", &major, &minor, &patch);
  return lua_Number((major << 16) | (minor << 8) | patch);
}

}  // namespace

void RaiseApiError(lua_State* L, const char* msg) {
  PushApiError(L, msg);
  lua_error(L);
  __builtin_unreachable();
}

void PushRedisApi(lua_State* L, RedisApiFlavor flavor) {
  lua_newtable(L);
  if (flavor == RedisApiFlavor::kFunctionLoad) {
    SetFunction(L, "register_function", RedisRegisterFunction);
  } else {
    SetFunction(L, "call", RedisCall);
    SetFunction(L, "pcall", RedisPcall);
    SetFunction(L, "setresp", RedisSetResp);
    SetFunction(L, "sha1hex", RedisSha1Hex);
    SetFunction(L, "error_reply", RedisErrorReply);
    SetFunction(L, "status_reply", RedisStatusReply);
    SetFunction(L, "set_repl", RedisSetRepl);
    SetFunction(L, "acl_check_cmd", RedisAclCheckCmd);
    SetNumber(L, "REPL_NONE", 0);
    SetNumber(L, "REPL_AOF", 1);
    SetNumber(L, "REPL_SLAVE", 2);
    SetNumber(L, "REPL_REPLICA", 2);
    SetNumber(L, "REPL_ALL", 3);
    if (flavor == RedisApiFlavor::kEval) {
      SetFunction(L, "replicate_commands", RedisReplicateCommands);
      SetFunction(L, "breakpoint", RedisBreakpoint);
      SetFunction(L, "debug", RedisDebug);
    }
  }
  SetFunction(L, "log", RedisLog);
  SetNumber(L, "LOG_DEBUG", 0);
  SetNumber(L, "LOG_VERBOSE", 1);
  SetNumber(L, "LOG_NOTICE", 2);
  SetNumber(L, "LOG_WARNING", 3);
  lua_pushstring(L, kRedisCompatVersion);
  lua_setfield(L, -2, "REDIS_VERSION");
  SetNumber(L, "REDIS_VERSION_NUM", VersionNumber(kRedisCompatVersion));
}

}  // namespace strata::kv::script
