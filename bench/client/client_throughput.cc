// client-throughput: drives a server through libstrata's asynchronous API the way
// redis-benchmark does (C connections, P commands in flight on each, a new batch as soon as the
// last one's replies are in) and prints the rate, so bench/client_bench.py can put it beside
// redis-benchmark's against the same server.
//   client-throughput --port 6379 --conns 50 --pipeline 16 --seconds 3 --op get|set --keys 100000
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>

#include "strata/client.h"

namespace {

struct Options {
  uint16_t port = 6379;
  int conns = 50;
  int pipeline = 16;
  double seconds = 3;
  std::string op = "get";
  int keys = 100000;
  int value_size = 3;
};

class Driver {
 public:
  Driver(strata::Client* c, const Options& o) : c_(c), o_(o) {}
  // One "connection" of the load: a batch of `pipeline` commands, then the next on completion.
  // Runs on the I/O thread after the first batch (callbacks re-issue inline).
  void Fire(uint64_t seed) {
    if (stop_.load(std::memory_order_relaxed)) {
      finished_.fetch_add(1);
      return;
    }
    std::vector<strata::Args> batch;
    batch.reserve(size_t(o_.pipeline));
    std::minstd_rand rng{static_cast<uint32_t>(seed)};
    for (int i = 0; i < o_.pipeline; i++) {
      std::string key = "key:" + std::to_string(rng() % uint32_t(o_.keys));
      if (o_.op == "set") {
        batch.push_back({"SET", std::move(key), std::string(size_t(o_.value_size), 'x')});
      } else {
        batch.push_back({"GET", std::move(key)});
      }
    }
    c_->SendBatch(std::move(batch),
                  [this, seed](std::vector<strata::Reply>&& r, std::exception_ptr e) {
                    if (e) {
                      errors_.fetch_add(1);
                    } else {
                      done_.fetch_add(r.size(), std::memory_order_relaxed);
                    }
                    Fire(seed * 6364136223846793005ULL + 1442695040888963407ULL);
                  });
  }
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> done_{0};
  std::atomic<int> finished_{0};
  std::atomic<uint64_t> errors_{0};

 private:
  strata::Client* c_;
  Options o_;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--port")
      o.port = uint16_t(atoi(v));
    else if (k == "--conns")
      o.conns = atoi(v);
    else if (k == "--pipeline")
      o.pipeline = atoi(v);
    else if (k == "--seconds")
      o.seconds = atof(v);
    else if (k == "--op")
      o.op = v;
    else if (k == "--keys")
      o.keys = atoi(v);
    else if (k == "--value-size")
      o.value_size = atoi(v);
    else {
      fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  strata::ClientOptions co;
  co.port = o.port;
  co.pool_size = size_t(o.conns);
  co.protocol = 2;  // as redis-benchmark speaks
  strata::Client client(co);
  if (!client.WaitConnected(std::chrono::seconds(5))) {
    fprintf(stderr, "cannot connect to port %u\n", o.port);
    return 1;
  }
  if (o.op == "sync-get") {
    // One thread, one synchronous GET at a time: the round trip an L1 hit saves.
    client.Set("key:0", "xxx");
    auto t0 = std::chrono::steady_clock::now();
    auto until = t0 + std::chrono::duration<double>(o.seconds);
    uint64_t n = 0;
    while (std::chrono::steady_clock::now() < until) {
      for (int i = 0; i < 100; i++) client.Get("key:0");
      n += 100;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    printf("sync-get: %.0f ns per GET (%.0f per second, one thread)\n", secs * 1e9 / double(n),
           double(n) / secs);
    return 0;
  }
  Driver d(&client, o);
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < o.conns; i++) d.Fire(uint64_t(i) * 7919 + 1);
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  uint64_t n = d.done_.load();
  auto t1 = std::chrono::steady_clock::now();
  d.stop_ = true;
  while (d.finished_.load() < o.conns) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  double secs = std::chrono::duration<double>(t1 - t0).count();
  printf("%s: %.0f requests per second (%d connections, pipeline %d, %llu errors)\n", o.op.c_str(),
         double(n) / secs, o.conns, o.pipeline, (unsigned long long)d.errors_.load());
  return 0;
}
