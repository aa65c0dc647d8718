// trace-replay: replays a cache trace (the format of bench/policy_sim/trace.h: one key per line,
// optionally .xz) against a Redis-protocol server used as a look-aside cache, and prints one JSON
// line with requests, hits, misses and the hit ratio. Trace key id N is sent as "key:%012u" (16
// bytes); every value is --value-size bytes.
//
// Modes (requests go in pipelines of --pipeline):
//   getset    GET every key of a batch and read the replies, then SET the keys that missed in one
//             pipelined write and read those replies. A key repeated within one batch misses each
//             time in that batch, as concurrent look-aside readers would.
//   setnxget  one SET key value NX GET per request: a nil reply is a miss (the SET filled it), a
//             bulk reply a hit.
//   fill      no trace: SET key ids 0..--count-1 (the key format and value size of a replay), to
//             measure what the server needs per key.
// --stats reads the trace only and prints its requests and unique keys (after --limit).
//
// Plain blocking sockets and a minimal RESP reply reader (bulk, nil, simple, error, integer).
//
// Usage: trace-replay [--host 127.0.0.1] [--port 6379] [--mode getset|setnxget|fill]
//                     [--pipeline 20] [--value-size 1000] [--limit N] [--count K] [--stats] [TRACE]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "trace.h"

namespace {

using Clock = std::chrono::steady_clock;

enum class ReplyKind { kBulk, kNil, kSimple, kError, kInteger };

struct Reply {
  ReplyKind kind = ReplyKind::kNil;
  std::string text;  // simple string or error text
  size_t bulk_len = 0;
};

// Reads RESP replies from a blocking socket into a growing buffer. Any read failure, a closed
// connection or a reply type outside the five above is fatal for the replay (returns false).
class ReplyReader {
 public:
  explicit ReplyReader(int fd) : fd_(fd), buf_(1 << 16) {}

  bool Read(Reply* out, std::string* error) {
    std::string_view line;
    if (!Line(&line, error)) return false;
    if (line.empty()) return Fail("empty reply line", error);
    char type = line[0];
    std::string_view rest = line.substr(1);
    switch (type) {
      case '+':
        out->kind = ReplyKind::kSimple;
        out->text.assign(rest);
        return true;
      case '-':
        out->kind = ReplyKind::kError;
        out->text.assign(rest);
        return true;
      case ':':
        out->kind = ReplyKind::kInteger;
        out->text.assign(rest);
        return true;
      case '_':  // RESP3 null
        out->kind = ReplyKind::kNil;
        return true;
      case '$': {
        long long len = 0;
        if (!ParseLength(rest, &len)) return Fail("bad bulk length", error);
        if (len < 0) {
          out->kind = ReplyKind::kNil;
          return true;
        }
        size_t need = static_cast<size_t>(len) + 2;
        if (!Need(need, error)) return false;
        if (buf_[begin_ + need - 2] != '\r' || buf_[begin_ + need - 1] != '\n') {
          return Fail("bulk reply without CRLF", error);
        }
        begin_ += need;
        out->kind = ReplyKind::kBulk;
        out->bulk_len = static_cast<size_t>(len);
        return true;
      }
      default:
        return Fail("unexpected reply type '" + std::string(1, type) + "'", error);
    }
  }

 private:
  static constexpr size_t kMaxLine = 1 << 20;

  static bool Fail(const std::string& what, std::string* error) {
    *error = what;
    return false;
  }

  static bool ParseLength(std::string_view s, long long* out) {
    bool negative = !s.empty() && s[0] == '-';
    if (negative) s.remove_prefix(1);
    if (s.empty() || s.size() > 18) return false;
    long long v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    *out = negative ? -v : v;
    return true;
  }

  // Makes at least n unread bytes available at begin_.
  bool Need(size_t n, std::string* error) {
    while (end_ - begin_ < n) {
      if (begin_ > 0) {
        std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
      }
      if (buf_.size() < n) buf_.resize(n);
      ssize_t got;
      do {
        got = recv(fd_, buf_.data() + end_, buf_.size() - end_, 0);
      } while (got < 0 && errno == EINTR);
      if (got == 0) return Fail("connection closed by the server", error);
      if (got < 0) {
        return Fail(
            errno == EAGAIN || errno == EWOULDBLOCK ? "read timed out" : std::strerror(errno),
            error);
      }
      end_ += static_cast<size_t>(got);
    }
    return true;
  }

