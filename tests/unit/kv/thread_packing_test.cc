// Thread packing: the pure decision, and the whole server moving its shards between threads
// while clients keep working (counts, multi-key atomicity, statistics and memory accounting
// must come through every move intact).
#include "kv/server/thread_packing.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "kv/server/config.h"
#include "test_server.h"

namespace strata::kv {
namespace {

using namespace std::chrono_literals;

TEST(PackingDecider, PacksOnlyAfterEnoughQuietWindows) {
  PackingThresholds t;
  PackingDecider d(t);
  bool packed = false;
  for (int i = 0; i < t.pack_after - 1; i++) {
    packed = d.Next(ThreadPacking::kAuto, packed, t.pack_below / 2);
    EXPECT_FALSE(packed) << i;
  }
  EXPECT_TRUE(d.Next(ThreadPacking::kAuto, packed, t.pack_below / 2));
}

TEST(PackingDecider, ABusyWindowRestartsTheCount) {
  PackingThresholds t;
  PackingDecider d(t);
  for (int i = 0; i < t.pack_after - 1; i++) d.Next(ThreadPacking::kAuto, false, 0.0);
  EXPECT_FALSE(d.Next(ThreadPacking::kAuto, false, t.pack_below + 0.1));
  for (int i = 0; i < t.pack_after - 1; i++) EXPECT_FALSE(d.Next(ThreadPacking::kAuto, false, 0));
  EXPECT_TRUE(d.Next(ThreadPacking::kAuto, false, 0.0));
}

TEST(PackingDecider, SpreadsWhenThePackedThreadStaysBusy) {
  PackingThresholds t;
  PackingDecider d(t);
  bool packed = true;
  for (int i = 0; i < t.spread_after - 1; i++) {
    packed = d.Next(ThreadPacking::kAuto, packed, 0.99);
    EXPECT_TRUE(packed);
  }
  EXPECT_FALSE(d.Next(ThreadPacking::kAuto, packed, 0.99));
  // A load between the two thresholds keeps whichever state it is in.
  double middle = (t.pack_below + t.spread_above) / 2;
  for (int i = 0; i < 20; i++) {
    EXPECT_FALSE(d.Next(ThreadPacking::kAuto, false, middle));
    EXPECT_TRUE(d.Next(ThreadPacking::kAuto, true, middle));
  }
}

TEST(PackingDecider, StaysPackedWhenNoCoreIsIdle) {
  PackingThresholds t;
  PackingDecider d(t);
  for (int i = 0; i < 3 * t.spread_after; i++) {
    EXPECT_TRUE(d.Next(ThreadPacking::kAuto, true, 0.99, t.spare_cores / 2)) << i;
  }
  // An idle core in every window: now it spreads.
  bool packed = true;
  for (int i = 0; i < t.spread_after; i++) packed = d.Next(ThreadPacking::kAuto, packed, 0.99, 1.0);
  EXPECT_FALSE(packed);
}

// Packed and busy long enough to spread, at `rate`; returns false (spread) on the last window.
bool SpreadAt(PackingDecider& d, const PackingThresholds& t, double rate) {
  bool packed = true;
  for (int i = 0; i < t.spread_after; i++)
    packed = d.Next(ThreadPacking::kAuto, true, 0.99, 1.0, rate);
  return packed;
}

TEST(PackingDecider, ASpreadThatServesNoMorePacksAgainAndHoldsOff) {
  PackingThresholds t;
  PackingDecider d(t);
  ASSERT_FALSE(SpreadAt(d, t, 1000));
  // Spread, both threads busy (above pack_below), serving 900 events/s where one served 1000.
  int windows = 0;
  bool packed = false;
  while (!packed && windows < 100) {
    packed = d.Next(ThreadPacking::kAuto, false, 1.6, 0.0, windows == 0 ? 100 : 900);
    windows++;
  }
  EXPECT_TRUE(packed);
  EXPECT_TRUE(d.undid_spread());
  EXPECT_EQ(windows, t.trial_skip + t.trial_windows);
  // Held packed however busy, then free to try again.
  for (int i = 0; i < t.hold_windows; i++) {
    EXPECT_TRUE(d.Next(ThreadPacking::kAuto, true, 0.99, 1.0, 1000)) << i;
    EXPECT_FALSE(d.undid_spread());
  }
  ASSERT_FALSE(SpreadAt(d, t, 1000));
  // A second failure in a row holds twice as long.
  for (int i = 0; i < t.trial_skip + t.trial_windows - 1; i++) {
    EXPECT_FALSE(d.Next(ThreadPacking::kAuto, false, 1.6, 0.0, 1000));
  }
  EXPECT_TRUE(d.Next(ThreadPacking::kAuto, false, 1.6, 0.0, 1000));
  EXPECT_EQ(d.hold(), 2 * t.hold_windows);
}

TEST(PackingDecider, ASpreadThatServesMoreStaysAndResetsTheHold) {
  PackingThresholds t;
  PackingDecider d(t);
  ASSERT_FALSE(SpreadAt(d, t, 1000));
  for (int i = 0; i < t.trial_skip + t.trial_windows - 1; i++)
    d.Next(ThreadPacking::kAuto, false, 1.6, 0.0, 900);
  ASSERT_TRUE(d.Next(ThreadPacking::kAuto, false, 1.6, 0.0, 900));  // failed: hold 1x
  for (int i = 0; i < t.hold_windows; i++) d.Next(ThreadPacking::kAuto, true, 0.99, 1.0, 1000);
  ASSERT_FALSE(SpreadAt(d, t, 1000));
  // The move's own window does not count: a slow first window, then 1.5x the packed rate.
  EXPECT_FALSE(d.Next(ThreadPacking::kAuto, false, 1.6, 0.0, 10));
  for (int i = 0; i < 50; i++) {
    EXPECT_FALSE(d.Next(ThreadPacking::kAuto, false, 1.6, 0.0, 1500)) << i;
    EXPECT_FALSE(d.undid_spread());
  }
  // The load falls: packs by the load, not as a failed trial.
  bool packed = false;
  for (int i = 0; i < t.pack_after; i++)
    packed = d.Next(ThreadPacking::kAuto, false, 0.3, 1.5, 100);
  EXPECT_TRUE(packed);
  EXPECT_FALSE(d.undid_spread());
  EXPECT_EQ(d.hold(), 0);
  // A later failure starts the ladder again at one hold.
  ASSERT_FALSE(SpreadAt(d, t, 1000));
  for (int i = 0; i < t.trial_skip + t.trial_windows - 1; i++)
    d.Next(ThreadPacking::kAuto, false, 1.6, 0.0, 1000);
  ASSERT_TRUE(d.Next(ThreadPacking::kAuto, false, 1.6, 0.0, 1000));
  EXPECT_EQ(d.hold(), t.hold_windows);
}

TEST(PackingDecider, WithoutARateASpreadIsNoTrial) {
  PackingThresholds t;
  PackingDecider d(t);
  ASSERT_FALSE(SpreadAt(d, t, -1));
  for (int i = 0; i < 50; i++) EXPECT_FALSE(d.Next(ThreadPacking::kAuto, false, 1.6, 0.0, 10));
}

TEST(PackingDecider, NeverAndAlwaysOverrideTheLoad) {
  PackingDecider d;
  EXPECT_FALSE(d.Next(ThreadPacking::kNever, true, 0.0));
  EXPECT_TRUE(d.Next(ThreadPacking::kAlways, false, 5.0));
}

// --- The server, in process -------------------------------------------------------------------

class PackingServer : public ::testing::Test {
 protected:
  void TearDown() override { GlobalConfig().thread_packing.store(int(ThreadPacking::kAuto)); }

