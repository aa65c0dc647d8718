// kv_load: a lean GET/SET load generator, for the cases where redis-benchmark itself is the
// bottleneck.
//
// At pipeline 16 redis-benchmark spends about 0.7 µs of CPU per request here (hiredis builds a
// reply object per reply, and every request's latency goes into a histogram). On a 2-core
// machine that is a full core at 1.4M requests/s, so a server faster than that cannot show it:
// the load generator's core sets the pace. kv_load sends the same requests with less work per
// request, so the server's cores, not the client's, decide the rate:
// - each connection keeps one batch of --pipeline commands in a buffer built once; before each
//   send only the 12 key digits of each command are rewritten in place;
// - replies are counted, not built: a small state machine walks the RESP bytes across reads and
//   checks each reply's type (+OK for SET, a bulk string or a null for GET; anything else, an
//   error reply included, ends the run with exit status 3);
// - a batch's latency (send to its last reply) is recorded once per batch, in a log-linear
//   histogram with 1% resolution.
//
// Keys are named like redis-benchmark's -r keys, key:<12 digits>, so a keyspace that
// `redis-benchmark -t set -r N` loaded is the one GETs read; --keys N picks uniformly among N.
// Values are --size bytes of 'x'. Connections are spread over --threads epoll loops (default 1).
//
// With --pid, the server's CPU time over the measured interval (utime + stime from
// /proc/<pid>/stat) is reported per request. Prints one line of key=value pairs: requests,
// seconds, rps, p50_ms and p99_ms (batch latencies), client_cores (this process's own CPU time
// over the wall time) and, with --pid, server_us_per_req.
//
// Usage: kv_load [--host 127.0.0.1] [--port 6379] [--test get|set] [--clients 50]
//                [--pipeline 16] [--requests 1000000] [--keys 1000000] [--size 3]
//                [--threads 1] [--pid PID]
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "io/socket.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  bool set = false;
  int clients = 50;
  int pipeline = 16;
  uint64_t requests = 1000000;
  uint64_t keys = 1000000;
  size_t size = 3;
  int threads = 1;
  int pid = 0;
};

[[noreturn]] void Fail(const char* what) {
  fprintf(stderr, "kv_load: %s\n", what);
  exit(3);
}

// Latency histogram: bucket i covers [1.01^i, 1.01^(i+1)) nanoseconds, so any percentile is
// known to within 1%.
class Histogram {
 public:
  void Add(int64_t ns) {
    size_t i = ns <= 1 ? 0 : size_t(std::log(double(ns)) * kScale);
    if (i >= counts_.size()) counts_.resize(i + 1);
    counts_[i]++;
    total_++;
  }
  void Merge(const Histogram& o) {
    if (o.counts_.size() > counts_.size()) counts_.resize(o.counts_.size());
    for (size_t i = 0; i < o.counts_.size(); i++) counts_[i] += o.counts_[i];
    total_ += o.total_;
  }
  // The value below which `q` of the samples fall, in milliseconds.
  double QuantileMs(double q) const {
    uint64_t want = uint64_t(std::ceil(q * double(total_)));
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); i++) {
      seen += counts_[i];
      if (seen >= want && seen > 0) return std::exp(double(i + 1) / kScale) / 1e6;
    }
    return 0;
  }

 private:
  static constexpr double kScale = 1.0 / 0.00995033;  // 1 / ln(1.01)
  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
};

// Counts complete replies in a byte stream that arrives in pieces. Only the shapes GET and SET
// answer with are accepted: a simple string, a bulk string, or a null bulk string.
class ReplyCounter {
 public:
  // Consumes [p, end); returns the number of replies completed, or -1 on an unexpected reply.
  int Feed(const char* p, const char* end) {
    int done = 0;
    while (p < end) {
      switch (state_) {
        case State::kType:
          if (*p == '+') {
            state_ = State::kLine;
          } else if (*p == '$') {
            state_ = State::kLength;
            length_ = 0;
            negative_ = false;
          } else {
            return -1;
          }
          p++;
          break;
        case State::kLine: {  // skip to the end of a simple string's line
          const char* nl = static_cast<const char*>(memchr(p, '\n', size_t(end - p)));
          if (nl == nullptr) return done;
          p = nl + 1;
          state_ = State::kType;
          done++;
          break;
        }
        case State::kLength:
          if (*p == '-') {
            negative_ = true;
          } else if (*p >= '0' && *p <= '9') {
            length_ = length_ * 10 + uint64_t(*p - '0');
          } else if (*p == '\n') {
            if (negative_) {
              state_ = State::kType;
              done++;
            } else {
              skip_ = length_ + 2;  // the data and its CRLF
              state_ = State::kBody;
            }
          }
          p++;
          break;
        case State::kBody: {
          size_t take = std::min<uint64_t>(skip_, uint64_t(end - p));
          p += take;
          skip_ -= take;
          if (skip_ == 0) {
            state_ = State::kType;
            done++;
          }
          break;
        }
      }
    }
    return done;
  }

