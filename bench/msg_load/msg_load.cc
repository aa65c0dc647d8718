// msg_load: load generator for messaging: Pub/Sub fan-out, and reads and writes under
// client-side caching (CLIENT TRACKING) with a check that every invalidation arrives.
//
// --mode pubsub: --subscribers connections subscribe before the run. With --patterns 0 each one
// SUBSCRIBEs to one of --channels channels ch:0 .. ch:<C-1>, round robin; with --patterns N
// (at most 10) the last N subscribers instead PSUBSCRIBE to ch:0* .. ch:<N-1>*. One publisher
// connection then PUBLISHes a --size byte message to the channels in turn, keeping up to
// --window PUBLISH in flight, for --duration seconds. The sum of PUBLISH's replies is the number
// of deliveries the server owes; the publisher waits while that sum exceeds what the subscribers
// have received by more than --lag messages per subscriber, so the run measures sustained
// throughput and no subscriber's output buffer grows without bound. After the publisher stops,
// the subscribers drain (up to --drain seconds). Rate = messages received by all subscribers /
// seconds from the first PUBLISH until the drain completes. The PUBLISH replies must add up to
// the receivers the subscriptions imply (expected=), and every owed message must arrive.
// Subscribers are spread over --threads epoll loops (default 1); the first also runs the
// publisher.
//
// --mode tracking: --clients RESP3 connections, each HELLO 3 + CLIENT TRACKING ON, send batches
// of --pipeline commands, each a GET (or, with probability --write-pct %, a SET) of a random key
// among --keys keys named <prefix><i> (preloaded by the caller), for --duration seconds. Then no
// more commands are sent and the clients read invalidation pushes for up to --drain seconds.
// Check: a SET sent after a client got the reply of its GET of that key must be followed by an
// invalidation of that key to that client, received after the GET was sent. (The SET runs after
// the GET, so either it invalidates the client's tracked key or an earlier write since the GET
// already did; either way an invalidation made after the GET was sent is due.) Prints how many
// (client, key) pairs are owed one and how many never got it.
//
// With --pid, the server's CPU time (utime + stime of /proc/<pid>/stat) over the measured interval
// is reported per delivered message / per operation. Prints one line of key=value pairs; exits 3
// when a delivery or invalidation is missing, PUBLISH replies disagree with the subscriptions, an
// error reply arrived, or the server closed a connection.
//
// Usage: msg_load --mode pubsub [--host 127.0.0.1] [--port 6379] [--pid PID]
//                 [--subscribers 1000] [--channels 1] [--patterns 0] [--window 32] [--size 32]
//                 [--lag 1000] [--duration 5] [--drain 10] [--threads 1]
//        msg_load --mode tracking [--host H] [--port P] [--pid PID] [--clients 50] [--keys 10000]
//                 [--prefix trk:] [--pipeline 1] [--write-pct 10] [--duration 5] [--drain 1]
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "io/socket.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// ---- RESP ----

// One parsed element, in preorder: aggregates ('*', '>', '~', '%') carry their element count in
// n (pairs for maps) and are followed by their elements; strings carry their bytes in s; nulls
// have type '_'.
struct Tok {
  char type;
  int64_t n;
  std::string_view s;
};

