// The `struct` library: struct.pack(fmt, ...), struct.unpack(fmt, s [, pos]) and
// struct.size(fmt), with the format language, limits and error texts scripts see in Redis.
//
// Format: '>' big endian, '<' little endian, '=' is not supported (as in Redis); '![n]' sets the
// maximum alignment (default 8); 'x' one zero byte; 'b'/'B' char, 'h'/'H' short, 'l'/'L' long,
// 'T' size_t, 'i'/'I'[n] an n-byte integer (default 4, at most 32); 'f' float, 'd' double;
// 's' zero-terminated string; 'c'[n] n raw bytes ('c0' in unpack takes its length from the
// previous number; 'c' or 'c0' in pack takes the whole string); ' ' is ignored. Lowercase
// integer letters are signed.
#include <lua.hpp>

#include <cctype>
#include <climits>
#include <cstdint>
#include <cstring>

#include "kv/script/lua_libs.h"

namespace strata::kv::script {
namespace {

constexpr int kMaxIntSize = 32;
constexpr int kDefaultMaxAlign = 8;  // alignment of double / long / pointers on x86-64

struct FormatState {
  bool little;  // byte order
  int align;    // maximum alignment
};

void InitState(FormatState* st) {
  st->little = true;  // native order of the x86-64 hosts this runs on
  st->align = 1;
}

// Reads an optional decimal count after an option; `dflt` when none is given.
int ReadCount(lua_State* L, const char** fmt, int dflt) {
  if (!isdigit(static_cast<unsigned char>(**fmt))) return dflt;
  int n = 0;
  while (isdigit(static_cast<unsigned char>(**fmt))) {
    int digit = **fmt - '0';
    if (n > INT_MAX / 10 || n * 10 > INT_MAX - digit) luaL_error(L, "integral size overflow");
    n = n * 10 + digit;
    (*fmt)++;
  }
  return n;
}

// Size in bytes of the item for option `opt` (0 for options that take no room or are
// variable, like 's' and 'c0').
size_t ItemSize(lua_State* L, int opt, const char** fmt) {
  switch (opt) {
    case 'B':
    case 'b':
      return 1;
    case 'H':
    case 'h':
      return sizeof(short);
    case 'L':
    case 'l':
      return sizeof(long);
    case 'T':
      return sizeof(size_t);
    case 'f':
      return sizeof(float);
    case 'd':
      return sizeof(double);
    case 'x':
      return 1;
    case 'c':
      return size_t(ReadCount(L, fmt, 1));
    case 'i':
    case 'I': {
      int n = ReadCount(L, fmt, sizeof(int));
      if (n > kMaxIntSize)
        luaL_error(L, "integral size %d is larger than limit of %d", n, kMaxIntSize);
      return size_t(n);
    }
    default:
      return 0;
  }
}

// Padding needed before an item of `size` bytes at offset `pos`.
size_t Padding(size_t pos, const FormatState& st, int opt, size_t size) {
  if (size == 0 || opt == 'c') return 0;
  size_t a = size > size_t(st.align) ? size_t(st.align) : size;
  // Sizes that are not powers of two (i3) round the same way Redis's bit trick does.
  return (a - (pos & (a - 1))) & (a - 1);
}

// Options that set state rather than produce data; anything else is an error.
void ApplyControl(lua_State* L, int opt, const char** fmt, FormatState* st) {
  switch (opt) {
    case ' ':
      return;
    case '>':
      st->little = false;
      return;
    case '<':
      st->little = true;
      return;
    case '!': {
      int a = ReadCount(L, fmt, kDefaultMaxAlign);
      if (a <= 0 || (a & (a - 1)) != 0) luaL_error(L, "alignment %d is not a power of 2", a);
      st->align = a;
      return;
    }
    default: {
      const char* msg = lua_pushfstring(L, "invalid format option '%c'", opt);
      luaL_argerror(L, 1, msg);
    }
  }
}

void PutInteger(lua_State* L, luaL_Buffer* b, int arg, bool little, size_t size) {
  lua_Number n = luaL_checknumber(L, arg);
  unsigned long long v = n < 0 ? static_cast<unsigned long long>(CastToInt64(n)) : CastToUint64(n);
  char bytes[kMaxIntSize];
  for (size_t i = 0; i < size; i++) {
    size_t at = little ? i : size - 1 - i;
    bytes[at] = char(v & 0xff);
    v >>= 8;
  }
  luaL_addlstring(b, bytes, size);
}

// Copies `size` bytes to `out` in host order from data stored in the requested order.
void ReadOrdered(const char* src, size_t size, bool little, char* out) {
  for (size_t i = 0; i < size; i++) out[i] = little ? src[i] : src[size - 1 - i];
}

void WriteOrdered(const char* host, size_t size, bool little, char* out) {
  for (size_t i = 0; i < size; i++) out[i] = little ? host[i] : host[size - 1 - i];
}

lua_Number GetInteger(const char* p, bool little, bool is_signed, size_t size) {
  unsigned long long v = 0;
  for (size_t i = 0; i < size; i++) {
    size_t at = little ? size - 1 - i : i;
    v = (v << 8) | static_cast<unsigned char>(p[at]);
  }
  if (!is_signed) return lua_Number(v);
  // Sign extension from the item's top bit. For items wider than 64 bits Redis shifts by the
  // bit count modulo 64 (what the x86 instruction does), which is reproduced here.
  unsigned shift = unsigned(size * 8 - 1) & 63u;
  unsigned long long mask = ~0ULL << shift;
  if (v & mask) v |= mask;
  return lua_Number(static_cast<long long>(v));
}

int Pack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  FormatState st;
  InitState(&st);
  int arg = 2;
  size_t total = 0;
  luaL_Buffer b;
  lua_pushnil(L);  // keeps the buffer's stack slots apart from the arguments
  luaL_buffinit(L, &b);
  while (*fmt != '\0') {
    int opt = *fmt++;
    size_t size = ItemSize(L, opt, &fmt);
    size_t pad = Padding(total, st, opt, size);
    total += pad;
    while (pad-- > 0) luaL_addchar(&b, '\0');
    switch (opt) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I':
        PutInteger(L, &b, arg++, st.little, size);
        break;
      case 'x':
        luaL_addchar(&b, '\0');
        break;
      case 'f': {
        float f = float(luaL_checknumber(L, arg++));
        char host[sizeof f], out[sizeof f];
        memcpy(host, &f, sizeof f);
        WriteOrdered(host, sizeof f, st.little, out);
        luaL_addlstring(&b, out, sizeof f);
        break;
      }
      case 'd': {
        double d = luaL_checknumber(L, arg++);
        char host[sizeof d], out[sizeof d];
        memcpy(host, &d, sizeof d);
        WriteOrdered(host, sizeof d, st.little, out);
        luaL_addlstring(&b, out, sizeof d);
        break;
      }
      case 'c':
      case 's': {
        size_t len;
        const char* s = luaL_checklstring(L, arg++, &len);
        if (size == 0) size = len;
        luaL_argcheck(L, len >= size, arg, "string too short");
        luaL_addlstring(&b, s, size);
        if (opt == 's') {
          luaL_addchar(&b, '\0');
          size++;
        }
        break;
      }
      default:
        ApplyControl(L, opt, &fmt, &st);
    }
    total += size;
  }
  luaL_pushresult(&b);
  return 1;
}

