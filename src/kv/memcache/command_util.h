// Helpers shared by the memcached text commands (commands.cc) and the meta commands
// (meta_commands.cc). Everything here runs on the shard thread that owns the key.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "kv/memcache/commands.h"

namespace strata::kv {
class Entry;
}

namespace strata::kv::memcache {

// Runs a RESP command through its registered handler on `s` (database 0), as a RESP client's
// would run: OOM check, stats, notifications, WATCH/tracking (which drops the key's MetaTable
// row), slow log. Returns its RESP reply (valid until the next call on this thread).
const std::string& CallResp(Shard& s, std::initializer_list<std::string_view> args,
                            const Caller& caller, int64_t now_ms);
bool IsOk(const std::string& r);
// A RESP error reply turned into memcached's SERVER_ERROR line.
void ServerError(const std::string& resp, std::string* out);
// The key's string entry (read: with a read lookup, counting hits and misses), or nullptr.
Entry* FindString(Shard& s, std::string_view key, int64_t now_ms, bool read);
bool KeyExists(Shard& s, std::string_view key, int64_t now_ms);
// memcached's "fetched" mark (meta flag h): set by reads and touches, cleared when append or
// prepend make a new item (as memcached does). No-op when the key is missing.
void MarkFetched(Shard& s, std::string_view key, int64_t now_ms, bool fetched);
// Applies an absolute expiry from ExpireAtMs (-1 none, 0 now) to an existing key.
void ApplyExpire(Shard& s, std::string_view key, int64_t at, const Caller& c, int64_t now_ms);

// The parser's limits with the configured item size (memcached-max-item-size).
::strata::memcache::Limits CurrentLimits();

// The meta commands (mg, ms, md, ma, me) for one key.
void RunMeta(Shard& s, const ::strata::memcache::Request& req, std::string_view key,
             const Caller& caller, int64_t now_ms, std::string* out);

// How long a fill handed out (W) stays exclusive when the request gave no TTL for it.
inline constexpr int64_t kDefaultWinMs = 30'000;

}  // namespace strata::kv::memcache
