// strata-edge: an RFC 9111 caching reverse proxy (CDN edge node). See README.md and
// docs/design/edge.md.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <vector>

#include "base/fd_limit.h"
#include "base/log.h"
#include "edge/server/access_log.h"
#include "edge/server/admin.h"
#include "edge/server/config.h"
#include "edge/server/worker.h"
#include "io/accept.h"
#include "io/socket.h"

using namespace strata;
using namespace strata::edge;

namespace {
std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }
}  // namespace

int main(int argc, char** argv) {
  EdgeConfig cfg;
  std::string error;
  bool help = false;
  if (!ParseArgs(argc, argv, &cfg, &error, &help)) {
    fprintf(stderr, "strata-edge: %s\n%s", error.c_str(), Usage());
    return 2;
  }
  if (help) {
    fputs(Usage(), stdout);
    return 0;
  }
  LogLevel level;
  if (!ParseLogLevel(cfg.log_level, &level)) {
    fprintf(stderr, "strata-edge: invalid log level: %s\n", cfg.log_level.c_str());
    return 2;
  }
  SetLogLevel(level);
  for (const std::string& w : cfg.warnings) LOG_WARNING("%s", w.c_str());
  signal(SIGPIPE, SIG_IGN);

  AccessLog access_log;
  if (!access_log.Open(cfg.access_log)) {
    fprintf(stderr, "strata-edge: cannot open access log %s\n", cfg.access_log.c_str());
    return 2;
  }
  StoreLimits limits;
  limits.budget_bytes = cfg.memory_bytes / uint64_t(cfg.threads);
  limits.max_object_bytes = uint64_t(double(limits.budget_bytes) * cfg.max_object_fraction);
  limits.max_variants = cfg.max_variants;

  // Each client connection may hold an origin connection too: make room for both, or accept
  // fewer clients (and say so) when the open-file limit cannot be raised. Reserved: per worker a
  // listener, an epoll fd and a wake eventfd, plus the admin listener, logs and slack.
  {
    const int64_t reserved = 64 + 3 * int64_t(cfg.threads);
    const int64_t want = int64_t(cfg.max_connections);
    uint64_t limit = 0;
    const int64_t fit = MakeRoomForClients(want, 2, reserved, &limit);
    if (fit < 1) {
      fprintf(stderr,
              "strata-edge: the open-file limit (ulimit -n) of %llu is too low; it needs at "
              "least %lld\n",
              static_cast<unsigned long long>(limit), static_cast<long long>(reserved + 2));
      return 1;
    }
    if (fit < want) {
      LOG_WARNING(
          "max_connections of %lld needs %lld file descriptors, but the open-file limit is %llu "
          "and cannot be raised: max_connections has been reduced to %lld. Raise 'ulimit -n' to "
          "accept more clients.",
          static_cast<long long>(want), static_cast<long long>(2 * want + reserved),
          static_cast<unsigned long long>(limit), static_cast<long long>(fit));
      cfg.max_connections = size_t(fit);
    }
    io::ReserveSpareFd();
  }
  // The workers' listeners form a SO_REUSEPORT group: make sure no one else listens there first.
  {
    std::string host;
    uint16_t port = 0;
    SplitHostPort(cfg.listen, &host, &port);
    if (!io::AddressFree(host, port, &error)) {
      fprintf(stderr, "strata-edge: %s\n", error.c_str());
      return 1;
    }
  }
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<WorkerContext*> contexts;
  for (int i = 0; i < cfg.threads; i++) {
    workers.push_back(std::make_unique<Worker>(i, &cfg, limits, &access_log));
    if (!workers.back()->Init(&error)) {
      fprintf(stderr, "strata-edge: %s\n", error.c_str());
      return 1;
    }
    contexts.push_back(workers.back()->ctx());
  }
  for (WorkerContext* c : contexts) c->all_workers = &contexts;
  std::vector<Worker*> peers;
  for (auto& w : workers) peers.push_back(w.get());
  for (auto& w : workers) w->SetPeers(&peers);
  std::unique_ptr<AdminServer> admin;
  if (!cfg.admin.empty()) {
    admin = std::make_unique<AdminServer>(&cfg, contexts);
    if (!admin->Init(&error)) {
      fprintf(stderr, "strata-edge: admin: %s\n", error.c_str());
      return 1;
    }
  }

  // Signals are handled by polling a flag from the main thread (workers never block on them).
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  for (auto& w : workers) w->Start();
  if (admin) admin->Start();
  LOG_NOTICE("strata-edge listening on %s (admin %s), origin %s, %d thread(s), memory %llu bytes",
             cfg.listen.c_str(), cfg.admin.c_str(), cfg.origin.c_str(), cfg.threads,
             static_cast<unsigned long long>(cfg.memory_bytes));
  while (!g_stop.load()) {
    timespec ts{0, 100 * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
  LOG_NOTICE("strata-edge shutting down");
  if (admin) admin->Stop();
  for (auto& w : workers) w->Stop();
  if (admin) admin->Join();
  for (auto& w : workers) w->Join();
  return 0;
}
