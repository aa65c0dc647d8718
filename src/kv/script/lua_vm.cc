#include "kv/script/lua_vm.h"

#include <lua.hpp>

#include <cstdio>
#include <cstdlib>
#include <new>

#include "kv/script/lua_libs.h"
#include "kv/script/lua_redis_api.h"
#include "kv/script/lua_reply.h"
#include "kv/script/lua_sandbox.h"
#include "proto/resp/reply_builder.h"

// Debian's lua-cjson and lua-bitop headers declare these without C linkage.
extern "C" {
int luaopen_cjson(lua_State* L);
int luaopen_bit(lua_State* L);
}

namespace strata::kv::script {
namespace {

const char kKillMessage[] = "Script killed by user with SCRIPT KILL...";
const char kLoadTimeoutMessage[] = "FUNCTION LOAD timeout";
// Redis runs an incremental collection step every this many script calls, sized the same, so
// garbage never waits for a full (latency-heavy) cycle.
constexpr int kGcPeriod = 50;

int Panic(lua_State* L) {
  // Every entry into Lua is protected; reaching this means a bug, and the state is unusable.
  fprintf(stderr, "fatal: unprotected Lua error: %s\n", lua_tostring(L, -1));
  abort();
}

LuaVm* Owner(lua_State* L) { return static_cast<LuaVm*>(LuaHeap::Of(L)->owner); }

bool PollAbort(RunContext* run) {
  if (run->host == nullptr || !run->host->should_abort) return false;
  try {
    return run->host->should_abort();
  } catch (...) {
    return false;
  }
}

void HookFn(lua_State* L, lua_Debug*) {
  LuaVm* vm = Owner(L);
  RunContext* run = LuaVm::CurrentRun(L);
  if (run == nullptr) return;
  const char* msg = nullptr;
  if (run->loading) {
    if (std::chrono::steady_clock::now() > run->load_deadline) msg = kLoadTimeoutMessage;
  } else if (run->killed || PollAbort(run)) {
    msg = kKillMessage;
  }
  if (msg == nullptr) return;
  // From now on raise at every instruction, so a script cannot catch the error with pcall and
  // carry on.
  run->killed = true;
  lua_sethook(L, HookFn, LUA_MASKCOUNT, 1);
  if (L != vm->state()) lua_sethook(vm->state(), HookFn, LUA_MASKCOUNT, 1);
  RaiseApiError(L, msg);
}

void OpenStockLib(lua_State* L, lua_CFunction open, const char* name) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 0);
}

// Pushes a read-only proxy of the table the opener returns.
void OpenExtraLib(lua_State* L, lua_CFunction open, const char* name, int globals) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 1);
  PushReadonlyProxy(L, -1, true);
  lua_setfield(L, globals, name);
  lua_pop(L, 1);
}

void PushStringArray(lua_State* L, std::span<const std::string_view> items) {
  lua_createtable(L, int(items.size()), 0);
  for (size_t i = 0; i < items.size(); i++) {
    lua_pushlstring(L, items[i].data(), items[i].size());
    lua_rawseti(L, -2, int(i + 1));
  }
}

std::string_view ViewAt(lua_State* L, int idx) {
  size_t len = 0;
  const char* s = lua_tolstring(L, idx, &len);
  return s ? std::string_view(s, len) : std::string_view();
}

struct InvokeState {
  LuaVm* vm;
  const LuaVm::Invocation* inv;
  ScriptReply* reply;
  int globals_ref;
  int handler_ref;
};

struct LoadState {
  int chunk_ref;
  int globals_ref;
  int globals_meta_ref;
  int load_api_ref;
  std::string* error;
  bool ok;
};

struct CompileState {
  std::string_view code;
  const char* chunkname;
  std::string* error;
  int ref;
};

int CompileTrampoline(lua_State* L) {
  CompileState* st = static_cast<CompileState*>(lua_touserdata(L, 1));
  lua_settop(L, 0);
  if (LoadText(L, st->code.data(), st->code.size(), st->chunkname) == 0) {
    st->ref = luaL_ref(L, LUA_REGISTRYINDEX);
  } else {
    UnlimitedScope unlimited(L);
    st->error->assign(ViewAt(L, -1));
  }
  return 0;
}