  // The next line without its CRLF.
  bool Line(std::string_view* line, std::string* error) {
    size_t scanned = 0;  // bytes after begin_ known to hold no CRLF start
    for (;;) {
      const char* base = buf_.data() + begin_;
      size_t avail = end_ - begin_;
      for (size_t i = scanned; i + 1 < avail; ++i) {
        if (base[i] == '\r' && base[i + 1] == '\n') {
          *line = std::string_view(base, i);
          begin_ += i + 2;
          return true;
        }
      }
      scanned = avail > 0 ? avail - 1 : 0;
      if (avail >= kMaxLine) return Fail("reply line longer than 1 MiB", error);
      if (!Need(avail + 1, error)) return false;
    }
  }

  int fd_;
  std::vector<char> buf_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

bool WriteAll(int fd, const std::string& data, std::string* error) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = std::string("write failed: ") + std::strerror(errno);
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

int Connect(const std::string& host, int port, std::string* error) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    *error = "bad IPv4 address " + host;
    return -1;
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    *error = std::strerror(errno);
    return -1;
  }
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    *error = "connect to " + host + ":" + std::to_string(port) + ": " + std::strerror(errno);
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval timeout{60, 0};  // a server that stops answering fails the run instead of hanging it
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  return fd;
}

// Encodes RESP commands for key ids into one output buffer.
class CommandWriter {
 public:
  explicit CommandWriter(size_t value_size) : value_(value_size, 'v') {
    value_header_ = "$" + std::to_string(value_size) + "\r\n";
  }

  void Clear() { out_.clear(); }
  const std::string& data() const { return out_; }

  void Get(uint32_t id) {
    out_ += "*2\r\n$3\r\nGET\r\n";
    Key(id);
  }
  void Set(uint32_t id) {
    out_ += "*3\r\n$3\r\nSET\r\n";
    Key(id);
    Value();
  }
  void SetNxGet(uint32_t id) {
    out_ += "*5\r\n$3\r\nSET\r\n";
    Key(id);
    Value();
    out_ += "$2\r\nNX\r\n$3\r\nGET\r\n";
  }

 private:
  void Key(uint32_t id) {
    char key[32];
    int n = std::snprintf(key, sizeof(key), "$16\r\nkey:%012u\r\n", id);
    out_.append(key, static_cast<size_t>(n));
  }
  void Value() {
    out_ += value_header_;
    out_ += value_;
    out_ += "\r\n";
  }

  std::string value_;
  std::string value_header_;
  std::string out_;
};

struct Counts {
  uint64_t hits = 0;
  uint64_t errors = 0;  // error replies (a GET error counts as a miss and is filled)
  std::string first_error;
};

void NoteError(const Reply& r, Counts* counts) {
  if (counts->errors++ == 0) counts->first_error = r.text;
}

bool Unexpected(const char* command, std::string* error) {
  *error = std::string("unexpected reply to ") + command;
  return false;
}

// Reads one SET reply per filled key.
bool ReadSetReplies(ReplyReader* reader, size_t n, Counts* counts, std::string* error) {
  Reply r;
  for (size_t j = 0; j < n; ++j) {
    if (!reader->Read(&r, error)) return false;
    if (r.kind == ReplyKind::kError) {
      NoteError(r, counts);
    } else if (r.kind != ReplyKind::kSimple) {
      return Unexpected("SET", error);
    }
  }
  return true;
}

