#include "kv/script/lua_sandbox.h"

#include <lua.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>

namespace strata::kv::script {
namespace {

// Registry keys: the addresses of these objects.
char kProxyMapKey;  // proxy -> backing table (transparent) or false (opaque)
char kViewMapKey;   // real metatable -> the proxy getmetatable() shows instead

const char kReadonlyError[] = "Attempt to modify a readonly table";

// Raised by C functions, so (as in Redis) without a "chunk:line:" prefix.
int RaiseReadonly(lua_State* L) {
  lua_pushstring(L, kReadonlyError);
  return lua_error(L);
}

// __newindex of every proxy: an assignment in script code, so the position is the script's.
int ReadonlyNewIndex(lua_State* L) { return luaL_error(L, kReadonlyError); }

enum ProxyKind { kNotProxy, kTransparent, kOpaque };

// Classifies the value at `idx`; for a transparent proxy the backing table is left pushed.
ProxyKind ClassifyAndPushBacking(lua_State* L, int idx) {
  if (lua_type(L, idx) != LUA_TTABLE) return kNotProxy;
  idx = idx < 0 && idx > LUA_REGISTRYINDEX ? lua_gettop(L) + idx + 1 : idx;
  lua_pushlightuserdata(L, &kProxyMapKey);
  lua_rawget(L, LUA_REGISTRYINDEX);
  lua_pushvalue(L, idx);
  lua_rawget(L, -2);
  lua_remove(L, -2);
  if (lua_istable(L, -1)) return kTransparent;
  bool opaque = lua_type(L, -1) == LUA_TBOOLEAN;
  lua_pop(L, 1);
  return opaque ? kOpaque : kNotProxy;
}

bool IsProxy(lua_State* L, int idx) {
  ProxyKind k = ClassifyAndPushBacking(L, idx);
  if (k == kTransparent) lua_pop(L, 1);
  return k != kNotProxy;
}

// Replaces the table argument at `idx` by its backing table when it is a transparent proxy.
void SeeThrough(lua_State* L, int idx) {
  if (ClassifyAndPushBacking(L, idx) == kTransparent) lua_replace(L, idx);
}

int Next(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2);
  SeeThrough(L, 1);
  if (lua_next(L, 1)) return 2;
  lua_pushnil(L);
  return 1;
}

int Pairs(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_pushvalue(L, lua_upvalueindex(1));  // our next
  lua_pushvalue(L, 1);                    // the proxy itself, never its backing table
  lua_pushnil(L);
  return 3;
}

int RawGet(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  lua_settop(L, 2);
  SeeThrough(L, 1);
  lua_rawget(L, 1);
  return 1;
}

int RawSet(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  luaL_checkany(L, 3);
  if (IsProxy(L, 1)) return RaiseReadonly(L);
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 1;
}

// Pushes the view registered for the table on top (replacing it), or nil.
void ReplaceWithView(lua_State* L) {
  lua_pushlightuserdata(L, &kViewMapKey);
  lua_rawget(L, LUA_REGISTRYINDEX);
  lua_pushvalue(L, -2);
  lua_rawget(L, -2);
  lua_remove(L, -2);
  lua_remove(L, -2);
}

int GetMetatable(lua_State* L) {
  luaL_checkany(L, 1);
  switch (ClassifyAndPushBacking(L, 1)) {
    case kTransparent:
      if (!lua_getmetatable(L, -1)) {
        lua_pushnil(L);
        return 1;
      }
      ReplaceWithView(L);
      return 1;
    case kOpaque:
      lua_pushnil(L);
      return 1;
    case kNotProxy:
      break;
  }
  // The stock function (upvalue 1) honours __metatable; a protected real metatable is shown
  // through its view.
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_call(L, 1, 1);
  if (lua_istable(L, -1)) {
    lua_pushvalue(L, -1);
    ReplaceWithView(L);
    if (!lua_isnil(L, -1)) return 1;
    lua_pop(L, 1);
  }
  return 1;
}

int SetMetatable(lua_State* L) {
  if (IsProxy(L, 1)) return RaiseReadonly(L);
  int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  return lua_gettop(L);
}

// table.insert(t, [pos,] v) with Lua 5.1's semantics; a protected table fails on the write.
int TableInsert(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int end = int(lua_objlen(L, 1)) + 1;  // first free slot
  int pos;
  switch (lua_gettop(L)) {
    case 2:
      pos = end;
      break;
    case 3:
      pos = luaL_checkint(L, 2);
      if (pos > end) end = pos;
      break;
    default:
      return luaL_error(L, "wrong number of arguments to 'insert'");
  }
  if (IsProxy(L, 1)) return RaiseReadonly(L);
  for (int i = end; i > pos; i--) {  // shift t[pos..end-1] up by one
    lua_rawgeti(L, 1, i - 1);
    lua_rawseti(L, 1, i);
  }
  lua_rawseti(L, 1, pos);  // the value is the last argument
  return 0;
}

// table.foreach(t, f): calls f(k, v) for each pair until f returns non-nil.
int TableForeach(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_settop(L, 2);
  SeeThrough(L, 1);
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    lua_pushvalue(L, 2);
    lua_pushvalue(L, -3);
    lua_pushvalue(L, -3);
    lua_call(L, 2, 1);
    if (!lua_isnil(L, -1)) return 1;
    lua_pop(L, 2);
  }
  return 0;
}

