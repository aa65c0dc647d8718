#include "io/reactor.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "base/log.h"

namespace strata::io {
namespace {

thread_local Reactor* t_current = nullptr;

int64_t MonoMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Marker stored in epoll data for the wake eventfd.
EventHandler* const kWakeMarker = nullptr;

}  // namespace

Reactor::Reactor() {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  wakefd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLET;
  ev.data.ptr = kWakeMarker;
  epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev);
  now_ms_ = MonoMs();
}

Reactor::~Reactor() {
  if (wakefd_ >= 0) close(wakefd_);
  if (epfd_ >= 0) close(epfd_);
}

Reactor* Reactor::Current() { return t_current; }

void Reactor::RefreshNow() { now_ms_ = MonoMs(); }

bool Reactor::Add(int fd, EventHandler* handler, uint32_t events) {
  epoll_event ev{};
  ev.events = events | EPOLLET;
  ev.data.ptr = handler;
  return epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool Reactor::Modify(int fd, EventHandler* handler, uint32_t events) {
  epoll_event ev{};
  ev.events = events | EPOLLET;
  ev.data.ptr = handler;
  return epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void Reactor::Remove(int fd) { epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr); }

void Reactor::Post(Fn fn) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    wake = mailbox_.empty();
    mailbox_.push_back(std::move(fn));
  }
  // Only the first message of a batch pays for the eventfd write, and only if the loop sleeps
  // or is about to (sleeping_ is set before epoll_wait and the mailbox re-checked after).
  if (wake && sleeping_.load(std::memory_order_seq_cst)) Wake();
}

void Reactor::PostLazy(Fn fn, const std::atomic<bool>* wake_if) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    mailbox_.push_back(std::move(fn));
    wake = wake_if->load(std::memory_order_relaxed);
  }
  if (wake && sleeping_.load(std::memory_order_seq_cst)) Wake();
}

void Reactor::RaiseWakeFlag(std::atomic<bool>* flag) {
  std::lock_guard<std::mutex> lock(mu_);
  flag->store(true, std::memory_order_relaxed);
}

bool Reactor::HasPending() {
  std::lock_guard<std::mutex> lock(mu_);
  return !mailbox_.empty();
}

bool Reactor::RunPending() {
  t_current = this;
  bool ran = HasPending();
  DrainMailbox();
  t_current = nullptr;
  return ran;
}

void Reactor::DrainOnce() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (mailbox_.empty()) return;
    draining_.swap(mailbox_);
  }
  for (auto& fn : draining_) fn();
  draining_.clear();
}

void Reactor::DrainMailbox() {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (mailbox_.empty()) return;
      draining_.swap(mailbox_);
    }
    for (auto& fn : draining_) fn();
    draining_.clear();
  }
}

Reactor::TimerId Reactor::RunAfter(int64_t delay_ms, Fn fn) {
  TimerId id = next_timer_id_++;
  timers_.emplace(id, Timer{std::move(fn), 0});
  timer_queue_.emplace(MonoMs() + delay_ms, id);
  return id;
}

Reactor::TimerId Reactor::RunEvery(int64_t period_ms, Fn fn) {
  if (period_ms < 1) period_ms = 1;
  TimerId id = next_timer_id_++;
  timers_.emplace(id, Timer{std::move(fn), period_ms});
  timer_queue_.emplace(MonoMs() + period_ms, id);
  return id;
}

void Reactor::Cancel(TimerId id) { timers_.erase(id); }

int Reactor::RunTimers() {
  RefreshNow();
  while (!timer_queue_.empty()) {
    auto it = timer_queue_.begin();
    if (it->first > now_ms_) return int(it->first - now_ms_);
    TimerId id = it->second;
    timer_queue_.erase(it);
    auto t = timers_.find(id);
    if (t == timers_.end()) continue;  // cancelled
    if (t->second.period_ms > 0) {
      timer_queue_.emplace(now_ms_ + t->second.period_ms, id);
      Fn fn = t->second.fn;  // copy: the callback may cancel its own timer
      fn();
    } else {
      Fn fn = std::move(t->second.fn);
      timers_.erase(t);
      fn();
    }
  }
  return -1;
}

void Reactor::Run() {
  t_current = this;
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  while (!stop_.load(std::memory_order_acquire)) {
    int timeout = RunTimers();
    DrainMailbox();
    sleeping_.store(true, std::memory_order_seq_cst);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!mailbox_.empty()) timeout = 0;
    }
    if (stop_.load(std::memory_order_acquire)) break;
    int n = epoll_wait(epfd_, events, kMaxEvents, timeout);
    sleeping_.store(false, std::memory_order_seq_cst);
    if (n < 0) {
      if (errno == EINTR) continue;
      LOG_WARNING("epoll_wait: %d", errno);
      continue;
    }
    RefreshNow();
    // Messages that arrived while asleep run before the fd events, so a reply completed on
    // another thread is seen before the next request on the same connection. Only those: what
    // they post in turn (such as deleting a handler that closed) waits for the next turn, after
    // this turn's events, which may still name that handler.
    DrainOnce();
    for (int i = 0; i < n; i++) {
      auto* h = static_cast<EventHandler*>(events[i].data.ptr);
      if (h == kWakeMarker) continue;  // edge-triggered: every write re-arms, no read needed
      h->OnEvent(events[i].events);
    }
  }
  DrainMailbox();
  t_current = nullptr;
}

void Reactor::Stop() {
  stop_.store(true, std::memory_order_release);
  Wake();
}

void Reactor::Wake() {
  uint64_t one = 1;
  ssize_t n = write(wakefd_, &one, sizeof(one));
  (void)n;
}

}  // namespace strata::io
