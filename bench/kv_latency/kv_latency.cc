// kv_latency: does any single command stall while the keyspace grows?
//
// A loader connection writes N keys with pipelined SETs as fast as the server takes them, while a
// probe connection sends one GET at a time and records every round trip. Prints the probe's
// percentiles and its worst round trip, plus the same for the loader's batches. Table growth
// (rehashing) shows up as a tail spike if it ever blocks the shard.
//
// Usage: kv_latency [--port 6379] [--keys 10000000] [--pipeline 100]
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "io/socket.h"

namespace {

using Clock = std::chrono::steady_clock;

// Reads until `count` complete top-level replies (simple/integer/bulk only) have arrived.
bool ReadReplies(int fd, int count, std::string* buf) {
  int seen = 0;
  size_t pos = 0;
  while (seen < count) {
    for (;;) {
      size_t e = buf->find("\r\n", pos);
      if (e == std::string::npos) break;
      char t = (*buf)[pos];
      if (t == '$') {
        long len = atol(buf->c_str() + pos + 1);
        if (len < 0) {
          pos = e + 2;
        } else {
          if (buf->size() < e + 2 + size_t(len) + 2) break;
          pos = e + 2 + size_t(len) + 2;
        }
      } else {
        pos = e + 2;
      }
      if (++seen == count) break;
    }
    if (seen == count) break;
    char tmp[65536];
    ssize_t n = read(fd, tmp, sizeof(tmp));
    if (n <= 0) return false;
    buf->append(tmp, size_t(n));
  }
  buf->erase(0, pos);
  return true;
}

void Report(const char* name, std::vector<double>& us) {
  if (us.empty()) return;
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) { return us[std::min(us.size() - 1, size_t(p * double(us.size())))]; };
  printf("%-8s n=%zu p50=%.0fus p99=%.0fus p99.9=%.0fus max=%.0fus\n", name, us.size(), pct(0.5),
         pct(0.99), pct(0.999), us.back());
}

}  // namespace

int main(int argc, char** argv) {
  int port = 6379;
  long keys = 10000000;
  int pipeline = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--port")
      port = atoi(argv[i + 1]);
    else if (a == "--keys")
      keys = atol(argv[i + 1]);
    else if (a == "--pipeline")
      pipeline = atoi(argv[i + 1]);
  }
  std::string err;
  int loader = strata::io::ConnectTcp("127.0.0.1", uint16_t(port), &err);
  int probe = strata::io::ConnectTcp("127.0.0.1", uint16_t(port), &err);
  if (loader < 0 || probe < 0) {
    fprintf(stderr, "kv_latency: cannot connect: %s\n", err.c_str());
    return 1;
  }
  strata::io::SetNoDelay(loader);
  strata::io::SetNoDelay(probe);
  std::atomic<bool> done{false};
  std::vector<double> probe_us, batch_us;
  std::thread prober([&] {
    std::string buf;
    const std::string get = "*2\r\n$3\r\nGET\r\n$16\r\nkey:000000000001\r\n";
    while (!done.load()) {
      auto t0 = Clock::now();
      if (write(probe, get.data(), get.size()) < 0 || !ReadReplies(probe, 1, &buf)) break;
      probe_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  std::string buf, batch;
  char key[32];
  auto start = Clock::now();
  for (long i = 0; i < keys; i += pipeline) {
    batch.clear();
    int n = 0;
    for (long j = i; j < keys && j < i + pipeline; j++, n++) {
      snprintf(key, sizeof(key), "key:%012ld", j);
      batch += "*3\r\n$3\r\nSET\r\n$16\r\n";
      batch += key;
      batch += "\r\n$8\r\nvalue123\r\n";
    }
    auto t0 = Clock::now();
    size_t off = 0;
    while (off < batch.size()) {
      ssize_t w = write(loader, batch.data() + off, batch.size() - off);
      if (w <= 0) return 1;
      off += size_t(w);
    }
    if (!ReadReplies(loader, n, &buf)) return 1;
    batch_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  done = true;
  prober.join();
  printf("loaded %ld keys in %.1fs (%.0f SET/s), pipeline %d\n", keys, secs, double(keys) / secs,
         pipeline);
  Report("probe", probe_us);
  Report("batch", batch_us);
  return 0;
}