// Parses the frame at [p, end) into *toks; returns its length, or 0 when more bytes are needed
// (*toks then holds a partial frame: clear it before parsing again).
size_t ParseFrame(const char* p, const char* end, std::vector<Tok>* toks) {
  if (p >= end) return 0;
  const char* nl = static_cast<const char*>(memchr(p, '\n', size_t(end - p)));
  if (nl == nullptr) return 0;
  const char* body = nl + 1;
  const char* line_end = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
  char type = *p;
  switch (type) {
    case '+':
    case '-':
    case ':':
    case ',':
    case '#':
    case '(':
      toks->push_back({type, 0, std::string_view(p + 1, size_t(line_end - p - 1))});
      return size_t(body - p);
    case '_':
      toks->push_back({'_', 0, {}});
      return size_t(body - p);
    case '$':
    case '=':
    case '!': {
      long len = strtol(p + 1, nullptr, 10);
      if (len < 0) {
        toks->push_back({'_', 0, {}});
        return size_t(body - p);
      }
      if (end - body < len + 2) return 0;
      toks->push_back({type == '!' ? '-' : type, len, std::string_view(body, size_t(len))});
      return size_t(body - p) + size_t(len) + 2;
    }
    case '*':
    case '~':
    case '>':
    case '%': {
      long n = strtol(p + 1, nullptr, 10);
      if (n < 0) {
        toks->push_back({'_', 0, {}});
        return size_t(body - p);
      }
      toks->push_back({type, n, {}});
      long items = type == '%' ? 2 * n : n;
      const char* q = body;
      for (long i = 0; i < items; i++) {
        size_t len = ParseFrame(q, end, toks);
        if (len == 0) return 0;
        q += len;
      }
      return size_t(q - p);
    }
    default:
      fprintf(stderr, "msg_load: unexpected reply byte 0x%02x\n", static_cast<unsigned char>(*p));
      exit(2);
  }
}

std::string Command(std::initializer_list<std::string_view> args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (std::string_view a : args) {
    out += "$" + std::to_string(a.size()) + "\r\n";
    out += a;
    out += "\r\n";
  }
  return out;
}

// ---- connections ----

struct Conn {
  int fd = -1;
  std::string in;
  std::string out;
  size_t written = 0;
  bool want_out = false;
  bool closed = false;
};

int Connect(const std::string& host, int port) {
  std::string err;
  int fd = strata::io::ConnectTcp(host, uint16_t(port), &err);
  if (fd < 0) {
    fprintf(stderr, "msg_load: cannot connect to %s:%d: %s\n", host.c_str(), port, err.c_str());
    exit(1);
  }
  strata::io::SetNoDelay(fd);
  return fd;
}

// Sends req on a still blocking connection and reads `replies` frames; exits on an error reply.
void SyncCall(Conn* c, const std::string& req, int replies) {
  for (size_t off = 0; off < req.size();) {
    ssize_t n = send(c->fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      perror("msg_load: send");
      exit(1);
    }
    off += size_t(n);
  }
  std::vector<Tok> toks;
  size_t pos = 0;
  while (replies > 0) {
    toks.clear();
    size_t len = ParseFrame(c->in.data() + pos, c->in.data() + c->in.size(), &toks);
    if (len > 0) {
      if (toks[0].type == '-') {
        fprintf(stderr, "msg_load: setup command %.40s... failed: %.*s\n", req.c_str(),
                int(toks[0].s.size()), toks[0].s.data());
        exit(1);
      }
      pos += len;
      replies--;
      continue;
    }
    char tmp[16384];
    ssize_t n = read(c->fd, tmp, sizeof(tmp));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      fprintf(stderr, "msg_load: connection closed during setup\n");
      exit(1);
    }
    c->in.append(tmp, size_t(n));
  }
  c->in.erase(0, pos);
}

// Writes what it can of c->out; keeps EPOLLOUT registered only while some of it is left.
void Flush(int ep, Conn* c, uint64_t tag) {
  while (c->written < c->out.size()) {
    ssize_t n = send(c->fd, c->out.data() + c->written, c->out.size() - c->written, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) {
      perror("msg_load: send");
      exit(1);
    }
    c->written += size_t(n);
  }
  if (c->written == c->out.size()) {
    c->out.clear();
    c->written = 0;
  }
  bool want_out = !c->out.empty();
  if (want_out != c->want_out) {
    epoll_event ev{};
    ev.events = EPOLLIN | (want_out ? uint32_t(EPOLLOUT) : 0u);
    ev.data.u64 = tag;
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = want_out;
  }
}