  static int64_t InfoInt(testing::RespClient* c, const std::string& field) {
    std::string r = c->Cmd({"INFO", "everything"});
    auto p = r.find(field + ":");
    if (p == std::string::npos) return -1;
    return atoll(r.c_str() + p + field.size() + 1);
  }
  static bool WaitRunning(testing::RespClient* c, int64_t want) {
    for (int i = 0; i < 500; i++) {
      if (InfoInt(c, "shard_threads_running") == want) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
};

TEST_F(PackingServer, ModesMoveTheShardsAndInfoShowsIt) {
  testing::TestServer srv(4, /*packing=*/true);
  auto* c = srv.Connect(1);
  EXPECT_EQ(c->Cmd({"CONFIG", "SET", "thread-packing", "always"}), "+OK\r\n");
  EXPECT_TRUE(WaitRunning(c, 1));
  EXPECT_EQ(c->Cmd({"CONFIG", "GET", "thread-packing"}),
            "*2\r\n$14\r\nthread-packing\r\n$6\r\nalways\r\n");
  EXPECT_EQ(c->Cmd({"CONFIG", "SET", "thread-packing", "never"}), "+OK\r\n");
  EXPECT_TRUE(WaitRunning(c, 4));
  EXPECT_GE(InfoInt(c, "thread_packs"), 1);
  EXPECT_GE(InfoInt(c, "thread_spreads"), 1);
  std::string bad = c->Cmd({"CONFIG", "SET", "thread-packing", "sometimes"});
  EXPECT_EQ(bad.rfind("-ERR", 0), 0u) << bad;
  // Idle under auto: packed again within a few windows.
  EXPECT_EQ(c->Cmd({"CONFIG", "SET", "thread-packing", "auto"}), "+OK\r\n");
  EXPECT_TRUE(WaitRunning(c, 1));
}

// Clients on every shard keep counting and writing multi-key groups while the shards are moved
// back and forth: no increment is lost or doubled, no MGET sees half an MSET, and the command
// statistics count every command once.
TEST_F(PackingServer, WorkSurvivesMovesBetweenThreads) {
  testing::TestServer srv(4, /*packing=*/true);
  auto* admin = srv.Connect(0);
  admin->Cmd({"CONFIG", "RESETSTAT"});
  constexpr int kClients = 4, kRounds = 1500;
  std::vector<testing::RespClient*> clients;
  for (int i = 0; i < kClients; i++) clients.push_back(srv.Connect(i));
  std::atomic<bool> done{false};
  std::atomic<int> torn{0}, moves{0};
  std::thread mover([&] {
    auto* m = srv.Connect(2);
    for (int i = 0; !done.load(); i++) {
      m->Cmd({"CONFIG", "SET", "thread-packing", i % 2 == 0 ? "always" : "never"});
      moves++;
      std::this_thread::sleep_for(std::chrono::microseconds(500 + (i % 7) * 300));
    }
  });
  std::vector<std::thread> workers;
  for (int w = 0; w < kClients; w++) {
    workers.emplace_back([&, w] {
      auto* c = clients[size_t(w)];
      std::string me = std::to_string(w);
      for (int i = 0; i < kRounds; i++) {
        c->Cmd({"INCR", "counter:" + std::to_string(i % 16)});
        std::string v = me + ":" + std::to_string(i);
        c->Cmd({"MSET", "g" + me + ":a", v, "g" + me + ":b", v, "g" + me + ":c", v});
        std::string r = c->Cmd({"MGET", "g" + me + ":a", "g" + me + ":b", "g" + me + ":c"});
        std::string bulk = "$" + std::to_string(v.size()) + "\r\n" + v + "\r\n";
        if (r != "*3\r\n" + bulk + bulk + bulk) torn++;
      }
    });
  }
  for (auto& t : workers) t.join();
  done = true;
  mover.join();
  EXPECT_GT(moves.load(), 20);
  EXPECT_EQ(torn.load(), 0);
  int64_t sum = 0;
  for (int k = 0; k < 16; k++) {
    std::string r = admin->Cmd({"GET", "counter:" + std::to_string(k)});
    auto nl = r.find("\r\n");
    sum += atoll(r.c_str() + nl + 2);
  }
  EXPECT_EQ(sum, int64_t(kClients) * kRounds);
  std::string stats = admin->Cmd({"INFO", "commandstats"});
  std::string want = "cmdstat_incr:calls=" + std::to_string(kClients * kRounds) + ",";
  EXPECT_NE(stats.find(want), std::string::npos) << stats;
}

// used_memory counts a shard's allocations whichever thread made them: keys written while
// packed cost what the same keys cost when spread, and freeing them returns it all.
TEST_F(PackingServer, MemoryAccountingFollowsTheShards) {
  testing::TestServer srv(4, /*packing=*/true);
  auto* c = srv.Connect(0);
  auto load = [&](const std::string& prefix) {
    std::string batch;
    for (int i = 0; i < 20000; i++) {
      batch +=
          testing::RespClient::Encode({"SET", prefix + std::to_string(i), std::string(64, 'x')});
    }
    c->SendRaw(batch);
    for (int i = 0; i < 20000; i++) c->ReadReply();
  };
  EXPECT_EQ(c->Cmd({"CONFIG", "SET", "thread-packing", "never"}), "+OK\r\n");
  ASSERT_TRUE(WaitRunning(c, 4));
  int64_t base = InfoInt(c, "used_memory");
  load("spread:");
  int64_t spread_cost = InfoInt(c, "used_memory") - base;
  EXPECT_EQ(c->Cmd({"CONFIG", "SET", "thread-packing", "always"}), "+OK\r\n");
  ASSERT_TRUE(WaitRunning(c, 1));
  int64_t before = InfoInt(c, "used_memory");
  load("packed:");
  int64_t packed_cost = InfoInt(c, "used_memory") - before;
  if (spread_cost > 0) {  // jemalloc builds; sanitizer builds count process-wide
    EXPECT_GT(packed_cost, spread_cost * 8 / 10);
    EXPECT_LT(packed_cost, spread_cost * 12 / 10);
  }
  EXPECT_EQ(c->Cmd({"CONFIG", "SET", "thread-packing", "never"}), "+OK\r\n");
  ASSERT_TRUE(WaitRunning(c, 4));
  EXPECT_EQ(c->Cmd({"FLUSHALL", "SYNC"}), "+OK\r\n");
  int64_t after = InfoInt(c, "used_memory");
  EXPECT_LT(after, base + spread_cost / 10);
}

}  // namespace
}  // namespace strata::kv
