// io::Reactor: cross-thread posting, lazy posts and their wake flag, draining after Stop(), and
// hosting (one loop running another reactor while that reactor's thread sleeps).
#include "io/reactor.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
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

TEST(Reactor, DeferRunsOnceTheMailboxIsEmptyThenAgainForWhatItDefers) {
  RunningReactor r;
  std::vector<int> order;  // touched only on the reactor thread
  std::promise<void> done;
  r.reactor.Post([&] {
    Reactor* self = Reactor::Current();
    self->Defer([&, self] {
      order.push_back(3);
      // What a deferred fn posts and defers still runs before the loop sleeps.
      self->Post([&] { order.push_back(4); });
      self->Defer([&] {
        order.push_back(5);
        done.set_value();
      });
    });
    order.push_back(1);
    self->Post([&] { order.push_back(2); });  // posted after the Defer, runs before it
  });
  ASSERT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
  r.RunSync([&] { EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4, 5})); });
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

// Records the order of its callbacks in a log shared by several handlers (loop thread only).
std::vector<std::string>* g_soon_log = nullptr;

class SoonRecorder : public EventHandler {
 public:
  SoonRecorder(std::string name) : name_(std::move(name)), fd(eventfd(0, EFD_NONBLOCK)) {}
  ~SoonRecorder() override { close(fd); }
  void OnEventSoon(uint32_t) override { g_soon_log->push_back("soon " + name_); }
  void OnEvent(uint32_t) override {
    uint64_t v;
    while (read(fd, &v, sizeof(v)) == sizeof(v)) {
    }
    g_soon_log->push_back("event " + name_);
  }
  std::string name_;
  int fd;
};

TEST(Reactor, SeveralEventsOfATurnAreAnnouncedBeforeAnyRuns) {
  std::vector<std::string> log;
  g_soon_log = &log;
  Reactor::SetAfterSoonHook([] { g_soon_log->push_back("after soon"); });
  {
    SoonRecorder a("a"), b("b");
    uint64_t one = 1;
    ASSERT_EQ(write(a.fd, &one, sizeof(one)), ssize_t(sizeof(one)));
    ASSERT_EQ(write(b.fd, &one, sizeof(one)), ssize_t(sizeof(one)));
    RunningReactor r;
    r.RunSync([&] {
      ASSERT_TRUE(r.reactor.Add(a.fd, &a, EPOLLIN));
      ASSERT_TRUE(r.reactor.Add(b.fd, &b, EPOLLIN));
    });
    size_t seen = 0;  // messages run before a turn's fd events: wait for the events' turn
    for (int i = 0; i < 1000 && seen < 5; i++) {
      r.RunSync([&] { seen = log.size(); });
      if (seen < 5) std::this_thread::sleep_for(1ms);
    }
    r.RunSync([&] {
      // One turn with both: announced in order, then the hook, then run in the same order.
      ASSERT_EQ(log.size(), 5u);
      EXPECT_EQ(log[2], "after soon");
      EXPECT_EQ(log[0].substr(0, 5), "soon ");
      EXPECT_EQ(log[1].substr(0, 5), "soon ");
      EXPECT_EQ(log[3], "event " + log[0].substr(5));
      EXPECT_EQ(log[4], "event " + log[1].substr(5));
      r.reactor.Remove(a.fd);
      r.reactor.Remove(b.fd);
    });
  }
  Reactor::SetAfterSoonHook(nullptr);
  g_soon_log = nullptr;
}

// --- Hosting ------------------------------------------------------------------------------------

struct Where {
  std::thread::id thread;
  Reactor* current = nullptr;
};

Where WhereDoesItRun(RunningReactor& r) {
  std::promise<Where> p;
  r.reactor.Post([&] { p.set_value(Where{std::this_thread::get_id(), Reactor::Current()}); });
  auto f = p.get_future();
  EXPECT_EQ(f.wait_for(10s), std::future_status::ready);
  return f.get();
}