// Formats the error a script's pcall ended with (on top of the stack) as the client's reply.
void ReplyWithError(lua_State* L, std::string_view name, ScriptReply* reply, int client_resp) {
  UnlimitedScope unlimited(L);
  std::string msg;
  bool counted = false;
  bool have_err = false;
  if (lua_istable(L, -1)) {
    // Built by ScriptErrorHandler: {err=, source=, line=, ignore_error_stats_update=}.
    lua_getfield(L, -1, "err");
    if (lua_isstring(L, -1)) {
      have_err = true;
      msg.assign(CStringPrefix(ViewAt(L, -1)));
    }
    lua_getfield(L, -2, "source");
    lua_getfield(L, -3, "line");
    if (have_err && lua_isstring(L, -2) && lua_isstring(L, -1)) {
      msg.append(" script: ");
      msg.append(name);
      msg.append(", on ");
      msg.append(CStringPrefix(ViewAt(L, -2)));
      msg.push_back(':');
      msg.append(CStringPrefix(ViewAt(L, -1)));
      msg.push_back('.');
    }
    lua_getfield(L, -4, "ignore_error_stats_update");
    counted = lua_toboolean(L, -1);
    lua_pop(L, 4);
  }
  if (!have_err) {
    // Errors that bypass the handler (out of memory, a failing handler) or carry no message.
    std::string_view what =
        lua_isstring(L, -1) ? CStringPrefix(ViewAt(L, -1)) : "execution failure";
    msg = "ERR Error running script ";
    msg.append(name);
    msg.append(", ");
    msg.append(what.substr(0, 100));
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r')) msg.pop_back();
    counted = false;
  }
  resp::ReplyBuilder rb(&reply->bytes, client_resp);
  rb.Error(msg);
  reply->is_error = true;
  reply->error_stats_counted = counted;
}

void ReplyWithValue(lua_State* L, ScriptReply* reply, int client_resp, int script_resp) {
  UnlimitedScope unlimited(L);
  if (lua_istable(L, -1)) {
    lua_pushliteral(L, "err");
    lua_rawget(L, -2);
    if (lua_type(L, -1) == LUA_TSTRING) {
      reply->is_error = true;
      lua_pushliteral(L, "ignore_error_stats_update");
      lua_rawget(L, -3);
      reply->error_stats_counted = lua_toboolean(L, -1);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  resp::ReplyBuilder rb(&reply->bytes, client_resp);
  PopLuaAsResp(L, &rb, script_resp);
}

}  // namespace

void* LuaHeap::Alloc(void* ud, void* ptr, size_t osize, size_t nsize) {
  LuaHeap* heap = static_cast<LuaHeap*>(ud);
  if (nsize == 0) {
    free(ptr);
    heap->used -= osize;
    return nullptr;
  }
  if (heap->limit != 0 && heap->unlimited == 0 && nsize > osize &&
      heap->used - osize + nsize > heap->limit)
    return nullptr;  // Lua raises "not enough memory"
  void* p = realloc(ptr, nsize);
  if (p == nullptr) return nullptr;
  heap->used = heap->used - osize + nsize;
  return p;
}

LuaHeap* LuaHeap::Of(lua_State* L) {
  void* ud = nullptr;
  lua_getallocf(L, &ud);
  return static_cast<LuaHeap*>(ud);
}

RunContext* LuaVm::CurrentRun(lua_State* L) { return Owner(L)->run_; }

LuaVm::LuaVm(VmKind kind, const VmOptions& options) : kind_(kind), options_(options) {
  heap_.owner = this;
  L_ = lua_newstate(&LuaHeap::Alloc, &heap_);
  if (L_ == nullptr) throw std::bad_alloc();
  lua_atpanic(L_, Panic);
  if (lua_cpcall(L_, SetupTrampoline, this) != 0) {
    lua_close(L_);
    throw std::bad_alloc();
  }
  heap_.limit = options_.memory_limit;  // setup itself is never limited
  if (heap_.limit != 0) {
    // Lua 5.1 does not collect when an allocation fails, and by default lets the heap double
    // before a cycle starts. Under a limit, start the next cycle as soon as one ends so the
    // garbage of a busy script does not count against it.
    lua_gc(L_, LUA_GCSETPAUSE, 100);
  }
  ArmHook();
}

LuaVm::~LuaVm() { lua_close(L_); }

int LuaVm::SetupTrampoline(lua_State* L) {
  LuaVm* vm = static_cast<LuaVm*>(lua_touserdata(L, 1));
  lua_settop(L, 0);
  vm->Setup();
  return 0;
}

void LuaVm::Setup() {
  lua_State* L = L_;
  SandboxInit(L);
  OpenStockLib(L, luaopen_base, "");
  OpenStockLib(L, luaopen_table, LUA_TABLIBNAME);
  OpenStockLib(L, luaopen_string, LUA_STRLIBNAME);
  OpenStockLib(L, luaopen_math, LUA_MATHLIBNAME);
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  const int stock = lua_gettop(L);
  lua_getfield(L, stock, LUA_TABLIBNAME);
  PatchTableLibrary(L, -1);
  lua_pop(L, 1);
  lua_getfield(L, stock, LUA_MATHLIBNAME);
  PatchMathLibrary(L, -1);
  lua_pop(L, 1);

  // The backing table of the globals scripts see.
  lua_newtable(L);
  const int g = lua_gettop(L);
  InstallBaseFunctions(L, stock, g);
  static const char* const kStockLibs[] = {LUA_COLIBNAME, LUA_STRLIBNAME, LUA_TABLIBNAME,
                                           LUA_MATHLIBNAME};
  for (const char* name : kStockLibs) {
    lua_getfield(L, stock, name);
    PushReadonlyProxy(L, -1, true);
    lua_setfield(L, g, name);
    lua_pop(L, 1);
  }
  OpenExtraLib(L, luaopen_cjson, "cjson", g);
  OpenExtraLib(L, luaopen_bit, "bit", g);
  OpenExtraLib(L, OpenStructLib, "struct", g);
  OpenExtraLib(L, OpenCmsgpackLib, "cmsgpack", g);

  PushRedisApi(L,
               kind_ == VmKind::kEval ? RedisApiFlavor::kEval : RedisApiFlavor::kFunctionRuntime);
  PushReadonlyProxy(L, -1, true);
  lua_setfield(L, g, "redis");
  lua_pop(L, 1);

  lua_pushcfunction(L, ScriptErrorHandler);
  if (kind_ == VmKind::kEval) {
    lua_pushvalue(L, -1);
    lua_setfield(L, g, "__redis__err__handler");
  }
  handler_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);

  // String methods resolve through the protected string table, and getmetatable("") shows a
  // read-only view.
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_getfield(L, g, LUA_STRLIBNAME);
  lua_setfield(L, -2, "__index");
  RegisterMetatableView(L, -1);
  lua_pop(L, 2);

  PushGlobalGuardMetatable(L, g);
  RegisterMetatableView(L, -1);
  lua_pop(L, 1);

  // EVAL globals look like a read-only table, and _G is that table. The function engine's
  // environment is an empty table reading from its API table (so the load environment can be
  // swapped in), while _G names the read-only API table itself, as in Redis.
  PushReadonlyProxy(L, g, true);
  lua_pushliteral(L, "_G");
  lua_pushvalue(L, -2);
  lua_rawset(L, g);
  if (kind_ == VmKind::kFunctions) {
    lua_pop(L, 1);
    PushReadonlyProxy(L, g, false);
  }
  const int proxy = lua_gettop(L);

  if (kind_ == VmKind::kFunctions) {
    lua_getmetatable(L, proxy);
    globals_meta_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_newtable(L);  // the load environment
    PushRedisApi(L, RedisApiFlavor::kFunctionLoad);
    PushGlobalGuardMetatable(L, -1);
    lua_pop(L, 1);
    PushReadonlyProxy(L, -1, true);
    lua_setfield(L, -3, "redis");
    lua_pop(L, 1);
    PushGlobalGuardMetatable(L, -1);
    lua_pop(L, 1);
    load_api_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
  }

  lua_pushvalue(L, g);
  globals_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushvalue(L, proxy);
  lua_replace(L, LUA_GLOBALSINDEX);
  // Nothing may reach the stock library tables any more.
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "_LOADED");
  lua_settop(L, 0);
}

