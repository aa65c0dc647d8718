// Lua libraries Redis scripts expect that Debian does not package: `struct` (binary
// pack/unpack of C-like records) and `cmsgpack` (MessagePack). Each opener leaves the module
// table on the stack, as a luaopen_* function does.
//
// Both are written against the Lua C API only and keep nothing but plain values in their C++
// frames, because Lua reports errors with longjmp.
#pragma once

struct lua_State;

namespace strata::kv::script {

int OpenStructLib(lua_State* L);
int OpenCmsgpackLib(lua_State* L);

// The lua_Number -> integer conversions of the x86-64 C casts those libraries use, so that
// out-of-range values give the same bytes as in Redis: NaN and out-of-range values become
// INT64_MIN; unsigned conversion wraps above 2^63 as the compiler's sequence does.
long long CastToInt64(double d);
unsigned long long CastToUint64(double d);

}  // namespace strata::kv::script
