// Admin listener: its own thread and reactor, serving
//   GET  /healthz                      liveness
//   GET  /metrics                      Prometheus text format (sum over workers)
//   POST /purge/url?url=URL[&soft=1]   all variants of one URL ("http://host/path" or "host/path")
//   POST /purge/tag?tag=TAG[&soft=1]   objects tagged by Surrogate-Key / Cache-Tag
//   POST /purge/all[?soft=1]           everything
// Purges need "Authorization: Bearer <token>" (401 otherwise; 403 when no token is
// configured). They run on every worker and answer {"purged": N} once all have applied it.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "edge/fsm/context.h"
#include "io/accept.h"
#include "io/reactor.h"

namespace strata::edge {

class AdminSession;

class AdminServer : public io::EventHandler {
 public:
  AdminServer(const EdgeConfig* config, std::vector<WorkerContext*> workers);
  ~AdminServer() override;
  bool Init(std::string* error);
  void Start();
  void Stop() { reactor_.Stop(); }
  void Join();

  void OnEvent(uint32_t events) override;
  void Remove(AdminSession* s);
  io::Reactor* reactor() { return &reactor_; }
  const EdgeConfig* config() const { return config_; }
  const std::vector<WorkerContext*>& workers() const { return workers_; }

 private:
  const EdgeConfig* config_;
  std::vector<WorkerContext*> workers_;
  io::Reactor reactor_;
  io::AcceptRetry retry_;  // out of descriptors: look at the listener again
  int listen_fd_ = -1;
  std::unordered_set<AdminSession*> sessions_;
  std::thread thread_;
};

}  // namespace strata::edge
