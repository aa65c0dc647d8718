// Catalog: a product-catalogue read path, cache-aside over PostgreSQL with an L1 kept coherent
// by the server. This is the pattern most services need first.
//
// Reads: Get(id) goes L1 -> server -> database through strata::Cache<Product>:
//   - an L1 hit costs ~60 ns and never returns a value the server has invalidated;
//   - a miss anywhere loads the row once, however many threads and processes ask at once;
//   - an id that does not exist costs the database one query per null_ttl (negative caching),
//     and none at all once the key filter (a Bloom filter of existing ids: strata-server's BF.*,
//     a client-side one elsewhere) says it cannot exist.
// Writes: UpdatePrice commits to PostgreSQL first, then invalidates the cached product (every
// process's L1 drops it through CLIENT TRACKING); Create inserts and records the id in the key
// filter before anyone can ask for it.
// Warming: WarmBestSellers loads the best-selling products before traffic arrives.
//
// Staleness: a reader may see the old price until the invalidation reaches it: at once in this
// process, about one network hop later elsewhere. With the server unreachable, reads throw
// strata::ConnectionError rather than hit the database unprotected.
//
// Threads: any number; the database connection is shared under a mutex (a real service would use
// a pool).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "strata/cache.h"

namespace strata::examples {

struct Product {
  int64_t id = 0;
  std::string name;
  double price = 0;
  int64_t sales = 0;
  bool operator==(const Product&) const = default;
};
void to_json(nlohmann::json& j, const Product& p);
void from_json(const nlohmann::json& j, Product& p);

class Catalog {
 public:
  // `server` names the cache server: the catalogue opens its own client and L1 on it.
  Catalog(const ClientOptions& server, pqxx::connection& db);

  static void CreateSchema(pqxx::connection& db);

  std::optional<Product> Get(int64_t id);
  void Create(const Product& p);
  void UpdatePrice(int64_t id, double price);
  // Loads the n best-selling products into the cache (and this process's L1).
  size_t WarmBestSellers(size_t n);
  // Records every existing id in the key filter (call once at start-up).
  size_t LoadKeyFilter();

  // Database queries run by this catalogue (to show what the cache saves).
  int64_t db_queries() const { return db_queries_.load(); }
  CacheStats cache_stats() const { return products_->stats(); }
  TrackedNearCacheStats l1_stats() const { return l1_->stats(); }
  TrackedNearCache& l1() { return *l1_; }

 private:
  std::optional<Product> Load(int64_t id);

  Client client_;
  std::unique_ptr<TrackedNearCache> l1_;
  BloomFilter fallback_filter_;
  std::unique_ptr<Cache<Product>> products_;
  std::mutex db_mu_;
  pqxx::connection& db_;
  std::atomic<int64_t> db_queries_{0};
};

}  // namespace strata::examples
