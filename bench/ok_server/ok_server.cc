// ok_server: the I/O ceiling. Same event loop, listener layout (one SO_REUSEPORT socket per
// thread) and RESP parser as strata-server, but every command is answered "+OK" without touching
// a keyspace. The gap between this and strata-server is what command execution costs.
//
// Like strata-server, a connection reads once per readiness event (again only when the read
// filled its buffer), and with `--io batch` a loop turn's replies go out with one io_uring call
// (io/send_batch.h; strata-server's default, --io uring), where `--io epoll` sends one each. With
// `--io uring` each thread runs a whole io_uring loop instead (uring_loop.cc): the ceiling for a
// server that spends the fewest system calls per request. `--io uring --check` exits 0 when this
// machine allows io_uring.
//
// `--nap-us N` sets the epoll loop's longest nap under load (io/nap_policy.h; 0: never nap;
// default 50, as strata-server's loop-nap-us).
//
// Usage: ok_server [--port 6380] [--threads N] [--io epoll|batch|uring] [--nap-us N] [--check]
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "io/reactor.h"
#include "io/send_batch.h"
#include "io/socket.h"
#include "proto/resp/parser.h"
#include "uring_loop.h"

namespace {

using strata::io::Reactor;

class OkConn : public strata::io::EventHandler {
 public:
  OkConn(int fd, Reactor* r) : fd_(fd), r_(r) {}
  void OnEvent(uint32_t ev) override {
    if (ev & (EPOLLERR | EPOLLHUP)) return Done();
    if (ev & EPOLLOUT) Flush();
    if (ev & (EPOLLIN | EPOLLRDHUP)) Read();
  }

 private:
  void Read() {
    for (;;) {
      char tmp[16384];
      ssize_t n = read(fd_, tmp, sizeof(tmp));
      if (n == 0) return Done();
      if (n < 0) {
        if (errno == EAGAIN) break;
        if (errno == EINTR) continue;
        return Done();
      }
      in_.append(tmp, size_t(n));
      size_t off = 0;
      for (;;) {
        size_t consumed = 0;
        auto st = parser_.Parse(std::string_view(in_).substr(off), {}, &args_, &consumed);
        off += consumed;
        if (st == strata::resp::RespParser::Status::kCommand) {
          out_.append("+OK\r\n");
          continue;
        }
        if (st != strata::resp::RespParser::Status::kNeedMore) return Done();
        break;
      }
      in_.erase(0, off);
      if (size_t(n) < sizeof(tmp)) break;  // drained (edge-triggered), as strata-server reads
    }
    if (strata::io::SendBatch::ForThisThread() != nullptr && !out_.empty()) {
      Queue();
      return;
    }
    Flush();
  }
  void Flush() {
    while (!out_.empty()) {
      ssize_t n = send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      out_.erase(0, size_t(n));
    }
  }
  // --io batch: the reply waits for the end of the turn, which sends every queued connection's
  // with one io_uring call.
  static std::vector<OkConn*>& Queued() {
    thread_local std::vector<OkConn*> list;
    return list;
  }
  void Queue() {
    if (queued_) return;
    queued_ = true;
    if (Queued().empty()) r_->Defer([] { SendQueued(); });
    Queued().push_back(this);
  }
  static void SendQueued() {
    std::vector<OkConn*>& list = Queued();
    strata::io::SendBatch* batch = strata::io::SendBatch::ForThisThread();
    if (batch == nullptr || list.size() == 1) {
      for (OkConn* c : list) {
        c->queued_ = false;
        c->Flush();
      }
      list.clear();
      return;
    }
    for (OkConn* c : list) batch->Add(c->fd_, c->out_.data(), c->out_.size());
    batch->Submit();
    for (size_t i = 0; i < list.size(); i++) {
      OkConn* c = list[i];
      c->queued_ = false;
      ssize_t n = batch->Result(i);
      if (n > 0) c->out_.erase(0, size_t(n));
      if (n > 0 && !c->out_.empty()) c->Flush();  // a short send: the rest waits for EPOLLOUT
    }
    batch->Clear();
    list.clear();
  }
  void Done() {
    if (queued_) std::erase(Queued(), this);
    r_->Remove(fd_);
    close(fd_);
    Reactor* r = r_;
    r->Post([this] { delete this; });
  }
  bool queued_ = false;
  int fd_;
  Reactor* r_;
  strata::resp::RespParser parser_;
  std::vector<std::string_view> args_;
  std::string in_, out_;
};

class Acceptor : public strata::io::EventHandler {
 public:
  Acceptor(int fd, Reactor* r) : fd_(fd), r_(r) {}
  void OnEvent(uint32_t) override {
    for (;;) {
      int c = accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c < 0) return;
      strata::io::SetNoDelay(c);
      auto* conn = new OkConn(c, r_);
      r_->Add(c, conn);
      conn->OnEvent(EPOLLIN);
    }
  }

 private:
  int fd_;
  Reactor* r_;
};

}  // namespace

int main(int argc, char** argv) {
  int port = 6380;
  unsigned threads = std::thread::hardware_concurrency();
  bool uring = false, batch = false, check = false;
  Reactor::SetMaxNapMicros(50);  // strata-server's default
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "--port" && has_value) {
      port = atoi(argv[++i]);
    } else if (a == "--threads" && has_value) {
      threads = unsigned(atoi(argv[++i]));
    } else if (a == "--io" && has_value &&
               (std::string(argv[i + 1]) == "epoll" || std::string(argv[i + 1]) == "batch" ||
                std::string(argv[i + 1]) == "uring")) {
      std::string io = argv[++i];
      uring = io == "uring";
      batch = io == "batch";
    } else if (a == "--save" && has_value) {
      ++i;  // no persistence here; the test harness passes --save "" to every strata binary
    } else if (a == "--nap-us" && has_value) {
      Reactor::SetMaxNapMicros(atoi(argv[++i]));
    } else if (a == "--check") {
      check = true;
    } else {
      fprintf(stderr,
              "usage: ok_server [--port N] [--threads N] [--io epoll|batch|uring] [--nap-us N] "
              "[--check]\n");
      return 1;
    }
  }
  if (uring) {
    std::string err;
    if (!UringAvailable(&err)) {
      fprintf(stderr, "ok_server: %s\n", err.c_str());
      return 1;
    }
  }
  if (check) return 0;
  if (batch) {
    std::string err;
    if (!strata::io::SetIoMode(strata::io::IoMode::kUring, &err))
      fprintf(stderr, "ok_server: %s; sending without batches\n", err.c_str());
  }
  signal(SIGPIPE, SIG_IGN);
  std::vector<std::thread> ts;
  for (unsigned t = 0; t < threads; t++) {
    std::string err;
    int fd = strata::io::Listen("127.0.0.1", uint16_t(port), true, 511, &err);
    if (fd < 0) {
      fprintf(stderr, "ok_server: %s\n", err.c_str());
      return 1;
    }
    ts.emplace_back([fd, uring] {
      if (uring) {
        std::string err;
        if (RunUringLoop(fd, &err) != 0) {
          fprintf(stderr, "ok_server: %s\n", err.c_str());
          exit(1);
        }
        return;
      }
      Reactor r;
      Acceptor a(fd, &r);
      r.Add(fd, &a, EPOLLIN);
      r.Run();
    });
  }
  for (auto& t : ts) t.join();
  return 0;
}
