// Server: the shard threads (one Reactor + Shard each, plus a listening socket when serving TCP),
// their cron, and the stop path (SIGTERM/SIGINT or SHUTDOWN).
//
// ShardRuntime is the reusable part: tests start it without sockets and attach connections
// through socketpairs (Adopt), so the whole request path runs in-process.
#pragma once

#include <atomic>
#include <barrier>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace strata::io {
class Reactor;
}

namespace strata::kv {

class Shard;
class ShardSet;

class ShardRuntime {
 public:
  ShardRuntime();
  ~ShardRuntime();

  // Starts n shard threads. listen_fds (optional, one per shard) are accepted on by their shard.
  // With `packing`, shards are packed onto the first thread at low load as the thread-packing
  // option says (thread_packing.h); without, every shard keeps its own thread.
  // mc_listen_fds (optional, one per shard): the memcached listener (kv/memcache).
  // `init` (optional) runs on each shard thread once its shard exists, before it serves anything
  // (the dataset load at start does not use it: it runs while the shards serve, loading.h). No
  // shard accepts a client until every init has returned; then
  // `after_init` (optional) runs once, and if it returns false no listener is registered (the
  // caller stops the runtime).
  void Start(uint32_t n, const std::vector<int>& listen_fds = {}, bool packing = false,
             const std::vector<int>& mc_listen_fds = {},
             const std::function<void(Shard&, uint32_t)>& init = nullptr,
             const std::function<bool()>& after_init = nullptr);
  // Stops every thread: closes clients, joins. Idempotent.
  void Stop();
  // Hands a connected socket to shard `shard` as a client connection.
  void Adopt(int fd, uint32_t shard);
  uint32_t size() const { return uint32_t(threads_.size()); }

 private:
  struct Thread;
  struct Packing;
  void PackingTick();         // shard 0's thread
  void SetPacked(bool pack);  // shard 0's thread: moves the shards
  void Unpack();              // any thread but a shard thread: every shard back on its own thread
  std::vector<std::unique_ptr<Thread>> threads_;
  std::unique_ptr<ShardSet> set_;
  // Stopping threads meet here between rounds of draining their mailboxes (see Start).
  std::unique_ptr<std::barrier<>> stop_barrier_;
  std::unique_ptr<Packing> packing_;
};

// Runs the server with GlobalConfig() until SIGTERM/SIGINT/SHUTDOWN; returns the exit code.
int RunServer();
// Asks the server to stop (SHUTDOWN). Thread-safe.
void RequestShutdown();

}  // namespace strata::kv
