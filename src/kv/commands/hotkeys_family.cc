// HOTKEYS: the most accessed keys of the current database, from the per-shard trackers
// (cache/sketch/top_keys.h, fed by Shard::NoteAccess on every read and write lookup), without
// scanning the keyspace and under any maxmemory-policy (docs/design/hotkeys.md).
//
//   HOTKEYS [COUNT n]  -> the n (default 10) hottest keys that still exist, hottest first:
//                         RESP2 a flat array key, count, key, count, ...; RESP3 an array of
//                         [key, count] pairs. Counts are estimated recent accesses (decayed).
//   HOTKEYS RESET      -> OK; every shard forgets what it counted.
//   HOTKEYS HELP
//
// Runs on the connection's thread and visits every shard (Broadcast); each shard filters its
// candidates (current database, key present and not expired) on its own thread.
#include <algorithm>
#include <string>
#include <vector>

#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"
#include "kv/commands/subcommand.h"
#include "kv/server/shard_set.h"

namespace strata::kv {
namespace {

struct HotKey {
  std::string key;
  uint64_t count;
};

constexpr const char* kUsage =
    "ERR syntax error. Try HOTKEYS HELP (usage: HOTKEYS [COUNT count] | HOTKEYS RESET)";

Task<void> CmdHotkeys(CmdContext& ctx) {
  int64_t count = 10;
  if (ctx.args.size() == 2 && ArgIs(ctx.args[1], "reset")) {
    co_await Shards().Broadcast([](Shard& s, uint32_t) {
      if (s.hotkeys()) s.hotkeys()->Reset();
    });
    ctx.rb->Ok();
    co_return;
  }
  if (ctx.args.size() == 2 && ArgIs(ctx.args[1], "help")) {
    ReplyHelp(ctx, "HOTKEYS",
              {"[COUNT <count>]",
               "    Return the <count> (default 10) most accessed keys of the current database",
               "    that still exist, with their estimated recent accesses, hottest first.",
               "RESET", "    Forget the accesses counted so far, on every shard."});
    co_return;
  }
  if (ctx.args.size() == 3 && ArgIs(ctx.args[1], "count")) {
    if (!ArgInt(ctx, 2, &count)) co_return;
    if (count <= 0) {
      ctx.rb->Error("ERR COUNT must be positive");
      co_return;
    }
  } else if (ctx.args.size() != 1) {
    ctx.rb->Error(kUsage);
    co_return;
  }
  int db = ctx.db;
  int64_t now = ctx.now_ms;
  std::vector<std::vector<HotKey>> parts(Shards().size());
  co_await Shards().Broadcast([&parts, db, now, count](Shard& s, uint32_t i) {
    if (!s.hotkeys()) return;
    // Every candidate of this shard: those of other databases or no longer present are skipped,
    // and a shard holds fewer than `count` of the current database's keys when it holds others.
    for (auto& item : s.hotkeys()->Top(s.hotkeys()->capacity())) {
      if (int(item.tag) != db) continue;
      Entry* e = s.db(db).Find(item.key, DbTable::Hash(item.key));
      if (!e || (e->has_expire() && e->expire_ms() <= now)) continue;
      parts[i].push_back(HotKey{std::move(item.key), item.count});
      if (int64_t(parts[i].size()) >= count) break;
    }
  });
  std::vector<HotKey> all;
  for (auto& p : parts)
    for (auto& h : p) all.push_back(std::move(h));
  std::sort(all.begin(), all.end(), [](const HotKey& a, const HotKey& b) {
    return a.count != b.count ? a.count > b.count : a.key < b.key;
  });
  if (int64_t(all.size()) > count) all.resize(size_t(count));
  bool pairs = ctx.rb->proto() >= 3;
  ctx.rb->ArrayHeader(pairs ? all.size() : 2 * all.size());
  for (const HotKey& h : all) {
    if (pairs) ctx.rb->ArrayHeader(2);
    ctx.rb->Bulk(h.key);
    ctx.rb->Integer(int64_t(h.count));
  }
}

}  // namespace

void RegisterHotkeysFamily(CommandRegistry& r) {
  using namespace cmd;
  r.Add({"hotkeys", -1, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0, nullptr, CmdHotkeys,
         "server",
         "Returns the most accessed keys of the database with their estimated recent accesses.",
         "7.0.0", "O(S*K) where S is the number of shards and K the keys each one tracks (64)."});
}

}  // namespace strata::kv
