#include "kv/script/lua_reply.h"

#include <lua.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "base/strutil.h"

namespace strata::kv::script {
namespace {

// Command replies are shallow; anything deeper is treated as malformed rather than risking the
// C stack.
constexpr int kMaxReplyDepth = 1000;

// Reads one RESP value from [p, end) and pushes its Lua form.
class RespReader {
 public:
  RespReader(lua_State* L, const char* p, const char* end) : L_(L), p_(p), end_(end) {}

  bool Value(int depth) {
    if (depth > kMaxReplyDepth || !lua_checkstack(L_, 4) || p_ >= end_) return false;
    char type = *p_++;
    std::string_view line;
    if (!Line(&line)) return false;
    switch (type) {
      case '+':
        lua_newtable(L_);
        lua_pushlstring(L_, line.data(), line.size());
        lua_setfield(L_, -2, "ok");
        return true;
      case '-':
        PushReplyError(line);
        return true;
      case ':': {
        int64_t v;
        if (!ParseInt64(line, &v)) return false;
        lua_pushnumber(L_, lua_Number(v));
        return true;
      }
      case '$':
      case '!':
      case '=': {
        int64_t len;
        if (!ParseInt64(line, &len) || len < -1) return false;
        if (len == -1) {
          if (type != '$') return false;
          lua_pushboolean(L_, 0);
          return true;
        }
        std::string_view body;
        if (!Body(size_t(len), &body)) return false;
        if (type == '$') {
          lua_pushlstring(L_, body.data(), body.size());
        } else if (type == '!') {
          PushReplyError(body);
        } else {
          if (body.size() < 4 || body[3] != ':') return false;
          lua_newtable(L_);
          lua_newtable(L_);
          lua_pushlstring(L_, body.data(), 3);
          lua_setfield(L_, -2, "format");
          lua_pushlstring(L_, body.data() + 4, body.size() - 4);
          lua_setfield(L_, -2, "string");
          lua_setfield(L_, -2, "verbatim_string");
        }
        return true;
      }
      case '*':
      case '>':
      case '~':
      case '%':
      case '|':
        return Aggregate(type, line, depth);
      case '_':
        if (!line.empty()) return false;
        lua_pushnil(L_);
        return true;
      case '#':
        if (line != "t" && line != "f") return false;
        lua_pushboolean(L_, line == "t");
        return true;
      case ',': {
        std::string text(line);
        char* endp = nullptr;
        double d = strtod(text.c_str(), &endp);
        if (text.empty() || endp != text.c_str() + text.size()) return false;
        lua_newtable(L_);
        lua_pushnumber(L_, d);
        lua_setfield(L_, -2, "double");
        return true;
      }
      case '(':
        lua_newtable(L_);
        lua_pushlstring(L_, line.data(), line.size());
        lua_setfield(L_, -2, "big_number");
        return true;
      default:
        return false;
    }
  }

 private:
  bool Line(std::string_view* out) {
    const char* cr = static_cast<const char*>(memchr(p_, '\r', size_t(end_ - p_)));
    if (!cr || cr + 1 >= end_ || cr[1] != '\n') return false;
    *out = std::string_view(p_, size_t(cr - p_));
    p_ = cr + 2;
    return true;
  }

  bool Body(size_t len, std::string_view* out) {
    if (size_t(end_ - p_) < len + 2 || p_[len] != '\r' || p_[len + 1] != '\n') return false;
    *out = std::string_view(p_, len);
    p_ += len + 2;
    return true;
  }

  void PushReplyError(std::string_view text) {
    PushErrorTableFrom(L_, text, true);
    // The command already counted this error in the server's error statistics.
    lua_pushboolean(L_, 1);
    lua_setfield(L_, -2, "ignore_error_stats_update");
  }