int Unpack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  size_t len;
  const char* data = luaL_checklstring(L, 2, &len);
  // The position is read as an unsigned size, so negative values fail the length check below
  // rather than this one (as in Redis).
  size_t pos = size_t(luaL_optinteger(L, 3, 1));
  luaL_argcheck(L, pos > 0, 3, "offset must be 1 or greater");
  pos--;
  FormatState st;
  InitState(&st);
  int results = 0;
  while (*fmt != '\0') {
    int opt = *fmt++;
    size_t size = ItemSize(L, opt, &fmt);
    pos += Padding(pos, st, opt, size);
    luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
    luaL_checkstack(L, 2, "too many results");
    switch (opt) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I':
        lua_pushnumber(L, GetInteger(data + pos, st.little, islower(opt), size));
        results++;
        break;
      case 'x':
        break;
      case 'f': {
        char host[sizeof(float)];
        ReadOrdered(data + pos, sizeof host, st.little, host);
        float f;
        memcpy(&f, host, sizeof f);
        lua_pushnumber(L, f);
        results++;
        break;
      }
      case 'd': {
        char host[sizeof(double)];
        ReadOrdered(data + pos, sizeof host, st.little, host);
        double d;
        memcpy(&d, host, sizeof d);
        lua_pushnumber(L, d);
        results++;
        break;
      }
      case 'c': {
        if (size == 0) {
          // 'c0': the length is the number unpacked just before, which it replaces.
          if (results == 0 || !lua_isnumber(L, -1))
            luaL_error(L, "format 'c0' needs a previous size");
          size = size_t(CastToUint64(lua_tonumber(L, -1)));
          lua_pop(L, 1);
          results--;
          luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
        }
        lua_pushlstring(L, data + pos, size);
        results++;
        break;
      }
      case 's': {
        const void* nul = memchr(data + pos, '\0', len - pos);
        if (nul == nullptr) luaL_error(L, "unfinished string in data");
        size = size_t(static_cast<const char*>(nul) - (data + pos)) + 1;
        lua_pushlstring(L, data + pos, size - 1);
        results++;
        break;
      }
      default:
        ApplyControl(L, opt, &fmt, &st);
    }
    pos += size;
  }
  lua_pushinteger(L, lua_Integer(pos + 1));
  return results + 1;
}

int Size(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  FormatState st;
  InitState(&st);
  size_t pos = 0;
  while (*fmt != '\0') {
    int opt = *fmt++;
    size_t size = ItemSize(L, opt, &fmt);
    pos += Padding(pos, st, opt, size);
    if (opt == 's') {
      luaL_argerror(L, 1, "option 's' has no fixed size");
    } else if (opt == 'c' && size == 0) {
      luaL_argerror(L, 1, "option 'c0' has no fixed size");
    }
    // Letters and digits that are not options are skipped here (pack and unpack reject them).
    if (!isalnum(opt)) ApplyControl(L, opt, &fmt, &st);
    pos += size;
  }
  lua_pushinteger(L, lua_Integer(pos));
  return 1;
}

}  // namespace

long long CastToInt64(double d) {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return LLONG_MIN;
  return static_cast<long long>(d);
}

unsigned long long CastToUint64(double d) {
  // The compiler converts below 2^63 directly and subtracts 2^63 first above it; each step
  // saturates to the 0x8000... pattern when out of range.
  if (!(d >= 9223372036854775808.0)) return static_cast<unsigned long long>(CastToInt64(d));
  return static_cast<unsigned long long>(CastToInt64(d - 9223372036854775808.0)) ^
         0x8000000000000000ULL;
}

int OpenStructLib(lua_State* L) {
  static const luaL_Reg kFuncs[] = {
      {"pack", Pack}, {"unpack", Unpack}, {"size", Size}, {nullptr, nullptr}};
  lua_newtable(L);
  luaL_register(L, nullptr, kFuncs);
  return 1;
}

}  // namespace strata::kv::script
