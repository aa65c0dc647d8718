#include "core/connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <random>

#include "io/socket.h"

namespace strata::client {

namespace {
// "<prefix><n>\r\n" without printf.
void AppendHeader(char prefix, size_t n, std::string* out) {
  char buf[24];
  char* end = buf + sizeof(buf);
  char* p = end;
  *--p = '\n';
  *--p = '\r';
  do {
    *--p = char('0' + n % 10);
    n /= 10;
  } while (n != 0);
  *--p = prefix;
  out->append(p, size_t(end - p));
}
}  // namespace

void EncodeCommand(const Args& args, std::string* out) {
  size_t need = 16;
  for (const std::string& a : args) need += a.size() + 16;
  out->reserve(out->size() + need);
  AppendHeader('*', args.size(), out);
  for (const std::string& a : args) {
    AppendHeader('$', a.size(), out);
    out->append(a);
    out->append("\r\n", 2);
  }
}

namespace {
std::string Encode(const Args& args) {
  std::string s;
  EncodeCommand(args, &s);
  return s;
}
}  // namespace

Connection::Connection(ConnectionOwner* owner, size_t index, io::Reactor* reactor,
                       const ClientOptions* options)
    : owner_(owner), index_(index), reactor_(reactor), options_(options) {}

Connection::~Connection() {
  *alive_ = false;
  if (reconnect_timer_ != 0) reactor_->Cancel(reconnect_timer_);
  Close();
}

void Connection::Close() {
  if (fd_ >= 0) {
    reactor_->Remove(fd_);
    ::close(fd_);
    fd_ = -1;
  }
}

void Connection::Connect() {
  if (state_ != State::kDown || closed_for_good_) return;
  reconnect_timer_ = 0;
  std::string err;
  fd_ = io::ConnectTcpNonBlocking(options_->host, options_->port, &err);
  if (fd_ < 0) {
    Fail("connect to " + options_->host + ":" + std::to_string(options_->port) + ": " + err, false);
    return;
  }
  io::SetNoDelay(fd_);
  state_ = State::kConnecting;
  reactor_->RefreshNow();
  connect_deadline_ = reactor_->NowMs() + options_->connect_timeout.count();
  if (!reactor_->Add(fd_, this, EPOLLIN | EPOLLOUT | EPOLLRDHUP)) {
    Fail("epoll registration failed", false);
  }
}

void Connection::OnEvent(uint32_t events) {
  if (fd_ < 0) return;
  if (state_ == State::kConnecting) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      Fail("connect to " + options_->host + ":" + std::to_string(options_->port) + ": " +
               strerror(err),
           false);
      return;
    }
    OnConnected();
    return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    // A hang-up read to its end: the edge that announced it may have come with the last data,
    // and there will be no other edge for the end of the stream.
    ReadAll((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
    if (fd_ < 0) return;
  }
  if (events & EPOLLOUT) Flush();
}

void Connection::OnConnected() {
  state_ = State::kHandshake;
  StartHandshake();
}

void Connection::StartHandshake() {
  const ClientOptions& o = *options_;
  const int64_t deadline = reactor_->NowMs() + o.connect_timeout.count();
  auto alive = alive_;
  auto resp2 = [this, deadline, alive] {
    // RESP2: AUTH and CLIENT SETNAME, then the common steps.
    protocol_ = 2;
    std::vector<Args> steps;
    if (!options_->password.empty()) {
      if (options_->username.empty()) {
        steps.push_back({"AUTH", options_->password});
      } else {
        steps.push_back({"AUTH", options_->username, options_->password});
      }
    }
    if (!options_->client_name.empty()) {
      steps.push_back({"CLIENT", "SETNAME", options_->client_name});
    }
    if (steps.empty()) {
      Handshake2();
      return;
    }
    auto left = std::make_shared<size_t>(steps.size());
    for (const Args& s : steps) {
      Write(Encode(s), Pending{[this, left, alive](Reply&& r, std::exception_ptr e) {
                                 if (e || !*alive || state_ != State::kHandshake) return;
                                 if (r.is_error()) {
                                   Fail("handshake: " + r.str(), false);
                                   return;
                                 }
                                 if (--*left == 0) Handshake2();
                               },
                               deadline});
    }
  };
  if (o.protocol != 3) {
    resp2();
    return;
  }
  Args hello{"HELLO", "3"};
  if (!o.password.empty()) {
    hello.push_back("AUTH");
    hello.push_back(o.username.empty() ? "default" : o.username);
    hello.push_back(o.password);
  }
  if (!o.client_name.empty()) {
    hello.push_back("SETNAME");
    hello.push_back(o.client_name);
  }
  Write(Encode(hello), Pending{[this, resp2, alive](Reply&& r, std::exception_ptr e) {
                                 if (e || !*alive || state_ != State::kHandshake) return;
                                 if (!r.is_error()) {
                                   protocol_ = 3;
                                   Handshake2();
                                   return;
                                 }
                                 auto code = r.error_code();
                                 if (code == "WRONGPASS" || code == "NOPERM") {
                                   Fail("handshake: " + r.str(), false);
                                   return;
                                 }
                                 resp2();  // NOPROTO, or no HELLO at all
                               },
                               deadline});
}

void Connection::Handshake2() {
  std::vector<Args> steps;
  if (options_->db != 0) steps.push_back({"SELECT", std::to_string(options_->db)});
  const size_t user_from = steps.size();
  for (const Args& a : options_->on_connect) steps.push_back(a);
  if (steps.empty()) {
    BecomeReady({});
    return;
  }
  struct Acc {
    std::vector<Reply> replies;
    size_t left;
  };
  auto acc = std::make_shared<Acc>();
  acc->left = steps.size();
  const int64_t deadline = reactor_->NowMs() + options_->connect_timeout.count();
  auto alive = alive_;
  for (size_t i = 0; i < steps.size(); i++) {
    const bool user = i >= user_from;
    Write(Encode(steps[i]), Pending{[this, acc, user, alive](Reply&& r, std::exception_ptr e) {
                                      if (e || !*alive || state_ != State::kHandshake) return;
                                      if (!user && r.is_error()) {
                                        Fail("handshake: " + r.str(), false);
                                        return;
                                      }
                                      if (user) acc->replies.push_back(std::move(r));
                                      if (--acc->left == 0) BecomeReady(std::move(acc->replies));
                                    },
                                    deadline});
  }
}

void Connection::BecomeReady(std::vector<Reply> on_connect) {
  state_ = State::kReady;
  attempts_ = 0;
  ConnectionEvent ev;
  ev.connection = index_;
  ev.up = true;
  ev.protocol = protocol_;
  ev.on_connect = std::move(on_connect);
  const bool reconnect = ever_up_;
  ever_up_ = true;
  // The event first, so a near cache learns it may serve again before replies to the waiting
  // commands (issued while it was down) arrive.
  owner_->OnConnectionEvent(ev);
  (void)reconnect;
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (Waiting& w : waiting) Write(w.wire, std::move(w.pending));
}

void Connection::Submit(std::string wire, Pending pending) {
  if (closed_for_good_) {
    pending.Complete(Reply(), std::make_exception_ptr(ConnectionError("client is closed")));
    return;
  }
  if (state_ == State::kReady) {
    Write(wire, std::move(pending));
    return;
  }
  waiting_.push_back(Waiting{std::move(wire), std::move(pending)});
  if (state_ == State::kDown && reconnect_timer_ == 0) Connect();
}

void Connection::SubmitBatch(std::string wire, const std::shared_ptr<BatchState>& batch, size_t n,
                             int64_t deadline_ms) {
  if (closed_for_good_ || state_ != State::kReady) {
    // One waiting entry per command (they may expire one by one); the first carries the bytes.
    for (size_t i = 0; i < n; i++) {
      Pending p;
      p.deadline_ms = deadline_ms;
      p.batch = batch;
      p.index = uint32_t(i);
      Submit(i == 0 ? std::move(wire) : std::string(), std::move(p));
    }
    return;
  }
  out_.append(wire);
  for (size_t i = 0; i < n; i++) {
    Pending p;
    p.deadline_ms = deadline_ms;
    p.batch = batch;
    p.index = uint32_t(i);
    inflight_.push_back(std::move(p));
  }
  ScheduleFlush();
}

void Connection::Write(std::string_view wire, Pending pending) {
  out_.append(wire);
  inflight_.push_back(std::move(pending));
  ScheduleFlush();
}

void Connection::ScheduleFlush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  auto alive = alive_;
  reactor_->Defer([this, alive] {
    if (!*alive) return;
    flush_scheduled_ = false;
    Flush();
  });
}