// pcall as Redis 7.0 defines it: an error table carrying an `err` string is returned as that
// string, so scripts see the message of a failed redis.call.
int Pcall(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc == 0) {
    lua_pushnil(L);  // nothing to call: fails like calling nil
    argc = 1;
  }
  lua_pushboolean(L, 1);
  lua_insert(L, 1);
  if (lua_pcall(L, argc - 1, LUA_MULTRET, 0) != 0) {
    lua_remove(L, 1);
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_isstring(L, -1))
        lua_replace(L, -2);
      else
        lua_pop(L, 1);
    }
    lua_pushboolean(L, 0);
    lua_insert(L, 1);
  }
  return lua_gettop(L);
}

// Feeds a leading space before the text so lua_load always takes the text parser: Redis's Lua
// has no binary loader, so a precompiled chunk must fail as a syntax error at its first byte.
struct TextSource {
  const char* data;
  size_t len;
  int stage;
};

const char* ReadText(lua_State*, void* ud, size_t* size) {
  TextSource* src = static_cast<TextSource*>(ud);
  switch (src->stage++) {
    case 0:
      *size = 1;
      return " ";
    case 1:
      *size = src->len;
      return src->data;
    default:
      *size = 0;
      return nullptr;
  }
}

int LoadResult(lua_State* L, int status) {
  if (status == 0) return 1;
  lua_pushnil(L);
  lua_insert(L, -2);
  return 2;
}

int LoadString(lua_State* L) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  const char* chunkname = luaL_optstring(L, 2, s);
  return LoadResult(L, LoadText(L, s, len, chunkname));
}

struct ReaderState {
  int stage;
};

// load(f [, chunkname]): pieces come from calling f until it returns nil or "".
const char* ReadFromFunction(lua_State* L, void* ud, size_t* size) {
  ReaderState* st = static_cast<ReaderState*>(ud);
  if (st->stage == 0) {
    st->stage = 1;
    *size = 1;
    return " ";
  }
  luaL_checkstack(L, 2, "too many nested functions");
  lua_pushvalue(L, 1);
  lua_call(L, 0, 1);
  if (lua_isnil(L, -1)) {
    *size = 0;
    return nullptr;
  }
  if (!lua_isstring(L, -1)) luaL_error(L, "reader function must return a string");
  lua_replace(L, 3);  // keeps the piece alive while the parser reads it
  return lua_tolstring(L, 3, size);
}

int Load(lua_State* L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  const char* chunkname = luaL_optstring(L, 2, "=(load)");
  lua_settop(L, 3);
  ReaderState st{0};
  return LoadResult(L, lua_load(L, ReadFromFunction, &st, chunkname));
}

// Redis's math.random: a 48-bit linear congruential generator (the drand48 recurrence) whose
// state persists across scripts of one VM; the state lives in a userdata upvalue.
struct Rand48 {
  uint64_t x;
};

constexpr uint64_t kRandMask = (uint64_t(1) << 48) - 1;
constexpr int32_t kRandMax = INT32_MAX;

int32_t NextRand(Rand48* r) {
  r->x = (r->x * 0x5DEECE66DULL + 0xB) & kRandMask;
  return int32_t(r->x >> 17);
}

int NarrowToInt(lua_Integer v) { return int(int32_t(uint32_t(uint64_t(v)))); }

