// txn_load: a closed-loop load generator for multi-command units such as MULTI ... EXEC, which
// redis-benchmark cannot send as one request.
//
// A unit is a fixed list of commands (default: MULTI, INCR counter:K, EXPIRE counter:K 100,
// EXEC). Every connection sends `pipeline` units at once (pipeline x commands-per-unit requests in
// one write), waits for all of their replies, then sends the next batch, as redis-benchmark -P
// does. "__rand_int__" in any argument becomes one 12-digit random number in [0, keyspace) per
// unit, the same in every command of the unit, so a transaction works on one key.
//
// Connections are spread over --threads event loops (epoll, one per thread; default 1, like
// redis-benchmark). Prints one line of key=value pairs: units, seconds, units_per_sec,
// requests_per_sec, errors (error replies at any depth, plus EXEC's null reply when a
// transaction aborts), and p50/p99 of the batch round trips in ms.
//
// Usage: txn_load [--host 127.0.0.1] [--port 6379] [--clients 50] [--pipeline 1]
//                 [--requests 100000] [--keyspace 100000] [--threads 1]
//                 [--cmd "INCR counter:__rand_int__"]...
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "io/socket.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr char kRandToken[] = "__rand_int__";
constexpr size_t kRandLen = 12;  // redis-benchmark's %012 format: the token's own length

// One unit encoded once as RESP, with the offsets of the 12-byte random-number slots.
struct UnitTemplate {
  std::string bytes;
  std::vector<size_t> slots;
  int commands = 0;
};

UnitTemplate BuildTemplate(const std::vector<std::vector<std::string>>& commands, bool randomize) {
  UnitTemplate t;
  for (const auto& args : commands) {
    t.bytes += "*" + std::to_string(args.size()) + "\r\n";
    for (const auto& a : args) {
      t.bytes += "$" + std::to_string(a.size()) + "\r\n";
      size_t base = t.bytes.size();
      t.bytes += a;
      if (randomize) {
        for (size_t p = a.find(kRandToken); p != std::string::npos;
             p = a.find(kRandToken, p + kRandLen))
          t.slots.push_back(base + p);
      }
      t.bytes += "\r\n";
    }
    t.commands++;
  }
  return t;
}

// Length of the complete reply at [p, end), or 0 when more bytes are needed. Counts error replies
// at any depth in *errors, and a top-level null array (an aborted EXEC) as an error too.
size_t ParseReply(const char* p, const char* end, int depth, long* errors) {
  const char* nl = static_cast<const char*>(memchr(p, '\n', size_t(end - p)));
  if (nl == nullptr) return 0;
  const char* body = nl + 1;
  switch (*p) {
    case '+':
    case ':':
    case ',':
    case '#':
    case '(':
    case '_':
      return size_t(body - p);
    case '-':
      ++*errors;
      return size_t(body - p);
    case '$':
    case '=':
    case '!': {
      long len = strtol(p + 1, nullptr, 10);
      if (len < 0) return size_t(body - p);
      if (end - body < len + 2) return 0;
      if (*p == '!') ++*errors;
      return size_t(body - p) + size_t(len) + 2;
    }
    case '*':
    case '~':
    case '>':
    case '%': {
      long n = strtol(p + 1, nullptr, 10);
      if (n < 0) {
        if (depth == 0) ++*errors;
        return size_t(body - p);
      }
      if (*p == '%') n *= 2;
      const char* q = body;
      for (long i = 0; i < n; i++) {
        if (q >= end) return 0;
        size_t len = ParseReply(q, end, depth + 1, errors);
        if (len == 0) return 0;
        q += len;
      }
      return size_t(q - p);
    }
    default:
      fprintf(stderr, "txn_load: unexpected reply byte 0x%02x\n", static_cast<unsigned char>(*p));
      exit(2);
  }
}

struct Options {
  std::string host = "127.0.0.1";
  int port = 6379;
  int clients = 50;
  int pipeline = 1;
  long requests = 100000;
  long keyspace = 100000;
  int threads = 1;
  std::vector<std::vector<std::string>> commands;
};