  bool Aggregate(char type, std::string_view header, int depth) {
    int64_t n;
    if (!ParseInt64(header, &n) || n < -1) return false;
    if (n == -1) {
      if (type != '*') return false;
      lua_pushboolean(L_, 0);
      return true;
    }
    if (type == '|') {
      // Attributes carry metadata scripts never see: read and drop them, then the value.
      for (int64_t i = 0; i < 2 * n; i++) {
        if (!Value(depth + 1)) return false;
        lua_pop(L_, 1);
      }
      return Value(depth);
    }
    int base = lua_gettop(L_);
    if (type == '%' || type == '~') lua_newtable(L_);  // the {map=...} / {set=...} wrapper
    lua_newtable(L_);
    for (int64_t i = 0; i < n; i++) {
      if (!Value(depth + 1)) {
        lua_settop(L_, base);
        return false;
      }
      if (type == '%') {
        if (!Value(depth + 1)) {
          lua_settop(L_, base);
          return false;
        }
        SetField(-3);
      } else if (type == '~') {
        lua_pushboolean(L_, 1);
        SetField(-3);
      } else {
        lua_rawseti(L_, -2, int(i + 1));
      }
    }
    if (type == '%') lua_setfield(L_, -2, "map");
    if (type == '~') lua_setfield(L_, -2, "set");
    return true;
  }

  // t[key] = value for the two values on top, skipping keys Lua cannot index by (nil, NaN).
  void SetField(int table_idx) {
    int kt = lua_type(L_, -2);
    if (kt == LUA_TNIL || (kt == LUA_TNUMBER && std::isnan(lua_tonumber(L_, -2)))) {
      lua_pop(L_, 2);
      return;
    }
    lua_rawset(L_, table_idx);
  }

  lua_State* L_;
  const char* p_;
  const char* end_;
};

// Error text with CR/LF at the end removed and the rest replaced by spaces, as Redis does
// before writing an error line.
std::string SanitizeErrorLine(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  std::string out(s);
  for (char& c : out)
    if (c == '\r' || c == '\n') c = ' ';
  return out;
}

std::string MapNewlines(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c == '\r' || c == '\n') c = ' ';
  return out;
}

// Looks up t[name] (raw) for the table on top; leaves the value pushed.
int RawField(lua_State* L, const char* name) {
  lua_pushstring(L, name);
  lua_rawget(L, -2);
  return lua_type(L, -1);
}

std::string_view ToView(lua_State* L, int idx) {
  size_t len = 0;
  const char* s = lua_tolstring(L, idx, &len);
  return std::string_view(s, len);
}

}  // namespace

int64_t LuaNumberToInt64(double d) {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return INT64_MIN;
  return static_cast<int64_t>(d);
}

bool PushRespAsLua(lua_State* L, std::string_view bytes) {
  int top = lua_gettop(L);
  RespReader reader(L, bytes.data(), bytes.data() + bytes.size());
  if (!reader.Value(0)) {
    lua_settop(L, top);
    return false;
  }
  return true;
}

void PushErrorTable(lua_State* L, std::string_view text) {
  bool dashed = !text.empty() && text[0] == '-';
  PushErrorTableFrom(L, dashed ? text.substr(1) : text, dashed);
}

void PushErrorTableFrom(lua_State* L, std::string_view body, bool dashed) {
  std::string_view code = "ERR";
  std::string_view msg = body;
  if (dashed) {
    size_t sp = body.find(' ');
    if (sp != std::string_view::npos) {
      code = body.substr(0, sp);
      msg = body.substr(sp + 1);
    }
  }
  // Redis builds this text with C string functions: it ends at the first NUL.
  code = CStringPrefix(code);
  msg = CStringPrefix(msg);
  while (!msg.empty() && (msg.front() == '\r' || msg.front() == '\n')) msg.remove_prefix(1);
  while (!msg.empty() && (msg.back() == '\r' || msg.back() == '\n')) msg.remove_suffix(1);
  // Only Lua objects from here on: a memory error may be raised.
  lua_newtable(L);
  lua_pushlstring(L, code.data(), code.size());
  lua_pushliteral(L, " ");
  lua_pushlstring(L, msg.data(), msg.size());
  lua_concat(L, 3);
  lua_setfield(L, -2, "err");
}