void Watch(int ep, Conn* c, uint64_t tag) {
  strata::io::SetNonBlocking(c->fd);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = tag;
  epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

// Reads what has arrived into c->in; false when the server closed the connection.
bool ReadIn(Conn* c) {
  for (;;) {
    char tmp[65536];
    ssize_t n = read(c->fd, tmp, sizeof(tmp));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    if (n <= 0) return false;
    c->in.append(tmp, size_t(n));
    if (size_t(n) < sizeof(tmp)) return true;
  }
}

// Calls fn(toks) for each complete frame in c->in and drops those bytes.
template <typename Fn>
void ForEachFrame(Conn* c, std::vector<Tok>* toks, Fn&& fn) {
  size_t pos = 0;
  while (pos < c->in.size()) {
    toks->clear();
    size_t len = ParseFrame(c->in.data() + pos, c->in.data() + c->in.size(), toks);
    if (len == 0) break;
    pos += len;
    fn(*toks);
  }
  c->in.erase(0, pos);
}

// ---- process figures ----

int64_t ServerCpuTicks(int pid) {
  if (pid <= 0) return 0;
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  FILE* f = fopen(path, "r");
  if (f == nullptr) return 0;
  char buf[1024];
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = 0;
  const char* p = strrchr(buf, ')');
  if (p == nullptr) return 0;
  // Fields after the command name: state is the 3rd of the line, utime the 14th, stime the 15th.
  long long utime = 0, stime = 0;
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld", &utime, &stime) != 2)
    return 0;
  return utime + stime;
}

double TicksToUs(int64_t ticks) { return double(ticks) * 1e6 / double(sysconf(_SC_CLK_TCK)); }

double SelfCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

void RaiseFileLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

struct Options {
  std::string mode;
  std::string host = "127.0.0.1";
  int port = 6379;
  int pid = 0;
  double duration = 5;
  double drain = -1;  // per mode default
  // pubsub
  int subscribers = 1000;
  int channels = 1;
  int patterns = 0;
  int window = 32;
  int size = 32;
  long lag = 1000;
  int threads = 1;
  // tracking
  int clients = 50;
  int keys = 10000;
  std::string prefix = "trk:";
  int pipeline = 1;
  int write_pct = 10;
};

// ---- pubsub ----

struct Subscriber {
  Conn conn;
  std::atomic<uint64_t> received{0};  // written by its loop's thread only
  std::vector<int> channels;          // the channels whose messages it receives
};

class PubSubRun {
 public:
  explicit PubSubRun(const Options& o) : o_(o) {}

  int Run() {
    Setup();
    std::vector<std::thread> others;
    for (int k = 1; k < o_.threads; k++) others.emplace_back([this, k] { SubscriberLoop(k); });
    PublisherLoop();
    done_.store(true);
    for (auto& t : others) t.join();
    return Report();
  }

 private:
  void Setup() {
    if (o_.patterns > 10 || o_.patterns > o_.subscribers || o_.channels < 1) {
      fprintf(stderr, "msg_load: --patterns must be at most 10 and --channels at least 1\n");
      exit(2);
    }
    for (int k = 0; k < o_.channels; k++) {
      std::string ch = "ch:" + std::to_string(k);
      publish_.push_back(Command({"PUBLISH", ch, std::string(size_t(o_.size), 'x')}));
      names_.push_back(ch);
    }
    acked_ = std::make_unique<std::atomic<uint64_t>[]>(size_t(o_.channels));
    receivers_.assign(size_t(o_.channels), 0);
    subs_ = std::make_unique<Subscriber[]>(size_t(o_.subscribers));
    for (int t = 0; t < o_.threads; t++) loops_.push_back(std::make_unique<LoopState>());
    int plain = o_.subscribers - o_.patterns;
    for (int i = 0; i < o_.subscribers; i++) {
      Subscriber& s = subs_[size_t(i)];
      s.conn.fd = Connect(o_.host, o_.port);
      if (i < plain) {
        int k = i % o_.channels;
        s.channels.push_back(k);
        SyncCall(&s.conn, Command({"SUBSCRIBE", names_[size_t(k)]}), 1);
      } else {
        std::string prefix = std::to_string(i - plain);
        for (int k = 0; k < o_.channels; k++)
          if (std::to_string(k).starts_with(prefix)) s.channels.push_back(k);
        SyncCall(&s.conn, Command({"PSUBSCRIBE", "ch:" + prefix + "*"}), 1);
      }
      for (int k : s.channels) receivers_[size_t(k)]++;
      LoopState& l = *loops_[size_t(i % o_.threads)];
      l.subs.push_back(i);
      Watch(l.ep, &s.conn, uint64_t(i));
    }
    pub_.fd = Connect(o_.host, o_.port);
    Watch(loops_[0]->ep, &pub_, kPublisherTag);
  }

  struct LoopState {
    LoopState() : ep(epoll_create1(0)) {}
    ~LoopState() { close(ep); }
    int ep;
    std::vector<int> subs;
    std::atomic<uint64_t> received{0};
    std::vector<Tok> toks;
  };

  static constexpr uint64_t kPublisherTag = ~uint64_t(0);

  uint64_t TotalReceived() const {
    uint64_t n = 0;
    for (const auto& l : loops_) n += l->received.load(std::memory_order_relaxed);
    return n;
  }

  void OnSubscriberReadable(LoopState& l, int i) {
    Subscriber& s = subs_[size_t(i)];
    if (!ReadIn(&s.conn)) {
      if (!s.conn.closed) {
        s.conn.closed = true;
        closed_.fetch_add(1);
        epoll_ctl(l.ep, EPOLL_CTL_DEL, s.conn.fd, nullptr);
      }
      return;
    }
    uint64_t got = 0;
    ForEachFrame(&s.conn, &l.toks, [&](const std::vector<Tok>& t) {
      if (t.size() >= 2 && (t[1].s == "message" || t[1].s == "pmessage"))
        got++;
      else
        unexpected_.fetch_add(1);
    });
    if (got > 0) {
      s.received.store(s.received.load(std::memory_order_relaxed) + got, std::memory_order_relaxed);
      l.received.store(l.received.load(std::memory_order_relaxed) + got, std::memory_order_relaxed);
    }
  }

  void SubscriberLoop(int k) {
    LoopState& l = *loops_[size_t(k)];
    std::vector<epoll_event> evs(l.subs.size() + 1);
    while (!done_.load()) {
      int n = epoll_wait(l.ep, evs.data(), int(evs.size()), 20);
      for (int e = 0; e < n; e++) OnSubscriberReadable(l, int(evs[size_t(e)].data.u64));
    }
  }

  // Sends PUBLISH while fewer than --window are in flight and the subscribers keep up.
  void Pump() {
    uint64_t limit = uint64_t(o_.lag) * uint64_t(o_.subscribers);
    bool sent = false;
    while (inflight_.size() < size_t(o_.window)) {
      if (owed_ > TotalReceived() + limit) {
        if (!blocked_) blocked_since_ = Clock::now();
        blocked_ = true;
        break;
      }
      if (blocked_) blocked_time_ += Clock::now() - blocked_since_;
      blocked_ = false;
      int k = next_channel_;
      next_channel_ = (next_channel_ + 1) % o_.channels;
      pub_.out += publish_[size_t(k)];
      inflight_.push_back(k);
      published_++;
      sent = true;
    }
    if (sent) Flush(loops_[0]->ep, &pub_, kPublisherTag);
  }

  void OnPublisherReadable() {
    if (!ReadIn(&pub_)) {
      fprintf(stderr, "msg_load: the server closed the publisher's connection\n");
      exit(1);
    }
    ForEachFrame(&pub_, &loops_[0]->toks, [&](const std::vector<Tok>& t) {
      if (inflight_.empty() || t[0].type != ':') {
        fprintf(stderr, "msg_load: unexpected reply to PUBLISH: %c%.*s\n", t[0].type,
                int(t[0].s.size()), t[0].s.data());
        exit(1);
      }
      int k = inflight_.front();
      inflight_.pop_front();
      acked_[size_t(k)].store(acked_[size_t(k)].load(std::memory_order_relaxed) + 1,
                              std::memory_order_relaxed);
      owed_ += uint64_t(strtoll(std::string(t[0].s).c_str(), nullptr, 10));
    });
  }

  // Largest (messages owed - received) over the subscribers, from the acknowledged PUBLISH.
  void SampleLag() {
    for (int i = 0; i < o_.subscribers; i++) {
      const Subscriber& s = subs_[size_t(i)];
      uint64_t want = 0;
      for (int k : s.channels) want += acked_[size_t(k)].load(std::memory_order_relaxed);
      uint64_t got = s.received.load(std::memory_order_relaxed);
      if (want > got) max_lag_ = std::max(max_lag_, want - got);
    }
  }

  void PublisherLoop() {
    LoopState& l = *loops_[0];
    std::vector<epoll_event> evs(l.subs.size() + 1);
    start_ = Clock::now();
    cpu0_ = ServerCpuTicks(o_.pid);
    self0_ = SelfCpuSeconds();
    auto stop_at = start_ + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(o_.duration));
    auto next_sample = start_ + std::chrono::milliseconds(100);
    bool stopping = false;
    Clock::time_point drain_until;
    Pump();
    for (;;) {
      int n = epoll_wait(l.ep, evs.data(), int(evs.size()), o_.threads > 1 ? 1 : 20);
      for (int e = 0; e < n; e++) {
        uint64_t tag = evs[size_t(e)].data.u64;
        if (tag == kPublisherTag) {
          if (evs[size_t(e)].events & EPOLLOUT) Flush(l.ep, &pub_, kPublisherTag);
          if (evs[size_t(e)].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) OnPublisherReadable();
        } else {
          OnSubscriberReadable(l, int(tag));
        }
      }
      auto now = Clock::now();
      if (now >= next_sample) {
        SampleLag();
        next_sample = now + std::chrono::milliseconds(100);
      }
      if (!stopping && now >= stop_at) {
        stopping = true;
        if (blocked_) blocked_time_ += now - blocked_since_;
        publish_seconds_ = Seconds(now - start_);
        drain_until = now + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(o_.drain));
      }
      if (!stopping) {
        Pump();
        continue;
      }
      bool drained = inflight_.empty() && TotalReceived() >= owed_;
      if (drained || now >= drain_until || closed_.load() == o_.subscribers) {
        end_ = now;
        break;
      }
    }
    cpu1_ = ServerCpuTicks(o_.pid);
    self1_ = SelfCpuSeconds();
  }

  int Report() {
    double secs = Seconds(end_ - start_);
    uint64_t got = TotalReceived();
    uint64_t missing = owed_ > got ? owed_ - got : 0;
    // The receivers the subscriptions imply for the acknowledged PUBLISH: their replies must agree.
    uint64_t expected = 0;
    for (int k = 0; k < o_.channels; k++)
      expected += acked_[size_t(k)].load() * receivers_[size_t(k)];
    double server_us = TicksToUs(cpu1_ - cpu0_);
    printf(
        "mode=pubsub subscribers=%d channels=%d patterns=%d published=%llu owed=%llu "
        "expected=%llu delivered=%llu missing=%llu seconds=%.3f publish_seconds=%.3f drain_ms=%.0f "
        "deliveries_per_sec=%.0f publishes_per_sec=%.0f server_cpu_us_per_delivery=%.4f "
        "client_cpu=%.2f publisher_waiting=%.2f max_sub_lag=%llu closed=%d unexpected=%d\n",
        o_.subscribers, o_.channels, o_.patterns, static_cast<unsigned long long>(published_),
        static_cast<unsigned long long>(owed_), static_cast<unsigned long long>(expected),
        static_cast<unsigned long long>(got), static_cast<unsigned long long>(missing), secs,
        publish_seconds_, (secs - publish_seconds_) * 1e3, double(got) / secs,
        double(published_) / secs, got > 0 && o_.pid > 0 ? server_us / double(got) : 0.0,
        (self1_ - self0_) / secs, Seconds(blocked_time_) / publish_seconds_,
        static_cast<unsigned long long>(max_lag_), closed_.load(), unexpected_.load());
    return missing > 0 || expected != owed_ || closed_.load() > 0 || unexpected_.load() > 0 ? 3 : 0;
  }

  const Options& o_;
  std::vector<std::string> publish_, names_;
  std::unique_ptr<std::atomic<uint64_t>[]> acked_;  // acknowledged PUBLISH per channel
  std::vector<uint64_t> receivers_;                 // subscriptions that match each channel
  std::unique_ptr<Subscriber[]> subs_;
  std::vector<std::unique_ptr<LoopState>> loops_;
  Conn pub_;
  std::deque<int> inflight_;  // channel of each PUBLISH in flight
  int next_channel_ = 0;
  uint64_t published_ = 0;
  uint64_t owed_ = 0;  // sum of PUBLISH replies: deliveries the server reported
  uint64_t max_lag_ = 0;
  bool blocked_ = false;
  Clock::time_point blocked_since_;
  Clock::duration blocked_time_{};
  std::atomic<bool> done_{false};
  std::atomic<int> closed_{0};
  std::atomic<int> unexpected_{0};
  Clock::time_point start_, end_;
  double publish_seconds_ = 0;
  int64_t cpu0_ = 0, cpu1_ = 0;
  double self0_ = 0, self1_ = 0;
};

