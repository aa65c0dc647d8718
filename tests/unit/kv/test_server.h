// In-process strata-server for tests: the real shard threads, dispatcher and connections, with
// clients attached over socketpairs instead of TCP.
#pragma once

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "kv/server/server.h"

namespace strata::kv::testing {

// Reads exactly one RESP reply (any type, nested) and returns its raw bytes.
class RespClient {
 public:
  explicit RespClient(int fd) : fd_(fd) {}
  ~RespClient() {
    if (fd_ >= 0) close(fd_);
  }
  RespClient(const RespClient&) = delete;

  void SendRaw(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = write(fd_, bytes.data() + off, bytes.size() - off);
      if (n <= 0) return;
      off += size_t(n);
    }
  }
  static std::string Encode(const std::vector<std::string>& args) {
    std::string s = "*" + std::to_string(args.size()) + "\r\n";
    for (const auto& a : args) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    return s;
  }
  std::string Cmd(const std::vector<std::string>& args) {
    SendRaw(Encode(args));
    return ReadReply();
  }
  // Returns "" if the peer closed before a full reply arrived.
  std::string ReadReply() {
    size_t pos = 0;
    for (;;) {
      pos = 0;
      if (Complete(&pos)) {
        std::string r = buf_.substr(0, pos);
        buf_.erase(0, pos);
        return r;
      }
      char tmp[65536];
      ssize_t n = read(fd_, tmp, sizeof(tmp));
      if (n <= 0) return "";
      buf_.append(tmp, size_t(n));
    }
  }
  bool PeerClosed() {
    char c;
    ssize_t n = read(fd_, &c, 1);
    return n == 0;
  }

 private:
  bool Line(size_t* pos, std::string* line) {
    size_t e = buf_.find("\r\n", *pos);
    if (e == std::string::npos) return false;
    *line = buf_.substr(*pos, e - *pos);
    *pos = e + 2;
    return true;
  }
  bool Complete(size_t* pos) {
    std::string line;
    if (!Line(pos, &line) || line.empty()) return false;
    char t = line[0];
    long long n =
        (t == '+' || t == '-' || t == '_' || t == '#' || t == ',') ? 0 : atoll(line.c_str() + 1);
    switch (t) {
      case '+':
      case '-':
      case ':':
      case '_':
      case '#':
      case ',':
        return true;
      case '$':
      case '=':
        if (n < 0) return true;
        if (buf_.size() < *pos + size_t(n) + 2) return false;
        *pos += size_t(n) + 2;
        return true;
      case '*':
      case '~':
      case '>':
      case '%': {
        if (n < 0) return true;
        long long items = t == '%' ? n * 2 : n;
        for (long long i = 0; i < items; i++)
          if (!Complete(pos)) return false;
        return true;
      }
    }
    return false;
  }
  int fd_;
  std::string buf_;
};

class TestServer {
 public:
  explicit TestServer(uint32_t shards, bool packing = false) { rt_.Start(shards, {}, packing); }
  ~TestServer() { rt_.Stop(); }
  // A new client attached to shard `shard` (default: round robin).
  RespClient* Connect(int shard = -1) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
    uint32_t s = shard >= 0 ? uint32_t(shard) : next_++ % rt_.size();
    fcntl_nonblock(sv[0]);
    rt_.Adopt(sv[0], s);
    clients_.push_back(std::make_unique<RespClient>(sv[1]));
    return clients_.back().get();
  }

 private:
  static void fcntl_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK); }
  ShardRuntime rt_;
  uint32_t next_ = 0;
  std::vector<std::unique_ptr<RespClient>> clients_;
};

}  // namespace strata::kv::testing