void LuaVm::ArmHook() { lua_sethook(L_, HookFn, LUA_MASKCOUNT, options_.hook_interval); }

void LuaVm::StepGc() {
  if (heap_.limit != 0 && heap_.used > heap_.limit / 2) {
    // What a failed (or memory-hungry) script left behind must not make the next one fail.
    calls_since_gc_ = 0;
    lua_gc(L_, LUA_GCCOLLECT, 0);
    return;
  }
  if (++calls_since_gc_ >= kGcPeriod) {
    calls_since_gc_ = 0;
    lua_gc(L_, LUA_GCSTEP, kGcPeriod);
  }
}

int LuaVm::Compile(std::string_view code, const char* chunkname, std::string* error) {
  CompileState st{code, chunkname, error, -1};
  heap_.unlimited = 0;
  StepGc();
  if (lua_cpcall(L_, CompileTrampoline, &st) != 0) {
    error->assign(ViewAt(L_, -1));
    st.ref = -1;
  }
  lua_settop(L_, 0);
  return st.ref;
}

void LuaVm::Release(int ref) {
  if (ref >= 0) luaL_unref(L_, LUA_REGISTRYINDEX, ref);
}

int LuaVm::InvokeTrampoline(lua_State* L) {
  InvokeState* st = static_cast<InvokeState*>(lua_touserdata(L, 1));
  const LuaVm::Invocation& inv = *st->inv;
  lua_settop(L, 0);
  lua_rawgeti(L, LUA_REGISTRYINDEX, st->handler_ref);
  lua_rawgeti(L, LUA_REGISTRYINDEX, inv.ref);
  int nargs = 0;
  if (st->vm->kind() == VmKind::kEval) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, st->globals_ref);
    lua_pushliteral(L, "KEYS");
    PushStringArray(L, inv.keys);
    lua_rawset(L, -3);
    lua_pushliteral(L, "ARGV");
    PushStringArray(L, inv.args);
    lua_rawset(L, -3);
    lua_pop(L, 1);
  } else {
    PushStringArray(L, inv.keys);
    PushStringArray(L, inv.args);
    nargs = 2;
  }
  // Stack: handler, function[, keys, args]. After the call: handler, result — the layout
  // Redis converts from, which fixes how deep a nested reply may go before the Lua stack
  // limit answers "reached lua stack limit".
  if (lua_pcall(L, nargs, 1, 1) == 0)
    ReplyWithValue(L, st->reply, inv.client_resp, CurrentRun(L)->resp);
  else
    ReplyWithError(L, inv.name, st->reply, inv.client_resp);
  return 0;
}