int MathRandom(lua_State* L) {
  Rand48* r = static_cast<Rand48*>(lua_touserdata(L, lua_upvalueindex(1)));
  lua_Number x = lua_Number(NextRand(r) % kRandMax) / lua_Number(kRandMax);
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, x);
      break;
    case 1: {
      int u = NarrowToInt(luaL_checkinteger(L, 1));
      luaL_argcheck(L, 1 <= u, 1, "interval is empty");
      lua_pushnumber(L, std::floor(x * u) + 1);
      break;
    }
    case 2: {
      int l = NarrowToInt(luaL_checkinteger(L, 1));
      int u = NarrowToInt(luaL_checkinteger(L, 2));
      luaL_argcheck(L, l <= u, 2, "interval is empty");
      int span = int(int32_t(uint32_t(int64_t(u) - int64_t(l) + 1)));  // C int arithmetic wraps
      lua_pushnumber(L, std::floor(x * span) + l);
      break;
    }
    default:
      return luaL_error(L, "wrong number of arguments");
  }
  return 1;
}

int MathRandomSeed(lua_State* L) {
  Rand48* r = static_cast<Rand48*>(lua_touserdata(L, lua_upvalueindex(1)));
  int32_t seed = NarrowToInt(luaL_checkinteger(L, 1));
  r->x = ((uint64_t(uint32_t(seed)) << 16) | 0x330E) & kRandMask;
  return 0;
}

// Copies stock[name] to dest[name].
void CopyField(lua_State* L, int stock_idx, int dest_idx, const char* name) {
  lua_getfield(L, stock_idx, name);
  lua_setfield(L, dest_idx, name);
}

// dest[name] = C closure of `fn` with the stock function as its upvalue.
void WrapStock(lua_State* L, int stock_idx, int dest_idx, const char* name, lua_CFunction fn) {
  lua_getfield(L, stock_idx, name);
  lua_pushcclosure(L, fn, 1);
  lua_setfield(L, dest_idx, name);
}

int AbsIndex(lua_State* L, int idx) {
  return idx < 0 && idx > LUA_REGISTRYINDEX ? lua_gettop(L) + idx + 1 : idx;
}

int NonexistentGlobal(lua_State* L) {
  if (lua_gettop(L) != 2)
    return luaL_error(L, "Wrong number of arguments to luaProtectedTableError");
  if (!lua_isstring(L, -1) && !lua_isnumber(L, -1))
    return luaL_error(L, "Second argument to luaProtectedTableError must be a string or number");
  const char* name = lua_tostring(L, -1);
  return luaL_error(L, "Script attempted to access nonexistent global variable '%s'", name);
}

// tostring() without metamethods, for the error handler.
void PushPlainString(lua_State* L, int idx) {
  switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
    case LUA_TSTRING:
      lua_pushvalue(L, idx);
      lua_tostring(L, -1);
      break;
    case LUA_TBOOLEAN:
      lua_pushstring(L, lua_toboolean(L, idx) ? "true" : "false");
      break;
    case LUA_TNIL:
      lua_pushliteral(L, "nil");
      break;
    default:
      lua_pushfstring(L, "%s: %p", luaL_typename(L, idx), lua_topointer(L, idx));
      break;
  }
}

}  // namespace

void SandboxInit(lua_State* L) {
  lua_pushlightuserdata(L, &kProxyMapKey);
  lua_newtable(L);
  lua_rawset(L, LUA_REGISTRYINDEX);
  lua_pushlightuserdata(L, &kViewMapKey);
  lua_newtable(L);
  lua_rawset(L, LUA_REGISTRYINDEX);
}

void PushReadonlyProxy(lua_State* L, int idx, bool transparent) {
  idx = AbsIndex(L, idx);
  lua_newtable(L);  // the proxy
  lua_newtable(L);  // its metatable
  lua_pushvalue(L, idx);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadonlyNewIndex);
  lua_setfield(L, -2, "__newindex");
  lua_setmetatable(L, -2);
  lua_pushlightuserdata(L, &kProxyMapKey);
  lua_rawget(L, LUA_REGISTRYINDEX);
  lua_pushvalue(L, -2);
  if (transparent)
    lua_pushvalue(L, idx);
  else
    lua_pushboolean(L, 0);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

