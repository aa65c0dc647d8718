#include "view_counter/view_counter.h"

#include <chrono>
#include <stdexcept>

namespace strata::examples {

WriteBehindOptions ViewCounter::QueueOptions() {
  WriteBehindOptions o;
  o.name = "views-wb";
  o.partitions = 4;
  o.batch = 200;
  o.block = std::chrono::milliseconds(50);
  o.hold = std::chrono::milliseconds(1000);  // a killed flusher's partitions move on within 1 s
  return o;
}

ViewCounter::ViewCounter(Client& cache) : cache_(cache), queue_(cache, QueueOptions()) {}

void ViewCounter::CreateSchema(pqxx::connection& db) {
  pqxx::work tx(db);
  tx.exec0(
      "CREATE TABLE IF NOT EXISTS product_views ("
      "  product_id bigint NOT NULL,"
      "  view_no bigint NOT NULL,"
      "  stream_id text NOT NULL,"
      "  applied_at timestamptz NOT NULL DEFAULT clock_timestamp())");
  tx.exec0(
      "CREATE TABLE IF NOT EXISTS view_flush_progress ("
      "  partition int PRIMARY KEY,"
      "  last_id text NOT NULL,"
      "  fence bigint NOT NULL DEFAULT 0)");
  tx.commit();
}

int64_t ViewCounter::View(int64_t product_id) {
  const std::string id = std::to_string(product_id);
  int64_t n = cache_.Incr("views:" + id);
  queue_.Put(id, std::to_string(n));
  return n;
}

int64_t ViewCounter::Live(int64_t product_id) {
  auto v = cache_.Get("views:" + std::to_string(product_id));
  return v ? std::stoll(*v) : 0;
}

void ViewCounter::Apply(pqxx::connection& db, uint32_t p, const std::vector<WriteRecord>& batch) {
  pqxx::work tx(db);
  // The partition's progress row, locked: a second flusher of the partition waits here.
  tx.exec_params0(
      "INSERT INTO view_flush_progress (partition, last_id) VALUES ($1, '0-0') "
      "ON CONFLICT (partition) DO NOTHING",
      int(p));
  pqxx::result r = tx.exec_params(
      "SELECT last_id, fence FROM view_flush_progress WHERE partition = $1 FOR UPDATE", int(p));
  std::string last = r[0][0].c_str();
  const int64_t fence = batch.empty() ? 0 : batch.front().fence;
  if (fence < r[0][1].as<int64_t>()) {
    // A flusher that lost its hold on the partition while another took over: refuse.
    throw std::runtime_error("stale flusher: fence " + std::to_string(fence) + " < " +
                             r[0][1].c_str());
  }
  for (const WriteRecord& rec : batch) {
    if (!StreamIdLess(last, rec.id)) continue;  // applied by an earlier, interrupted flush
    tx.exec_params0(
        "INSERT INTO product_views (product_id, view_no, stream_id) VALUES ($1, $2, $3)",
        std::stoll(rec.key), std::stoll(rec.value), rec.id);
    last = rec.id;
  }
  tx.exec_params0("UPDATE view_flush_progress SET last_id = $2, fence = $3 WHERE partition = $1",
                  int(p), last, fence);
  tx.commit();
}

size_t ViewCounter::Flush(Client& cache, pqxx::connection& db) {
  WriteBehindFlusher f(cache, QueueOptions(),
                       [&](uint32_t p, const std::vector<WriteRecord>& b) { Apply(db, p, b); });
  return f.RunOnce();
}

void ViewCounter::RunFlusher(Client& cache, pqxx::connection& db, const std::atomic<bool>& stop) {
  WriteBehindFlusher f(cache, QueueOptions(),
                       [&](uint32_t p, const std::vector<WriteRecord>& b) { Apply(db, p, b); });
  f.Run(stop);
}

}  // namespace strata::examples
