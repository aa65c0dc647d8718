// The `cmsgpack` library: MessagePack encoding of Lua values with the choices Redis scripts
// rely on.
//
// cmsgpack.pack(v1, v2, ...) encodes each value and concatenates the results. Numbers with an
// integral value in the int64 range use the smallest integer form, other numbers float32 when
// that is exact, else float64; strings use fixstr/str8/str16/str32; a table whose keys are
// exactly 1..n is an array, any other table a map (in lua_next order); tables nested 16 deep
// and values without a MessagePack form (functions, ...) encode as nil.
//
// cmsgpack.unpack(s) returns every value in s; unpack_one(s [, offset]) and
// unpack_limit(s, limit [, offset]) return the offset to continue from (-1 at the end) followed
// by at most one / `limit` values. Binary and extension types are rejected as bad data.
#include <lua.hpp>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "kv/script/lua_libs.h"
#include "kv/script/lua_memory.h"

namespace strata::kv::script {
namespace {

constexpr int kMaxEncodeNesting = 16;
// Each nested array or map keeps one table on the Lua stack while its elements decode.
constexpr int kMaxDecodeNesting = 4000;

void PutBe(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; i--) out->push_back(char((v >> (8 * i)) & 0xff));
}

void EncodeInteger(std::string* out, int64_t n) {
  if (n >= 0) {
    if (n <= 127) {
      out->push_back(char(n));
    } else if (n <= 0xff) {
      out->push_back(char(0xcc));
      PutBe(out, uint64_t(n), 1);
    } else if (n <= 0xffff) {
      out->push_back(char(0xcd));
      PutBe(out, uint64_t(n), 2);
    } else if (n <= 0xffffffffLL) {
      out->push_back(char(0xce));
      PutBe(out, uint64_t(n), 4);
    } else {
      out->push_back(char(0xcf));
      PutBe(out, uint64_t(n), 8);
    }
  } else {
    if (n >= -32) {
      out->push_back(char(n));
    } else if (n >= -128) {
      out->push_back(char(0xd0));
      PutBe(out, uint64_t(n), 1);
    } else if (n >= -32768) {
      out->push_back(char(0xd1));
      PutBe(out, uint64_t(n), 2);
    } else if (n >= -2147483648LL) {
      out->push_back(char(0xd2));
      PutBe(out, uint64_t(n), 4);
    } else {
      out->push_back(char(0xd3));
      PutBe(out, uint64_t(n), 8);
    }
  }
}

void EncodeNumber(std::string* out, double d) {
  int64_t i = CastToInt64(d);
  if (!std::isinf(d) && double(i) == d) {
    EncodeInteger(out, i);
    return;
  }
  // float32 when the value survives the round trip (out-of-range magnitudes never do).
  if (std::isnan(d) || std::isinf(d) || std::fabs(d) <= FLT_MAX) {
    float f = float(d);
    if (double(f) == d) {
      uint32_t bits;
      memcpy(&bits, &f, sizeof bits);
      out->push_back(char(0xca));
      PutBe(out, bits, 4);
      return;
    }
  }
  uint64_t bits;
  memcpy(&bits, &d, sizeof bits);
  out->push_back(char(0xcb));
  PutBe(out, bits, 8);
}

void EncodeString(std::string* out, const char* s, size_t len) {
  if (len < 32) {
    out->push_back(char(0xa0 | len));
  } else if (len <= 0xff) {
    out->push_back(char(0xd9));
    PutBe(out, len, 1);
  } else if (len <= 0xffff) {
    out->push_back(char(0xda));
    PutBe(out, len, 2);
  } else {
    out->push_back(char(0xdb));
    PutBe(out, len, 4);
  }
  out->append(s, len);
}

void EncodeHeader(std::string* out, size_t n, int fix_base, int code16) {
  if (n < 16) {
    out->push_back(char(fix_base | int(n)));
  } else if (n <= 0xffff) {
    out->push_back(char(code16));
    PutBe(out, n, 2);
  } else {
    out->push_back(char(code16 + 1));
    PutBe(out, n, 4);
  }
}

// Keys exactly 1..n (no holes, nothing else): encode as an array of n.
bool IsArray(lua_State* L, size_t* n_out) {
  size_t count = 0;
  double max = 0;
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TNUMBER) {
      lua_pop(L, 1);
      return false;
    }
    double k = lua_tonumber(L, -1);
    if (k < 1 || std::floor(k) != k) {
      lua_pop(L, 1);
      return false;
    }
    count++;
    if (k > max) max = k;
  }
  *n_out = count;
  return max == double(count);
}

