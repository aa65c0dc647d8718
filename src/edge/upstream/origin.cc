#include "edge/upstream/origin.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "io/socket.h"

namespace strata::edge {

const char* OriginErrorName(OriginError e) {
  switch (e) {
    case OriginError::kConnect:
      return "connect";
    case OriginError::kTimeout:
      return "timeout";
    case OriginError::kProtocol:
      return "protocol";
    case OriginError::kReset:
      return "reset";
    case OriginError::kTruncated:
      return "truncated";
  }
  return "?";
}

bool ParseOrigin(std::string_view url, OriginAddress* out, std::string* error) {
  std::string_view rest = url;
  if (rest.substr(0, 7) == "http://")
    rest.remove_prefix(7);
  else if (rest.find("://") != std::string_view::npos) {
    *error = "only http:// origins are supported: " + std::string(url);
    return false;
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  size_t colon = rest.rfind(':');
  std::string host(rest.substr(0, colon));
  uint16_t port = 80;
  if (colon != std::string_view::npos) {
    std::string_view p = rest.substr(colon + 1);
    unsigned v = 0;
    if (p.empty() || p.size() > 5) {
      *error = "invalid port in " + std::string(url);
      return false;
    }
    for (char c : p) {
      if (c < '0' || c > '9') {
        *error = "invalid port in " + std::string(url);
        return false;
      }
      v = v * 10 + unsigned(c - '0');
    }
    if (v == 0 || v > 65535) {
      *error = "invalid port in " + std::string(url);
      return false;
    }
    port = uint16_t(v);
  }
  if (host.empty()) {
    *error = "missing host in " + std::string(url);
    return false;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0 || !res) {
    *error = "cannot resolve " + host + ": " + gai_strerror(rc);
    return false;
  }
  out->host = host;
  out->port = port;
  memcpy(&out->addr, res->ai_addr, res->ai_addrlen);
  out->addr_len = res->ai_addrlen;
  freeaddrinfo(res);
  return true;
}

// ---------------------------------------------------------------- OriginConn

OriginConn::OriginConn(OriginPool* pool, int fd, bool connecting)
    : pool_(pool),
      reactor_(pool->reactor()),
      fd_(fd),
      state_(connecting ? State::kConnecting : State::kIdle) {}

OriginConn::~OriginConn() {
  DropBody();
  if (timer_) reactor_->Cancel(timer_);
  if (fd_ >= 0) close(fd_);
}

void OriginConn::ArmTimer(int64_t ms) {
  io::Reactor* r = pool_->reactor();
  if (timer_) r->Cancel(timer_);
  timer_ = r->RunAfter(ms, [this] {
    timer_ = 0;
    if (state_ != State::kIdle && state_ != State::kClosed) Fail(OriginError::kTimeout);
  });
}

void OriginConn::Start(std::string request, std::string_view method, OriginHandler* h, bool reused,
                       RequestBodyRef body) {
  handler_ = h;
  method_ = std::string(method);
  reused_ = reused;
  req_body_ = std::move(body);
  req_body_sending_ = false;
  if (req_body_) req_body_->SetReader(this);
  if (reused && !req_body_ && (method == "GET" || method == "HEAD"))
    request_copy_ = request;
  else
    request_copy_.clear();
  out_ = std::move(request);
  out_off_ = 0;
  in_.clear();
  got_bytes_ = false;
  paused_ = false;
  eof_ = false;
  sink_ = nullptr;
  h->OnOriginConn(this);
  if (state_ == State::kConnecting) {
    ArmTimer(pool_->timeouts().connect_ms);
    return;  // EPOLLOUT will tell us when connected
  }
  state_ = State::kWriting;
  ArmTimer(pool_->timeouts().response_ms);
  TryWrite();
}

void OriginConn::ResumeBody() {
  if (!paused_) return;
  paused_ = false;
  if (state_ == State::kBody) {
    if (!Process()) return;
    TryRead();
  }
}

void OriginConn::Abort() {
  handler_ = nullptr;
  DropBody();
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  pool_->Destroy(this);
}

void OriginConn::Fail(OriginError e) {
  if (state_ == State::kClosed) return;
  OriginHandler* h = handler_;
  handler_ = nullptr;
  DropBody();
  bool was_idle = state_ == State::kIdle;
  state_ = State::kClosed;
  pool_->Destroy(this);
  if (!h || was_idle) return;
  if (reused_ && !got_bytes_ && !request_copy_.empty() &&
      (e == OriginError::kReset || e == OriginError::kTruncated)) {
    pool_->Retry(std::move(request_copy_), method_, h);
    return;
  }
  h->OnOriginConn(nullptr);
  h->OnOriginError(e);
}

void OriginConn::OnEvent(uint32_t events) {
  if (state_ == State::kClosed) return;
  if (state_ == State::kIdle) {
    // An idle pooled connection became readable or hung up: the origin closed it.
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) Fail(OriginError::kReset);
    return;
  }
  if (state_ == State::kConnecting) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0 || (events & EPOLLERR)) {
      Fail(OriginError::kConnect);
      return;
    }
    state_ = State::kWriting;
    ArmTimer(pool_->timeouts().response_ms);
  }
  if ((state_ == State::kWriting || req_body_sending_) && (events & EPOLLOUT)) TryWrite();
  if (state_ == State::kClosed) return;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) TryRead();
}

