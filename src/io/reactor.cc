#include "io/reactor.h"

#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "base/clock.h"
#include "base/log.h"

namespace strata::io {
namespace {

thread_local Reactor* t_current = nullptr;
// The reactor whose Run() this thread is in (its loop), or nullptr.
thread_local Reactor* t_loop = nullptr;
Reactor::SwitchHook g_switch_hook = nullptr;
Reactor::SoonHook g_after_soon_hook = nullptr;
std::atomic<int64_t> g_max_nap_us{0};  // off unless the program turns it on
constexpr int kMaxEvents = 256;

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
  nest_.guest = this;
  io_epfd_ = epfd_;
}

Reactor::~Reactor() {
  if (wakefd_ >= 0) close(wakefd_);
  if (epfd_ >= 0) close(epfd_);
}

Reactor* Reactor::Current() { return t_current; }

void Reactor::SetCurrent(Reactor* r) { Enter(r); }

thread_local bool Reactor::t_inline_ = false;

bool Reactor::RunByThisThread() const {
  return t_loop != nullptr && runner_.load(std::memory_order_seq_cst) == t_loop;
}

bool Reactor::CanRunHere() {
  if (t_inline_ || t_loop == nullptr || t_current == this) return false;
  if (runner_.load(std::memory_order_seq_cst) != t_loop) return false;
  return !HasPending();
}

void Reactor::SetSwitchHook(SwitchHook hook) { g_switch_hook = hook; }

void Reactor::SetAfterSoonHook(SoonHook hook) { g_after_soon_hook = hook; }

void Reactor::Enter(Reactor* r) {
  if (t_current == r) return;
  t_current = r;
  if (g_switch_hook) g_switch_hook(r);
}

void Reactor::SetRunner(Reactor* runner) {
  want_runner_.store(runner, std::memory_order_seq_cst);
  Post([] {});  // makes whichever loop runs this reactor now take a turn and see the request
}

void Reactor::RefreshNow() {
  RefreshLoopClock();
  now_ms_ = LoopMonoMicros() / 1000;
}

bool Reactor::Add(int fd, EventHandler* handler, uint32_t events) {
  epoll_event ev{};
  ev.events = events | EPOLLET;
  ev.data.ptr = handler;
  if (epoll_ctl(io_epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) return false;
  handler->io_owner_ = this;
  fds_[fd] = Registration{handler, ev.events};
  return true;
}

bool Reactor::Modify(int fd, EventHandler* handler, uint32_t events) {
  epoll_event ev{};
  ev.events = events | EPOLLET;
  ev.data.ptr = handler;
  if (epoll_ctl(io_epfd_, EPOLL_CTL_MOD, fd, &ev) != 0) return false;
  handler->io_owner_ = this;
  fds_[fd] = Registration{handler, ev.events};
  return true;
}

void Reactor::Remove(int fd) {
  epoll_ctl(io_epfd_, EPOLL_CTL_DEL, fd, nullptr);
  fds_.erase(fd);
}

void Reactor::MoveFds(int to_epfd) {
  if (to_epfd == io_epfd_) return;
  for (auto it = fds_.begin(); it != fds_.end();) {
    epoll_event ev{};
    ev.events = it->second.events;
    ev.data.ptr = it->second.handler;
    epoll_ctl(io_epfd_, EPOLL_CTL_DEL, it->first, nullptr);
    // An fd already ready is reported again by the new set (at worst one spurious event).
    if (epoll_ctl(to_epfd, EPOLL_CTL_ADD, it->first, &ev) != 0) {
      LOG_WARNING("reactor: cannot move fd %d: errno %d", it->first, errno);
      it = fds_.erase(it);  // closed meanwhile: nothing left to watch
      continue;
    }
    ++it;
  }
  io_epfd_ = to_epfd;
}

void Reactor::Post(Fn fn) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    wake = !woken_;
    woken_ = true;
    mailbox_.push_back(std::move(fn));
  }
  // Only the first message of a batch pays for the eventfd write, and only if the loop sleeps
  // or is about to (sleeping_ is set before epoll_wait and the mailbox re-checked after).
  if (wake && WouldWake()) Wake();
}

bool Reactor::WouldWake() const {
  // A loop posting to itself or to one of its guests sees the message before it sleeps.
  return sleeping_.load(std::memory_order_seq_cst) &&
         runner_.load(std::memory_order_seq_cst) != t_loop;
}

void Reactor::PostLazy(Fn fn, const std::atomic<bool>* wake_if) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    mailbox_.push_back(std::move(fn));
    wake = wake_if->load(std::memory_order_relaxed) && !woken_;
    woken_ = woken_ || wake;
  }
  if (wake && WouldWake()) Wake();
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
  Enter(this);
  bool ran = HasPending();
  DrainMailbox();
  Enter(nullptr);
  return ran;
}

bool Reactor::DrainOnce() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (mailbox_.empty()) return false;
    draining_.swap(mailbox_);
    woken_ = false;
  }
  for (auto& fn : draining_) fn();
  draining_.clear();
  return true;
}