// Waits until `r` is run by `runner`.
bool WaitForRunner(Reactor& r, Reactor* runner) {
  for (int i = 0; i < 10000; i++) {
    if (r.runner() == runner) return true;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

// Counts readiness events of an eventfd and records the thread they arrived on.
class EventCounter : public EventHandler {
 public:
  EventCounter() : fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~EventCounter() override { close(fd); }
  void OnEvent(uint32_t) override {
    uint64_t v;
    while (read(fd, &v, sizeof(v)) == sizeof(v)) {
    }
    last_thread = std::this_thread::get_id();
    current = Reactor::Current();
    events.fetch_add(1);
  }
  void Signal() {
    uint64_t one = 1;
    ssize_t n = write(fd, &one, sizeof(one));
    (void)n;
  }
  int fd;
  std::atomic<int> events{0};
  std::thread::id last_thread;
  Reactor* current = nullptr;
};

TEST(ReactorHosting, AGuestRunsOnItsHostsThreadAsItselfAndComesBack) {
  RunningReactor host, guest;
  Where home = WhereDoesItRun(guest);
  Where host_thread = WhereDoesItRun(host);
  ASSERT_NE(home.thread, host_thread.thread);

  guest.reactor.SetRunner(&host.reactor);
  ASSERT_TRUE(WaitForRunner(guest.reactor, &host.reactor));
  Where away = WhereDoesItRun(guest);
  EXPECT_EQ(away.thread, host_thread.thread);
  EXPECT_EQ(away.current, &guest.reactor);  // Current() is the guest during its turn
  host.RunSync([&] { EXPECT_EQ(host.reactor.guests(), 1u); });

  guest.reactor.SetRunner(&guest.reactor);
  ASSERT_TRUE(WaitForRunner(guest.reactor, &guest.reactor));
  Where back = WhereDoesItRun(guest);
  EXPECT_EQ(back.thread, home.thread);
  EXPECT_EQ(back.current, &guest.reactor);
  host.RunSync([&] { EXPECT_EQ(host.reactor.guests(), 0u); });
}

TEST(ReactorHosting, AGuestsFdsAndTimersFireOnTheHost) {
  RunningReactor host, guest;
  EventCounter ev;
  guest.RunSync([&] { guest.reactor.Add(ev.fd, &ev, EPOLLIN); });
  std::thread::id host_id = WhereDoesItRun(host).thread;

  guest.reactor.SetRunner(&host.reactor);
  ASSERT_TRUE(WaitForRunner(guest.reactor, &host.reactor));
  std::this_thread::sleep_for(20ms);  // host asleep in epoll_wait
  ev.Signal();
  for (int i = 0; i < 1000 && ev.events.load() == 0; i++) std::this_thread::sleep_for(1ms);
  ASSERT_EQ(ev.events.load(), 1);
  guest.RunSync([&] {
    EXPECT_EQ(ev.last_thread, host_id);
    EXPECT_EQ(ev.current, &guest.reactor);
  });

  std::promise<std::thread::id> fired;
  guest.RunSync(
      [&] { guest.reactor.RunAfter(30, [&] { fired.set_value(std::this_thread::get_id()); }); });
  auto f = fired.get_future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);  // the host sleeps only until it is due
  EXPECT_EQ(f.get(), host_id);
  guest.RunSync([&] { guest.reactor.Remove(ev.fd); });
}

std::atomic<int> g_switches{0};
std::atomic<Reactor*> g_last_switch{nullptr};
void CountSwitch(Reactor* now) {
  g_switches.fetch_add(1);
  g_last_switch.store(now);
}

TEST(ReactorHosting, TheSwitchHookFollowsEveryTurn) {
  Reactor::SetSwitchHook(&CountSwitch);
  {
    RunningReactor host, guest;
    guest.reactor.SetRunner(&host.reactor);
    ASSERT_TRUE(WaitForRunner(guest.reactor, &host.reactor));
    int before = g_switches.load();
    Reactor* seen = nullptr;
    guest.RunSync([&] { seen = g_last_switch.load(); });
    EXPECT_EQ(seen, &guest.reactor);  // switched to the guest for its turn
    for (int i = 0; i < 1000 && g_last_switch.load() != &host.reactor; i++) {
      std::this_thread::sleep_for(1ms);
    }
    EXPECT_EQ(g_last_switch.load(), &host.reactor);  // and back to the host after it
    EXPECT_GE(g_switches.load() - before, 2);
  }
  Reactor::SetSwitchHook(nullptr);
}

TEST(ReactorHosting, StoppingAHostedReactorOrItsHostEndsBothLoops) {
  for (bool stop_host_first : {false, true}) {
    auto host = std::make_unique<RunningReactor>();
    auto guest = std::make_unique<RunningReactor>();
    guest->reactor.SetRunner(&host->reactor);
    ASSERT_TRUE(WaitForRunner(guest->reactor, &host->reactor));
    if (stop_host_first) {
      host->StopAndJoin();  // hands the guest back on the way out
      guest->StopAndJoin();
    } else {
      guest->StopAndJoin();  // the host gives it back to its thread, which then stops
      host->RunSync([&] { EXPECT_EQ(host->reactor.guests(), 0u); });
      host->StopAndJoin();
    }
  }
}

// Messages posted to a reactor while it moves back and forth between its thread and a host run
// exactly once, in the order posted, and never two at a time.
TEST(ReactorHosting, MessagesSurviveMovesInOrderAndOneAtATime) {
  RunningReactor host, guest;
  constexpr int kPosters = 3, kEach = 20000;
  std::atomic<bool> inside{false};
  std::atomic<int> overlaps{0};
  std::vector<int> last(kPosters, -1);  // guest-owned
  int disorder = 0, total = 0;          // guest-owned
  std::vector<std::thread> posters;
  for (int p = 0; p < kPosters; p++) {
    posters.emplace_back([&, p] {
      for (int i = 0; i < kEach; i++) {
        guest.reactor.Post([&, p, i] {
          if (inside.exchange(true)) overlaps++;
          if (i != last[p] + 1) disorder++;
          last[p] = i;
          total++;
          inside.store(false);
        });
        if (i % 64 == 0) std::this_thread::yield();
      }
    });
  }
  // Meanwhile the host also posts to the guest from its own thread (no wake-up needed there).
  std::atomic<int> from_host{0};
  std::thread mover([&] {
    for (int i = 0; i < 200; i++) {
      guest.reactor.SetRunner(i % 2 == 0 ? &host.reactor : &guest.reactor);
      host.reactor.Post([&] { guest.reactor.Post([&] { from_host++; }); });
      std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
    guest.reactor.SetRunner(&guest.reactor);
  });
  for (auto& t : posters) t.join();
  mover.join();
  ASSERT_TRUE(WaitForRunner(guest.reactor, &guest.reactor));
  int seen_total = 0, seen_disorder = 0;
  for (int i = 0; i < 10000; i++) {
    guest.RunSync([&] {
      seen_total = total;
      seen_disorder = disorder;
    });
    if (seen_total == kPosters * kEach && from_host.load() == 200) break;
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(seen_total, kPosters * kEach);
  EXPECT_EQ(seen_disorder, 0);
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(from_host.load(), 200);
}

}  // namespace
}  // namespace strata::io
