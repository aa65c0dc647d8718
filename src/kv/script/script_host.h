// The scripting core's only window on the server: a set of callbacks a Lua script reaches
// through redis.call, redis.pcall, redis.acl_check_cmd and redis.log, plus a poll that lets the
// server interrupt a long-running script.
//
// The library never parses commands, touches keys or looks at clients: every command a script
// sends goes through `call`, and its complete reply comes back as RESP bytes, which the library
// converts to Lua values exactly as Redis 7.0 does.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::kv::script {

// redis.log levels (redis.LOG_DEBUG .. redis.LOG_WARNING), same numbering as the server's log.
enum class ScriptLogLevel { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3 };

// Answer to redis.acl_check_cmd(cmd, args...).
enum class AclCheckResult {
  kAllowed,         // returns true to the script
  kDenied,          // returns false
  kUnknownCommand,  // raises "Invalid command passed to redis.acl_check_cmd()"
};

struct ScriptHost {
  // Runs one command for redis.call / redis.pcall and returns its complete reply in RESP
  // (RESP2 when `resp` is 2, RESP3 when 3: the protocol the script chose with redis.setresp).
  // Everything a server refuses (unknown command, wrong arity, a command not allowed from
  // scripts, a write from a read-only script, OOM, ACL) is returned as an error reply here,
  // with the texts listed in script_errors.h. An empty or malformed reply becomes an error.
  std::function<std::string(const std::vector<std::string>& argv, int resp)> call;

  // redis.acl_check_cmd; when unset every known command is allowed.
  std::function<AclCheckResult(const std::vector<std::string>& argv)> acl_check;

  // redis.log(level, ...): the arguments joined by spaces.
  std::function<void(ScriptLogLevel level, std::string_view message)> log;

  // Polled about every VmOptions::hook_interval VM instructions while a script or function
  // runs (not while a library loads). The server uses it to serve other clients during a long
  // script (BUSY replies) and returns true once SCRIPT KILL / FUNCTION KILL asked for the
  // script to stop: the script then fails with the kill error and cannot catch it.
  std::function<bool()> should_abort;
};

}  // namespace strata::kv::script