// Encodes and pops the value on top of the stack.
void EncodeValue(lua_State* L, std::string* out, int level) {
  int t = lua_type(L, -1);
  if (t == LUA_TTABLE && level == kMaxEncodeNesting) t = LUA_TNIL;
  switch (t) {
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, -1, &len);
      EncodeString(out, s, len);
      break;
    }
    case LUA_TBOOLEAN:
      out->push_back(lua_toboolean(L, -1) ? char(0xc3) : char(0xc2));
      break;
    case LUA_TNUMBER:
      EncodeNumber(out, lua_tonumber(L, -1));
      break;
    case LUA_TTABLE: {
      // Three slots at most per level: key, value, key copy.
      if (!lua_checkstack(L, 3)) {
        out->push_back(char(0xc0));
        break;
      }
      size_t n;
      if (IsArray(L, &n)) {
        EncodeHeader(out, n, 0x90, 0xdc);
        for (size_t j = 1; j <= n; j++) {
          lua_rawgeti(L, -1, int(j));
          EncodeValue(L, out, level + 1);
        }
      } else {
        size_t pairs = 0;
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          lua_pop(L, 1);
          pairs++;
        }
        EncodeHeader(out, pairs, 0x80, 0xde);
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          lua_pushvalue(L, -2);
          EncodeValue(L, out, level + 1);  // key
          EncodeValue(L, out, level + 1);  // value
        }
      }
      break;
    }
    default:
      out->push_back(char(0xc0));
      break;
  }
  lua_pop(L, 1);
}

int Pack(lua_State* L) {
  int nargs = lua_gettop(L);
  if (nargs == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  {
    // A std::string buffer lives here, so the Lua heap limit is lifted until the result is
    // pushed: nothing below can raise.
    UnlimitedScope unlimited(L);
    std::string out;
    for (int i = 1; i <= nargs; i++) {
      lua_pushvalue(L, i);
      EncodeValue(L, &out, 0);
    }
    lua_pushlstring(L, out.data(), out.size());
  }
  return 1;
}

enum class DecodeError { kNone, kEof, kBadFormat, kNilIndex, kNanIndex, kTooDeep };

struct Cursor {
  const unsigned char* p;
  size_t left;
  DecodeError err;
};

bool Need(Cursor* c, size_t n) {
  if (c->left < n) {
    c->err = DecodeError::kEof;
    return false;
  }
  return true;
}

uint64_t GetBe(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++) v = (v << 8) | p[i];
  return v;
}

void DecodeValue(lua_State* L, Cursor* c, int depth);

void DecodeArray(lua_State* L, Cursor* c, size_t n, int depth) {
  lua_newtable(L);
  for (size_t j = 0; j < n; j++) {
    DecodeValue(L, c, depth + 1);
    if (c->err != DecodeError::kNone) return;
    lua_rawseti(L, -2, int(j + 1));
  }
}

void DecodeMap(lua_State* L, Cursor* c, size_t n, int depth) {
  lua_newtable(L);
  for (size_t j = 0; j < n; j++) {
    DecodeValue(L, c, depth + 1);
    if (c->err != DecodeError::kNone) return;
    DecodeValue(L, c, depth + 1);
    if (c->err != DecodeError::kNone) return;
    if (lua_isnil(L, -2)) {
      c->err = DecodeError::kNilIndex;
      return;
    }
    if (lua_type(L, -2) == LUA_TNUMBER && std::isnan(lua_tonumber(L, -2))) {
      c->err = DecodeError::kNanIndex;
      return;
    }
    lua_rawset(L, -3);
  }
}

