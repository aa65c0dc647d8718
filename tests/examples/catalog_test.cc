// The product-catalogue example: cache-aside with a coherent L1 over PostgreSQL. Reads are
// served from the cache, writes reach every process's L1, missing ids stop costing queries, and
// a herd on one product costs one query.
#include "catalog/catalog.h"

#include <thread>

#include "example_fixture.h"

namespace strata::examples {
namespace {

using namespace std::chrono_literals;

class CatalogTest : public ExampleTest {
 protected:
  void SetUp() override {
    Start(/*needs_pg=*/true);
    if (IsSkipped()) return;
    Catalog::CreateSchema(*db_);
    pqxx::work tx(*db_);
    for (int id = 1; id <= 20; id++) {
      tx.exec_params0("INSERT INTO products VALUES ($1, $2, $3, $4)", id,
                      "product " + std::to_string(id), 1.5 * id, 100 - id);
    }
    tx.commit();
  }
  ClientOptions Server() {
    ClientOptions o;
    o.port = server_->port();
    return o;
  }
};

TEST_P(CatalogTest, ReadsComeFromTheCache) {
  Catalog c(Server(), *db_);
  c.LoadKeyFilter();
  auto p = c.Get(3);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "product 3");
  EXPECT_DOUBLE_EQ(p->price, 4.5);
  for (int i = 0; i < 200; i++) EXPECT_EQ(c.Get(3), p);
  EXPECT_EQ(c.db_queries(), 1);
  EXPECT_GT(c.cache_stats().l1_hits, 150u);
}

TEST_P(CatalogTest, PriceChangesReachEveryProcess) {
  // Two service instances: their own connections, caches and L1s, one database.
  pqxx::connection db2(pg_->conninfo());
  Catalog a(Server(), *db_);
  Catalog b(Server(), db2);
  a.LoadKeyFilter();
  EXPECT_DOUBLE_EQ(a.Get(5)->price, 7.5);
  for (int i = 0; i < 5; i++) EXPECT_DOUBLE_EQ(b.Get(5)->price, 7.5);
  a.UpdatePrice(5, 99.0);
  EXPECT_DOUBLE_EQ(a.Get(5)->price, 99.0);  // its own write, at once
  double seen = 0;
  for (int i = 0; i < 200 && seen != 99.0; i++) {
    seen = b.Get(5)->price;
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_DOUBLE_EQ(seen, 99.0);
  EXPECT_GE(b.l1_stats().invalidation_messages, 1u);
}

TEST_P(CatalogTest, MissingIdsStopCostingQueries) {
  Catalog c(Server(), *db_);
  c.LoadKeyFilter();
  for (int i = 0; i < 100; i++) EXPECT_FALSE(c.Get(100000 + i));
  EXPECT_EQ(c.db_queries(), 0);  // the key filter knows they do not exist
  c.Create({500, "new", 5.0, 0});
  auto p = c.Get(500);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "new");
}

TEST_P(CatalogTest, HerdOnOneProductIsOneQuery) {
  Catalog c(Server(), *db_);
  c.LoadKeyFilter();
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int i = 0; i < 32; i++) {
    ts.emplace_back([&] {
      if (c.Get(7) && c.Get(7)->id == 7) ok++;
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), 32);
  EXPECT_EQ(c.db_queries(), 1);
}

TEST_P(CatalogTest, WarmingLoadsTheBestSellers) {
  Catalog c(Server(), *db_);
  c.LoadKeyFilter();
  EXPECT_EQ(c.WarmBestSellers(5), 5u);
  int64_t q = c.db_queries();
  for (int id = 1; id <= 5; id++) EXPECT_TRUE(c.Get(id));  // ids 1..5 sell best
  EXPECT_EQ(c.db_queries(), q);
}

INSTANTIATE_TEST_SUITE_P(Servers, CatalogTest,
                         ::testing::Values(testing::ServerKind::kStrata,
                                           testing::ServerKind::kRedis),
                         ParamName);

}  // namespace
}  // namespace strata::examples
