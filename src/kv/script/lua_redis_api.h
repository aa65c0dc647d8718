// The `redis` table scripts call: redis.call, redis.pcall, redis.log, redis.setresp, ... with
// Redis 7.0.15's argument checks and error texts. Errors the API raises are Redis error tables
// ({err="ERR ..."}), which the top-level error handler reports without a position prefix and
// pcall turns into their message.
#pragma once

struct lua_State;

namespace strata::kv::script {

enum class RedisApiFlavor {
  kEval,             // EVAL scripts: everything, plus replicate_commands, breakpoint, debug
  kFunctionRuntime,  // registered functions at run time
  kFunctionLoad,     // library code during FUNCTION LOAD: register_function, log, constants
};

// Pushes a new (real, unprotected) redis table of the given flavor.
void PushRedisApi(lua_State* L, RedisApiFlavor flavor);

// Raises {err="ERR <msg>"}.
[[noreturn]] void RaiseApiError(lua_State* L, const char* msg);

}  // namespace strata::kv::script