void DecodeString(lua_State* L, Cursor* c, size_t header, size_t len) {
  if (!Need(c, header + len)) return;
  lua_pushlstring(L, reinterpret_cast<const char*>(c->p + header), len);
  c->p += header + len;
  c->left -= header + len;
}

// Decodes one value and pushes it, or sets c->err (the stack may then hold partial values).
void DecodeValue(lua_State* L, Cursor* c, int depth) {
  if (depth > kMaxDecodeNesting || !lua_checkstack(L, 3)) {
    c->err = DecodeError::kTooDeep;
    return;
  }
  if (!Need(c, 1)) return;
  unsigned char b = c->p[0];
  auto fixed = [&](size_t bytes) -> const unsigned char* {
    if (!Need(c, 1 + bytes)) return nullptr;
    const unsigned char* at = c->p + 1;
    c->p += 1 + bytes;
    c->left -= 1 + bytes;
    return at;
  };
  const unsigned char* q;
  switch (b) {
    case 0xcc:
      if ((q = fixed(1))) lua_pushnumber(L, q[0]);
      return;
    case 0xcd:
      if ((q = fixed(2))) lua_pushnumber(L, lua_Number(GetBe(q, 2)));
      return;
    case 0xce:
      if ((q = fixed(4))) lua_pushnumber(L, lua_Number(GetBe(q, 4)));
      return;
    case 0xcf:
      // Redis reads a uint64 through a signed 64-bit integer.
      if ((q = fixed(8))) lua_pushnumber(L, lua_Number(int64_t(GetBe(q, 8))));
      return;
    case 0xd0:
      if ((q = fixed(1))) lua_pushnumber(L, int8_t(q[0]));
      return;
    case 0xd1:
      if ((q = fixed(2))) lua_pushnumber(L, int16_t(GetBe(q, 2)));
      return;
    case 0xd2:
      if ((q = fixed(4))) lua_pushnumber(L, int32_t(GetBe(q, 4)));
      return;
    case 0xd3:
      if ((q = fixed(8))) lua_pushnumber(L, lua_Number(int64_t(GetBe(q, 8))));
      return;
    case 0xc0:
      fixed(0);
      lua_pushnil(L);
      return;
    case 0xc2:
    case 0xc3:
      fixed(0);
      lua_pushboolean(L, b == 0xc3);
      return;
    case 0xca:
      if ((q = fixed(4))) {
        uint32_t bits = uint32_t(GetBe(q, 4));
        float f;
        memcpy(&f, &bits, sizeof f);
        lua_pushnumber(L, f);
      }
      return;
    case 0xcb:
      if ((q = fixed(8))) {
        uint64_t bits = GetBe(q, 8);
        double d;
        memcpy(&d, &bits, sizeof d);
        lua_pushnumber(L, d);
      }
      return;
    case 0xd9:
      if (Need(c, 2)) DecodeString(L, c, 2, c->p[1]);
      return;
    case 0xda:
      if (Need(c, 3)) DecodeString(L, c, 3, size_t(GetBe(c->p + 1, 2)));
      return;
    case 0xdb:
      if (Need(c, 5)) DecodeString(L, c, 5, size_t(GetBe(c->p + 1, 4)));
      return;
    case 0xdc:
      if ((q = fixed(2))) DecodeArray(L, c, size_t(GetBe(q, 2)), depth);
      return;
    case 0xdd:
      if ((q = fixed(4))) DecodeArray(L, c, size_t(GetBe(q, 4)), depth);
      return;
    case 0xde:
      if ((q = fixed(2))) DecodeMap(L, c, size_t(GetBe(q, 2)), depth);
      return;
    case 0xdf:
      if ((q = fixed(4))) DecodeMap(L, c, size_t(GetBe(q, 4)), depth);
      return;
    default:
      break;
  }
  if (b <= 0x7f) {
    fixed(0);
    lua_pushnumber(L, b);
  } else if (b >= 0xe0) {
    fixed(0);
    lua_pushnumber(L, int8_t(b));
  } else if ((b & 0xe0) == 0xa0) {
    DecodeString(L, c, 1, b & 0x1f);
  } else if ((b & 0xf0) == 0x90) {
    fixed(0);
    DecodeArray(L, c, b & 0x0f, depth);
  } else if ((b & 0xf0) == 0x80) {
    fixed(0);
    DecodeMap(L, c, b & 0x0f, depth);
  } else {
    c->err = DecodeError::kBadFormat;  // 0xc1, binary and extension types
  }
}