void OriginConn::TryWrite() {
  while (out_off_ < out_.size()) {
    ssize_t n = send(fd_, out_.data() + out_off_, out_.size() - out_off_, MSG_NOSIGNAL);
    if (n > 0) {
      out_off_ += size_t(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    Fail(OriginError::kReset);
    return;
  }
  out_.clear();
  out_.shrink_to_fit();
  out_off_ = 0;
  if (req_body_sending_) {
    WriteBody();
    return;
  }
  if (state_ == State::kWriting) {
    state_ = State::kHead;
    if (req_body_) {
      // The head is out: stream the body while reading the response (which may come early).
      req_body_sending_ = true;
      WriteBody();
      if (state_ == State::kClosed) return;
    }
    // Response bytes may have arrived while we were still writing (an early answer).
    if (!in_.empty() && !Process()) return;
    if (state_ == State::kClosed || state_ == State::kIdle) return;
    TryRead();
  }
}

void OriginConn::OnRequestBodyReadable() {
  if (req_body_sending_ && state_ != State::kClosed) WriteBody();
}

void OriginConn::WriteBody() {
  RequestBodyPipe* p = req_body_.get();
  for (;;) {
    std::string_view data = p->pending();
    if (data.empty()) break;
    ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      p->Consume(size_t(n));
      ArmTimer(pool_->timeouts().response_ms);  // the upload is progressing
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // EPOLLOUT resumes
    // The origin stopped reading (it may have answered early and closed): stop sending and
    // let its response, if any, arrive; without one the read side fails the exchange.
    keep_alive_ = false;
    DropBody();
    TryRead();
    return;
  }
  if (p->failed()) {
    // The client's body is bad or the client left: never let the origin see it complete.
    Fail(OriginError::kReset);
  } else if (p->finished()) {
    DropBody();
  }
}

void OriginConn::DropBody() {
  if (!req_body_) return;
  req_body_->SetReader(nullptr);
  if (req_body_sending_ && !req_body_->finished()) req_body_->DetachReader();
  req_body_.reset();
  req_body_sending_ = false;
}

void OriginConn::TryRead() {
  if (state_ != State::kHead && state_ != State::kBody && state_ != State::kWriting) return;
  char buf[64 * 1024];
  for (;;) {
    if (paused_ && state_ == State::kBody) return;
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      got_bytes_ = true;
      in_.append(buf, size_t(n));
      if (state_ != State::kWriting && !Process()) return;
      if (state_ == State::kClosed || state_ == State::kIdle) return;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    // EOF or error.
    eof_ = true;
    if (state_ == State::kBody && body_.FinishOnClose()) {
      keep_alive_ = false;
      Finish();
      return;
    }
    Fail(n == 0 && got_bytes_ ? OriginError::kTruncated : OriginError::kReset);
    return;
  }
}

bool OriginConn::Process() {
  while (state_ == State::kHead) {
    if (in_.empty()) return true;
    http1::ResponseHead head;
    size_t consumed = 0;
    http1::ParseError err;
    http1::ParseStatus st =
        http1::ParseResponse(in_, http1::Limits{}, method_, &head, &consumed, &err);
    if (st == http1::ParseStatus::kNeedMore) return true;
    if (st == http1::ParseStatus::kError) {
      LOG_VERBOSE("origin %s: bad response: %s", pool_->address().Authority().c_str(),
                  http1::ParseErrorName(err));
      Fail(OriginError::kProtocol);
      return false;
    }
    in_.erase(0, consumed);
    ArmTimer(pool_->timeouts().response_ms);
    if (head.status >= 100 && head.status < 200) {
      if (head.status == 101) {  // we never ask to upgrade
        Fail(OriginError::kProtocol);
        return false;
      }
      if (handler_) handler_->OnOriginInterim(head);
      if (state_ == State::kClosed) return false;
      continue;
    }
    keep_alive_ = head.keep_alive;
    http1::BodyFraming framing = head.framing;
    uint64_t len = head.content_length;
    state_ = State::kBody;
    body_.Reset(framing, len);
    sink_ = handler_ ? handler_->OnOriginHeaders(std::move(head)) : nullptr;
    if (state_ == State::kClosed) return false;
  }
  if (state_ != State::kBody) return true;
  if (!in_.empty() || body_.done()) {
    std::string discard;
    std::string* out = sink_ ? sink_ : &discard;
    size_t consumed = 0;
    http1::ParseError err;
    http1::ParseStatus st = body_.Feed(in_, &consumed, out, &err);
    in_.erase(0, consumed);
    if (st == http1::ParseStatus::kError) {
      Fail(OriginError::kProtocol);
      return false;
    }
    if (st == http1::ParseStatus::kDone) {
      if (!in_.empty()) keep_alive_ = false;  // bytes after the response: do not reuse
      Finish();
      return false;
    }
    if (consumed > 0 && handler_) handler_->OnOriginBody(false);
    if (state_ == State::kClosed) return false;
  }
  return true;
}

void OriginConn::Finish() {
  OriginHandler* h = handler_;
  handler_ = nullptr;
  sink_ = nullptr;
  if (req_body_) {
    // The response ended before the whole request body was sent: this connection's request
    // stream is cut short, so it cannot carry another exchange.
    keep_alive_ = false;
    DropBody();
  }
  if (timer_) {
    pool_->reactor()->Cancel(timer_);
    timer_ = 0;
  }
  if (keep_alive_ && !eof_ && in_.empty()) {
    state_ = State::kIdle;
    pool_->Release(this);
  } else {
    state_ = State::kClosed;
    pool_->Destroy(this);
  }
  if (h) {
    h->OnOriginConn(nullptr);
    h->OnOriginBody(true);
  }
}

// ---------------------------------------------------------------- OriginPool

OriginPool::OriginPool(io::Reactor* reactor, OriginAddress addr, OriginTimeouts t)
    : reactor_(reactor), addr_(std::move(addr)), timeouts_(t) {}

OriginPool::~OriginPool() {
  *alive_ = false;
  for (OriginConn* c : all_) {
    reactor_->Remove(c->fd());
    delete c;
  }
}

OriginConn* OriginPool::Connect() {
  int fd = socket(addr_.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return nullptr;
  io::SetNoDelay(fd);
  int rc = connect(fd, reinterpret_cast<const sockaddr*>(&addr_.addr), addr_.addr_len);
  if (rc != 0 && errno != EINPROGRESS) {
    close(fd);
    return nullptr;
  }
  connects++;
  auto* c = new OriginConn(this, fd, rc != 0);
  all_.insert(c);
  reactor_->Add(fd, c);
  return c;
}

OriginConn* OriginPool::Send(std::string request, std::string_view method, OriginHandler* h,
                             RequestBodyRef body) {
  int64_t now = reactor_->NowMs();
  while (!idle_.empty()) {
    OriginConn* c = idle_.back();
    idle_.pop_back();
    if (now - c->idle_since_ms > timeouts_.idle_ms) {
      c->state_ = OriginConn::State::kClosed;
      Destroy(c);
      continue;
    }
    c->Start(std::move(request), method, h, true, std::move(body));
    return c;
  }
  OriginConn* c = Connect();
  if (!c) {
    h->OnOriginError(OriginError::kConnect);
    return nullptr;
  }
  c->Start(std::move(request), method, h, false, std::move(body));
  return c;
}

OriginConn* OriginPool::Retry(std::string request, std::string_view method, OriginHandler* h) {
  OriginConn* c = Connect();
  if (!c) {
    h->OnOriginConn(nullptr);
    h->OnOriginError(OriginError::kConnect);
    return nullptr;
  }
  c->Start(std::move(request), method, h, false);
  return c;
}

void OriginPool::Release(OriginConn* c) {
  c->idle_since_ms = reactor_->NowMs();
  idle_.push_back(c);
}

void OriginPool::Destroy(OriginConn* c) {
  std::erase(idle_, c);
  if (!all_.erase(c)) return;
  reactor_->Remove(c->fd());
  if (c->timer_) {
    reactor_->Cancel(c->timer_);
    c->timer_ = 0;
  }
  // Deleted later: the connection may be deep in its own call stack right now.
  reactor_->Post([c] { delete c; });
}

void OriginPool::SweepIdle(int64_t now_ms) {
  std::vector<OriginConn*> expired;
  for (OriginConn* c : idle_) {
    if (now_ms - c->idle_since_ms > timeouts_.idle_ms) expired.push_back(c);
  }
  for (OriginConn* c : expired) {
    c->state_ = OriginConn::State::kClosed;
    Destroy(c);
  }
}

}  // namespace strata::edge
