#include "edge/server/admin.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "base/strutil.h"
#include "edge/purge/purge.h"
#include "edge/rfc9111/invalidation.h"
#include "io/accept.h"
#include "io/socket.h"
#include "proto/http1/body.h"
#include "proto/http1/parser.h"
#include "proto/http1/writer.h"

namespace strata::edge {

class AdminSession : public io::EventHandler {
 public:
  AdminSession(AdminServer* server, int fd) : server_(server), fd_(fd) {}
  ~AdminSession() override {
    *alive_ = false;
    close(fd_);
  }
  void OnEvent(uint32_t events) override;
  void Close();

 private:
  void Process();
  void Handle(const http1::RequestHead& req);
  void Reply(int status, std::string body, std::string_view type = "text/plain",
             std::string_view extra = {});
  void FlushOut();

  AdminServer* server_;
  int fd_;
  std::string in_, out_;
  bool closed_ = false;
  bool busy_ = false;  // an async purge is running
  bool close_after_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

void AdminSession::Close() {
  if (closed_) return;
  closed_ = true;
  server_->reactor()->Remove(fd_);
  server_->Remove(this);
}

void AdminSession::OnEvent(uint32_t events) {
  if (closed_) return;
  if (events & EPOLLERR) {
    Close();
    return;
  }
  if (events & EPOLLOUT) FlushOut();
  char buf[16384];
  bool eof = false;
  for (;;) {
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      in_.append(buf, size_t(n));
      if (in_.size() > 256 * 1024) {
        Close();
        return;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    eof = true;
    break;
  }
  Process();
  if (eof && !busy_ && !closed_) Close();
}

void AdminSession::Process() {
  while (!busy_ && !closed_ && !in_.empty()) {
    http1::RequestHead req;
    size_t consumed;
    http1::ParseError err;
    http1::ParseStatus st = http1::ParseRequest(in_, http1::Limits{}, &req, &consumed, &err);
    if (st == http1::ParseStatus::kNeedMore) return;
    if (st == http1::ParseStatus::kError) {
      close_after_ = true;
      Reply(http1::HttpStatusFor(err), std::string(http1::ParseErrorName(err)) + "\n");
      return;
    }
    // Admin requests carry no meaningful body; skip one if present.
    if (req.framing != http1::BodyFraming::kNone) {
      http1::BodyReader br;
      br.Reset(req.framing, req.content_length);
      std::string sink;
      size_t used = 0;
      http1::ParseError e2;
      http1::ParseStatus bs = br.Feed(std::string_view(in_).substr(consumed), &used, &sink, &e2);
      if (bs == http1::ParseStatus::kNeedMore) return;
      if (bs == http1::ParseStatus::kError) {
        close_after_ = true;
        Reply(400, "bad body\n");
        return;
      }
      consumed += used;
    }
    in_.erase(0, consumed);
    close_after_ = !req.keep_alive;
    Handle(req);
  }
}

namespace {
// Returns the value of `name` in a query string ("" when absent); false on bad escapes.
bool QueryParam(std::string_view query, std::string_view name, std::string* out, bool* present) {
  *present = false;
  out->clear();
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = kv.find('=');
    if (kv.substr(0, eq) != name) continue;
    *present = true;
    return PercentDecode(eq == std::string_view::npos ? "" : kv.substr(eq + 1), out);
  }
  return true;
}
}  // namespace

void AdminSession::Handle(const http1::RequestHead& req) {
  std::string_view target = req.Target();
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  std::string_view method = req.Method();
  if (path == "/healthz") {
    Reply(200, "ok\n");
    return;
  }
  if (path == "/metrics") {
    std::vector<const Metrics*> ms;
    for (WorkerContext* w : server_->workers()) ms.push_back(&w->metrics);
    Reply(200, RenderPrometheus(ms), "text/plain; version=0.0.4");
    return;
  }
  if (path.substr(0, 7) != "/purge/") {
    Reply(404, "not found\n");
    return;
  }
  if (method != "POST" && method != "PURGE" && method != "DELETE") {
    Reply(405, "use POST\n", "text/plain", "Allow: POST\r\n");
    return;
  }
  if (server_->config()->purge_tokens.empty()) {
    Reply(403, "purge API disabled: no purge token configured\n");
    return;
  }
  if (!CheckBearer(req.Get("authorization").value_or(""), server_->config()->purge_tokens)) {
    Reply(401, "invalid or missing bearer token\n", "text/plain", "WWW-Authenticate: Bearer\r\n");
    return;
  }
  PurgeSpec spec;
  std::string soft;
  bool has_soft;
  if (!QueryParam(query, "soft", &soft, &has_soft)) {
    Reply(400, "bad query\n");
    return;
  }
  spec.soft = has_soft && (soft == "1" || soft == "true" || soft.empty());
  std::string value;
  bool present;
  std::string_view kind = path.substr(7);
  if (kind == "url") {
    if (!QueryParam(query, "url", &value, &present) || !present || value.empty()) {
      Reply(400, "missing url parameter\n");
      return;
    }
    for (char c : value) {
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
        Reply(400, "invalid url\n");
        return;
      }
    }
    spec.kind = PurgeSpec::Kind::kUrl;
    if (value.find("://") != std::string::npos) {
      spec.value = rfc9111::PrimaryKey("", value);
    } else {
      size_t slash = value.find('/');
      spec.value = slash == std::string::npos
                       ? rfc9111::PrimaryKey(value, "/")
                       : rfc9111::PrimaryKey(value.substr(0, slash), value.substr(slash));
    }
    if (spec.value.empty()) {
      Reply(400, "invalid url\n");
      return;
    }
  } else if (kind == "tag") {
    if (!QueryParam(query, "tag", &value, &present) || !present || !ValidTag(value)) {
      Reply(400, "missing or invalid tag\n");
      return;
    }
    spec.kind = PurgeSpec::Kind::kTag;
    spec.value = value;
  } else if (kind == "all") {
    spec.kind = PurgeSpec::Kind::kAll;
  } else {
    Reply(404, "unknown purge kind\n");
    return;
  }
  busy_ = true;
  std::weak_ptr<bool> alive = alive_;
  BroadcastPurge(server_->workers(), spec, server_->reactor(), [this, alive](size_t n) {
    if (alive.expired()) return;
    busy_ = false;
    Reply(200, "{\"purged\": " + std::to_string(n) + "}\n", "application/json");
    if (!closed_) Process();
  });
}

void AdminSession::Reply(int status, std::string body, std::string_view type,
                         std::string_view extra) {
  http1::AppendStatusLine(&out_, status);
  http1::AppendField(&out_, "Content-Type", type);
  http1::AppendFieldInt(&out_, "Content-Length", body.size());
  if (close_after_) http1::AppendField(&out_, "Connection", "close");
  out_ += extra;
  http1::EndHead(&out_);
  out_ += body;
  FlushOut();
}

void AdminSession::FlushOut() {
  while (!out_.empty() && !closed_) {
    ssize_t n = send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out_.erase(0, size_t(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    Close();
    return;
  }
  if (out_.empty() && close_after_ && !busy_) {
    shutdown(fd_, SHUT_WR);
    Close();
  }
}

AdminServer::AdminServer(const EdgeConfig* config, std::vector<WorkerContext*> workers)
    : config_(config), workers_(std::move(workers)) {}

AdminServer::~AdminServer() {
  for (AdminSession* s : sessions_) delete s;
  if (listen_fd_ >= 0) close(listen_fd_);
}

bool AdminServer::Init(std::string* error) {
  std::string host;
  uint16_t port;
  SplitHostPort(config_->admin, &host, &port);
  listen_fd_ = io::Listen(host, port, false, 128, error);
  return listen_fd_ >= 0;
}

void AdminServer::Start() {
  thread_ = std::thread([this] {
    reactor_.Add(listen_fd_, this, EPOLLIN);
    reactor_.Run();
  });
}

void AdminServer::Join() {
  if (thread_.joinable()) thread_.join();
}

void AdminServer::OnEvent(uint32_t) {
  for (;;) {
    static constexpr char kBusy[] =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    io::Accepted a = io::AcceptOrRefuse(listen_fd_, kBusy, "raise 'ulimit -n'");
    if (a.refused) continue;
    if (a.out_of_fds) retry_.Arm(&reactor_, this);
    int fd = a.fd;
    if (fd < 0) {
      if (a.error == EINTR || a.error == ECONNABORTED) continue;
      return;
    }
    auto* s = new AdminSession(this, fd);
    sessions_.insert(s);
    reactor_.Add(fd, s);
  }
}

void AdminServer::Remove(AdminSession* s) {
  if (!sessions_.erase(s)) return;
  reactor_.Post([s] { delete s; });
}

}  // namespace strata::edge
