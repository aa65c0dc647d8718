#include "edge/server/worker.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "base/log.h"
#include "edge/fsm/fetch.h"
#include "edge/server/session.h"
#include "io/accept.h"
#include "io/socket.h"

namespace strata::edge {

Worker::Worker(int index, const EdgeConfig* config, StoreLimits limits, AccessLog* log)
    : ctx_(std::make_unique<WorkerContext>(index, config, limits)) {
  ctx_->access_log = log;
}

Worker::~Worker() {
  for (Session* s : sessions_) delete s;
  sessions_.clear();
  for (FetchTask* f : ctx_->fetches) delete f;
  ctx_->fetches.clear();
  // Run what the teardown posted (deferred deletes of sessions, fetches, origin connections):
  // the loop is stopped, so Run only drains the mailbox.
  ctx_->reactor.Stop();
  ctx_->reactor.Run();
  if (listen_fd_ >= 0) close(listen_fd_);
}

bool Worker::Init(std::string* error) {
  const EdgeConfig& cfg = *ctx_->config;
  std::string host;
  uint16_t port;
  SplitHostPort(cfg.listen, &host, &port);
  listen_fd_ = io::Listen(host, port, true, 1024, error);
  if (listen_fd_ < 0) return false;
  OriginTimeouts t{cfg.connect_timeout_ms, cfg.origin_timeout_ms, cfg.origin_idle_ms};
  OriginAddress addr;
  if (!ParseOrigin(cfg.origin, &addr, error)) return false;
  ctx_->default_pool = std::make_unique<OriginPool>(&ctx_->reactor, addr, t);
  for (const auto& r : cfg.routes) {
    OriginAddress a;
    if (!ParseOrigin(r.url, &a, error)) return false;
    ctx_->host_pools[r.host] = std::make_unique<OriginPool>(&ctx_->reactor, a, t);
  }
  return true;
}

void Worker::Start() {
  thread_ = std::thread([this] {
    ctx_->reactor.Add(listen_fd_, this, EPOLLIN);
    ctx_->reactor.RunEvery(1000, [this] { Sweep(); });
    ctx_->reactor.Run();
  });
}

void Worker::Join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::OnEvent(uint32_t) {
  static constexpr char kBusy[] =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  for (;;) {
    io::Accepted a =
        io::AcceptOrRefuse(listen_fd_, kBusy, "raise 'ulimit -n' or lower max_connections");
    if (a.refused) {
      ctx_->metrics.Inc(ctx_->metrics.refused_connections);
      continue;
    }
    if (a.out_of_fds) accept_retry_.Arm(&ctx_->reactor, this);
    int fd = a.fd;
    if (fd < 0) {
      if (a.error == EINTR || a.error == ECONNABORTED) continue;
      if (a.error != EAGAIN && a.error != EWOULDBLOCK && !a.out_of_fds)
        LOG_WARNING("accept: %d", a.error);
      return;
    }
    // Sessions move between workers (HandOff), so the limit counts them on all workers.
    if (ConnectionCount().load(std::memory_order_relaxed) >= ctx_->config->max_connections) {
      // Over the limit: refuse at once rather than exhaust descriptors or memory (counted
      // first, so a client that has seen the 503 also sees it in /metrics).
      ctx_->metrics.Inc(ctx_->metrics.refused_connections);
      ssize_t n = send(fd, kBusy, sizeof(kBusy) - 1, MSG_NOSIGNAL);
      (void)n;
      close(fd);
      continue;
    }
    io::SetNoDelay(fd);
    auto* s = new Session(this, fd);
    sessions_.insert(s);
    ConnectionCount().fetch_add(1, std::memory_order_relaxed);
    ctx_->metrics.Inc(ctx_->metrics.client_connections);
    ctx_->reactor.Add(fd, s);
  }
}

std::atomic<size_t>& Worker::ConnectionCount() {
  static std::atomic<size_t> count{0};
  return count;
}

void Worker::RemoveSession(Session* s) {
  if (!sessions_.erase(s)) return;
  ConnectionCount().fetch_sub(1, std::memory_order_relaxed);
  ctx_->reactor.Post([s] { delete s; });
}

void Worker::HandOff(Session* s, int to) {
  sessions_.erase(s);
  if (ctx_->reactor.stopping()) {  // shutting down: the owner may be gone already
    ConnectionCount().fetch_sub(1, std::memory_order_relaxed);
    delete s;
    return;
  }
  ctx_->metrics.Inc(ctx_->metrics.handoffs);
  Worker* owner = (*peers_)[size_t(to)];
  owner->ctx_->reactor.Post([owner, s] { owner->Adopt(s); });
}

void Worker::Adopt(Session* s) {
  if (ctx_->reactor.stopping()) {
    ConnectionCount().fetch_sub(1, std::memory_order_relaxed);
    delete s;
    return;
  }
  sessions_.insert(s);
  s->Adopt(this);
}

void Worker::Sweep() {
  int64_t now = ctx_->reactor.NowMs();
  std::vector<Session*> idle;
  for (Session* s : sessions_) {
    int64_t quiet = now - s->last_activity_ms();
    if (!s->idle()) {
      // A response that has not moved for a long time: the client stopped reading (or the
      // request waits far beyond the origin timeout).
      if (quiet > ctx_->config->client_idle_ms + ctx_->config->origin_timeout_ms) idle.push_back(s);
      continue;
    }
    // Idle keep-alive connections, and clients that trickle a request (slowloris), are closed.
    bool slow = s->request_started_ms() != 0 &&
                now - s->request_started_ms() > ctx_->config->client_request_ms;
    if (slow || quiet > ctx_->config->client_idle_ms) idle.push_back(s);
  }
  for (Session* s : idle) s->Close();
  ctx_->default_pool->SweepIdle(now);
  for (auto& [h, p] : ctx_->host_pools) p->SweepIdle(now);
  ctx_->PublishStoreStats();
}

}  // namespace strata::edge
