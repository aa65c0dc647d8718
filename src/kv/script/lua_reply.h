// Conversions between RESP replies and Lua values, as Redis 7.0 performs them.
//
// RESP -> Lua (a command's reply to redis.call / redis.pcall):
//   integer -> number, bulk -> string, status -> {ok=s}, error -> {err=s} (with
//   ignore_error_stats_update=true), array -> table, RESP2 null bulk / null array -> false;
//   RESP3: null -> nil, boolean -> boolean, double -> {double=n}, map -> {map={k=v}},
//   set -> {set={m=true}}, big number -> {big_number=s},
//   verbatim -> {verbatim_string={format=f, string=s}}; attributes are skipped.
//
// Lua -> RESP (a script's return value for the client):
//   number -> integer (truncated), string -> bulk, nil -> null, boolean -> 1/null while the
//   script speaks RESP2, true/false booleans once it chose RESP3; tables: {err=s} -> error,
//   {ok=s} -> status, {double=n}, {big_number=s}, {verbatim_string=...}, {map=...}, {set=...},
//   otherwise an array of t[1], t[2], ... up to the first nil. RESP3-only types are written in
//   the client's protocol (a map is a flat array for a RESP2 client, and so on).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proto/resp/reply_builder.h"

struct lua_State;

namespace strata::kv::script {

// Pushes the Lua form of the first reply in `bytes`. Returns false (and pushes nothing) when
// the bytes are not one complete, well-formed reply. Must run with the VM's memory limit
// lifted (see LuaVm::Unlimited): it allocates while C++ objects are alive.
bool PushRespAsLua(lua_State* L, std::string_view bytes);

// Pops the value on top of the stack and writes it to `rb` (whose protocol is the client's).
// `script_resp` is the protocol the script selected with redis.setresp(). Uses no metamethods.
void PopLuaAsResp(lua_State* L, resp::ReplyBuilder* rb, int script_resp);

// Pushes Redis's error table for an error text: "-CODE message" keeps CODE, anything else gets
// ERR; the message is trimmed of CR/LF at both ends. Result: {err="CODE message"}.
// Raises nothing but Lua memory errors, and holds no C++ objects while it may.
void PushErrorTable(lua_State* L, std::string_view text);
// The same for a text already split from its leading '-' (`dashed` says whether it had one).
void PushErrorTableFrom(lua_State* L, std::string_view body, bool dashed);

// lua_Number -> int64 as the C cast Redis uses does on x86-64: NaN and values outside the
// int64 range become INT64_MIN.
int64_t LuaNumberToInt64(double d);

// Text up to the first NUL: Redis copies these reply texts as C strings.
inline std::string_view CStringPrefix(std::string_view s) {
  size_t nul = s.find('\0');
  return nul == std::string_view::npos ? s : s.substr(0, nul);
}

}  // namespace strata::kv::script