void Connection::Flush() {
  if (fd_ < 0 || state_ == State::kConnecting || out_sent_ >= out_.size()) return;
  if (!io::SendPending(fd_, out_, &out_sent_)) {
    Fail(std::string("write: ") + strerror(errno), false);
    return;
  }
  if (out_sent_ == out_.size()) {
    out_.clear();
    out_sent_ = 0;
  } else if (out_sent_ > (1u << 20)) {
    out_.erase(0, out_sent_);
    out_sent_ = 0;
  }
}

void Connection::ReadAll(bool to_end) {
  bool eof = false;
  for (;;) {
    if (in_start_ == in_.size()) {
      in_.clear();
      in_start_ = 0;
    } else if (in_start_ > (1u << 16) && in_start_ * 2 > in_.size()) {
      in_.erase(0, in_start_);
      in_start_ = 0;
    }
    ssize_t n = ::read(fd_, rbuf_, sizeof(rbuf_));
    if (n <= 0) {
      if (n == 0) {
        eof = true;
        break;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      Fail(std::string("read: ") + strerror(errno), false);
      return;
    }
    in_.append(rbuf_, size_t(n));
    if (size_t(n) < sizeof(rbuf_) && !to_end) break;  // drained for now; the next edge says more
  }
  // Replies, in order. A callback may fail or reset this connection: stop then.
  while (fd_ >= 0 && in_start_ < in_.size()) {
    size_t used = 0;
    auto st = parser_.Parse(std::string_view(in_).substr(in_start_), &tree_, &used);
    in_start_ += used;
    if (st == resp::ReplyParser::Status::kNeedMore) break;
    if (st == resp::ReplyParser::Status::kError) {
      Fail("protocol error: " + parser_.error(), false);
      return;
    }
    Reply r = tree_.Take();
    if (r.type() == Reply::Type::kPush) {
      owner_->OnPush(index_, std::move(r));
      continue;
    }
    if (inflight_.empty()) {
      Fail("protocol error: a reply nobody asked for", false);
      return;
    }
    Pending p = std::move(inflight_.front());
    inflight_.pop_front();
    p.Complete(std::move(r), nullptr);
  }
  if (eof && fd_ >= 0) Fail("connection closed by the server", false);
}

void Connection::Fail(const std::string& why, bool timeout) {
  const bool was_up = state_ == State::kReady;
  Close();
  state_ = State::kDown;
  parser_.Reset();
  tree_ = ReplyTree();
  in_.clear();
  in_start_ = 0;
  out_.clear();
  out_sent_ = 0;
  auto failed = std::move(inflight_);
  inflight_.clear();
  if (was_up) {
    ConnectionEvent ev;
    ev.connection = index_;
    ev.up = false;
    ev.error = why;
    owner_->OnConnectionEvent(ev);
  }
  last_error_ = why;
  for (Pending& p : failed) {
    owner_->CountFailure(timeout);
    auto err = timeout ? std::make_exception_ptr(TimeoutError(why))
                       : std::make_exception_ptr(ConnectionError(why));
    p.Complete(Reply(), err);
  }
  ScheduleReconnect();
}

void Connection::ScheduleReconnect() {
  if (closed_for_good_ || reconnect_timer_ != 0 || state_ != State::kDown) return;
  thread_local std::minstd_rand rng(std::random_device{}());
  int64_t lo = std::max<int64_t>(1, options_->reconnect_min.count());
  int64_t hi = std::max<int64_t>(lo, options_->reconnect_max.count());
  int64_t delay = lo << std::min(attempts_, 20);
  delay = std::min(delay, hi);
  delay = delay / 2 + int64_t(rng() % uint64_t(delay / 2 + 1));  // jitter: [delay/2, delay]
  attempts_++;
  auto alive = alive_;
  reconnect_timer_ = reactor_->RunAfter(delay, [this, alive] {
    if (!*alive) return;
    reconnect_timer_ = 0;
    Connect();
  });
}

void Connection::CheckDeadlines(int64_t now) {
  if (state_ == State::kConnecting && now > connect_deadline_) {
    Fail("connect to " + options_->host + ":" + std::to_string(options_->port) + " timed out",
         false);
  } else if (!inflight_.empty() && now > inflight_.front().deadline_ms) {
    Fail(state_ == State::kHandshake ? "handshake timed out" : "command timed out", true);
  }
  bool any = false;
  for (const Waiting& w : waiting_) any |= now > w.pending.deadline_ms;
  if (!any) return;
  // Commands that never got a connection: fail those whose time is up, keep the order of the
  // rest.
  std::deque<Waiting> keep;
  std::vector<Pending> expired;
  for (Waiting& w : waiting_) {
    if (now > w.pending.deadline_ms) {
      expired.push_back(std::move(w.pending));
    } else {
      keep.push_back(std::move(w));
    }
  }
  waiting_ = std::move(keep);
  for (Pending& p : expired) {
    owner_->CountFailure(true);
    p.Complete(Reply(),
               std::make_exception_ptr(ConnectionError(
                   "no connection to " + options_->host + ":" + std::to_string(options_->port) +
                   (last_error_.empty() ? std::string() : " (" + last_error_ + ")"))));
  }
}

void Connection::Shutdown(const std::string& why) {
  closed_for_good_ = true;
  if (reconnect_timer_ != 0) {
    reactor_->Cancel(reconnect_timer_);
    reconnect_timer_ = 0;
  }
  Fail(why, false);
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (Waiting& w : waiting) {
    w.pending.Complete(Reply(), std::make_exception_ptr(ConnectionError(why)));
  }
}

}  // namespace strata::client
