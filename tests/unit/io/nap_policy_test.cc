// io::NapPolicy: a busy loop naps only where the nap batches events and is a small share of a
// connection's round trip; the reactor naps under load and still goes to sleep when idle.
#include "io/nap_policy.h"

#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "io/reactor.h"

namespace strata::io {
namespace {

using namespace std::chrono_literals;

// 10 ms windows: `clients` connections, `rps` events per second in all.
int64_t NapFor(uint64_t clients, uint64_t rps, int64_t max_nap = 50) {
  uint64_t events = rps / 100;
  return NapPolicy::Decide(10000, events, clients, max_nap);
}

TEST(NapPolicy, ManyClientsUnderLoadNapATenthOfTheirRoundTrip) {
  // 50 clients at 120k/s: a 417 us round trip, so a 41 us nap catching ~5 requests.
  EXPECT_EQ(NapFor(50, 120000), 41);
  // 200 clients: the round trip is long, the nap stops at the ceiling.
  EXPECT_EQ(NapFor(200, 120000), 50);
  EXPECT_EQ(NapFor(200, 120000, 20), 20);
}

TEST(NapPolicy, FewClientsOrLittleLoadDoNotNap) {
  EXPECT_EQ(NapFor(1, 15000), 0);    // one client: a nap would lengthen every round trip
  EXPECT_EQ(NapFor(4, 65000), 0);    // 61 us round trip: a 6 us nap is not worth a timer
  EXPECT_EQ(NapFor(16, 110000), 0);  // a 14 us nap would catch 1.5 requests
  EXPECT_EQ(NapFor(32, 110000), 29);
  EXPECT_EQ(NapFor(1000, 20000), 0);    // a trickle: a 50 us nap would catch one request
  EXPECT_EQ(NapFor(50, 120000, 0), 0);  // napping off
  EXPECT_EQ(NapPolicy::Decide(10000, 0, 0, 50), 0);
}

TEST(NapPolicy, DecidesOncePerWindowAndCountsHandlersOncePerWindow) {
  NapPolicy p;
  EXPECT_EQ(p.Update(1000000, 50), 0);  // the first window opens
  uint32_t w = p.window();
  for (int i = 0; i < 1200; i++) p.OnEvent(i < 50);  // 50 handlers, 1,200 events
  EXPECT_EQ(p.Update(1005000, 50), 0);               // the window is not over yet
  EXPECT_EQ(p.Update(1010000, 50), 41);
  EXPECT_NE(p.window(), w);
  EXPECT_EQ(p.Update(1015000, 50), 41);  // holds for the next window
  EXPECT_EQ(p.Update(1015000, 0), 0);    // switched off at once
  EXPECT_EQ(p.Update(1020000, 50), 0);   // an empty window: back to sleeping
}

// A loop serving socket pairs that a client thread keeps busy from many "connections" polls
// and naps instead of blocking, and once the client stops it sleeps in epoll_wait.
TEST(ReactorNap, ABusyLoopNapsAndAnIdleOneSleeps) {
  constexpr int kConns = 128;
  struct Echo : EventHandler {
    int fd = -1;
    void OnEvent(uint32_t) override {
      char buf[64];
      while (read(fd, buf, sizeof(buf)) > 0) {
        ssize_t n = write(fd, "+", 1);
        (void)n;
      }
    }
  };
  Reactor::SetMaxNapMicros(50);  // off unless the program turns it on
  Reactor r;
  int client_fds[kConns];
  Echo echo[kConns];
  for (int i = 0; i < kConns; i++) {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    echo[i].fd = sv[0];
    client_fds[i] = sv[1];
    ASSERT_TRUE(r.Add(sv[0], &echo[i], EPOLLIN));
  }
  std::thread loop([&] { r.Run(); });
  // The client: every connection keeps one request in flight for ~300 ms.
  auto until = std::chrono::steady_clock::now() + 300ms;
  int failed_writes = 0;
  for (int i = 0; i < kConns; i++) failed_writes += write(client_fds[i], "x", 1) != 1;
  while (std::chrono::steady_clock::now() < until) {
    for (int i = 0; i < kConns; i++) {
      char c;
      if (read(client_fds[i], &c, 1) == 1) {
        failed_writes += write(client_fds[i], "x", 1) != 1;
      }
    }
  }
  EXPECT_EQ(failed_writes, 0);
  const LoopStats& s = r.loop_stats();
  uint64_t events = s.events.load();
  // Waits that polled (and maybe napped) instead of blocking: only a napping loop has them.
  uint64_t polled = s.waits.load() - s.sleeps.load();
  std::this_thread::sleep_for(100ms);  // idle: a nap or two for the last events, then it blocks
  uint64_t naps = s.naps.load(), sleeps = s.sleeps.load();
  std::this_thread::sleep_for(100ms);
  r.Stop();
  loop.join();
  Reactor::SetMaxNapMicros(0);
  EXPECT_GT(events, 1000u);
  EXPECT_GT(polled, 0u);
  EXPECT_EQ(s.naps.load(), naps);
  EXPECT_LE(s.sleeps.load(), sleeps + 1);  // the Stop() wake-up
  for (int i = 0; i < kConns; i++) {
    close(client_fds[i]);
    close(echo[i].fd);
  }
}

}  // namespace
}  // namespace strata::io
