// io::Reactor: one thread's event loop (epoll, edge-triggered), with timers and a thread-safe
// mailbox. Everything registered with a Reactor is owned by, and only touched from, the thread
// that runs it; other threads talk to it only through Post().
//
// Idle reactors sleep in epoll_wait until an fd is ready, a timer is due, or a Post() wakes the
// eventfd: they never busy-poll.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <vector>

namespace strata::io {

// Receives readiness events for one fd. Called on the reactor's thread.
class EventHandler {
 public:
  virtual ~EventHandler() = default;
  // `events` is the epoll event mask (EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLHUP, EPOLLERR).
  virtual void OnEvent(uint32_t events) = 0;
};

class Reactor {
 public:
  using Fn = std::function<void()>;
  using TimerId = uint64_t;

  Reactor();
  ~Reactor();
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // Registers a non-blocking fd for edge-triggered EPOLLIN|EPOLLOUT|EPOLLRDHUP. Reactor thread.
  bool Add(int fd, EventHandler* handler, uint32_t events = EPOLLIN | EPOLLOUT | EPOLLRDHUP);
  bool Modify(int fd, EventHandler* handler, uint32_t events);
  void Remove(int fd);

  // Thread-safe: queues fn to run on the reactor thread, waking it if needed.
  void Post(Fn fn);
  // Thread-safe: queues fn without waking the reactor unless *wake_if is set. It runs when the
  // loop next wakes for any reason (an fd event, a timer, another Post). The reactor thread
  // raises the flag with RaiseWakeFlag() once it starts waiting for fn; both happen under the
  // mailbox lock, so either the flag is seen here or the message is seen before the loop sleeps.
  void PostLazy(Fn fn, const std::atomic<bool>* wake_if);
  // Reactor thread: sets *flag under the mailbox lock (see PostLazy).
  void RaiseWakeFlag(std::atomic<bool>* flag);

  // Timers, reactor thread only. Periodic timers re-arm themselves until cancelled.
  TimerId RunAfter(int64_t delay_ms, Fn fn);
  TimerId RunEvery(int64_t period_ms, Fn fn);
  void Cancel(TimerId id);

  // Runs the loop on the calling thread until Stop().
  void Run();
  // Reactor thread, after Run() returned: runs what is queued (and what that queues on this
  // reactor) until the mailbox is empty. Returns whether anything ran.
  bool RunPending();
  // Thread-safe: whether anything is queued.
  bool HasPending();
  // Thread-safe.
  void Stop();
  bool stopping() const { return stop_.load(std::memory_order_acquire); }

  // Monotonic milliseconds, refreshed once per loop iteration.
  int64_t NowMs() const { return now_ms_; }
  void RefreshNow();

  // The reactor running on this thread, or nullptr.
  static Reactor* Current();

 private:
  struct Timer {
    Fn fn;
    int64_t period_ms;  // 0 = one-shot
  };

  void Wake();          // writes the eventfd
  void DrainMailbox();  // until empty
  void DrainOnce();     // what is queued now, not what that posts
  int RunTimers();      // returns ms until the next timer, or -1

  int epfd_ = -1;
  int wakefd_ = -1;
  std::atomic<bool> stop_{false};
  int64_t now_ms_ = 0;

  std::mutex mu_;
  std::vector<Fn> mailbox_;  // guarded by mu_
  std::atomic<bool> sleeping_{false};
  std::vector<Fn> draining_;  // reactor thread only

  TimerId next_timer_id_ = 1;
  std::multimap<int64_t, TimerId> timer_queue_;  // due time -> id
  std::map<TimerId, Timer> timers_;
};

}  // namespace strata::io
