// client-herd: a thundering herd on one expired key. N callers (threads) in each of P processes
// call Cache::GetOrLoad on the same missing key at the same moment; the loader sleeps like a
// slow database query and counts its runs on the server. Prints the loads and the callers'
// waiting times (p50/p99/max).
//   client-herd --port 6379 --callers 1000 --processes 1 --load-ms 50 [--recompute lease|lock|none]
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "strata/cache.h"

namespace {

struct Options {
  uint16_t port = 6379;
  int callers = 1000;
  int processes = 1;
  int load_ms = 50;
  std::string recompute = "auto";
};

// One process's share of the herd. Writes its waiting times (us) to the server list
// herd:waits so the parent can merge percentiles across processes.
int RunProcess(const Options& o, int callers, int64_t start_at_ms) {
  strata::ClientOptions co;
  co.port = o.port;
  co.pool_size = 4;
  co.command_timeout = std::chrono::milliseconds(10000);
  strata::Client client(co);
  strata::CacheOptions opt;
  opt.prefix = "herd:";
  opt.wait_for_recompute = std::chrono::milliseconds(10000);
  if (o.recompute == "lease") opt.recompute = strata::CacheOptions::Recompute::kLease;
  if (o.recompute == "lock") opt.recompute = strata::CacheOptions::Recompute::kLock;
  if (o.recompute == "none") opt.recompute = strata::CacheOptions::Recompute::kNone;
  strata::BytesCache cache(client, opt);
  strata::BytesCache::Loader loader = [&](const std::string&) -> std::optional<std::string> {
    client.Incr("herd-loads");
    std::this_thread::sleep_for(std::chrono::milliseconds(o.load_ms));
    return std::string("value");
  };
  std::vector<int64_t> waits(size_t(callers), 0);
  std::vector<std::thread> ts;
  std::mutex mu;
  std::condition_variable cv;
  bool go = false;
  for (int i = 0; i < callers; i++) {
    ts.emplace_back([&, i] {
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return go; });
      }
      auto t0 = std::chrono::steady_clock::now();
      try {
        cache.GetOrLoad("key", loader);
      } catch (const std::exception& e) {
        fprintf(stderr, "caller: %s\n", e.what());
      }
      waits[size_t(i)] = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::steady_clock::now() - t0)
                             .count();
    });
  }
  // Every process releases its callers at the same wall-clock moment.
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  if (start_at_ms > now_ms)
    std::this_thread::sleep_for(std::chrono::milliseconds(start_at_ms - now_ms));
  {
    std::lock_guard<std::mutex> lock(mu);
    go = true;
  }
  cv.notify_all();
  for (auto& t : ts) t.join();
  strata::Args cmd{"RPUSH", "herd-waits"};
  for (int64_t w : waits) cmd.push_back(std::to_string(w));
  client.Command(cmd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--port")
      o.port = uint16_t(atoi(v));
    else if (k == "--callers")
      o.callers = atoi(v);
    else if (k == "--processes")
      o.processes = atoi(v);
    else if (k == "--load-ms")
      o.load_ms = atoi(v);
    else if (k == "--recompute")
      o.recompute = v;
    else {
      fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  {
    strata::ClientOptions co;
    co.port = o.port;
    strata::Client c(co);
    c.Command({"DEL", "herd:key", "herd-loads", "herd-waits", "lock:{herd:key}"});
  }
  const int64_t start_at = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count() +
                           1500;
  std::vector<pid_t> kids;
  for (int p = 0; p < o.processes; p++) {
    pid_t pid = fork();
    if (pid == 0) _exit(RunProcess(o, o.callers / o.processes, start_at));
    kids.push_back(pid);
  }
  for (pid_t pid : kids) waitpid(pid, nullptr, 0);
  strata::ClientOptions co;
  co.port = o.port;
  strata::Client c(co);
  int64_t loads = std::stoll(c.Get("herd-loads").value_or("0"));
  std::vector<int64_t> waits;
  strata::Reply all = c.Command({"LRANGE", "herd-waits", "0", "-1"});
  for (const auto& r : all.elements()) {
    waits.push_back(std::stoll(r.str()));
  }
  std::sort(waits.begin(), waits.end());
  auto pct = [&](double q) {
    if (waits.empty()) return 0.0;
    return double(waits[std::min(waits.size() - 1, size_t(q * double(waits.size())))]) / 1000.0;
  };
  printf(
      "herd: %d callers in %d process(es), loader %d ms: %lld load(s); wait p50 %.1f ms, p99 "
      "%.1f ms, max %.1f ms\n",
      o.callers, o.processes, o.load_ms, (long long)loads, pct(0.5), pct(0.99),
      waits.empty() ? 0.0 : double(waits.back()) / 1000.0);
  return 0;
}
