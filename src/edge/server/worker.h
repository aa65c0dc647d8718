// Worker: one thread running one io::Reactor with its own listening socket (SO_REUSEPORT: the
// kernel spreads connections), cache shard, in-flight table and origin pools (WorkerContext).
// Everything a worker owns is touched only on its thread; other threads use Post.
//
// Keys have one owner worker (WorkerContext::OwnerOf). A session whose next request is a
// lookup (GET/HEAD) for a key another worker owns is handed over whole to that worker, between
// requests: the accepting worker unregisters the socket and Posts the session to the owner,
// which registers it with its own reactor and runs the request there. So a session, like every
// other piece of state, is touched by one thread at a time, and each key's store entry and
// in-flight fetch live on exactly one thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "edge/fsm/context.h"
#include "io/accept.h"
#include "io/reactor.h"

namespace strata::edge {

class Session;

class Worker : public io::EventHandler {
 public:
  Worker(int index, const EdgeConfig* config, StoreLimits limits, AccessLog* log);
  ~Worker() override;

  // Opens the listener and origin pools (calling thread, before Start).
  bool Init(std::string* error);
  void Start();
  void Stop() { ctx_->reactor.Stop(); }
  void Join();

  WorkerContext* ctx() { return ctx_.get(); }
  void OnEvent(uint32_t events) override;  // accept
  void RemoveSession(Session* s);
  // All workers, indexed like WorkerContext::index (set before Start).
  void SetPeers(const std::vector<Worker*>* peers) { peers_ = peers; }
  // This thread: stop owning `s` (its fd is already unregistered) and Post it to worker `to`.
  void HandOff(Session* s, int to);

  // The number of client sessions on all workers (for max_connections).
  static std::atomic<size_t>& ConnectionCount();

 private:
  void Sweep();
  // This thread: take over a session handed off by another worker.
  void Adopt(Session* s);

  std::unique_ptr<WorkerContext> ctx_;
  int listen_fd_ = -1;
  io::AcceptRetry accept_retry_;  // out of descriptors: look at the listener again
  std::unordered_set<Session*> sessions_;
  std::thread thread_;
  const std::vector<Worker*>* peers_ = nullptr;
};

}  // namespace strata::edge