void PopLuaAsResp(lua_State* L, resp::ReplyBuilder* rb, int script_resp) {
  // Redis checks for room for the deepest push sequence (a map entry) at every level and
  // answers a too-deep (for instance self-referencing) value with this error in place.
  if (!lua_checkstack(L, 4)) {
    rb->Error("ERR reached lua stack limit");
    lua_pop(L, 1);
    return;
  }
  switch (lua_type(L, -1)) {
    case LUA_TSTRING:
      rb->Bulk(ToView(L, -1));
      break;
    case LUA_TBOOLEAN:
      if (script_resp == 2) {
        if (lua_toboolean(L, -1))
          rb->Integer(1);
        else
          rb->Null();
      } else {
        rb->Bool(lua_toboolean(L, -1));
      }
      break;
    case LUA_TNUMBER:
      rb->Integer(LuaNumberToInt64(lua_tonumber(L, -1)));
      break;
    case LUA_TTABLE: {
      if (RawField(L, "err") == LUA_TSTRING) {
        std::string line = SanitizeErrorLine(CStringPrefix(ToView(L, -1)));
        rb->Error(line);
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      if (RawField(L, "ok") == LUA_TSTRING) {
        rb->SimpleString(MapNewlines(CStringPrefix(ToView(L, -1))));
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      if (RawField(L, "double") == LUA_TNUMBER) {
        rb->Double(lua_tonumber(L, -1));
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      if (RawField(L, "big_number") == LUA_TSTRING) {
        std::string num = MapNewlines(ToView(L, -1));
        if (rb->proto() >= 3) {
          rb->Raw("(");
          rb->Raw(num);
          rb->Raw("\r\n");
        } else {
          rb->Bulk(num);
        }
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      if (RawField(L, "verbatim_string") == LUA_TTABLE) {
        if (RawField(L, "format") == LUA_TSTRING) {
          lua_pushstring(L, "string");
          lua_rawget(L, -3);
          if (lua_type(L, -1) == LUA_TSTRING) {
            // The format is always three characters: cut, or padded with spaces.
            std::string_view f = CStringPrefix(ToView(L, -2));
            char fmt[3] = {' ', ' ', ' '};
            for (size_t i = 0; i < 3 && i < f.size(); i++) fmt[i] = f[i];
            rb->Verbatim(ToView(L, -1), std::string_view(fmt, 3));
            lua_pop(L, 4);
            return;
          }
          lua_pop(L, 1);
        }
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
      if (RawField(L, "map") == LUA_TTABLE) {
        size_t n = 0;
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          lua_pop(L, 1);
          n++;
        }
        rb->MapHeader(n);
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          lua_pushvalue(L, -2);  // a copy of the key to convert; the original drives lua_next
          PopLuaAsResp(L, rb, script_resp);
          PopLuaAsResp(L, rb, script_resp);
        }
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      if (RawField(L, "set") == LUA_TTABLE) {
        size_t n = 0;
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          lua_pop(L, 1);
          n++;
        }
        rb->SetHeader(n);
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          lua_pop(L, 1);
          lua_pushvalue(L, -1);
          PopLuaAsResp(L, rb, script_resp);
        }
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      // A plain array: t[1], t[2], ... until the first nil.
      size_t n = 0;
      for (;;) {
        lua_rawgeti(L, -1, int(n + 1));
        bool is_nil = lua_isnil(L, -1);
        lua_pop(L, 1);
        if (is_nil) break;
        n++;
      }
      rb->ArrayHeader(n);
      for (size_t j = 1; j <= n; j++) {
        lua_pushnumber(L, lua_Number(j));
        lua_rawget(L, -2);
        PopLuaAsResp(L, rb, script_resp);
      }
      break;
    }
    default:
      rb->Null();
      break;
  }
  lua_pop(L, 1);
}

}  // namespace strata::kv::script