 private:
  enum class State { kType, kLine, kLength, kBody };
  State state_ = State::kType;
  uint64_t length_ = 0;
  uint64_t skip_ = 0;
  bool negative_ = false;
};

struct Conn {
  int fd = -1;
  std::string batch;               // --pipeline commands, built once
  std::vector<size_t> key_digits;  // offsets of each command's 12 key digits in `batch`
  size_t sent = 0;                 // bytes of `batch` sent so far
  int awaiting = 0;                // replies still due for the batch in flight
  Clock::time_point started;
  ReplyCounter counter;
};

struct Shared {
  const Options* opt;
  std::atomic<uint64_t> issued{0};  // batches handed out, over all threads
  uint64_t batches = 0;             // batches to send in all
};

struct Worker {
  std::vector<Conn> conns;
  Histogram latency;
  uint64_t replies = 0;
};

uint64_t NextRandom(uint64_t* s) {  // xorshift64*
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 0x2545F4914F6CDD1DULL;
}

void BuildBatch(const Options& opt, Conn* c) {
  const std::string value(opt.size, 'x');
  for (int i = 0; i < opt.pipeline; i++) {
    if (opt.set) {
      c->batch += "*3\r\n$3\r\nSET\r\n$16\r\nkey:";
    } else {
      c->batch += "*2\r\n$3\r\nGET\r\n$16\r\nkey:";
    }
    c->key_digits.push_back(c->batch.size());
    c->batch += "000000000000\r\n";
    if (opt.set) c->batch += "$" + std::to_string(opt.size) + "\r\n" + value + "\r\n";
  }
}

void RandomizeKeys(const Options& opt, uint64_t* rng, Conn* c) {
  for (size_t at : c->key_digits) {
    uint64_t k = NextRandom(rng) % opt.keys;
    char* d = c->batch.data() + at + 11;
    for (int i = 0; i < 12; i++, d--) {
      *d = char('0' + k % 10);
      k /= 10;
    }
  }
}

// Sends what is left of c's batch; false if the socket failed.
bool Flush(Conn* c) {
  while (c->sent < c->batch.size()) {
    ssize_t n = send(c->fd, c->batch.data() + c->sent, c->batch.size() - c->sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN;
    }
    c->sent += size_t(n);
  }
  return true;
}

// Starts c's next batch if any are left; false when the run has no more for it.
bool StartBatch(Shared* sh, uint64_t* rng, Conn* c) {
  if (sh->issued.fetch_add(1, std::memory_order_relaxed) >= sh->batches) return false;
  RandomizeKeys(*sh->opt, rng, c);
  c->sent = 0;
  c->awaiting = sh->opt->pipeline;
  c->started = Clock::now();
  if (!Flush(c)) Fail("send failed: the server closed a connection");
  return true;
}

void RunWorker(Shared* sh, Worker* w, uint64_t seed) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) Fail("epoll_create1 failed");
  uint64_t rng = seed | 1;
  int active = 0;
  for (size_t i = 0; i < w->conns.size(); i++) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
    ev.data.u64 = i;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, w->conns[i].fd, &ev) != 0) Fail("epoll_ctl failed");
    if (StartBatch(sh, &rng, &w->conns[i])) active++;
  }
  std::vector<epoll_event> events(w->conns.size());
  std::vector<char> buf(1 << 16);
  while (active > 0) {
    int n = epoll_wait(ep, events.data(), int(events.size()), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      Fail("epoll_wait failed");
    }
    for (int e = 0; e < n; e++) {
      Conn& c = w->conns[events[e].data.u64];
      if (c.awaiting == 0) continue;  // finished its share
      if ((events[e].events & EPOLLOUT) && !Flush(&c)) Fail("send failed");
      if (!(events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      for (;;) {
        ssize_t r = read(c.fd, buf.data(), buf.size());
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == EAGAIN) break;
        if (r <= 0) Fail("the server closed a connection");
        int got = c.counter.Feed(buf.data(), buf.data() + r);
        if (got < 0) Fail("unexpected reply (an error, or not what GET or SET answer)");
        if (got > c.awaiting) Fail("more replies than requests");
        c.awaiting -= got;
        w->replies += uint64_t(got);
        if (c.awaiting == 0) {
          w->latency.Add(
              std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - c.started)
                  .count());
          if (!StartBatch(sh, &rng, &c)) {
            active--;
            break;
          }
        }
        if (size_t(r) < buf.size()) break;  // drained: edge-triggered, the next reply re-arms
      }
    }
  }
  close(ep);
}

