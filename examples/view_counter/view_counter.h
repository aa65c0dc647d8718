// ViewCounter: product page views counted in the cache at once and written behind to
// PostgreSQL in batches, through strata's write-behind queue.
//
// View(id) increments the live count (INCR views:<id>) and queues the view, numbered by that
// count, on the write-behind queue (a stream partition chosen by the product id). The call
// returns once the server holds both: the view is acknowledged.
//
// The flusher (Flush / RunFlusher) drains the partitions in stream order and applies each batch
// in one PostgreSQL transaction: it inserts the views into `product_views` and advances
// `view_flush_progress` (the last stream id applied, per partition). Records at or below that id
// were applied before (a flusher that died between its commit and its XACK hands them over
// again) and are skipped. The row also keeps the flusher's fencing token: a batch from a flusher
// that stalled past its hold on the partition, while another took over, is refused. So every
// acknowledged view reaches the table exactly once, and the
// views of one product in the order they were counted, whatever gets killed when.
//
// Staleness: page_views lags the live count by the flush interval; Live() reads the cache.
#pragma once

#include <atomic>
#include <cstdint>
#include <pqxx/pqxx>
#include <string>

#include "strata/write_behind.h"

namespace strata::examples {

class ViewCounter {
 public:
  static WriteBehindOptions QueueOptions();

  explicit ViewCounter(Client& cache);
  static void CreateSchema(pqxx::connection& db);

  // Counts one view; returns the product's live count (the view's number).
  int64_t View(int64_t product_id);
  // The live count from the cache.
  int64_t Live(int64_t product_id);
  // Views queued and not yet in the database.
  int64_t Backlog() { return queue_.Backlog(); }

  // Applies one batch of partition `p` to the database, exactly once (see above).
  static void Apply(pqxx::connection& db, uint32_t p, const std::vector<WriteRecord>& batch);
  // One flusher pass over every partition; returns the views applied.
  static size_t Flush(Client& cache, pqxx::connection& db);
  // Flushes until `stop` is set.
  static void RunFlusher(Client& cache, pqxx::connection& db, const std::atomic<bool>& stop);

 private:
  Client& cache_;
  WriteBehindQueue queue_;
};

}  // namespace strata::examples