void Reactor::DrainMailbox() {
  for (;;) {
    while (DrainOnce()) {
    }
    if (deferred_.empty()) return;
    std::vector<Fn> run;  // a deferred fn may defer again, or drain
    run.swap(deferred_);
    for (auto& fn : run) fn();
    run.clear();
    if (deferred_.empty()) deferred_.swap(run);  // keeps the capacity for the next turn
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

int Reactor::NextTimerMs() {
  // A cancelled timer may still head the queue: then the loop wakes early once, harmlessly.
  if (timer_queue_.empty()) return -1;
  int64_t due = timer_queue_.begin()->first - now_ms_;
  return due <= 0 ? 0 : int(due);
}

int Reactor::RunTimers() {
  now_ms_ = AdvanceLoopClock() / 1000;
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

void Reactor::Dispatch(const epoll_event* events, int n) {
  uint32_t window = nap_.window();
  uint64_t handled = 0;
  if (n > 1) {
    for (int i = 0; i < n; i++) {
      auto* h = static_cast<EventHandler*>(events[i].data.ptr);
      if (h == kWakeMarker) continue;
      Reactor* owner = h->io_owner_;
      if (owner && owner != t_current) Enter(owner);
      h->OnEventSoon(events[i].events);
    }
    if (g_after_soon_hook) g_after_soon_hook();
  }
  for (int i = 0; i < n; i++) {
    auto* h = static_cast<EventHandler*>(events[i].data.ptr);
    if (h == kWakeMarker) continue;  // edge-triggered: every write re-arms, no read needed
    nap_.OnEvent(h->nap_window_ != window);
    h->nap_window_ = window;
    ++handled;
    // A host's set also holds its guests' fds: each event runs as the reactor that owns it.
    Reactor* owner = h->io_owner_;
    if (owner && owner != t_current) Enter(owner);
    h->OnEvent(events[i].events);
  }
  Bump(stats_.events, handled);
  Enter(this);
}

void Reactor::PollIo() {
  Reactor* loop = t_loop;
  if (loop == nullptr) return;
  epoll_event events[kMaxEvents];
  int n = epoll_wait(loop->epfd_, events, kMaxEvents, 0);
  if (n <= 0) return;
  Reactor* prev = t_current;
  for (int i = 0; i < n; i++) {
    auto* h = static_cast<EventHandler*>(events[i].data.ptr);
    if (h == kWakeMarker) continue;  // the mailbox is drained before the loop next sleeps
    Reactor* owner = h->io_owner_;
    Enter(owner ? owner : loop);
    h->OnEvent(events[i].events);
  }
  Enter(prev);
}

void Reactor::SetMaxNapMicros(int64_t us) {
  g_max_nap_us.store(us < 0 ? 0 : us, std::memory_order_relaxed);
}

int64_t Reactor::MaxNapMicros() { return g_max_nap_us.load(std::memory_order_relaxed); }

int Reactor::Wait(epoll_event* events, int timeout) {
  Bump(stats_.waits);
  int64_t nap_us = nap_.Update(LoopMonoMicros(), g_max_nap_us.load(std::memory_order_relaxed));
  if (nap_us > 0 && timeout != 0 && last_wait_busy_) {
    // Busy: poll, nap off every wait queue if nothing is ready, poll again (io/nap_policy.h).
    // Posts from other threads meanwhile still write the eventfd, which the second poll sees.
    int n = epoll_wait(epfd_, events, kMaxEvents, 0);
    if (n == 0) {
      timespec ts{0, long(nap_us * 1000)};
      nanosleep(&ts, nullptr);
      Bump(stats_.naps);
      n = epoll_wait(epfd_, events, kMaxEvents, 0);
    }
    if (n != 0) {
      last_wait_busy_ = n > 0;
      return n;
    }
  }
  Bump(stats_.sleeps);
  int n = epoll_wait(epfd_, events, kMaxEvents, timeout);
  last_wait_busy_ = n > 0;
  return n;
}

void Reactor::Run() {
  // Naps are tens of microseconds: the default 50 us timer slack would stretch them several
  // times over.
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  t_loop = this;
  Enter(this);
  epoll_event events[kMaxEvents];
  while (!stop_.load(std::memory_order_acquire)) {
    if (CanPark() && ParkHere()) continue;
    RunTimers();
    DrainMailbox();
    int timeout = NextTimerMs();  // after the mailbox, which may have set timers
    if (!guests_.empty()) timeout = RunGuests(timeout);
    sleeping_.store(true, std::memory_order_seq_cst);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!mailbox_.empty()) timeout = 0;
    }
    if (!deferred_.empty()) timeout = 0;
    // A guest's deferred work counts too: an inline run for it (RunOrPost) after its turn
    // (from this loop's own mailbox) defers to its next turn.
    for (Reactor* g : guests_) {
      if (g->nest_ready_ || !g->deferred_.empty() || g->HasPending()) timeout = 0;
    }
    // SetRunner() stores before it posts: if the drain above took its message, the request is
    // seen here, and the next iteration moves.
    if (CanPark()) timeout = 0;
    if (stop_.load(std::memory_order_acquire)) break;
    int n = Wait(events, timeout);
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
    // this turn's events, which may still name that handler. Guests' messages likewise run
    // before their fd events, which sit in this loop's set and are dispatched as the guest.
    DrainOnce();
    for (Reactor* g : guests_) {
      Enter(g);
      g->DrainOnce();
    }
    Enter(this);
    Dispatch(events, n);
  }
  DrainMailbox();
  while (!guests_.empty()) GiveBack(guests_.back());
  Enter(nullptr);
  t_loop = nullptr;
}

// --- Hosting ----------------------------------------------------------------------------------
//
// A move is: the reactor's own loop sees want_runner_ != this at the top of an iteration (between
// events, nothing of its own on the stack), publishes the new runner, posts Adopt to the host and
// sleeps on park_cv_. The host moves the guest's fds into its own epoll set and nests the guest's
// epoll fd, which then holds only its wake eventfd (level-triggered), for posts from other
// threads; it runs a turn of the guest's messages and timers on every iteration of its own loop.
// When want_runner_ changes again (or either stops), the host moves the fds back between turns
// and wakes the guest's thread, which carries on with its loop where it left off. The mutex in
// Post/Adopt and park_mu_ order everything the old runner did before everything the new one does.

bool Reactor::CanPark() {
  Reactor* host = want_runner_.load(std::memory_order_seq_cst);
  // Only a plain loop moves, and only onto a loop that runs on its own thread.
  return host != this && guests_.empty() && !host->stopping() && host->runner() == host;
}

bool Reactor::ParkHere() {
  Reactor* host = want_runner_.load(std::memory_order_seq_cst);
  if (!CanPark()) return false;
  sleeping_.store(true, std::memory_order_seq_cst);  // foreign posts wake the host through us
  {
    std::lock_guard<std::mutex> lock(park_mu_);
    parked_ = true;
  }
  runner_.store(host, std::memory_order_seq_cst);
  // Whoever changes want_runner_ and then waits for runner() to come home must not miss this move
  // (both sides store, then load, sequentially consistent).
  if (want_runner_.load(std::memory_order_seq_cst) != host) {
    runner_.store(this, std::memory_order_seq_cst);
    {
      std::lock_guard<std::mutex> lock(park_mu_);
      parked_ = false;
    }
    sleeping_.store(false, std::memory_order_seq_cst);
    return false;
  }
  Enter(nullptr);
  host->Post([host, this] { host->Adopt(this); });
  {
    std::unique_lock<std::mutex> lock(park_mu_);
    park_cv_.wait(lock, [this] { return !parked_; });
  }
  sleeping_.store(false, std::memory_order_seq_cst);
  Enter(this);
  RefreshNow();
  return true;
}

void Reactor::Adopt(Reactor* guest) {
  if (stopping() || guest->stopping() ||
      guest->want_runner_.load(std::memory_order_acquire) != this) {
    GiveBack(guest);
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &guest->nest_;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, guest->epfd_, &ev) != 0) {
    LOG_WARNING("cannot host a reactor: epoll_ctl %d", errno);
    GiveBack(guest);
    return;
  }
  guest->MoveFds(epfd_);
  guest->nest_ready_ = true;  // whatever became ready during the move
  guests_.push_back(guest);
}

