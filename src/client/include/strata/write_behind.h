// Write-behind: the application's writes go to a durable queue on the server and return at once;
// a flusher applies them to the database later, in batches.
//
// The queue is a set of streams ("<name>:{<p>}", p = 0..partitions-1) with one consumer group
// each. A write goes to the partition of its key (a hash of the key), so all writes of one key
// sit in one stream, in the order they were acknowledged. Each partition is drained by one
// flusher at a time, oldest first, so they reach the database in that order.
//
// Guarantees (docs/design/client.md, "Write-behind"):
// - Acknowledged means stored: Enqueue returns after the server has appended the write to its
//   stream. It survives a crash of the application. It survives a crash of the server as far as
//   the server's persistence does (appendfsync always: every acknowledged write; everysec: all
//   but the last second).
// - Nothing is lost by the flusher: an entry leaves the stream (XACK + XDEL) only after the apply
//   callback returned. A flusher killed mid-batch leaves its entries pending in the group; the
//   next flusher of that partition reads them again first (XREADGROUP ... 0), before new ones.
// - One flusher per partition at a time: a flusher drains only the partitions it holds, each
//   hold a DistributedLock ("<name>:{<p>}:flusher", TTL options.hold, extended every pass). Run
//   as many flusher processes as you like; a dead one's partitions pass to another when its hold
//   runs out.
// - Exactly once is the database's part: a batch may be handed over twice (the flusher died
//   after the database commit, before the XACK). Every record carries its stream id, which grows
//   within a partition, and the hold's fencing token; the apply callback stores the last id
//   applied and the fence per partition in the same database transaction as the writes, skips
//   records at or below that id (StreamIdLess), and refuses a batch whose fence is below the
//   stored one (a flusher that stalled past its hold while another took over). The view-counter
//   example does exactly this.
// - Staleness: the database lags the cache by the flush interval and the batch size. Readers
//   that need the newest value read the cache, not the database.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/client.h"
#include "strata/lock.h"

namespace strata {

struct WriteBehindOptions {
  std::string name = "wb";
  uint32_t partitions = 4;
  std::string group = "flushers";
  size_t batch = 256;                    // records per apply call, at most
  std::chrono::milliseconds block{100};  // how long a flusher waits for new records
  std::chrono::milliseconds hold{3000};  // a flusher's hold on a partition (lock TTL)
};

struct WriteRecord {
  std::string id;  // the stream id ("1700000000000-3"): grows within a partition
  uint32_t partition = 0;
  bool is_delete = false;
  std::string key;
  std::string value;
  int64_t fence = 0;  // the fencing token of the flusher's hold on the partition
};

// Stream ids in order: by milliseconds, then by sequence.
bool StreamIdLess(std::string_view a, std::string_view b);

class WriteBehindQueue {
 public:
  WriteBehindQueue(Client& client, WriteBehindOptions options = {});
  // Creates the streams and their groups (idempotent). Called by the constructor too.
  void Ensure();
  // Queues a write of key; returns its stream id once the server holds it.
  std::string Put(std::string_view key, std::string_view value);
  std::string Delete(std::string_view key);
  uint32_t PartitionOf(std::string_view key) const;
  std::string StreamOf(uint32_t partition) const;
  // Records queued and not yet flushed (the streams' lengths).
  int64_t Backlog();
  const WriteBehindOptions& options() const { return options_; }

 private:
  Client& client_;
  WriteBehindOptions options_;
};

class WriteBehindFlusher {
 public:
  // Applies one batch of one partition, in stream order. Throwing leaves the batch queued (it is
  // handed over again by the next pass); returning means it is in the database.
  using Apply = std::function<void(uint32_t partition, const std::vector<WriteRecord>& batch)>;

  // Drains `partitions` (all of them when empty). Run one flusher per partition at a time.
  WriteBehindFlusher(Client& client, WriteBehindOptions options, Apply apply,
                     std::vector<uint32_t> partitions = {});
  // One pass over the partitions: what is pending from an earlier flusher first, then new
  // records (waiting up to options.block for some). Returns the records applied.
  size_t RunOnce();
  // Passes until `stop` is set.
  void Run(const std::atomic<bool>& stop);

 private:
  size_t Drain(uint32_t partition, bool pending, int64_t fence);
  // Takes or extends the hold on partitions_[i]; returns its fencing token, or 0.
  int64_t Hold(size_t i);

  Client& client_;
  WriteBehindOptions options_;
  Apply apply_;
  std::vector<uint32_t> partitions_;
  std::vector<bool> pending_done_;  // per owned partition: its old pending entries are applied
  std::vector<int64_t> fences_;     // per owned partition: the hold's token, 0 when not held
 public:
  ~WriteBehindFlusher();
  // The partitions this flusher holds now.
  std::vector<uint32_t> Held() const;
};

}  // namespace strata
