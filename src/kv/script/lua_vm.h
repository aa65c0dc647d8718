// LuaVm: one Lua 5.1 state set up the way Redis 7.0 sets up its scripting engines.
//
// Two kinds exist, as in Redis: the EVAL engine (scripts see KEYS and ARGV globals) and the
// function engine (FUNCTION LOAD libraries; functions receive keys and args as parameters, and
// library code first runs in a restricted load environment). Both get the libraries base,
// table, string, math, coroutine, cjson, bit, struct and cmsgpack behind read-only globals
// (see lua_sandbox.h) and the `redis` API (lua_redis_api.h).
//
// A VM is not thread-safe: one thread runs it at a time. Everything that touches the Lua
// state runs inside lua_cpcall/lua_pcall, so a Lua error (including "not enough memory" when
// the heap limit is reached) always ends as an error reply, never as a panic.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kv/script/lua_memory.h"
#include "kv/script/script_host.h"

struct lua_State;

namespace strata::kv::script {

enum class VmKind { kEval, kFunctions };

struct VmOptions {
  size_t memory_limit = 0;     // bytes of Lua heap; 0 = unbounded (as Redis)
  int hook_interval = 100000;  // VM instructions between ScriptHost::should_abort polls
  std::chrono::milliseconds load_timeout{500};  // FUNCTION LOAD's limit for library code
};

// One script's reply, ready to send to the client.
struct ScriptReply {
  std::string bytes;  // RESP2 or RESP3, per the client's protocol
  bool is_error = false;
  // The error is a command's error reply the command itself already counted in the server's
  // error statistics (Redis's ignore_error_stats_update): do not count it again.
  bool error_stats_counted = false;
};

// A function registered by redis.register_function while a library loads.
struct RegisteredFunction {
  std::string name;
  int ref = -1;        // registry reference of the callback
  uint32_t flags = 0;  // ScriptFlag bits (shebang.h)
  std::optional<std::string> description;
};

// State of the script or library load in progress, read by the redis.* functions.
struct RunContext {
  ScriptHost* host = nullptr;
  int resp = 2;          // redis.setresp()
  bool killed = false;   // the kill error was raised; raise it again at every chance
  bool loading = false;  // running library code for FUNCTION LOAD
  std::chrono::steady_clock::time_point load_deadline;
  std::vector<RegisteredFunction>* registrations = nullptr;  // while loading
};

class LuaVm {
 public:
  explicit LuaVm(VmKind kind, const VmOptions& options = {});
  ~LuaVm();
  LuaVm(const LuaVm&) = delete;
  LuaVm& operator=(const LuaVm&) = delete;

  VmKind kind() const { return kind_; }
  const VmOptions& options() const { return options_; }
  size_t used_memory() const { return heap_.used; }
  lua_State* state() const { return L_; }
  // True while a script, function or library load runs (inside a ScriptHost callback). The VM
  // must not be destroyed, flushed or have references released then.
  bool running() const { return run_ != nullptr; }

  // Compiles `code` as a chunk named `chunkname` ("@user_script", "@user_function") and keeps
  // it in the registry. Returns the reference, or -1 with Lua's message in *error.
  int Compile(std::string_view code, const char* chunkname, std::string* error);
  void Release(int ref);

  struct Invocation {
    int ref = -1;           // compiled script (EVAL) or registered function (functions VM)
    std::string_view name;  // shown in error replies: "script: <name>, on ..."
    std::span<const std::string_view> keys;
    std::span<const std::string_view> args;
    int client_resp = 2;  // protocol of the reply bytes
    ScriptHost* host = nullptr;
  };
  // Runs a script (EVAL VM: KEYS/ARGV set as globals) or a function (functions VM: called as
  // f(KEYS, ARGV)) and converts its result or error for the client.
  ScriptReply Invoke(const Invocation& inv);

  // Functions VM: runs a compiled library chunk in the load environment, where only
  // redis.register_function, redis.log and the version constants exist. On success the
  // registrations are appended to *out; on failure none are kept and *error is set to the
  // error text ("ERR ...", Lua's message included).
  bool RunLibraryLoad(int chunk_ref, ScriptHost* host, std::vector<RegisteredFunction>* out,
                      std::string* error);

  // The run in progress on the VM owning L, or nullptr.
  static RunContext* CurrentRun(lua_State* L);

 private:
  static int SetupTrampoline(lua_State* L);
  static int InvokeTrampoline(lua_State* L);
  static int LoadTrampoline(lua_State* L);
  void Setup();
  void ArmHook();
  void StepGc();

  VmKind kind_;
  VmOptions options_;
  LuaHeap heap_;
  lua_State* L_ = nullptr;
  RunContext* run_ = nullptr;
  int calls_since_gc_ = 0;
  // Registry references made during setup.
  int handler_ref_ = -1;       // ScriptErrorHandler
  int globals_ref_ = -1;       // backing table of the runtime globals (KEYS/ARGV go here)
  int globals_meta_ref_ = -1;  // functions VM: metatable of the globals proxy
  int load_api_ref_ = -1;      // functions VM: the load environment
};

}  // namespace strata::kv::script
