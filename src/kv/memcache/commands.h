// memcached text commands executed on the shard that owns the key.
//
// Each request is split into per-key steps; a step runs on the key's shard thread (inline when
// that is the connection's own) and appends its memcached reply bytes. Writes go through the same
// command handlers RESP uses (SET, APPEND, DEL, PEXPIREAT, PERSIST via ExecuteHandler), so
// maxmemory, eviction, keyspace notifications, WATCH, client tracking, INFO and the slow log see
// memcached writes exactly as RESP ones. Flags and CAS live in the shard's MetaTable
// (meta_table.h): a write drops the key's row through Shard::KeyModified, and the step then puts
// back the row memcached semantics ask for.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proto/memcache/parser.h"

namespace strata::kv {
class Shard;
}

namespace strata::kv::memcache {

// The client running the command, for the slow log and client tracking.
struct Caller {
  uint64_t id = 0;
  std::string addr;
};

// Runs `req` for one of its keys on `s` (the key's shard, on its thread); appends the reply
// (for get-type commands only the VALUE block, if any; the caller adds END).
void RunKey(Shard& s, const ::strata::memcache::Request& req, std::string_view key,
            const Caller& caller, std::string* out);

// flush_all's part on one shard: database 0 emptied.
void FlushShard(Shard& s);

// Seconds from memcached's exptime to an absolute expiry: -1 none, 0 already expired, else the
// unix time in milliseconds (values over 30 days are absolute unix seconds, as in memcached).
int64_t ExpireAtMs(int64_t exptime, int64_t now_ms);

// memcached's reading of a stored number for incr/decr (leading spaces, digits, trailing
// spaces; no sign; fits 64 bits).
bool ParseCounter(std::string_view v, uint64_t* out);

}  // namespace strata::kv::memcache
