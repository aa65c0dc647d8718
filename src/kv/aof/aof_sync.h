// The append-only file's fsync thread (appendfsync always). See docs/design/persistence.md,
// "Writing and group commit".
//
// Shard threads never wait for the disk: at the end of a loop turn a shard thread write()s the
// records appended so far (page cache only) and parks the replies that depend on them
// (kv/server/reply_hold.h), then asks this thread to run a callback on its reactor once the log
// is durable up to a position (WhenSynced). This thread fdatasyncs everything written so far,
// which covers every shard's records at once, and posts each callback whose position it reached
// to that reactor's mailbox; the reactor then sends the replies that waited. Output parked during
// an fsync is served by the next one, which starts as soon as the previous one returns (Want):
// one fsync in flight at a time, each covering every turn that ended while the previous ran.
//
// Threads: WhenSynced and Poke from any thread; the callbacks run on their reactors. The log's
// positions are counts of record units (aof_log.cc): "written" and "synced" only grow.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace strata::io {
class Reactor;
}

namespace strata::kv::aof {

class SyncThread {
 public:
  using Fn = std::function<void()>;
  // `fsync`: makes everything written so far durable and returns the position that is durable
  // now (runs on this thread; it may exit the process on a failed fsync under always).
  // `synced`: the position durable now, without an fsync; `written`: the position written to
  // the file (any thread).
  SyncThread(std::function<uint64_t()> fsync, std::function<uint64_t()> synced,
             std::function<uint64_t()> written);
  ~SyncThread();
  SyncThread(const SyncThread&) = delete;
  SyncThread& operator=(const SyncThread&) = delete;

  void Start();
  // Joins the thread. Callbacks still waiting are dropped: their reactors are about to stop,
  // and a reactor must not receive posts once it is destroyed.
  void Stop();

  // Any thread: posts `fn` to `r` once the log is durable up to `pos`.
  void WhenSynced(uint64_t pos, io::Reactor* r, Fn fn);
  // Any thread: output waits for `pos` (a reactor parked it at the end of a turn). The thread
  // fsyncs until that far even before the reactor asks for its release, which it does only
  // once it has handled the previous one.
  void Want(uint64_t pos);
  // Any thread: the durable position moved without this thread (a file switch or close
  // fsynced it): look at the waiters again.
  void Poke();

 private:
  struct Waiter {
    uint64_t pos;
    io::Reactor* reactor;
    Fn fn;
  };
  using Clock = std::chrono::steady_clock;
  // Group commit pacing. An fsync that covered many records (a heavy load) and ended with more
  // already written behind it makes the next one wait as long as it took (at most kPaceMax):
  // each fsync then carries about twice the records, so the fsyncs, their wake-ups and the
  // releases that follow them cost half as much per write. A light load, whose fsync covered
  // few records, or one that left nothing behind, is never delayed.
  static constexpr uint64_t kPaceMinRecords = 64;
  static constexpr std::chrono::microseconds kPaceMax{1000};
  static Clock::duration PaceAfter(Clock::duration took, uint64_t covered, bool backlog);
  void Loop();

  std::function<uint64_t()> fsync_;
  std::function<uint64_t()> synced_;
  std::function<uint64_t()> written_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Waiter> waiters_;  // under mu_
  std::atomic<uint64_t> wanted_{0};
  bool stop_ = false;  // under mu_
  std::thread thread_;
};

}  // namespace strata::kv::aof
