// Cache-aside, read-through, write (invalidate-on-write), stampede protection, negative
// caching, key filters, hot keys, warming and the near cache, against strata-server and
// redis-server, with a fake database that counts its loads and fails on demand.
#include "strata/cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "fake_db.h"
#include "support/server_process.h"

namespace strata {
namespace {

using namespace std::chrono_literals;
using testing::FakeDb;
using testing::ServerKind;
using testing::ServerProcess;

struct Product {
  int id = 0;
  std::string name;
  double price = 0;
};
void to_json(nlohmann::json& j, const Product& p) {
  j = nlohmann::json{{"id", p.id}, {"name", p.name}, {"price", p.price}};
}
void from_json(const nlohmann::json& j, Product& p) {
  j.at("id").get_to(p.id);
  j.at("name").get_to(p.name);
  j.at("price").get_to(p.price);
}

class CacheTest : public ::testing::TestWithParam<ServerKind> {
 protected:
  void SetUp() override {
    if (GetParam() == ServerKind::kRedis && testing::RedisServerPath().empty()) {
      GTEST_SKIP() << "redis-server not installed";
    }
    server_ = std::make_unique<ServerProcess>(GetParam());
    client_ = std::make_unique<Client>(Options());
  }
  ClientOptions Options() {
    ClientOptions o;
    o.port = server_->port();
    return o;
  }
  BytesCache::Loader LoaderOf(FakeDb& db) {
    return [&db](const std::string& k) { return db.Load(k); };
  }
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Client> client_;
};

TEST_P(CacheTest, CacheAsideLoadsOnceAndCachesAbsence) {
  FakeDb db;
  db.Write("1", "one");
  BytesCache c(*client_, {.prefix = "t:"});
  EXPECT_EQ(c.GetOrLoad("1", LoaderOf(db)), "one");
  EXPECT_EQ(c.GetOrLoad("1", LoaderOf(db)), "one");
  EXPECT_EQ(db.LoadsOf("1"), 1);
  // Absent keys are remembered for null_ttl (penetration protection).
  for (int i = 0; i < 5; i++) EXPECT_EQ(c.GetOrLoad("404", LoaderOf(db)), std::nullopt);
  EXPECT_EQ(db.LoadsOf("404"), 1);
  EXPECT_EQ(c.stats().null_hits, 4u);
  EXPECT_EQ(c.stats().hits, 1u);
}

TEST_P(CacheTest, ReadThroughTypedJson) {
  FakeDb db;
  db.Write("7", R"({"id":7,"name":"lamp","price":19.5})");
  Cache<Product> products(*client_, {.prefix = "product:"}, [&](const std::string& id) {
    auto row = db.Load(id);
    if (!row) return std::optional<Product>();
    return std::optional<Product>(nlohmann::json::parse(*row).get<Product>());
  });
  auto p = products.Get("7");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "lamp");
  EXPECT_EQ(products.Get("7")->price, 19.5);
  EXPECT_EQ(db.loads.load(), 1);
  EXPECT_FALSE(products.Get("8"));
}

TEST_P(CacheTest, WriteInvalidatesAfterTheDatabase) {
  FakeDb db;
  db.Write("k", "v1");
  BytesCache c(*client_, {.prefix = "w:"});
  EXPECT_EQ(c.GetOrLoad("k", LoaderOf(db)), "v1");
  c.Write("k", [&] { db.Write("k", "v2"); });
  EXPECT_EQ(client_->Get("w:k"), std::nullopt);
  EXPECT_EQ(c.GetOrLoad("k", LoaderOf(db)), "v2");
}

TEST_P(CacheTest, HerdInOneProcessLoadsOnce) {
  FakeDb db;
  db.Write("hot", "x");
  db.delay = 50ms;
  BytesCache c(*client_, {.prefix = "h:"});
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int i = 0; i < 64; i++) {
    ts.emplace_back([&] {
      if (c.GetOrLoad("hot", LoaderOf(db)) == "x") ok++;
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), 64);
  EXPECT_EQ(db.LoadsOf("hot"), 1);
}

TEST_P(CacheTest, HerdAcrossProcessesLoadsOnce) {
  // Four "processes": each its own connection pool and cache object.
  FakeDb db;
  db.Write("hot", "x");
  db.delay = 100ms;
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::unique_ptr<BytesCache>> caches;
  for (int p = 0; p < 4; p++) {
    clients.push_back(std::make_unique<Client>(Options()));
    caches.push_back(std::make_unique<BytesCache>(*clients.back(), CacheOptions{.prefix = "x:"}));
  }
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int i = 0; i < 64; i++) {
    ts.emplace_back([&, i] {
      if (caches[size_t(i % 4)]->GetOrLoad("hot", LoaderOf(db)) == "x") ok++;
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), 64);
  EXPECT_EQ(db.LoadsOf("hot"), 1);
  uint64_t waits = 0;
  for (auto& c : caches) waits += c->stats().waits;
  EXPECT_GE(waits, 1u);
}

TEST_P(CacheTest, StaleWhileRevalidateAndStaleIfError) {
  FakeDb db;
  db.Write("k", "v1");
  BytesCache c(*client_,
               {.prefix = "s:", .ttl = 100ms, .stale_for = 10000ms, .early_refresh_beta = 0});
  EXPECT_EQ(c.GetOrLoad("k", LoaderOf(db)), "v1");
  db.Write("k", "v2");
  std::this_thread::sleep_for(150ms);
  // Stale: served at once, refreshed behind.
  EXPECT_EQ(c.GetOrLoad("k", LoaderOf(db)), "v1");
  EXPECT_GE(c.stats().stale_served, 1u);
  std::optional<std::string> v;
  for (int i = 0; i < 100; i++) {
    v = c.GetOrLoad("k", LoaderOf(db));
    if (v == "v2") break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(v, "v2");
  // The database goes down: the stale value keeps being served.
  db.down = true;
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(c.GetOrLoad("k", LoaderOf(db)), "v2");
  // Without a cached value, a failing database is the caller's error.
  EXPECT_THROW(c.GetOrLoad("other", LoaderOf(db)), std::runtime_error);
  EXPECT_GE(c.stats().load_errors, 1u);
}

TEST_P(CacheTest, XFetchRefreshesBeforeExpiry) {
  FakeDb db;
  db.Write("k", "v");
  db.delay = 30ms;  // the recompute time XFetch weighs
  BytesCache c(*client_, {.prefix = "e:", .ttl = 400ms, .early_refresh_beta = 4.0});
  c.GetOrLoad("k", LoaderOf(db));
  db.delay = 0ms;
  for (int i = 0; i < 35 && c.stats().early_refreshes == 0; i++) {
    c.GetOrLoad("k", LoaderOf(db));
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_GE(c.stats().early_refreshes, 1u);
  EXPECT_EQ(c.stats().misses, 1u);  // never expired for a reader
}

TEST_P(CacheTest, KeyFilterStopsPenetration) {
  FakeDb db;
  db.Write("real", "r");
  BloomFilter filter(1000, 0.001);
  BytesCache c(*client_, {.prefix = "f:"});
  c.AttachKeyFilter(&filter);
  c.AddKey("real");
  EXPECT_EQ(c.GetOrLoad("real", LoaderOf(db)), "r");
  for (int i = 0; i < 100; i++) c.GetOrLoad("attack-" + std::to_string(i), LoaderOf(db));
  EXPECT_EQ(db.loads.load(), 1);
  EXPECT_GE(c.stats().filter_rejects, 99u);
}

TEST_P(CacheTest, HotKeysAreFoundAndReplicated) {
  FakeDb db;
  for (int i = 0; i < 50; i++) db.Write("k" + std::to_string(i), "v");
  BytesCache c(*client_, {.prefix = "hk:", .hot_replicas = 2, .hot_threshold = 5});
  for (int i = 0; i < 50; i++) c.GetOrLoad("k" + std::to_string(i), LoaderOf(db));
  for (int i = 0; i < 40; i++) c.GetOrLoad("k7", LoaderOf(db));
  auto hot = c.HotKeys(3);
  ASSERT_FALSE(hot.empty());
  EXPECT_EQ(hot[0].first, "k7");
  // The server's view (strata-server's HOTKEYS; this process's view on redis-server).
  auto server_hot = c.ServerHotKeys(3);
  ASSERT_FALSE(server_hot.empty());
  EXPECT_EQ(server_hot[0].first, "k7");
  c.Invalidate("k7");
  c.GetOrLoad("k7", LoaderOf(db));  // reloaded while hot: stored with replicas
  EXPECT_EQ(client_->Command({"EXISTS", "hk:k7#1", "hk:k7#2"}).integer(), 2);
  EXPECT_EQ(c.RefreshHottest(1, LoaderOf(db)), 1u);
}

TEST_P(CacheTest, OnlyHotKeysArePromotedToL1AndKeptFresh) {
  FakeDb db;
  for (int i = 0; i < 20; i++) db.Write("k" + std::to_string(i), "v");
  TrackingOptions t;
  t.prefixes = {"ho:"};
  TrackedNearCache l1(Options(), {.capacity_bytes = 1 << 20}, t);
  ASSERT_TRUE(l1.WaitReady(5s));
  BytesCache c(*client_, {.prefix = "ho:", .hot_threshold = 6, .l1_hot_only = true});
  c.AttachNearCache(&l1);
  for (int i = 0; i < 20; i++) c.GetOrLoad("k" + std::to_string(i), LoaderOf(db));
  for (int i = 0; i < 30; i++) c.GetOrLoad("k3", LoaderOf(db));
  EXPECT_TRUE(l1.l1().Get("ho:k3").has_value());   // hot: promoted
  EXPECT_FALSE(l1.l1().Get("ho:k5").has_value());  // read once: not
  // Scheduled refresh-ahead reloads the hot set.
  const int before = db.LoadsOf("k3");
  c.ScheduleHotRefresh(1, 30ms, LoaderOf(db));
  for (int i = 0; i < 100 && db.LoadsOf("k3") == before; i++) std::this_thread::sleep_for(10ms);
  EXPECT_GT(db.LoadsOf("k3"), before);
  c.ScheduleHotRefresh(0, 0ms, nullptr);
}

TEST_P(CacheTest, WarmLoadsWithBoundedConcurrency) {
  FakeDb db;
  std::vector<std::string> keys;
  for (int i = 0; i < 100; i++) {
    keys.push_back("w" + std::to_string(i));
    db.Write(keys.back(), "v");
  }
  BytesCache c(*client_, {.prefix = "warm:"});
  EXPECT_EQ(c.Warm(keys, 8, LoaderOf(db)), 100u);
  EXPECT_EQ(c.Warm(keys, 8, LoaderOf(db)), 0u);
  EXPECT_EQ(c.stats().hits, 100u);
}

TEST_P(CacheTest, FlakyDatabaseNeverCachesAFailure) {
  FakeDb db;
  db.Write("k", "v");
  db.fail_half = true;
  BytesCache c(*client_, {.prefix = "fl:"});
  int errors = 0;
  std::optional<std::string> got;
  for (int i = 0; i < 4 && !got; i++) {
    try {
      got = c.GetOrLoad("k", LoaderOf(db));
    } catch (const std::runtime_error&) {
      errors++;
      EXPECT_EQ(client_->Get("fl:k").value_or(""), "");  // nothing (or a lease placeholder)
    }
  }
  EXPECT_EQ(got, "v");
}

TEST_P(CacheTest, ServerRestartIsAnErrorThenRecovers) {
  FakeDb db;
  db.Write("k", "v");
  ClientOptions o = Options();
  o.command_timeout = 300ms;
  o.reconnect_max = 50ms;
  Client client(o);
  BytesCache c(client, {.prefix = "r:"});
  EXPECT_EQ(c.GetOrLoad("k", LoaderOf(db)), "v");
  server_->Kill();
  EXPECT_THROW(c.GetOrLoad("k", LoaderOf(db)), ConnectionError);
  server_->Start();
  std::optional<std::string> v;
  for (int i = 0; i < 100 && !v; i++) {
    try {
      v = c.GetOrLoad("k", LoaderOf(db));
    } catch (const ConnectionError&) {
      std::this_thread::sleep_for(20ms);
    }
  }
  EXPECT_EQ(v, "v");
}

TEST_P(CacheTest, NearCacheStaysCoherent) {
  FakeDb db;
  db.Write("k", "v1");
  TrackingOptions t;
  t.prefixes = {"nc:"};
  TrackedNearCache l1(Options(), {.capacity_bytes = 1 << 20}, t);
  ASSERT_TRUE(l1.WaitReady(5s));
  EXPECT_EQ(l1.mode(), "broadcast");
  BytesCache c(*client_, {.prefix = "nc:"});
  c.AttachNearCache(&l1);
  // The miss stores the value; the store's own invalidation may void the next fill, so a few
  // reads later the L1 serves it.
  for (int i = 0; i < 20 && c.stats().l1_hits == 0; i++) {
    EXPECT_EQ(c.GetOrLoad("k", LoaderOf(db)), "v1");
    std::this_thread::sleep_for(2ms);
  }
  EXPECT_GE(c.stats().l1_hits, 1u);
  EXPECT_EQ(db.loads.load(), 1);
  // Another process writes through its own cache object: this L1 drops the key.
  Client other(Options());
  BytesCache c2(other, {.prefix = "nc:"});
  c2.Write("k", [&] { db.Write("k", "v2"); });
  std::optional<std::string> v;
  for (int i = 0; i < 100; i++) {
    v = c.GetOrLoad("k", LoaderOf(db));
    if (v == "v2") break;
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(v, "v2");
  EXPECT_GE(l1.stats().invalidation_messages, 1u);
  // The tracking connection drops: the L1 stops serving until it is back.
  server_->Kill();
  for (int i = 0; i < 200 && l1.mode() != "down"; i++) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(l1.mode(), "down");
  EXPECT_EQ(l1.l1().Get("nc:k"), std::nullopt);
  server_->Start();
  EXPECT_TRUE(l1.WaitReady(5s));
  EXPECT_EQ(l1.mode(), "broadcast");
}

TEST_P(CacheTest, NearCacheWithoutTrackingRunsOnTtls) {
  // Overlapping BCAST prefixes are refused by the server: tracking is off, the L1 says so and
  // caps its entries' lifetime.
  TrackingOptions t;
  t.prefixes = {"a", "ab"};
  t.ttl_only_max = 50ms;
  TrackedNearCache l1(Options(), {}, t);
  ASSERT_TRUE(l1.WaitReady(5s));
  EXPECT_EQ(l1.mode(), "ttl-only");
  EXPECT_EQ(l1.EntryTtl(10000ms), 50ms);
}

INSTANTIATE_TEST_SUITE_P(Servers, CacheTest,
                         ::testing::Values(ServerKind::kStrata, ServerKind::kRedis),
                         [](const auto& info) { return testing::KindName(info.param); });

}  // namespace
}  // namespace strata
