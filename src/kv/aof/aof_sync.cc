#include "kv/aof/aof_sync.h"

#include <pthread.h>

#include <chrono>

#include "io/reactor.h"

namespace strata::kv::aof {

SyncThread::SyncThread(std::function<uint64_t()> fsync, std::function<uint64_t()> synced)
    : fsync_(std::move(fsync)), synced_(std::move(synced)) {}

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

void SyncThread::Poke() { cv_.notify_one(); }

uint64_t SyncThread::fsyncs() const {
  std::lock_guard<std::mutex> l(mu_);
  return fsyncs_;
}

void SyncThread::Loop() {
  std::vector<Waiter> ready;
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    if (waiters_.empty()) {
      cv_.wait(l);
      continue;
    }
    uint64_t need = waiters_.front().pos;
    for (const Waiter& w : waiters_) need = w.pos < need ? w.pos : need;
    l.unlock();
    uint64_t have = synced_();
    bool synced = false;
    if (have < need) {
      // Everything written so far, whoever wrote it: the waiters that came meanwhile too.
      have = fsync_();
      synced = true;
    }
    l.lock();
    if (synced) fsyncs_++;
    for (size_t i = 0; i < waiters_.size();) {
      if (waiters_[i].pos <= have) {
        ready.push_back(std::move(waiters_[i]));
        waiters_[i] = std::move(waiters_.back());
        waiters_.pop_back();
      } else {
        i++;
      }
    }
    if (ready.empty()) {
      // The records a waiter needs are appended but not written yet (the writing thread is
      // still in its turn, or a write failed): look again shortly.
      cv_.wait_for(l, std::chrono::milliseconds(1));
      continue;
    }
    l.unlock();
    for (Waiter& w : ready) w.reactor->Post(std::move(w.fn));
    ready.clear();
    l.lock();
  }
}

}  // namespace strata::kv::aof
