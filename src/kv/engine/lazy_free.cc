#include "kv/engine/lazy_free.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "base/memory.h"

namespace strata::kv {
namespace {

struct Job {
  Object* obj;
  MemoryLedger* ledger;  // the owner's ledger, credited with the freed bytes
};

struct State {
  std::mutex mu;
  std::condition_variable cv;       // work arrived or stop requested
  std::condition_variable idle_cv;  // queue drained
  std::deque<Job> queue;
  bool running = false;
  bool stop = false;
  bool busy = false;
  std::thread thread;
  std::atomic<uint64_t> pending{0};
  std::atomic<uint64_t> freed{0};
};

State& S() {
  static State* s = new State();  // never destroyed: may be used during static destruction
  return *s;
}

void FreeAndCredit(const Job& j) {
  int64_t before = ThreadAllocatedBytes();
  delete j.obj;
  // The bytes returned count against this thread's counter; move them to the owner's ledger.
  CreditMemoryLedger(j.ledger, ThreadAllocatedBytes() - before);
}

void Loop() {
  State& s = S();
  SwitchMemoryLedger(nullptr);
  std::unique_lock lk(s.mu);
  for (;;) {
    s.cv.wait(lk, [&] { return s.stop || !s.queue.empty(); });
    if (s.queue.empty()) break;  // stop requested and nothing left
    Job j = s.queue.front();
    s.queue.pop_front();
    s.busy = true;
    lk.unlock();
    FreeAndCredit(j);
    s.pending.fetch_sub(1, std::memory_order_relaxed);
    s.freed.fetch_add(1, std::memory_order_relaxed);
    lk.lock();
    s.busy = false;
    if (s.queue.empty()) s.idle_cv.notify_all();
  }
  s.idle_cv.notify_all();
}

}  // namespace

void FreeObject(Object* obj) {
  if (!obj) return;
  State& s = S();
  if (obj->FreeEffort() > Object::kLazyFreeThreshold) {
    std::lock_guard lk(s.mu);
    if (s.running && !s.stop) {
      s.queue.push_back(Job{obj, CurrentMemoryLedger()});
      s.pending.fetch_add(1, std::memory_order_relaxed);
      s.cv.notify_one();
      return;
    }
  }
  delete obj;
}

void LazyFreer::Start() {
  State& s = S();
  std::lock_guard lk(s.mu);
  if (s.running) return;
  s.running = true;
  s.stop = false;
  s.thread = std::thread(Loop);
}

void LazyFreer::Stop() {
  State& s = S();
  {
    std::lock_guard lk(s.mu);
    if (!s.running) return;
    s.stop = true;
    s.cv.notify_all();
  }
  s.thread.join();
  std::lock_guard lk(s.mu);
  s.running = false;
}

uint64_t LazyFreer::Pending() { return S().pending.load(std::memory_order_relaxed); }
uint64_t LazyFreer::Freed() { return S().freed.load(std::memory_order_relaxed); }

void LazyFreer::Drain() {
  State& s = S();
  std::unique_lock lk(s.mu);
  s.idle_cv.wait(lk, [&] { return !s.running || (s.queue.empty() && !s.busy); });
}

}  // namespace strata::kv
