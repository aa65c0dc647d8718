// Near-cache coherence across processes: four child processes read through their own L1
// (TrackedNearCache + BytesCache) while the parent rewrites the keys through other connections.
// Once the writes stop and the invalidations have had time to arrive, no child's L1 may hold a
// value that differs from the server's.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "strata/cache.h"
#include "support/server_process.h"

namespace strata {
namespace {

using namespace std::chrono_literals;
using testing::ServerKind;
using testing::ServerProcess;

constexpr int kKeys = 200;
constexpr int kReaders = 4;

// Child: reads random keys through its L1 until the parent's "done" flag appears, then checks
// every key of its L1 against the server. Exit code: 0 coherent, 1 stale entries, 2 error.
int ReaderProcess(uint16_t port, int seed) {
  try {
    ClientOptions o;
    o.port = port;
    TrackingOptions t;
    t.prefixes = {"co:"};
    TrackedNearCache l1(o, {.capacity_bytes = 4 << 20}, t);
    if (!l1.WaitReady(5s)) return 2;
    Client client(o);
    BytesCache cache(client, {.prefix = "co:", .early_refresh_beta = 0});
    cache.AttachNearCache(&l1);
    BytesCache::Loader loader = [&](const std::string& k) -> std::optional<std::string> {
      auto v = client.Get("db:" + k);  // the "database": plain keys the writer updates first
      return v;
    };
    std::minstd_rand rng{static_cast<uint32_t>(seed)};
    while (!client.Get("test:done")) {
      for (int i = 0; i < 50; i++) cache.GetOrLoad("k" + std::to_string(rng() % kKeys), loader);
    }
    std::this_thread::sleep_for(300ms);  // let the last invalidations arrive
    int stale = 0;
    for (int k = 0; k < kKeys; k++) {
      std::string skey = "co:k" + std::to_string(k);
      auto mine = l1.l1().Get(skey);
      if (!mine) continue;
      auto server = client.Get(skey);
      if (!server || *server != *mine) stale++;
    }
    fprintf(stderr, "reader %d: l1 hits %llu, invalidations %llu, stale %d\n", seed,
            (unsigned long long)cache.stats().l1_hits,
            (unsigned long long)l1.stats().invalidation_messages, stale);
    if (cache.stats().l1_hits == 0) return 2;
    return stale == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    fprintf(stderr, "reader %d: %s\n", seed, e.what());
    return 2;
  }
}

class CoherenceTest : public ::testing::TestWithParam<ServerKind> {};

TEST_P(CoherenceTest, NoL1HoldsAStaleValueAfterTheWritesStop) {
  if (GetParam() == ServerKind::kRedis && testing::RedisServerPath().empty()) {
    GTEST_SKIP() << "redis-server not installed";
  }
  ServerProcess server(GetParam());
  std::vector<pid_t> kids;
  for (int r = 0; r < kReaders; r++) {
    pid_t pid = fork();
    if (pid == 0) _exit(ReaderProcess(server.port(), r + 1));
    kids.push_back(pid);
  }
  {
    ClientOptions o;
    o.port = server.port();
    Client writer(o);
    BytesCache cache(writer, {.prefix = "co:"});
    std::minstd_rand rng(7);
    auto until = std::chrono::steady_clock::now() + 1500ms;
    int n = 0;
    while (std::chrono::steady_clock::now() < until) {
      std::string k = "k" + std::to_string(rng() % kKeys);
      std::string v = "v" + std::to_string(n++);
      // Write-through with invalidation: the database first, then the cache entry goes.
      cache.Write(k, [&] { writer.Set("db:" + k, v); });
      if (n % 50 == 0) std::this_thread::sleep_for(1ms);
    }
    writer.Set("test:done", "1");
  }
  for (pid_t pid : kids) {
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "reader pid " << pid;
  }
}

INSTANTIATE_TEST_SUITE_P(Servers, CoherenceTest,
                         ::testing::Values(ServerKind::kStrata, ServerKind::kRedis),
                         [](const auto& info) { return testing::KindName(info.param); });

}  // namespace
}  // namespace strata
