// io::Reactor: cross-thread posting, lazy posts and their wake flag, and draining after Stop().
#include "io/reactor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

namespace strata::io {
namespace {

using namespace std::chrono_literals;

// A reactor running on its own thread for the length of a test.
class RunningReactor {
 public:
  RunningReactor() : thread_([this] { reactor.Run(); }) {}
  ~RunningReactor() { StopAndJoin(); }
  void StopAndJoin() {
    if (!thread_.joinable()) return;
    reactor.Stop();
    thread_.join();
  }
  // Runs fn on the reactor thread and waits for it.
  void RunSync(Reactor::Fn fn) {
    std::promise<void> done;
    reactor.Post([&] {
      fn();
      done.set_value();
    });
    ASSERT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
  }

  Reactor reactor;

 private:
  std::thread thread_;
};

TEST(Reactor, PostWakesASleepingLoopAndRunsOnItsThread) {
  RunningReactor r;
  std::this_thread::sleep_for(20ms);  // let it fall asleep in epoll_wait
  std::promise<Reactor*> ran_on;
  r.reactor.Post([&] { ran_on.set_value(Reactor::Current()); });
  auto f = ran_on.get_future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(f.get(), &r.reactor);
}

TEST(Reactor, LazyPostRunsBeforeTheNextWokenWorkInOrder) {
  RunningReactor r;
  std::atomic<bool> flag{false};
  std::vector<int> order;  // touched only on the reactor thread
  r.reactor.PostLazy([&] { order.push_back(1); }, &flag);
  r.RunSync([&] { order.push_back(2); });
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(Reactor, LazyPostWakesTheLoopOnceTheFlagIsRaised) {
  RunningReactor r;
  std::atomic<bool> flag{false};
  r.RunSync([&] { r.reactor.RaiseWakeFlag(&flag); });
  std::this_thread::sleep_for(20ms);  // asleep again, with no timer to wake it
  std::promise<void> ran;
  r.reactor.PostLazy([&] { ran.set_value(); }, &flag);
  EXPECT_EQ(ran.get_future().wait_for(10s), std::future_status::ready);
}

TEST(Reactor, RunPendingAfterStopRunsQueuedWorkAndWhatItQueues) {
  RunningReactor r;
  r.StopAndJoin();
  std::atomic<bool> flag{false};
  int ran = 0;
  r.reactor.PostLazy(
      [&] {
        ran++;
        r.reactor.Post([&] { ran++; });  // queued while draining: runs in the same drain
      },
      &flag);
  EXPECT_TRUE(r.reactor.HasPending());
  EXPECT_TRUE(r.reactor.RunPending());
  EXPECT_EQ(ran, 2);
  EXPECT_FALSE(r.reactor.HasPending());
  EXPECT_FALSE(r.reactor.RunPending());
}

}  // namespace
}  // namespace strata::io