void Reactor::GiveBack(Reactor* guest) {
  for (size_t i = 0; i < guests_.size(); i++) {
    if (guests_[i] != guest) continue;
    epoll_ctl(epfd_, EPOLL_CTL_DEL, guest->epfd_, nullptr);
    guests_.erase(guests_.begin() + std::ptrdiff_t(i));
    break;
  }
  guest->MoveFds(guest->epfd_);
  guest->runner_.store(guest, std::memory_order_seq_cst);
  // Notified under the lock: once its thread sees parked_ false the guest may be destroyed, so
  // nothing here may touch it after the unlock.
  std::lock_guard<std::mutex> lock(guest->park_mu_);
  guest->parked_ = false;
  guest->park_cv_.notify_one();
}

int Reactor::RunGuests(int timeout) {
  for (size_t i = 0; i < guests_.size();) {
    Reactor* g = guests_[i];
    Enter(g);
    int t = g->Turn();
    Enter(this);
    // Checked after the turn: Stop() and SetRunner() set their flag before they wake the guest,
    // so a wake-up the turn consumed (its eventfd, or the message SetRunner posts) is never lost.
    if (g->stopping() || g->want_runner_.load(std::memory_order_seq_cst) != this) {
      GiveBack(g);
      continue;
    }
    if (t >= 0 && (timeout < 0 || t < timeout)) timeout = t;
    i++;
  }
  DrainMailbox();  // what the guests posted to this loop
  return timeout;
}

int Reactor::Turn() {
  now_ms_ = LoopMonoMicros() / 1000;  // the host's loop just read the clock
  DrainOnce();                        // as in Run(): messages before fd events
  if (nest_ready_) {
    nest_ready_ = false;
    epoll_event events[kMaxEvents];
    int n = epoll_wait(epfd_, events, kMaxEvents, 0);
    if (n > 0) Dispatch(events, n);
  }
  RunTimers();
  DrainMailbox();
  return NextTimerMs();
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