bool ReplayGetSet(int fd, const std::vector<uint32_t>& keys, size_t pipeline, size_t value_size,
                  Counts* counts, std::string* error) {
  ReplyReader reader(fd);
  CommandWriter w(value_size);
  std::vector<uint32_t> missed;
  Reply r;
  for (size_t i = 0; i < keys.size(); i += pipeline) {
    size_t m = std::min(pipeline, keys.size() - i);
    w.Clear();
    for (size_t j = 0; j < m; ++j) w.Get(keys[i + j]);
    if (!WriteAll(fd, w.data(), error)) return false;
    missed.clear();
    for (size_t j = 0; j < m; ++j) {
      if (!reader.Read(&r, error)) return false;
      if (r.kind == ReplyKind::kBulk) {
        ++counts->hits;
      } else if (r.kind == ReplyKind::kNil || r.kind == ReplyKind::kError) {
        if (r.kind == ReplyKind::kError) NoteError(r, counts);
        missed.push_back(keys[i + j]);
      } else {
        return Unexpected("GET", error);
      }
    }
    if (missed.empty()) continue;
    w.Clear();
    for (uint32_t id : missed) w.Set(id);
    if (!WriteAll(fd, w.data(), error)) return false;
    if (!ReadSetReplies(&reader, missed.size(), counts, error)) return false;
  }
  return true;
}

bool ReplaySetNxGet(int fd, const std::vector<uint32_t>& keys, size_t pipeline, size_t value_size,
                    Counts* counts, std::string* error) {
  ReplyReader reader(fd);
  CommandWriter w(value_size);
  Reply r;
  for (size_t i = 0; i < keys.size(); i += pipeline) {
    size_t m = std::min(pipeline, keys.size() - i);
    w.Clear();
    for (size_t j = 0; j < m; ++j) w.SetNxGet(keys[i + j]);
    if (!WriteAll(fd, w.data(), error)) return false;
    for (size_t j = 0; j < m; ++j) {
      if (!reader.Read(&r, error)) return false;
      if (r.kind == ReplyKind::kBulk) {
        ++counts->hits;
      } else if (r.kind == ReplyKind::kError) {
        NoteError(r, counts);
      } else if (r.kind != ReplyKind::kNil) {
        return Unexpected("SET NX GET", error);
      }
    }
  }
  return true;
}

bool Fill(int fd, uint32_t count, size_t pipeline, size_t value_size, Counts* counts,
          std::string* error) {
  ReplyReader reader(fd);
  CommandWriter w(value_size);
  for (uint32_t i = 0; i < count;) {
    uint32_t m = static_cast<uint32_t>(std::min<uint64_t>(pipeline, count - i));
    w.Clear();
    for (uint32_t j = 0; j < m; ++j) w.Set(i + j);
    if (!WriteAll(fd, w.data(), error)) return false;
    if (!ReadSetReplies(&reader, m, counts, error)) return false;
    i += m;
  }
  return true;
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof(esc), "\\u%04x", c);
      out += esc;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

void Usage() {
  std::fprintf(
      stderr,
      "usage: trace-replay [options] TRACE\n"
      "  --host ADDR        server IPv4 address (default 127.0.0.1)\n"
      "  --port N           server port (default 6379)\n"
      "  --mode M           getset (GET, then SET the misses), setnxget (SET key value\n"
      "                     NX GET) or fill (SET key ids 0..count-1; no trace)\n"
      "  --pipeline N       commands per pipelined batch (default 20)\n"
      "  --value-size N     bytes per value (default 1000)\n"
      "  --limit N          replay only the first N requests (default 0: all)\n"
      "  --count K          keys to SET in fill mode\n"
      "  --stats            read the trace and print requests and unique keys only\n"
      "Prints one JSON line: requests, unique, hits, misses, hit_ratio, errors, seconds.\n");
}

