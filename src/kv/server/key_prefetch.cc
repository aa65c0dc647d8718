#include "kv/server/key_prefetch.h"

#include "base/hash.h"
#include "kv/commands/command.h"
#include "kv/commands/registry.h"
#include "kv/engine/db_table.h"
#include "kv/engine/shard.h"
#include "kv/server/shard_batch.h"
#include "kv/server/shard_set.h"
#include "proto/resp/parse_ahead.h"

namespace strata::kv {

void KeyPrefetch::Add(const DbTable* t, uint64_t hash) {
  t->Prefetch(hash);
  items_[n_++] = Item{t, hash};
  if (n_ == kAhead) Finish();
}

void KeyPrefetch::Finish() {
  for (size_t i = 0; i < n_; i++) items_[i].table->PrefetchHead(items_[i].hash);
  n_ = 0;
}

namespace {

// The key a command looks up first, or an empty view.
std::string_view FirstKey(const CommandSpec* spec, std::span<const std::string_view> args) {
  if (!spec || spec->keyless() || size_t(spec->first_key) >= args.size()) return {};
  return args[size_t(spec->first_key)];
}

thread_local KeyPrefetch t_pending;  // PrefetchPipeline(later): step one taken, two to come

}  // namespace

void FinishPendingPrefetch() { t_pending.Finish(); }

void PrefetchAhead(const resp::ParsedAhead& ahead, int db, uint32_t shard, bool later) {
  ShardSet& set = Shards();
  KeyPrefetch now;
  KeyPrefetch& pf = later ? t_pending : now;
  for (size_t i = 0; i < ahead.size(); i++) {
    std::span<const std::string_view> args = ahead.Args(i);
    std::string_view key = FirstKey(CommandRegistry::Get().Find(args[0]), args);
    if (key.empty()) continue;
    uint64_t h = HashKey(key);
    uint32_t owner = set.ShardOf(h);
    // Another shard's table only when this thread runs that shard now (thread packing): it is
    // then touched by no other thread until this turn ends.
    if (owner != shard && !set.reactor(owner)->RunByThisThread()) continue;
    pf.Add(&set.shard(owner)->db(db), h);
  }
  if (!later) pf.Finish();
}

void PrefetchBatch(Shard& shard, const ShardBatch& batch, size_t from) {
  KeyPrefetch pf;
  for (size_t i = from; i < batch.cmds.size() && i - from < KeyPrefetch::kAhead; i++) {
    const ShardBatch::Cmd& c = batch.cmds[i];
    if (c.tx) continue;
    std::string_view key = FirstKey(c.spec, batch.Args(c));
    if (!key.empty()) pf.Add(&shard.db(c.db), HashKey(key));
  }
  pf.Finish();
}

}  // namespace strata::kv