void RegisterMetatableView(lua_State* L, int idx) {
  idx = AbsIndex(L, idx);
  lua_pushlightuserdata(L, &kViewMapKey);
  lua_rawget(L, LUA_REGISTRYINDEX);
  lua_pushvalue(L, idx);
  PushReadonlyProxy(L, idx, true);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

void PushGlobalGuardMetatable(lua_State* L, int idx) {
  idx = AbsIndex(L, idx);
  lua_newtable(L);
  lua_pushcfunction(L, NonexistentGlobal);
  lua_setfield(L, -2, "__index");
  lua_pushvalue(L, -1);
  lua_setmetatable(L, idx);
}

void InstallBaseFunctions(lua_State* L, int stock_idx, int dest_idx) {
  stock_idx = AbsIndex(L, stock_idx);
  dest_idx = AbsIndex(L, dest_idx);
  static const char* const kPlain[] = {
      "assert",   "collectgarbage", "error", "gcinfo", "ipairs", "rawequal", "select",
      "tonumber", "tostring",       "type",  "unpack", "xpcall", "_VERSION", nullptr};
  for (const char* const* name = kPlain; *name; name++) CopyField(L, stock_idx, dest_idx, *name);
  lua_pushcfunction(L, Next);
  lua_pushvalue(L, -1);
  lua_setfield(L, dest_idx, "next");
  lua_pushcclosure(L, Pairs, 1);
  lua_setfield(L, dest_idx, "pairs");
  lua_pushcfunction(L, RawGet);
  lua_setfield(L, dest_idx, "rawget");
  lua_pushcfunction(L, RawSet);
  lua_setfield(L, dest_idx, "rawset");
  WrapStock(L, stock_idx, dest_idx, "getmetatable", GetMetatable);
  WrapStock(L, stock_idx, dest_idx, "setmetatable", SetMetatable);
  lua_pushcfunction(L, Pcall);
  lua_setfield(L, dest_idx, "pcall");
  lua_pushcfunction(L, LoadString);
  lua_setfield(L, dest_idx, "loadstring");
  lua_pushcfunction(L, Load);
  lua_setfield(L, dest_idx, "load");
}

void PatchTableLibrary(lua_State* L, int idx) {
  idx = AbsIndex(L, idx);
  lua_pushcfunction(L, TableInsert);
  lua_setfield(L, idx, "insert");
  lua_pushcfunction(L, TableForeach);
  lua_setfield(L, idx, "foreach");
}

void PatchMathLibrary(lua_State* L, int idx) {
  idx = AbsIndex(L, idx);
  Rand48* r = static_cast<Rand48*>(lua_newuserdata(L, sizeof(Rand48)));
  r->x = 0x1234ABCD330EULL;  // the generator's conventional initial state
  lua_pushvalue(L, -1);
  lua_pushcclosure(L, MathRandom, 1);
  lua_setfield(L, idx, "random");
  lua_pushcclosure(L, MathRandomSeed, 1);
  lua_setfield(L, idx, "randomseed");
}

int LoadText(lua_State* L, const char* code, size_t len, const char* chunkname) {
  TextSource src{code, len, 0};
  return lua_load(L, ReadText, &src, chunkname);
}

int ScriptErrorHandler(lua_State* L) {
  // Level 1 raised the error; when that is a C function (error, redis.call, ...) the place to
  // report is its caller.
  lua_Debug ar;
  bool have_info = false;
  if (lua_getstack(L, 1, &ar)) {
    lua_getinfo(L, "nSl", &ar);
    have_info = true;
    if (strcmp(ar.what, "C") == 0) {
      have_info = lua_getstack(L, 2, &ar) != 0;
      if (have_info) lua_getinfo(L, "nSl", &ar);
    }
  }
  lua_settop(L, 1);
  // A new table: the error value may be a protected table, or one whose metamethods would run.
  lua_newtable(L);
  if (lua_istable(L, 1)) {
    lua_pushliteral(L, "err");
    lua_rawget(L, 1);
    if (lua_isstring(L, -1)) {
      lua_tostring(L, -1);
      lua_setfield(L, 2, "err");
    } else {
      lua_pop(L, 1);
    }
    lua_pushliteral(L, "ignore_error_stats_update");
    lua_rawget(L, 1);
    lua_setfield(L, 2, "ignore_error_stats_update");
  } else {
    lua_pushliteral(L, "ERR ");
    PushPlainString(L, 1);
    lua_concat(L, 2);
    lua_setfield(L, 2, "err");
  }
  if (have_info) {
    lua_pushstring(L, ar.source);
    lua_setfield(L, 2, "source");
    lua_pushinteger(L, ar.currentline);
    lua_setfield(L, 2, "line");
  }
  return 1;
}

}  // namespace strata::kv::script
