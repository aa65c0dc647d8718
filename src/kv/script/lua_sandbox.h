// The sandbox scripts run in: which builtins exist, and the read-only globals.
//
// Redis 7.0 patches its Lua to support read-only tables. Stock Lua 5.1 has no such flag, so a
// protected table is represented by an empty *proxy* table whose metatable reads from the real
// (backing) table and refuses writes. Scripts only ever hold proxies: the backing tables are
// reachable from the registry alone, and the builtins that bypass metatables (rawset,
// rawget, next, pairs, setmetatable, getmetatable, table.insert, table.foreach) are replaced
// by versions that see through proxies for reads and raise Redis's "Attempt to modify a
// readonly table" for writes. A *transparent* proxy (EVAL globals, library tables) shows its
// backing table's contents to next/pairs/rawget; an *opaque* one (the function engine's
// globals, empty in Redis too) does not.
//
// Removed compared with stock Lua, as in Redis 7.0: io, os, package/require/module, debug,
// print, dofile, loadfile, getfenv, setfenv, newproxy. loadstring and load compile text only
// (a precompiled chunk fails as the syntax error Redis reports), pcall turns Redis error tables
// into their message, and math.random / math.randomseed use Redis's 48-bit generator.
#pragma once

#include <cstddef>

struct lua_State;

namespace strata::kv::script {

// Creates the registry tables the proxies need. Call once, first.
void SandboxInit(lua_State* L);

// Pushes a new read-only proxy of the table at `idx` and registers it.
void PushReadonlyProxy(lua_State* L, int idx, bool transparent);

// Registers a proxy of the real table at `idx` that getmetatable() returns in its place (for
// metatables scripts may read but not change, such as the string metatable).
void RegisterMetatableView(lua_State* L, int idx);

// Gives the table at `idx` a metatable whose __index raises "Script attempted to access
// nonexistent global variable '<name>'". Returns with the metatable pushed.
void PushGlobalGuardMetatable(lua_State* L, int idx);

// Copies the allowed base functions and the coroutine library from the stock globals at
// `stock_idx` into the table at `dest_idx`, replacing the ones the sandbox wraps.
void InstallBaseFunctions(lua_State* L, int stock_idx, int dest_idx);

// Replaces table.insert and table.foreach in the table library at `idx` (a real table).
void PatchTableLibrary(lua_State* L, int idx);

// Replaces math.random and math.randomseed in the math library at `idx`.
void PatchMathLibrary(lua_State* L, int idx);

// Compiles text as a chunk (never a precompiled binary one). Same contract as luaL_loadbuffer.
int LoadText(lua_State* L, const char* code, size_t len, const char* chunkname);

// Error handler for the top-level pcall of a script: returns a new table
// {err=..., source=..., line=...} describing the error and where it was raised; non-table
// errors become "ERR <message>".
int ScriptErrorHandler(lua_State* L);

}  // namespace strata::kv::script