double ServerCpuSeconds(int pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE* f = fopen(path, "r");
  if (f == nullptr) return 0;
  char line[4096];
  size_t n = fread(line, 1, sizeof line - 1, f);
  fclose(f);
  line[n] = '\0';
  const char* p = strrchr(line, ')');
  if (p == nullptr) return 0;
  // Fields after the command name: state is field 3; utime and stime are fields 14 and 15.
  unsigned long long utime = 0, stime = 0;
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
    return 0;
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

double OwnCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

bool ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; i++) {
    std::string_view a = argv[i];
    if (i + 1 >= argc) return false;
    const char* v = argv[++i];
    if (a == "--host") {
      o->host = v;
    } else if (a == "--port") {
      o->port = uint16_t(atoi(v));
    } else if (a == "--test") {
      if (strcmp(v, "get") != 0 && strcmp(v, "set") != 0) return false;
      o->set = strcmp(v, "set") == 0;
    } else if (a == "--clients") {
      o->clients = atoi(v);
    } else if (a == "--pipeline") {
      o->pipeline = atoi(v);
    } else if (a == "--requests") {
      o->requests = strtoull(v, nullptr, 10);
    } else if (a == "--keys") {
      o->keys = strtoull(v, nullptr, 10);
    } else if (a == "--size") {
      o->size = strtoull(v, nullptr, 10);
    } else if (a == "--threads") {
      o->threads = atoi(v);
    } else if (a == "--pid") {
      o->pid = atoi(v);
    } else {
      return false;
    }
  }
  return o->clients > 0 && o->pipeline > 0 && o->keys > 0 && o->keys <= 1000000000000ULL &&
         o->threads > 0 && o->threads <= o->clients && o->requests > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!ParseArgs(argc, argv, &opt)) {
    fprintf(stderr,
            "usage: kv_load [--host H] [--port P] [--test get|set] [--clients 50] "
            "[--pipeline 16] [--requests N] [--keys 1000000] [--size 3] [--threads 1] "
            "[--pid PID]\n");
    return 2;
  }
  Shared sh;
  sh.opt = &opt;
  sh.batches = (opt.requests + uint64_t(opt.pipeline) - 1) / uint64_t(opt.pipeline);
  std::vector<Worker> workers(size_t(opt.threads));
  for (int i = 0; i < opt.clients; i++) {
    std::string err;
    Conn c;
    c.fd = strata::io::ConnectTcp(opt.host, opt.port, &err);
    if (c.fd < 0) {
      fprintf(stderr, "kv_load: connect: %s\n", err.c_str());
      return 3;
    }
    strata::io::SetNoDelay(c.fd);
    strata::io::SetNonBlocking(c.fd);
    BuildBatch(opt, &c);
    workers[size_t(i % opt.threads)].conns.push_back(std::move(c));
  }

  double server0 = opt.pid ? ServerCpuSeconds(opt.pid) : 0;
  double own0 = OwnCpuSeconds();
  Clock::time_point t0 = Clock::now();
  std::vector<std::thread> threads;
  for (size_t i = 0; i < workers.size(); i++)
    threads.emplace_back(RunWorker, &sh, &workers[i], 0x9E3779B97F4A7C15ULL * (i + 1));
  for (std::thread& t : threads) t.join();
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  double own = OwnCpuSeconds() - own0;
  double server = opt.pid ? ServerCpuSeconds(opt.pid) - server0 : 0;

  Histogram all;
  uint64_t replies = 0;
  for (Worker& w : workers) {
    all.Merge(w.latency);
    replies += w.replies;
    for (Conn& c : w.conns) close(c.fd);
  }
  printf("requests=%llu seconds=%.3f rps=%.0f p50_ms=%.3f p99_ms=%.3f client_cores=%.2f",
         static_cast<unsigned long long>(replies), secs, double(replies) / secs,
         all.QuantileMs(0.50), all.QuantileMs(0.99), own / secs);
  if (opt.pid) printf(" server_us_per_req=%.3f", server * 1e6 / double(replies));
  printf("\n");
  return 0;
}
