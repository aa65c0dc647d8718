// io::Reactor: one thread's event loop (epoll, edge-triggered), with timers and a thread-safe
// mailbox. Everything registered with a Reactor is owned by, and only touched from, the thread
// that runs it; other threads talk to it only through Post().
//
// Idle reactors sleep in epoll_wait until an fd is ready, a timer is due, or a Post() wakes the
// eventfd: they never busy-poll. A busy one may nap instead (a short timed sleep, then a poll)
// so that its clients' sends need not wake it; see io/nap_policy.h for when.
//
// Hosting. A reactor can also be run by another reactor's loop while its own thread sleeps: the
// host takes the guest's fds into its own epoll set (the guest's wake eventfd stays in the
// guest's epoll fd, nested in the host's) and runs the guest's messages and timers in turns,
// with Current() switched to the guest for each of its events and turns. One thread at a time runs
// a reactor, and every hand-over passes through a mutex, so "only touched from the thread that runs
// it" still holds; it is just not always the same thread. SetRunner() asks for a move; the switch
// hook lets higher layers move their per-reactor state (statistics, memory ledgers) with each turn.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "io/nap_policy.h"

namespace strata::io {

// Receives readiness events for one fd. Called on the reactor's thread.
class Reactor;

class EventHandler {
 public:
  virtual ~EventHandler() = default;
  // `events` is the epoll event mask (EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLHUP, EPOLLERR).
  virtual void OnEvent(uint32_t events) = 0;
  // When a turn has several events: called for each of them, in order, before any OnEvent, so
  // that a handler can start what it will wait for (a connection reads its socket and
  // prefetches the keys it will look up, overlapping those misses with the other handlers').
  // Whatever it starts must stay valid if another handler's OnEvent runs first.
  virtual void OnEventSoon(uint32_t) {}

 private:
  friend class Reactor;
  Reactor* io_owner_ = nullptr;  // the reactor it was last registered with
  uint32_t nap_window_ = 0;      // the dispatching loop's NapPolicy window of its last event
};

// What a loop did, for INFO: written by the loop's thread only, read by any.
struct LoopStats {
  std::atomic<uint64_t> waits{0};   // times the loop had nothing to do and waited (or napped)
  std::atomic<uint64_t> sleeps{0};  // of those, waits that blocked in epoll_wait
  std::atomic<uint64_t> naps{0};    // timed naps (NapPolicy)
  std::atomic<uint64_t> events{0};  // fd events dispatched
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
  // Runs fn at once, as this reactor, when the calling thread's loop runs this reactor (its own,
  // or a guest: thread packing), this reactor is not the one at work now, and nothing is queued
  // for it (so fn cannot overtake a message). Otherwise posts it. Inline runs do not nest.
  template <typename F>
  void RunOrPost(F&& fn) {
    if (CanRunHere()) {
      Reactor* prev = Current();
      Enter(this);
      t_inline_ = true;
      fn();
      t_inline_ = false;
      Enter(prev);
      return;
    }
    Post(Fn(std::forward<F>(fn)));
  }
  // Runs fn at once, as this reactor, if the calling thread's loop runs it (its own, or a
  // guest: thread packing), even with messages queued; returns false without running it
  // otherwise. For a caller that holds every lock fn needs and must not wait for the mailbox
  // (a script's synchronous step, see kv::ShardSet::SyncRun).
  template <typename F>
  bool RunIfHere(F&& fn) {
    if (!RunByThisThread()) return false;
    Reactor* prev = Current();
    Enter(this);
    fn();
    Enter(prev);
    return true;
  }
  // Whether the calling thread's loop runs this reactor now (its own, or a guest). Stable for
  // the rest of the caller's turn: only that loop hands it on, between turns.
  bool RunByThisThread() const;
  // Loop thread: one non-blocking pass over the fds of the loop running on this thread (its own
  // and its guests'), dispatching their events as their owners, without running messages or
  // timers. For a thread stuck in a long script, so its clients still get BUSY replies.
  static void PollIo();
  // Thread-safe: queues fn without waking the reactor unless *wake_if is set. It runs when the
  // loop next wakes for any reason (an fd event, a timer, another Post). The reactor thread
  // raises the flag with RaiseWakeFlag() once it starts waiting for fn; both happen under the
  // mailbox lock, so either the flag is seen here or the message is seen before the loop sleeps.
  void PostLazy(Fn fn, const std::atomic<bool>* wake_if);
  // Reactor thread, as this reactor: runs fn once the mailbox is empty (what the queued messages
  // post to this reactor included), before the loop next waits for events, like Redis's
  // beforeSleep. Writes that several messages of one turn add to (a reply and the pushes
  // delivered after it) go out as one send.
  void Defer(Fn fn) { deferred_.push_back(std::move(fn)); }
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

  // The longest nap a busy loop may take instead of sleeping in epoll_wait (NapPolicy); 0 turns
  // napping off. Thread-safe, for every loop of the process.
  static void SetMaxNapMicros(int64_t us);
  static int64_t MaxNapMicros();
  const LoopStats& loop_stats() const { return stats_; }