ScriptReply LuaVm::Invoke(const Invocation& inv) {
  ScriptReply reply;
  if (run_ != nullptr) {
    // A script cannot run a script; the server refuses EVAL/FCALL from scripts earlier.
    reply.bytes = "-ERR This Redis command is not allowed from script\r\n";
    reply.is_error = true;
    return reply;
  }
  RunContext ctx;
  ctx.host = inv.host;
  run_ = &ctx;
  heap_.unlimited = 0;
  ArmHook();
  InvokeState st{this, &inv, &reply, globals_ref_, handler_ref_};
  if (lua_cpcall(L_, InvokeTrampoline, &st) != 0) {
    // Only a failure outside the script's own pcall gets here: no memory for its arguments.
    std::string what(ViewAt(L_, -1));
    reply = ScriptReply();
    resp::ReplyBuilder rb(&reply.bytes, inv.client_resp);
    rb.Error("ERR Error running script " + std::string(inv.name) + ", " + what.substr(0, 100));
    reply.is_error = true;
  }
  lua_settop(L_, 0);
  run_ = nullptr;
  StepGc();
  return reply;
}

int LuaVm::LoadTrampoline(lua_State* L) {
  LoadState* st = static_cast<LoadState*>(lua_touserdata(L, 1));
  lua_settop(L, 0);
  {
    UnlimitedScope unlimited(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, st->globals_meta_ref);
    lua_rawgeti(L, LUA_REGISTRYINDEX, st->load_api_ref);
    lua_setfield(L, 1, "__index");
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, st->chunk_ref);
  // No error handler: the message is reported as Lua left it, without the script position.
  int status = lua_pcall(L, 0, 0, 0);
  UnlimitedScope unlimited(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, st->globals_ref);
  lua_setfield(L, 1, "__index");
  if (status == 0) {
    st->ok = true;
    return 0;
  }
  std::string* err = st->error;
  err->assign("ERR Error registering functions: ");
  if (lua_isstring(L, -1)) {
    err->append("ERR ");
    err->append(CStringPrefix(ViewAt(L, -1)));
  } else {
    bool have = false;
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_isstring(L, -1)) {
        err->append(CStringPrefix(ViewAt(L, -1)));
        have = true;
      }
      lua_pop(L, 1);
    }
    if (!have) err->append("ERR execution failure");
  }
  return 0;
}

bool LuaVm::RunLibraryLoad(int chunk_ref, ScriptHost* host, std::vector<RegisteredFunction>* out,
                           std::string* error) {
  if (kind_ != VmKind::kFunctions || run_ != nullptr) {
    *error = "ERR library loading is not available here";
    return false;
  }
  std::vector<RegisteredFunction> registered;
  RunContext ctx;
  ctx.host = host;
  ctx.loading = true;
  ctx.load_deadline = std::chrono::steady_clock::now() + options_.load_timeout;
  ctx.registrations = &registered;
  run_ = &ctx;
  heap_.unlimited = 0;
  ArmHook();
  LoadState st{chunk_ref, globals_ref_, globals_meta_ref_, load_api_ref_, error, false};
  if (lua_cpcall(L_, LoadTrampoline, &st) != 0) {
    *error = "ERR Error registering functions: ERR " + std::string(ViewAt(L_, -1));
    st.ok = false;
  }
  lua_settop(L_, 0);
  run_ = nullptr;
  StepGc();
  if (!st.ok) {
    for (const RegisteredFunction& f : registered) Release(f.ref);
    return false;
  }
  for (RegisteredFunction& f : registered) out->push_back(std::move(f));
  return true;
}

}  // namespace strata::kv::script
