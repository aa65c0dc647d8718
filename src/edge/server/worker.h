// Worker: one thread running one io::Reactor with its own listening socket (SO_REUSEPORT: the
// kernel spreads connections), cache shard, in-flight table and origin pools (WorkerContext).
// Everything a worker owns is touched only on its thread; other threads use Post.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <unordered_set>

#include "edge/fsm/context.h"
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

 private:
  void Sweep();

  std::unique_ptr<WorkerContext> ctx_;
  int listen_fd_ = -1;
  std::unordered_set<Session*> sessions_;
  std::thread thread_;
};

}  // namespace strata::edge
