#include "kv/aof/aof_sync.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>

#include "io/reactor.h"

namespace strata::kv::aof {

SyncThread::SyncThread(std::function<uint64_t()> fsync, std::function<uint64_t()> synced,
                       std::function<uint64_t()> written)
    : fsync_(std::move(fsync)), synced_(std::move(synced)), written_(std::move(written)) {}

SyncThread::~SyncThread() { Stop(); }

void SyncThread::Start() {
  std::lock_guard<std::mutex> l(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "aof-fsync");
    Loop();
  });
}

void SyncThread::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> l(mu_);
  waiters_.clear();
}

void SyncThread::WhenSynced(uint64_t pos, io::Reactor* r, Fn fn) {
  {
    std::lock_guard<std::mutex> l(mu_);
    waiters_.push_back(Waiter{pos, r, std::move(fn)});
  }
  cv_.notify_one();
}

void SyncThread::Want(uint64_t pos) {
  uint64_t cur = wanted_.load(std::memory_order_relaxed);
  while (cur < pos && !wanted_.compare_exchange_weak(cur, pos)) {
  }
  if (cur >= pos) return;
  // Under the mutex, so the thread either saw the new position before it slept or is woken.
  std::lock_guard<std::mutex> l(mu_);
  cv_.notify_one();
}

void SyncThread::Poke() { cv_.notify_one(); }

SyncThread::Clock::duration SyncThread::PaceAfter(Clock::duration took, uint64_t covered,
                                                  bool backlog) {
  if (!backlog || covered < kPaceMinRecords) return Clock::duration::zero();
  return std::min<Clock::duration>(took, kPaceMax);
}

void SyncThread::Loop() {
  Clock::time_point next_start{};  // the next fsync starts no sooner (PaceAfter)
  std::vector<Waiter> ready;
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    uint64_t need = wanted_.load();
    for (const Waiter& w : waiters_) need = w.pos > need ? w.pos : need;
    l.unlock();
    uint64_t have = synced_();
    bool failed = false;
    if (have < need && written_() > have) {
      if (Clock::now() < next_start) {
        // Group commit under a heavy load: let more turns join this fsync (see PaceAfter).
        l.lock();
        cv_.wait_until(l, next_start, [this] { return stop_; });
        if (stop_) break;
        l.unlock();
      }
      // Everything written so far, whoever wrote it: the turns that ended meanwhile too.
      uint64_t before = have;
      Clock::time_point t0 = Clock::now();
      have = fsync_();
      Clock::time_point t1 = Clock::now();
      failed = have <= before;  // a failed fsync (not under always, which exits): retry soon
      next_start = t1 + PaceAfter(t1 - t0, have - before, written_() > have);
    }
    l.lock();
    for (size_t i = 0; i < waiters_.size();) {
      if (waiters_[i].pos <= have) {
        ready.push_back(std::move(waiters_[i]));
        waiters_[i] = std::move(waiters_.back());
        waiters_.pop_back();
      } else {
        i++;
      }
    }
    if (!ready.empty()) {
      l.unlock();
      for (Waiter& w : ready) w.reactor->Post(std::move(w.fn));
      ready.clear();
      l.lock();
      continue;
    }
    if (stop_) break;
    if (waiters_.empty() && wanted_.load() <= have) {
      cv_.wait(l);  // nothing waits: until Want, WhenSynced or Stop
    } else if (failed || written_() <= have) {
      // What is waited for is appended but not written yet (the writing thread is still in its
      // turn, or a write failed), the fsync failed, or it became durable by other means
      // (Poke): look again shortly.
      cv_.wait_for(l, std::chrono::milliseconds(1));
    }
  }
}

}  // namespace strata::kv::aof