// ---- tracking ----

uint64_t NextRandom(uint64_t* s) {  // xorshift64*
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 2685821657736338717ULL;
}

class TrackingRun {
 public:
  explicit TrackingRun(const Options& o) : o_(o) {}

  int Run() {
    Setup();
    Load();
    Drain();
    return Report();
  }

 private:
  struct Pending {
    bool get;
    int key;
    uint64_t sent;  // tick
  };
  struct Client {
    Conn conn;
    uint64_t rng = 0;
    std::deque<Pending> pending;
    // Per key, in ticks: the sending of the latest GET whose reply arrived; the GET a later SET
    // made an invalidation due for; the latest invalidation received.
    std::vector<uint64_t> read, owed, invalidated;
    uint64_t flushed = 0;   // a null invalidation (every key)
    bool finished = false;  // no batch in flight after the run
  };

  void Setup() {
    for (int k = 0; k < o_.keys; k++) names_.push_back(o_.prefix + std::to_string(k));
    value_ = std::string(32, 'v');
    ep_ = epoll_create1(0);
    clients_.resize(size_t(o_.clients));
    for (int i = 0; i < o_.clients; i++) {
      Client& c = clients_[size_t(i)];
      c.conn.fd = Connect(o_.host, o_.port);
      SyncCall(&c.conn, Command({"HELLO", "3"}) + Command({"CLIENT", "TRACKING", "ON"}), 2);
      c.rng = 0x9E3779B97F4A7C15ULL * uint64_t(i + 1);
      c.read.assign(size_t(o_.keys), 0);
      c.owed.assign(size_t(o_.keys), 0);
      c.invalidated.assign(size_t(o_.keys), 0);
      Watch(ep_, &c.conn, uint64_t(i));
    }
  }

