// Helpers shared by the command families: argument parsing with Redis's error texts, and the
// common lookups (typed access to a key on the current shard).
#pragma once

#include <cstdint>
#include <string_view>

#include "base/strutil.h"
#include "kv/commands/command.h"
#include "kv/engine/shard.h"

namespace strata::kv {

inline constexpr const char* kErrNotInt = "ERR value is not an integer or out of range";
inline constexpr const char* kErrSyntax = "ERR syntax error";
inline constexpr const char* kErrWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr const char* kErrNotFloat = "ERR value is not a valid float";
inline constexpr const char* kErrNoSuchKey = "ERR no such key";
inline constexpr const char* kErrDbIndex = "ERR DB index is out of range";

inline bool ArgInt(CmdContext& ctx, size_t i, int64_t* out) {
  if (ParseInt64(ctx.args[i], out)) return true;
  ctx.rb->Error(kErrNotInt);
  return false;
}

inline bool ArgIs(std::string_view arg, std::string_view word) {
  return EqualsIgnoreCase(arg, word);
}

inline uint64_t KeyHash(std::string_view key) { return DbTable::Hash(key); }

}  // namespace strata::kv
