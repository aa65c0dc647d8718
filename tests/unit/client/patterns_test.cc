// Lock, write-behind and versioned keys against strata-server and redis-server.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "strata/lock.h"
#include "strata/versioned_keys.h"
#include "strata/write_behind.h"
#include "support/server_process.h"

namespace strata {
namespace {

using namespace std::chrono_literals;
using testing::ServerKind;
using testing::ServerProcess;

class PatternsTest : public ::testing::TestWithParam<ServerKind> {
 protected:
  void SetUp() override {
    if (GetParam() == ServerKind::kRedis && testing::RedisServerPath().empty()) {
      GTEST_SKIP() << "redis-server not installed";
    }
    server_ = std::make_unique<ServerProcess>(GetParam());
    ClientOptions o;
    o.port = server_->port();
    client_ = std::make_unique<Client>(o);
  }
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Client> client_;
};

TEST_P(PatternsTest, LockIsExclusiveAndTokensGrow) {
  DistributedLock a(*client_, "job");
  auto t1 = a.TryAcquire(5000ms);
  ASSERT_TRUE(t1);
  EXPECT_FALSE(a.TryAcquire(5000ms));  // held
  EXPECT_FALSE(a.Release(*t1 + 1));    // a wrong token frees nothing
  EXPECT_TRUE(a.Held());
  EXPECT_TRUE(a.Extend(*t1, 5000ms));
  EXPECT_TRUE(a.Release(*t1));
  EXPECT_FALSE(a.Held());
  auto t2 = a.TryAcquire(50ms);
  ASSERT_TRUE(t2);
  EXPECT_GT(*t2, *t1);
  // The TTL frees a lock whose holder vanished; the old holder's release is then refused.
  std::this_thread::sleep_for(120ms);
  auto t3 = a.Acquire(5000ms, 1000ms);
  ASSERT_TRUE(t3);
  EXPECT_GT(*t3, *t2);
  EXPECT_FALSE(a.Release(*t2));
  EXPECT_TRUE(a.Held());
}

TEST_P(PatternsTest, LockMutualExclusionUnderContention) {
  DistributedLock lock(*client_, "counter");
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> done{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; t++) {
    ts.emplace_back([&] {
      for (int i = 0; i < 25; i++) {
        LockGuard g(lock, 2000ms, 5000ms);
        if (!g.ok()) continue;
        if (inside.fetch_add(1) != 0) overlaps++;
        std::this_thread::sleep_for(1ms);
        inside.fetch_sub(1);
        done++;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(done.load(), 100);
}

TEST_P(PatternsTest, VersionedKeysInvalidateAGroup) {
  KeyNamespace ns(*client_, "catalog", 0ms);
  std::string k1 = ns.Key("item:1");
  client_->Set(k1, "old");
  EXPECT_EQ(client_->Get(ns.Key("item:1")), "old");
  int64_t v = ns.Invalidate();
  EXPECT_EQ(v, 1);
  EXPECT_NE(ns.Key("item:1"), k1);
  EXPECT_EQ(client_->Get(ns.Key("item:1")), std::nullopt);
  // Another process's view with a refresh interval catches up within it.
  KeyNamespace other(*client_, "catalog", 50ms);
  EXPECT_EQ(other.Version(), 1);
  ns.Invalidate();
  std::this_thread::sleep_for(60ms);
  EXPECT_EQ(other.Version(), 2);
}

// A database that applies write-behind batches exactly once: it keeps the last stream id per
// partition, as a real one would in the same transaction, and fails when told to.
struct FakeDb {
  std::mutex mu;
  std::map<std::string, std::vector<std::string>> history;  // key -> values applied, in order
  std::map<uint32_t, std::string> last_id;
  int fail_every = 0;
  int calls = 0;
  int duplicates_skipped = 0;
  void Apply(uint32_t p, const std::vector<WriteRecord>& batch, bool crash_after_commit) {
    std::lock_guard<std::mutex> lock(mu);
    calls++;
    if (fail_every && calls % fail_every == 0) throw std::runtime_error("database down");
    for (const WriteRecord& r : batch) {
      auto it = last_id.find(p);
      if (it != last_id.end() && !StreamIdLess(it->second, r.id)) {
        duplicates_skipped++;
        continue;
      }
      history[r.key].push_back(r.is_delete ? "<del>" : r.value);
      last_id[p] = r.id;
    }
    if (crash_after_commit) throw std::runtime_error("flusher died after the commit");
  }
};

TEST_P(PatternsTest, WriteBehindAppliesEveryWriteOnceInKeyOrder) {
  WriteBehindOptions o;
  o.name = "wbtest";
  o.partitions = 4;
  o.batch = 16;
  o.block = 10ms;
  WriteBehindQueue q(*client_, o);
  FakeDb db;
  db.fail_every = 7;
  // Writers: 8 keys, values numbered per key.
  std::map<std::string, int> next;
  for (int i = 0; i < 400; i++) {
    std::string key = "k" + std::to_string(i % 8);
    q.Put(key, std::to_string(next[key]++));
  }
  q.Delete("k0");
  // Flushers that fail (database errors) and "crash" after a commit, then are replaced.
  int crashes = 0;
  for (int round = 0; round < 200 && q.Backlog() > 0; round++) {
    bool crash = round % 5 == 3;
    WriteBehindFlusher f(
        *client_, o, [&](uint32_t p, const std::vector<WriteRecord>& b) { db.Apply(p, b, crash); });
    try {
      f.RunOnce();
    } catch (const std::exception&) {
      crashes++;
    }
  }
  EXPECT_EQ(q.Backlog(), 0);
  EXPECT_GT(crashes, 0);
  EXPECT_GT(db.duplicates_skipped, 0);  // redelivered after a "crash", skipped by id
  for (int k = 0; k < 8; k++) {
    std::string key = "k" + std::to_string(k);
    auto& h = db.history[key];
    size_t want = 50 + (k == 0 ? 1 : 0);
    ASSERT_EQ(h.size(), want) << key;
    for (int i = 0; i < 50; i++) EXPECT_EQ(h[size_t(i)], std::to_string(i)) << key;
  }
  EXPECT_EQ(db.history["k0"].back(), "<del>");
}

INSTANTIATE_TEST_SUITE_P(Servers, PatternsTest,
                         ::testing::Values(ServerKind::kStrata, ServerKind::kRedis),
                         [](const auto& info) { return testing::KindName(info.param); });

}  // namespace
}  // namespace strata