  void SendBatch(int i) {
    Client& c = clients_[size_t(i)];
    for (int p = 0; p < o_.pipeline; p++) {
      int key = int(NextRandom(&c.rng) % uint64_t(o_.keys));
      bool get = int(NextRandom(&c.rng) % 100) >= o_.write_pct;
      uint64_t tick = ++tick_;
      if (get) {
        c.conn.out += Command({"GET", names_[size_t(key)]});
      } else {
        c.conn.out += Command({"SET", names_[size_t(key)], value_});
        // Every client that has read this key back before now is owed an invalidation.
        for (Client& r : clients_) {
          if (r.read[size_t(key)] > r.owed[size_t(key)]) {
            if (r.owed[size_t(key)] == 0) owed_pairs_++;
            r.owed[size_t(key)] = r.read[size_t(key)];
          }
        }
        sets_++;
      }
      c.pending.push_back({get, key, tick});
    }
    Flush(ep_, &c.conn, uint64_t(i));
  }

  int KeyIndex(std::string_view s) {
    if (!s.starts_with(o_.prefix)) return -1;
    s.remove_prefix(o_.prefix.size());
    int k = -1;
    auto r = std::from_chars(s.data(), s.data() + s.size(), k);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size() || k < 0 || k >= o_.keys) return -1;
    return k;
  }

  // Handles what arrived on client i; true when its batch in flight is complete.
  bool OnReadable(int i) {
    Client& c = clients_[size_t(i)];
    if (!ReadIn(&c.conn)) {
      fprintf(stderr, "msg_load: the server closed a tracking client's connection\n");
      exit(1);
    }
    ForEachFrame(&c.conn, &toks_, [&](const std::vector<Tok>& t) {
      if (t[0].type == '>') {
        pushes_++;
        if (t.size() < 3 || t[1].s != "invalidate") return;
        if (t[2].type == '_') {
          c.flushed = ++tick_;
          return;
        }
        for (size_t j = 3; j < t.size(); j++) {
          int k = KeyIndex(t[j].s);
          if (k < 0) {
            foreign_keys_++;
            continue;
          }
          c.invalidated[size_t(k)] = ++tick_;
          invalidated_keys_++;
        }
        return;
      }
      if (c.pending.empty()) {
        fprintf(stderr, "msg_load: reply with no command in flight: %c%.*s\n", t[0].type,
                int(t[0].s.size()), t[0].s.data());
        exit(1);
      }
      Pending p = c.pending.front();
      c.pending.pop_front();
      if (t[0].type == '-') {
        errors_++;
      } else if (p.get) {
        if (t[0].type == '$') hits_++;
        c.read[size_t(p.key)] = p.sent;
        gets_done_++;
      } else {
        sets_done_++;
      }
      ops_++;
    });
    return c.pending.empty();
  }

  void Load() {
    start_ = Clock::now();
    cpu0_ = ServerCpuTicks(o_.pid);
    self0_ = SelfCpuSeconds();
    auto stop_at = start_ + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(o_.duration));
    for (int i = 0; i < o_.clients; i++) SendBatch(i);
    std::vector<epoll_event> evs(size_t(o_.clients));
    bool stopping = false;
    int busy = o_.clients;
    while (busy > 0) {
      int n = epoll_wait(ep_, evs.data(), int(evs.size()), 100);
      if (!stopping && Clock::now() >= stop_at) {
        stopping = true;
        stop_ = Clock::now();
        cpu1_ = ServerCpuTicks(o_.pid);
        self1_ = SelfCpuSeconds();
        ops_at_stop_ = ops_;
      }
      if (stopping && Clock::now() - stop_ > std::chrono::seconds(10)) {
        fprintf(stderr, "msg_load: %d clients still wait for replies 10 s after the run\n", busy);
        exit(1);
      }
      for (int e = 0; e < n; e++) {
        int i = int(evs[size_t(e)].data.u64);
        if (evs[size_t(e)].events & EPOLLOUT) Flush(ep_, &clients_[size_t(i)].conn, uint64_t(i));
        if (!(evs[size_t(e)].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
        Client& c = clients_[size_t(i)];
        if (!OnReadable(i) || c.finished) continue;
        if (stopping) {
          c.finished = true;
          busy--;
        } else {
          SendBatch(i);
        }
      }
    }
  }

  uint64_t Missing() const {
    uint64_t missing = 0;
    for (const Client& c : clients_)
      for (size_t k = 0; k < c.owed.size(); k++)
        if (c.owed[k] > 0 && std::max(c.invalidated[k], c.flushed) < c.owed[k]) missing++;
    return missing;
  }

  // Reads pushes until every owed invalidation has arrived or --drain seconds have passed.
  void Drain() {
    auto t0 = Clock::now();
    auto until =
        t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.drain));
    std::vector<epoll_event> evs(size_t(o_.clients));
    while (Missing() > 0 && Clock::now() < until) {
      int n = epoll_wait(ep_, evs.data(), int(evs.size()), 10);
      for (int e = 0; e < n; e++) OnReadable(int(evs[size_t(e)].data.u64));
    }
    drain_ms_ = Seconds(Clock::now() - t0) * 1e3;
  }

  int Report() {
    double secs = Seconds(stop_ - start_);
    uint64_t missing = Missing();
    double server_us = TicksToUs(cpu1_ - cpu0_);
    printf(
        "mode=tracking clients=%d keys=%d pipeline=%d ops=%llu seconds=%.3f ops_per_sec=%.0f "
        "server_cpu_us_per_op=%.3f client_cpu=%.2f gets=%llu hits=%llu sets=%llu pushes=%llu "
        "invalidated_keys=%llu owed_pairs=%llu missing=%llu drain_ms=%.0f errors=%llu "
        "foreign_keys=%llu\n",
        o_.clients, o_.keys, o_.pipeline, static_cast<unsigned long long>(ops_at_stop_), secs,
        double(ops_at_stop_) / secs,
        ops_at_stop_ > 0 && o_.pid > 0 ? server_us / double(ops_at_stop_) : 0.0,
        (self1_ - self0_) / secs, static_cast<unsigned long long>(gets_done_),
        static_cast<unsigned long long>(hits_), static_cast<unsigned long long>(sets_done_),
        static_cast<unsigned long long>(pushes_),
        static_cast<unsigned long long>(invalidated_keys_),
        static_cast<unsigned long long>(owed_pairs_), static_cast<unsigned long long>(missing),
        drain_ms_, static_cast<unsigned long long>(errors_),
        static_cast<unsigned long long>(foreign_keys_));
    return missing > 0 || errors_ > 0 ? 3 : 0;
  }

  const Options& o_;
  std::vector<std::string> names_;
  std::string value_;
  int ep_ = -1;
  std::vector<Client> clients_;
  std::vector<Tok> toks_;
  uint64_t tick_ = 0;
  uint64_t ops_ = 0, ops_at_stop_ = 0, gets_done_ = 0, sets_done_ = 0, sets_ = 0, hits_ = 0;
  uint64_t pushes_ = 0, invalidated_keys_ = 0, owed_pairs_ = 0, errors_ = 0, foreign_keys_ = 0;
  double drain_ms_ = 0;
  Clock::time_point start_, stop_;
  int64_t cpu0_ = 0, cpu1_ = 0;
  double self0_ = 0, self1_ = 0;
};

