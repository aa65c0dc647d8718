// The write-behind view counter under chaos: application and flusher processes are SIGKILLed and
// restarted at random while views are counted. Afterwards every acknowledged view is in
// PostgreSQL exactly once, and each product's views are in the order they were counted.
#include "view_counter/view_counter.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "example_fixture.h"

namespace strata::examples {
namespace {

using namespace std::chrono_literals;

class ViewCounterTest : public ExampleTest {
 protected:
  void SetUp() override {
    Start(/*needs_pg=*/true);
    if (IsSkipped()) return;
    ViewCounter::CreateSchema(*db_);
  }
  pid_t Spawn(std::vector<std::string> args) {
    pid_t pid = fork();
    if (pid == 0) {
      std::vector<char*> argv;
      std::string bin = VIEW_COUNTER_WORKER;
      argv.push_back(bin.data());
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    return pid;
  }
  static void Kill(pid_t pid) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
};

TEST_P(ViewCounterTest, CountsViewsAndFlushesThemBehind) {
  ViewCounter views(*client_);
  for (int i = 0; i < 300; i++) views.View(1 + i % 3);
  EXPECT_EQ(views.Live(1), 100);
  size_t flushed = 0;
  for (int i = 0; i < 50 && views.Backlog() > 0; i++) flushed += ViewCounter::Flush(*client_, *db_);
  EXPECT_EQ(flushed, 300u);
  pqxx::read_transaction tx(*db_);
  EXPECT_EQ(tx.exec("SELECT count(*) FROM product_views WHERE product_id = 1")[0][0].as<int>(),
            100);
}

TEST_P(ViewCounterTest, KillNineLosesNothingAndAppliesOnceInOrder) {
  const std::string port = std::to_string(server_->port());
  const int kApps = 2;
  std::vector<std::string> logs;
  std::vector<pid_t> apps(kApps), flushers(2);
  for (int a = 0; a < kApps; a++) {
    logs.push_back(pg_->dir() + "/acks-" + std::to_string(a) + ".log");
  }
  // App a owns products a*10+1 .. a*10+5: each product's views are counted by one process, so
  // their numbers follow the order they were acknowledged in.
  auto start_app = [&](int a) {
    return Spawn({"app", port, logs[size_t(a)], std::to_string(a * 10 + 1), "5"});
  };
  auto start_flusher = [&] { return Spawn({"flusher", port, pg_->conninfo()}); };
  for (int a = 0; a < kApps; a++) apps[size_t(a)] = start_app(a);
  for (auto& f : flushers) f = start_flusher();
  std::mt19937 rng(12345);
  int kills = 0;
  auto until = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 150));
    if (rng() % 2 == 0) {
      int a = int(rng() % kApps);
      Kill(apps[size_t(a)]);
      apps[size_t(a)] = start_app(a);
    } else {
      size_t f = rng() % flushers.size();
      Kill(flushers[f]);
      flushers[f] = start_flusher();
    }
    kills++;
  }
  for (pid_t p : apps) Kill(p);
  // Let the flushers drain what is queued, then stop them too.
  ViewCounter counter(*client_);
  for (int i = 0; i < 200 && counter.Backlog() > 0; i++) std::this_thread::sleep_for(50ms);
  for (pid_t p : flushers) Kill(p);
  // The killed flushers' holds run out within a second; then this process drains the rest.
  for (int i = 0; i < 400 && counter.Backlog() > 0; i++) {
    if (ViewCounter::Flush(*client_, *db_) == 0) std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(counter.Backlog(), 0);

  std::map<int64_t, std::set<int64_t>> acked;
  size_t acked_total = 0;
  for (const std::string& log : logs) {
    std::ifstream in(log);
    int64_t id, n;
    while (in >> id >> n) {
      acked[id].insert(n);
      acked_total++;
    }
  }
  ASSERT_GT(acked_total, 100u);
  std::map<int64_t, std::vector<int64_t>> applied;  // product -> view numbers in stream order
  // Order the rows of each product by stream id (the order the queue acknowledged them).
  {
    pqxx::read_transaction tx(*db_);
    pqxx::result r = tx.exec(
        "SELECT product_id, view_no FROM product_views ORDER BY product_id, "
        "split_part(stream_id, '-', 1)::bigint, split_part(stream_id, '-', 2)::bigint");
    for (const auto& row : r) applied[row[0].as<int64_t>()].push_back(row[1].as<int64_t>());
  }
  size_t missing = 0;
  for (auto& [id, seq] : applied) {
    for (size_t i = 1; i < seq.size(); i++) {
      ASSERT_LT(seq[i - 1], seq[i]) << "product " << id << ": out of order or applied twice";
    }
    std::set<int64_t> have(seq.begin(), seq.end());
    for (int64_t n : acked[id]) missing += have.count(n) == 0;
  }
  for (auto& [id, ns] : acked) {
    if (!applied.count(id)) missing += ns.size();
  }
  EXPECT_EQ(missing, 0u);
  printf("chaos: %d kills, %zu acknowledged views, all applied once in order\n", kills,
         acked_total);
}

INSTANTIATE_TEST_SUITE_P(Servers, ViewCounterTest,
                         ::testing::Values(testing::ServerKind::kStrata,
                                           testing::ServerKind::kRedis),
                         ParamName);

}  // namespace
}  // namespace strata::examples