struct Conn {
  int fd = -1;
  uint64_t rng = 0;
  std::string out;
  size_t written = 0;
  std::string in;
  long pending = 0;  // replies still due for the batch in flight
  Clock::time_point sent;
  bool want_out = false;
};

struct Totals {
  std::atomic<long> remaining{0};
  std::atomic<long> units{0};
  std::atomic<long> errors{0};
};

uint64_t NextRandom(uint64_t* s) {  // xorshift64*
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 2685821657736338717ULL;
}

class Loop {
 public:
  Loop(const Options& o, const UnitTemplate& t, Totals* totals, int nconns, int seed)
      : o_(o), t_(t), totals_(totals) {
    ep_ = epoll_create1(0);
    conns_.resize(size_t(nconns));
    for (int i = 0; i < nconns; i++) {
      Conn& c = conns_[size_t(i)];
      std::string err;
      c.fd = strata::io::ConnectTcp(o.host, uint16_t(o.port), &err);
      if (c.fd < 0) {
        fprintf(stderr, "txn_load: cannot connect to %s:%d: %s\n", o.host.c_str(), o.port,
                err.c_str());
        exit(1);
      }
      strata::io::SetNoDelay(c.fd);
      strata::io::SetNonBlocking(c.fd);
      c.rng = 0x9E3779B97F4A7C15ULL * uint64_t(seed * 1000 + i + 1);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u32 = uint32_t(i);
      epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
    }
  }
  ~Loop() {
    for (auto& c : conns_) close(c.fd);
    close(ep_);
  }

  void Run() {
    int active = 0;
    for (size_t i = 0; i < conns_.size(); i++)
      if (StartBatch(i)) active++;
    std::vector<epoll_event> evs(conns_.size());
    while (active > 0) {
      int n = epoll_wait(ep_, evs.data(), int(evs.size()), -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        perror("epoll_wait");
        exit(1);
      }
      for (int k = 0; k < n; k++) {
        size_t i = evs[size_t(k)].data.u32;
        if (evs[size_t(k)].events & EPOLLOUT) Flush(i);
        if (evs[size_t(k)].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
          if (Read(i) && !StartBatch(i)) active--;
        }
      }
    }
  }

  std::vector<double> latencies_ms;
  long errors = 0;

 private:
  // Claims up to `pipeline` units and sends them; false when the run's budget is spent.
  bool StartBatch(size_t i) {
    Conn& c = conns_[i];
    long left = totals_->remaining.fetch_sub(o_.pipeline);
    if (left <= 0) {
      epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
      return false;
    }
    long units = std::min<long>(o_.pipeline, left);
    c.out.clear();
    c.written = 0;
    char digits[24];  // the keyspace is below 10^12: always 12 digits
    for (long u = 0; u < units; u++) {
      size_t base = c.out.size();
      c.out += t_.bytes;
      if (!t_.slots.empty()) {
        snprintf(digits, sizeof(digits), "%012llu",
                 static_cast<unsigned long long>(NextRandom(&c.rng) % uint64_t(o_.keyspace)));
        for (size_t s : t_.slots) memcpy(&c.out[base + s], digits, kRandLen);
      }
    }
    c.pending = units * t_.commands;
    c.sent = Clock::now();
    Flush(i);
    return true;
  }

  void Flush(size_t i) {
    Conn& c = conns_[i];
    while (c.written < c.out.size()) {
      ssize_t n = send(c.fd, c.out.data() + c.written, c.out.size() - c.written, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n <= 0) {
        perror("txn_load: send");
        exit(1);
      }
      c.written += size_t(n);
    }
    bool want_out = c.written < c.out.size();
    if (want_out != c.want_out) {  // EPOLLOUT only while a batch is partly written
      epoll_event ev{};
      ev.events = EPOLLIN | (want_out ? uint32_t(EPOLLOUT) : 0u);
      ev.data.u32 = uint32_t(i);
      epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
      c.want_out = want_out;
    }
  }