// lua_Integer -> C int as Redis's narrowing assignment does (modulo 2^32).
int NarrowInt(lua_Integer v) { return int(int32_t(uint32_t(uint64_t(v)))); }

// Decodes from `offset`: every value when limit and offset are both 0, else up to `limit`
// values preceded by the next offset (-1 once the input is used up).
int UnpackFull(lua_State* L, int limit, int offset) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  // Redis prints the input length where the limit belongs; kept for identical messages.
  if (offset < 0 || limit < 0)
    return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.", offset,
                      int(len));
  if (size_t(offset) > len)
    return luaL_error(L, "Start offset %d greater than input length %d.", offset, int(len));
  bool decode_all = limit == 0 && offset == 0;
  if (decode_all) limit = INT32_MAX;
  Cursor c{reinterpret_cast<const unsigned char*>(s) + offset, len - size_t(offset),
           DecodeError::kNone};
  int count = 0;
  while (c.left > 0 && count < limit) {
    if (!lua_checkstack(L, 1)) return luaL_error(L, "too many results to unpack");
    DecodeValue(L, &c, 0);
    switch (c.err) {
      case DecodeError::kNone:
        break;
      case DecodeError::kEof:
        return luaL_error(L, "Missing bytes in input.");
      case DecodeError::kBadFormat:
        return luaL_error(L, "Bad data format in input.");
      case DecodeError::kTooDeep:
        return luaL_error(L, "stack overflow (MessagePack nesting too deep)");
      case DecodeError::kNilIndex:
      case DecodeError::kNanIndex:
        // Raised by the table store in Redis, so without a position prefix.
        lua_pushstring(
            L, c.err == DecodeError::kNilIndex ? "table index is nil" : "table index is NaN");
        return lua_error(L);
    }
    count++;
  }
  if (!decode_all) {
    luaL_checkstack(L, 1, "in function UnpackFull");
    lua_pushinteger(L, c.left == 0 ? -1 : lua_Integer(len - c.left));
    lua_insert(L, 2);  // the offset comes first, right after the input argument
    count++;
  }
  return count;
}

int Unpack(lua_State* L) { return UnpackFull(L, 0, 0); }

int UnpackOne(lua_State* L) {
  int offset = NarrowInt(luaL_optinteger(L, 2, 0));
  lua_settop(L, 1);
  return UnpackFull(L, 1, offset);
}

int UnpackLimit(lua_State* L) {
  int limit = NarrowInt(luaL_checkinteger(L, 2));
  int offset = NarrowInt(luaL_optinteger(L, 3, 0));
  lua_settop(L, 1);
  return UnpackFull(L, limit, offset);
}

}  // namespace

int OpenCmsgpackLib(lua_State* L) {
  static const luaL_Reg kFuncs[] = {{"pack", Pack},
                                    {"unpack", Unpack},
                                    {"unpack_one", UnpackOne},
                                    {"unpack_limit", UnpackLimit},
                                    {nullptr, nullptr}};
  lua_newtable(L);
  luaL_register(L, nullptr, kFuncs);
  lua_pushstring(L, "cmsgpack");
  lua_setfield(L, -2, "_NAME");
  // The version string scripts may test for; this is an independent implementation of it.
  lua_pushstring(L, "lua-cmsgpack 0.4.0");
  lua_setfield(L, -2, "_VERSION");
  lua_pushstring(L, "MessagePack encoding for Lua scripts");
  lua_setfield(L, -2, "_DESCRIPTION");
  return 1;
}

}  // namespace strata::kv::script