  // Monotonic milliseconds, refreshed once per loop iteration.
  int64_t NowMs() const { return now_ms_; }
  void RefreshNow();

  // The reactor this thread is working for now (its own loop's, or a guest's during a turn),
  // or nullptr.
  static Reactor* Current();
  // Makes `r` current on this thread (calling the switch hook if it changed). For set-up and
  // tear-down code that runs on a reactor's thread outside Run().
  static void SetCurrent(Reactor* r);
  // Called on a thread whenever the reactor it works for changes: at the start and end of Run(),
  // and around a guest's events, turns and inline runs. Set once, before any reactor runs.
  using SwitchHook = void (*)(Reactor* now);
  static void SetSwitchHook(SwitchHook hook);
  // Called on a loop thread after a turn's OnEventSoon calls, before its OnEvent calls (a second
  // step for what they started, such as the prefetch of what the first step's loads point to).
  // Set once, before any reactor runs.
  using SoonHook = void (*)();
  static void SetAfterSoonHook(SoonHook hook);
  // Opaque per-reactor data for the switch hook.
  void set_context(void* c) { context_ = c; }
  void* context() const { return context_; }

  // Hosting (see the top of this file). Thread-safe: asks that this reactor be run by `runner`'s
  // loop, or by its own thread again when runner == this. The move happens at the next turn of
  // whichever loop runs it now. A runner must be running its own reactor on its own thread, and
  // a reactor that hosts guests does not leave its thread.
  void SetRunner(Reactor* runner);
  // The loop that runs this reactor now: this, or its host. Thread-safe; may be stale at once.
  Reactor* runner() const { return runner_.load(std::memory_order_seq_cst); }
  // Loop thread: how many guests this loop hosts now.
  size_t guests() const { return guests_.size(); }

 private:
  struct Timer {
    Fn fn;
    int64_t period_ms;  // 0 = one-shot
  };

  // The guest's epoll fd in its host's set (it holds only the wake eventfd while hosted): marks
  // the guest as woken.
  struct Nest : EventHandler {
    Reactor* guest = nullptr;
    void OnEvent(uint32_t) override { guest->nest_ready_ = true; }
  };

  static void Enter(Reactor* r);
  bool CanRunHere();
  static thread_local bool t_inline_;
  bool CanPark();                 // own thread: a move is wanted and possible now
  bool ParkHere();                // own thread: hands this reactor to its wanted runner and sleeps
  void Adopt(Reactor* guest);     // host thread
  void MoveFds(int to_epfd);      // runner: re-registers every fd in to_epfd
  void GiveBack(Reactor* guest);  // host thread: returns the guest to its own thread
  int RunGuests(int timeout);     // host thread: one turn of each guest; returns the new timeout
  int Turn();                     // host thread, guest's context: returns ms to its next timer
  void Dispatch(const epoll_event* events, int n);
  bool WouldWake() const;  // whether a Post must write the eventfd

  // Loop thread: waits for events (blocking, or after a nap), returns epoll_wait's count.
  int Wait(epoll_event* events, int timeout);
  static void Bump(std::atomic<uint64_t>& c, uint64_t by = 1) {
    c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  }

  void Wake();          // writes the eventfd
  void DrainMailbox();  // until empty
  bool DrainOnce();     // what is queued now, not what that posts; false if nothing was
  int RunTimers();      // returns ms until the next timer, or -1
  int NextTimerMs();    // ms until the next timer is due (0 if overdue), or -1

  int epfd_ = -1;
  int wakefd_ = -1;
  // Where this reactor's fds are registered: epfd_, or its host's while it is a guest (so the
  // host's one epoll_wait serves both). The wake eventfd always stays in epfd_, nested in the
  // host's for wake-ups from other threads.
  int io_epfd_ = -1;
  struct Registration {
    EventHandler* handler;
    uint32_t events;
  };
  std::unordered_map<int, Registration> fds_;  // runner only
  std::atomic<bool> stop_{false};
  int64_t now_ms_ = 0;

  std::mutex mu_;
  std::vector<Fn> mailbox_;  // guarded by mu_
  // Guarded by mu_: a message since the last drain has woken the loop (or found it awake). Lazy
  // messages do not set it, so one waiting in the mailbox never stops a later Post's wake-up.
  bool woken_ = false;
  std::atomic<bool> sleeping_{false};
  std::vector<Fn> draining_;  // reactor thread only
  std::vector<Fn> deferred_;  // reactor thread only (Defer)

  void* context_ = nullptr;
  std::atomic<Reactor*> want_runner_{this};
  std::atomic<Reactor*> runner_{this};
  std::mutex park_mu_;
  std::condition_variable park_cv_;
  bool parked_ = false;           // guarded by park_mu_
  std::vector<Reactor*> guests_;  // loop thread only
  Nest nest_;
  bool nest_ready_ = false;  // host thread only

  NapPolicy nap_;                // loop thread only
  bool last_wait_busy_ = false;  // loop thread only: the last wait returned events
  LoopStats stats_;

  TimerId next_timer_id_ = 1;
  std::multimap<int64_t, TimerId> timer_queue_;  // due time -> id
  std::map<TimerId, Timer> timers_;
};

}  // namespace strata::io