bool ParseCount(const char* s, uint64_t* out) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0) return false;
  *out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  std::string mode = "getset";
  std::string path;
  uint64_t port = 6379, pipeline = 20, value_size = 1000, limit = 0, count = 0;
  bool stats_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto number = [&](uint64_t* out) {
      if (i + 1 >= argc || !ParseCount(argv[i + 1], out)) {
        std::fprintf(stderr, "trace-replay: %s needs a non-negative integer\n", a.c_str());
        std::exit(2);
      }
      ++i;
    };
    if (a == "--host" && i + 1 < argc) {
      host = argv[++i];
    } else if (a == "--mode" && i + 1 < argc) {
      mode = argv[++i];
    } else if (a == "--port") {
      number(&port);
    } else if (a == "--pipeline") {
      number(&pipeline);
    } else if (a == "--value-size") {
      number(&value_size);
    } else if (a == "--limit") {
      number(&limit);
    } else if (a == "--count") {
      number(&count);
    } else if (a == "--stats") {
      stats_only = true;
    } else if (a == "-h" || a == "--help") {
      Usage();
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "trace-replay: unknown option %s\n", a.c_str());
      Usage();
      return 2;
    } else if (path.empty()) {
      path = a;
    } else {
      std::fprintf(stderr, "trace-replay: one trace at a time\n");
      return 2;
    }
  }
  bool fill = mode == "fill";
  if ((mode != "getset" && mode != "setnxget" && !fill) || port == 0 || port > 65535 ||
      pipeline == 0 || pipeline > 100000 || value_size > (512u << 20) || count > UINT32_MAX ||
      (fill ? count == 0 : path.empty())) {
    Usage();
    return 2;
  }

  strata::bench::Trace trace;
  uint64_t unique = 0;
  if (!fill) {
    std::string error;
    if (!strata::bench::LoadTrace(path, &trace, &error)) {
      std::fprintf(stderr, "trace-replay: %s\n", error.c_str());
      return 1;
    }
    if (limit > 0 && limit < trace.keys.size()) trace.keys.resize(limit);
    // Ids are dense in order of first appearance: a prefix holds ids 0..max.
    for (uint32_t id : trace.keys) unique = std::max<uint64_t>(unique, uint64_t{id} + 1);
  }
  if (stats_only) {
    std::printf("{\"trace\":%s,\"requests\":%zu,\"unique\":%llu}\n", JsonString(trace.name).c_str(),
                trace.keys.size(), static_cast<unsigned long long>(unique));
    return 0;
  }

  std::string error;
  int fd = Connect(host, static_cast<int>(port), &error);
  if (fd < 0) {
    std::fprintf(stderr, "trace-replay: %s\n", error.c_str());
    return 1;
  }
  Counts counts;
  auto t0 = Clock::now();
  bool ok;
  if (fill) {
    ok = Fill(fd, static_cast<uint32_t>(count), pipeline, value_size, &counts, &error);
  } else if (mode == "getset") {
    ok = ReplayGetSet(fd, trace.keys, pipeline, value_size, &counts, &error);
  } else {
    ok = ReplaySetNxGet(fd, trace.keys, pipeline, value_size, &counts, &error);
  }
  double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  close(fd);
  if (!ok) {
    std::fprintf(stderr, "trace-replay: %s\n", error.c_str());
    return 1;
  }
  std::string first_error =
      counts.errors ? ",\"first_error\":" + JsonString(counts.first_error) : std::string();
  if (fill) {
    std::printf(
        "{\"mode\":\"fill\",\"count\":%llu,\"value_size\":%llu,\"errors\":%llu%s,"
        "\"seconds\":%.3f}\n",
        static_cast<unsigned long long>(count), static_cast<unsigned long long>(value_size),
        static_cast<unsigned long long>(counts.errors), first_error.c_str(), seconds);
    return 0;
  }
  uint64_t requests = trace.keys.size();
  std::printf(
      "{\"trace\":%s,\"mode\":\"%s\",\"pipeline\":%llu,\"value_size\":%llu,"
      "\"requests\":%llu,\"unique\":%llu,\"hits\":%llu,\"misses\":%llu,"
      "\"hit_ratio\":%.6f,\"errors\":%llu%s,\"seconds\":%.3f}\n",
      JsonString(trace.name).c_str(), mode.c_str(), static_cast<unsigned long long>(pipeline),
      static_cast<unsigned long long>(value_size), static_cast<unsigned long long>(requests),
      static_cast<unsigned long long>(unique), static_cast<unsigned long long>(counts.hits),
      static_cast<unsigned long long>(requests - counts.hits),
      requests ? static_cast<double>(counts.hits) / static_cast<double>(requests) : 0.0,
      static_cast<unsigned long long>(counts.errors), first_error.c_str(), seconds);
  return 0;
}
