// Helpers shared by the sorted-set command files (zset_family.cc, zset_multi.cc): range
// parsing with Redis's rules and error texts, reply shapes, and storing a computed result.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "kv/commands/command.h"
#include "kv/commands/registry.h"
#include "kv/engine/shard.h"
#include "kv/types/zset.h"

namespace strata::kv {

// zset-max-listpack-entries / -value from the server config.
ZSet::Limits ZSetLimits();

// ZRANGE's range forms and directions (kAuto: not fixed by the command name).
enum class ZRangeKind { kAuto, kRank, kScore, kLex };
enum class ZRangeDir { kAuto, kForward, kReverse };

struct ZRangeSpec {
  ZRangeKind kind = ZRangeKind::kRank;
  bool rev = false;
  bool withscores = false;
  int64_t start = 0, end = 0;  // ranks
  ZScoreRange score;
  ZLexRange lex;
  int64_t offset = 0, limit = -1;
};

// Parses "key min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]" starting at the
// key's index (ZRANGE: 1, ZRANGESTORE: 2); replies the error and returns false on failure.
bool ParseZRange(CmdContext& ctx, size_t argc_start, bool store, ZRangeKind kind, ZRangeDir dir,
                 ZRangeSpec* out);
// The members the spec selects, in reply order.
std::vector<ZEntry> CollectZRange(const ZSet& z, const ZRangeSpec& spec);

bool ParseScoreRange(std::string_view min, std::string_view max, ZScoreRange* r);
bool ParseLexRange(std::string_view min, std::string_view max, ZLexRange* r);
// An integer within [min, max]; msg (without "ERR ") replaces Redis's default messages for
// both a non-integer and an out-of-range value.
bool ArgRangeLong(CmdContext& ctx, std::string_view arg, int64_t min, int64_t max, int64_t* out,
                  const char* msg);

// Members (and with scores: RESP2 a flat array, RESP3 [member, score] pairs).
void ReplyScoredArray(resp::ReplyBuilder* rb, const std::vector<ZEntry>& v, bool withscores);

// Replaces key with a sorted set of these (distinct) members and notifies `event` (zunionstore,
// zrangestore, ...), or deletes it when empty ("del"). Runs on the key's shard, so the set is
// allocated there.
void StoreZSet(Shard& s, int db, std::string_view key, std::vector<ZEntry> entries, int64_t now_ms,
               const char* event);

// ZADD's core (after argument parsing): adds the (score, member) pairs with ZSet's flags, creating
// the key when needed, and replies as ZADD does (GEOADD shares it).
void ZAddPairs(CmdContext& ctx, std::string_view key, int flags, bool ch,
               const std::vector<std::pair<double, std::string_view>>& pairs);

// Register the multi-key commands (zset_multi.cc) and the GEO commands (geo_family.cc).
void RegisterZSetMultiCommands(CommandRegistry& r);
void RegisterGeoCommands(CommandRegistry& r);

}  // namespace strata::kv
