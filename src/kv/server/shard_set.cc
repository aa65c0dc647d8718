#include "kv/server/shard_set.h"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "kv/messaging/notify.h"

namespace strata::kv {
namespace {
thread_local int t_shard = -1;
thread_local bool t_sync = false;
ShardSet* g_set = nullptr;
}  // namespace

int ShardSet::Current() { return t_shard; }
void ShardSet::SetCurrent(int i) { t_shard = i; }

bool ShardSet::SyncHops() { return t_sync; }

namespace {
std::atomic<bool> g_replay_inline{false};
}  // namespace

void ShardSet::SetReplayInline(bool on) { g_replay_inline.store(on); }

ShardSet::SyncScope::SyncScope() : prev_(t_sync) {
  t_sync = true;
  sync_scopes_.fetch_add(1, std::memory_order_acq_rel);
}

ShardSet::SyncScope::~SyncScope() {
  t_sync = prev_;
  sync_scopes_.fetch_sub(1, std::memory_order_acq_rel);
}

void ShardSet::SyncRun(uint32_t i, const std::function<void()>& fn) {
  if (int(i) == Current() || g_replay_inline.load(std::memory_order_relaxed)) return fn();
  io::Reactor* r = reactors_[i];
  if (r->RunIfHere(fn)) return;
  // Whichever side claims the call runs it: the shard's loop through its mailbox, or this
  // thread if the shard is handed to it meanwhile (a packing move already under way).
  struct Call {
    std::mutex mu;
    std::condition_variable cv;
    bool claimed = false;  // guarded by mu
    bool done = false;     // guarded by mu
    bool Claim() {
      std::lock_guard<std::mutex> l(mu);
      if (claimed) return false;
      claimed = true;
      return true;
    }
    void Finish() {
      std::lock_guard<std::mutex> l(mu);
      done = true;
      cv.notify_one();
    }
  };
  auto call = std::make_shared<Call>();
  const std::function<void()>* f = &fn;
  // The work runs on behalf of this thread: it holds back its notifications as this thread
  // does (a script run that may be undone).
  notify::Capture* capture = notify::Capture::Current();
  r->Post([call, f, capture] {
    if (!call->Claim()) return;
    {
      notify::Capture::Adopt adopt(capture);
      (*f)();
    }
    call->Finish();
  });
  std::unique_lock<std::mutex> l(call->mu);
  while (!call->done) {
    if (call->cv.wait_for(l, std::chrono::milliseconds(1), [&] { return call->done; })) break;
    if (call->claimed) continue;
    l.unlock();
    r->RunIfHere([&] {
      if (!call->Claim()) return;
      fn();
      call->Finish();
    });
    l.lock();
  }
}

ShardSet& Shards() { return *g_set; }
void InstallShardSet(ShardSet* set) { g_set = set; }

}  // namespace strata::kv