  // Reads what has arrived; true when the batch in flight is complete.
  bool Read(size_t i) {
    Conn& c = conns_[i];
    for (;;) {
      char tmp[65536];
      ssize_t n = read(c.fd, tmp, sizeof(tmp));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n <= 0) {
        fprintf(stderr, "txn_load: connection closed by the server\n");
        exit(1);
      }
      c.in.append(tmp, size_t(n));
      if (size_t(n) < sizeof(tmp)) break;
    }
    size_t pos = 0;
    while (c.pending > 0 && pos < c.in.size()) {
      long reply_errors = 0;  // counted once the reply is complete: a partial one is reparsed
      size_t len = ParseReply(c.in.data() + pos, c.in.data() + c.in.size(), 0, &reply_errors);
      if (len == 0) break;
      errors += reply_errors;
      pos += len;
      c.pending--;
    }
    c.in.erase(0, pos);
    if (c.pending > 0) return false;
    latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - c.sent).count());
    totals_->units += long(c.out.size() / t_.bytes.size());
    return true;
  }

  const Options& o_;
  const UnitTemplate& t_;
  Totals* totals_;
  int ep_;
  std::vector<Conn> conns_;
};

std::vector<std::string> SplitWords(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') i++;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') j++;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

[[noreturn]] void Usage() {
  fprintf(stderr,
          "usage: txn_load [--host H] [--port P] [--clients N] [--pipeline P] [--requests N]\n"
          "                [--keyspace R] [--threads T] [--cmd \"WORDS ...\"]...\n");
  exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (i + 1 >= argc) Usage();
    std::string v = argv[++i];
    if (a == "--host")
      o.host = v;
    else if (a == "--port")
      o.port = atoi(v.c_str());
    else if (a == "--clients")
      o.clients = atoi(v.c_str());
    else if (a == "--pipeline")
      o.pipeline = atoi(v.c_str());
    else if (a == "--requests")
      o.requests = atol(v.c_str());
    else if (a == "--keyspace")
      o.keyspace = atol(v.c_str());
    else if (a == "--threads")
      o.threads = atoi(v.c_str());
    else if (a == "--cmd")
      o.commands.push_back(SplitWords(v));
    else
      Usage();
  }
  if (o.clients < 1 || o.pipeline < 1 || o.requests < 1 || o.threads < 1 || o.keyspace < 0 ||
      o.keyspace > 999999999999L)
    Usage();
  if (o.commands.empty()) {
    o.commands = {{"MULTI"},
                  {"INCR", "counter:__rand_int__"},
                  {"EXPIRE", "counter:__rand_int__", "100"},
                  {"EXEC"}};
  }
  o.threads = std::min(o.threads, o.clients);
  UnitTemplate t = BuildTemplate(o.commands, o.keyspace > 0);
  Totals totals;
  totals.remaining = o.requests;

  std::vector<std::unique_ptr<Loop>> loops;
  for (int k = 0; k < o.threads; k++) {
    int n = o.clients / o.threads + (k < o.clients % o.threads ? 1 : 0);
    loops.push_back(std::make_unique<Loop>(o, t, &totals, n, k));
  }
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (auto& l : loops) threads.emplace_back([&l] { l->Run(); });
  for (auto& th : threads) th.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<double> lat;
  long errors = 0;
  for (auto& l : loops) {
    lat.insert(lat.end(), l->latencies_ms.begin(), l->latencies_ms.end());
    errors += l->errors;
  }
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    return lat.empty() ? 0.0 : lat[std::min(lat.size() - 1, size_t(p * double(lat.size())))];
  };
  long units = totals.units.load();
  printf(
      "units=%ld seconds=%.3f units_per_sec=%.0f requests_per_sec=%.0f errors=%ld p50_ms=%.3f "
      "p99_ms=%.3f\n",
      units, secs, double(units) / secs, double(units * t.commands) / secs, errors, pct(0.50),
      pct(0.99));
  return errors > 0 ? 3 : 0;
}
