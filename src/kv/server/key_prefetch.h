// Prefetching a pipeline's lookups. At pipeline 16 a GET or SET spends most of its time in two
// dependent cache misses: the key's bucket, then the entry the bucket points to (perf put
// DbTable::FindLink at 41% of the server's CPU for GET over a 1M-key table). A pipeline's commands
// arrive before they run, so their keys are known early. Hashing the next commands' keys and
// touching their buckets, then (once those have had time to arrive) the entries the buckets
// point to, overlaps the misses of up to kAhead lookups instead of taking them one by one.
//
// Only a hint: nothing here changes what a command sees, and a wrong guess (a key that a command
// before it deletes, a table that rehashes meanwhile) costs one wasted prefetch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace strata::resp {
class ParsedAhead;
}

namespace strata::kv {

class DbTable;
class Shard;
struct ShardBatch;

// Two-step prefetch of up to kAhead lookups.
class KeyPrefetch {
 public:
  static constexpr size_t kAhead = 16;

  // Step one for a lookup of `hash` in `t`: its bucket.
  void Add(const DbTable* t, uint64_t hash);
  // Step two for every lookup added: the entry each bucket points to.
  void Finish();
  size_t size() const { return n_; }

 private:
  struct Item {
    const DbTable* table;
    uint64_t hash;
  };
  Item items_[kAhead];
  size_t n_ = 0;
};

// Connection thread: prefetches the first key of each command `ahead` holds (not yet taken)
// whose shard this thread runs now (`shard`, the connection's own, or one packed onto this
// thread).
//
// `later`: only the first step (the buckets), into this thread's pending prefetch, whose second
// step FinishPendingPrefetch() takes once more connections have added theirs: a turn's ready
// connections read ahead (io::EventHandler::OnEventSoon) and one lookup each, at pipeline 1,
// still overlap.
void PrefetchAhead(const resp::ParsedAhead& ahead, int db, uint32_t shard, bool later = false);
// Loop thread, before the turn's commands run (io::Reactor::SetAfterSoonHook).
void FinishPendingPrefetch();

// Shard thread, before running a batch that another thread's connection sent: prefetches the
// first keys of its commands from `from` on (at most kAhead).
void PrefetchBatch(Shard& shard, const ShardBatch& batch, size_t from);

}  // namespace strata::kv