[[noreturn]] void Usage() {
  fprintf(stderr,
          "usage: msg_load --mode pubsub|tracking [--host H] [--port P] [--pid PID]\n"
          "                [--duration S] [--drain S]\n"
          "  pubsub:   [--subscribers N] [--channels C] [--patterns N] [--window W] [--size B]\n"
          "            [--lag M] [--threads T]\n"
          "  tracking: [--clients N] [--keys K] [--prefix P] [--pipeline P] [--write-pct W]\n");
  exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (i + 1 >= argc) Usage();
    std::string v = argv[++i];
    if (a == "--mode")
      o.mode = v;
    else if (a == "--host")
      o.host = v;
    else if (a == "--port")
      o.port = atoi(v.c_str());
    else if (a == "--pid")
      o.pid = atoi(v.c_str());
    else if (a == "--duration")
      o.duration = atof(v.c_str());
    else if (a == "--drain")
      o.drain = atof(v.c_str());
    else if (a == "--subscribers")
      o.subscribers = atoi(v.c_str());
    else if (a == "--channels")
      o.channels = atoi(v.c_str());
    else if (a == "--patterns")
      o.patterns = atoi(v.c_str());
    else if (a == "--window")
      o.window = atoi(v.c_str());
    else if (a == "--size")
      o.size = atoi(v.c_str());
    else if (a == "--lag")
      o.lag = atol(v.c_str());
    else if (a == "--threads")
      o.threads = atoi(v.c_str());
    else if (a == "--clients")
      o.clients = atoi(v.c_str());
    else if (a == "--keys")
      o.keys = atoi(v.c_str());
    else if (a == "--prefix")
      o.prefix = v;
    else if (a == "--pipeline")
      o.pipeline = atoi(v.c_str());
    else if (a == "--write-pct")
      o.write_pct = atoi(v.c_str());
    else
      Usage();
  }
  if (o.duration <= 0 || o.subscribers < 1 || o.patterns < 0 || o.window < 1 || o.size < 0 ||
      o.lag < 1 || o.threads < 1 || o.clients < 1 || o.keys < 1 || o.pipeline < 1 ||
      o.write_pct < 0 || o.write_pct > 100)
    Usage();
  RaiseFileLimit();
  if (o.mode == "pubsub") {
    if (o.drain < 0) o.drain = 10;
    o.threads = std::min(o.threads, o.subscribers);
    return PubSubRun(o).Run();
  }
  if (o.mode == "tracking") {
    if (o.drain < 0) o.drain = 1;
    return TrackingRun(o).Run();
  }
  Usage();
}
