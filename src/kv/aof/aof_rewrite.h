// What a write command is logged as (pure: from its arguments, its reply and the clock).
//
// Most commands are deterministic given the dataset and are logged as sent. The ones whose
// effect depends on the time or on chance are logged as the deterministic command that has the
// same effect, as Redis 7 propagates them:
//   EXPIRE/PEXPIRE/EXPIREAT k t [flag]   -> PEXPIREAT k <unix ms> [flag]
//   SETEX/PSETEX k t v                   -> SET k v PXAT <unix ms>
//   SET k v EX|PX|EXAT t ...             -> SET k v PXAT <unix ms> ...
//   GETEX k EX|PX|EXAT|PXAT t            -> PEXPIREAT k <unix ms>;  GETEX k PERSIST -> PERSIST k
//   RESTORE k ttl payload (no ABSTTL)    -> RESTORE k <unix ms> payload ... ABSTTL
//   INCRBYFLOAT k d                      -> SET k <result> KEEPTTL
//   SPOP k [n]                           -> SREM k <popped members>
//   BLPOP/BRPOP ... (served at once)     -> LPOP/RPOP <key>
//   BLMOVE s d a b t / BRPOPLPUSH s d t  -> LMOVE s d a b / RPOPLPUSH s d
//   BZPOPMIN/BZPOPMAX ...                -> ZPOPMIN/ZPOPMAX <key>
//   BLMPOP/BZMPOP t ...                  -> LMPOP/ZMPOP ...
//   XADD k ... * f v                     -> XADD k ... <generated id> f v
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata::kv::aof {

// Returns false when nothing is to be logged (the reply shows no change: an error, a nil pop,
// GETEX without options). Otherwise *out holds the command to log, its first element the
// lower-case command name.
bool EffectOf(std::span<const std::string_view> args, std::string_view reply, int64_t now_ms,
              std::vector<std::string>* out);

// Whether EffectOf logs the command exactly as given, with its name in lower case: true for
// most writes (SET k v, INCR, HSET, ...), which the log then encodes straight from `args`
// without building a copy; false for the commands above and for an error reply.
bool LoggedAsGiven(std::span<const std::string_view> args, std::string_view reply);

// The elements of a RESP2/RESP3 reply that is a bulk string, an array/set of bulk strings, or
// nested arrays of them (flattened). False if the reply is something else.
bool ReplyStrings(std::string_view reply, std::vector<std::string>* out);

}  // namespace strata::kv::aof
