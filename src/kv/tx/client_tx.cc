#include "kv/tx/client_tx.h"

#include "base/hash.h"
#include "kv/server/shard_set.h"
#include "kv/tx/lock_table.h"

namespace strata::kv {

void Unwatch(TxState& tx) {
  if (!tx.watch) return;
  for (auto& [db, key] : tx.watched) {
    uint32_t shard = Shards().ShardOf(HashKey(key));
    Shards().Post(shard, [shard, k = LockTable::Encode(db, key), flag = tx.watch] {
      Shards().shard(shard)->watches().Remove(k, flag.get());
    });
  }
  tx.watched.clear();
  tx.watch.reset();
}

void DiscardTransaction(TxState& tx) {
  tx.in_multi = false;
  tx.aborted = false;
  tx.queue.clear();
  Unwatch(tx);
}

}  // namespace strata::kv
