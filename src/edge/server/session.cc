#include "edge/server/session.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "base/clock.h"
#include "base/log.h"
#include "edge/rfc9111/request_target.h"
#include "edge/server/access_log.h"
#include "edge/server/worker.h"
#include "io/socket.h"
#include "proto/http1/writer.h"

namespace strata::edge {

namespace {
constexpr size_t kMaxInputBuffer = 1 << 20;        // pipelined bytes held while a request runs
constexpr size_t kStreamInputBuffer = 256 * 1024;  // undecoded body bytes held while streaming
constexpr size_t kChunkStep = 256 * 1024;
}  // namespace

Session::Session(Worker* worker, int fd) : worker_(worker), w_(worker->ctx()), fd_(fd) {
  peer_ = io::PeerAddress(fd);
  size_t colon = peer_.rfind(':');
  if (colon != std::string::npos) peer_.resize(colon);
  last_activity_ms_ = w_->reactor.NowMs();
}

Session::~Session() {
  *alive_ = false;
  DropBodyStream(true);
  if (d_.obj && listening_) d_.obj->RemoveListener(this);
  txn_.reset();
  retired_.reset();
  if (fd_ >= 0) close(fd_);
}

void Session::Close() {
  if (closed_) return;
  closed_ = true;
  w_->reactor.Remove(fd_);
  DropBodyStream(true);  // a body cut short never completes upstream
  if (d_.obj) {
    if (listening_) d_.obj->RemoveListener(this);
    listening_ = false;
    if (d_.obj->transient && d_.obj->producer && !d_.obj->complete) d_.obj->producer->Abandon();
    d_.obj.reset();
  }
  // The transaction may be on the call stack: it is destroyed with the session, later.
  worker_->RemoveSession(this);
}

void Session::Kick() {
  if (kick_posted_ || closed_) return;
  kick_posted_ = true;
  std::weak_ptr<bool> alive = alive_;
  w_->reactor.Post([this, alive] {
    if (alive.expired()) return;
    kick_posted_ = false;
    if (closed_) return;
    depth_++;
    Flush();
    depth_--;
    if (depth_ == 0) retired_.reset();
  });
}

void Session::OnEvent(uint32_t events) {
  if (closed_ || handing_off_) return;
  depth_++;
  last_activity_ms_ = w_->reactor.NowMs();
  if (events & EPOLLERR) {
    depth_--;
    Close();
    return;
  }
  if (events & EPOLLOUT) Flush();
  if (!closed_ && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))) {
    ReadAvailable((events & (EPOLLRDHUP | EPOLLHUP)) != 0);
    if (!closed_ && read_state_ == ReadState::kStream) PumpBody();
    if (!closed_) ProcessInput();
  }
  depth_--;
  if (depth_ == 0) retired_.reset();
}

void Session::ReadAvailable(bool hangup) {
  char buf[32 * 1024];
  while (!peer_closed_) {
    if ((in_.size() >= kMaxInputBuffer && read_state_ == ReadState::kHeld) ||
        (in_.size() >= kStreamInputBuffer && read_state_ == ReadState::kStream)) {
      read_blocked_ = true;
      return;
    }
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      in_.append(buf, size_t(n));
      if (read_state_ == ReadState::kStream) pace_.Received(uint64_t(n), w_->reactor.NowMs());
      // A short read drained the socket: with edge-triggered epoll, new data raises a new
      // event, so skip the recv that would only return EAGAIN (unless the peer also hung up).
      if (size_t(n) < sizeof(buf) && !hangup) return;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0) {
      Close();
      return;
    }
    peer_closed_ = true;
  }
}

void Session::RejectRequest(http1::ParseError e) {
  w_->metrics.Inc(w_->metrics.bad_requests);
  RefuseAndClose(http1::HttpStatusFor(e), std::string(http1::ParseErrorName(e)) + "\n",
                 http1::ParseErrorName(e));
}

void Session::RefuseAndClose(int status, std::string_view body, const char* why) {
  std::string out;
  http1::AppendStatusLine(&out, status);
  http1::AppendField(&out, "Content-Type", "text/plain");
  http1::AppendFieldInt(&out, "Content-Length", body.size());
  http1::AppendField(&out, "Connection", "close");
  http1::EndHead(&out);
  out += body;
  LOG_VERBOSE("client %s: rejected request: %s", peer_.c_str(), why);
  // Best effort: the connection is closed right after, whatever follows is never parsed.
  ssize_t n = send(fd_, out.data(), out.size(), MSG_NOSIGNAL);
  (void)n;
  if (w_->access_log && w_->access_log->enabled()) {
    char line[256];
    snprintf(line, sizeof(line), "%lld %s \"-\" %d 0 REJECT 0\n",
             static_cast<long long>(UnixMillis() / 1000), peer_.c_str(), status);
    w_->access_log->Write(line);
  }
  shutdown(fd_, SHUT_WR);
  Close();
}

void Session::ProcessInput() {
  if (in_process_input_) return;  // the outer loop continues with the next request
  in_process_input_ = true;
  ProcessInputLoop();
  in_process_input_ = false;
}

void Session::ProcessInputLoop() {
  for (;;) {
    if (closed_ || txn_ || delivering_ || handing_off_) return;
    if (!in_.empty() && request_started_ms_ == 0) request_started_ms_ = w_->reactor.NowMs();
    if (read_state_ == ReadState::kHead) {
      if (in_.empty()) {
        if (peer_closed_) Close();
        return;
      }
      size_t consumed = 0;
      http1::ParseError err;
      http1::ParseStatus st = http1::ParseRequest(in_, http1::Limits{}, &head_, &consumed, &err);
      if (st == http1::ParseStatus::kNeedMore) {
        if (peer_closed_) Close();
        return;
      }
      if (st == http1::ParseStatus::kError) {
        RejectRequest(err);
        return;
      }
      in_.erase(0, consumed);
      // The request's one authority (absolute-form target, else Host), used for its key, its
      // upstream and the Host sent there. A target it refuses is answered 400 by the
      // transaction (after the CONNECT check), as every unusable target is.
      target_ = rfc9111::ResolveTarget(head_.Get("host").value_or(""), head_.Target());
      body_.clear();
      sent_continue_ = false;
      started_us_ = MonoMicros();
      read_state_ = ReadState::kParsed;
      if (int to = HandOffTarget(); to >= 0) {
        handing_off_ = true;
        std::weak_ptr<bool> alive = alive_;
        w_->reactor.Post([this, alive, to] {
          if (!alive.expired()) FinishHandOff(to);
        });
        return;
      }
    }
    if (read_state_ == ReadState::kParsed) {
      if (head_.framing == http1::BodyFraming::kNone) {
        StartTransaction();
        continue;
      }
      if (head_.framing == http1::BodyFraming::kContentLength &&
          head_.content_length > w_->config->max_request_body) {
        RejectRequest(http1::ParseError::kBodyTooLarge);
        return;
      }
      body_reader_.Reset(head_.framing, head_.content_length);
      if (StreamsBody()) {
        if (head_.expect_continue && in_.empty()) {
          sent_continue_ = true;
          static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
          ssize_t n = send(fd_, kContinue, sizeof(kContinue) - 1, MSG_NOSIGNAL);
          (void)n;
        }
        body_stream_ = std::make_shared<RequestBodyPipe>(&w_->reactor);
        body_stream_->SetWriter(this);
        read_state_ = ReadState::kStream;
        pace_.Start(w_->reactor.NowMs(), in_.size());
        StartTransaction();
        PumpBody();
        return;  // the next request is parsed once this one completes
      }
      read_state_ = ReadState::kBody;
    }
    if (read_state_ == ReadState::kBody) {
      if (head_.expect_continue && !sent_continue_ && in_.empty()) {
        sent_continue_ = true;
        static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
        ssize_t n = send(fd_, kContinue, sizeof(kContinue) - 1, MSG_NOSIGNAL);
        (void)n;
      }
      size_t consumed = 0;
      http1::ParseError err;
      http1::ParseStatus st = body_reader_.Feed(in_, &consumed, &body_, &err);
      in_.erase(0, consumed);
      if (st == http1::ParseStatus::kError) {
        RejectRequest(err);
        return;
      }
      if (body_.size() > w_->config->max_request_body) {
        RejectRequest(http1::ParseError::kBodyTooLarge);
        return;
      }
      if (st == http1::ParseStatus::kNeedMore) {
        if (peer_closed_) Close();
        return;
      }
      StartTransaction();
      continue;
    }
    return;
  }
}

bool Session::StreamsBody() const {
  std::string_view m = head_.Method();
  if (m == "GET" || m == "HEAD") return false;  // looked up: the body is read first
  if (m == "PURGE" && w_->config->purge_method) return false;
  return true;
}

void Session::PumpBody() {
  if (closed_ || read_state_ != ReadState::kStream) return;
  RequestBodyPipe* p = body_stream_.get();
  const bool chunked = body_reader_.framing() == http1::BodyFraming::kChunked;
  for (;;) {
    size_t consumed = 0;
    if (!in_.empty() && !p->Full()) {
      http1::ParseError err;
      scratch_.clear();
      std::string_view in = std::string_view(in_).substr(0, RequestBodyPipe::kHighWater);
      http1::ParseStatus st = body_reader_.Feed(in, &consumed, &scratch_, &err);
      in_.erase(0, consumed);
      if (st == http1::ParseStatus::kError) {
        BodyFailed(err);
        return;
      }
      if (body_reader_.decoded() > w_->config->max_request_body) {
        BodyFailed(http1::ParseError::kBodyTooLarge);
        return;
      }
      if (!scratch_.empty()) {
        if (chunked)
          http1::AppendChunk(p->mutable_buffer(), scratch_);
        else
          p->mutable_buffer()->append(scratch_);
        p->Appended();
      }
      if (st == http1::ParseStatus::kDone) {
        if (chunked) http1::AppendLastChunk(p->mutable_buffer());
        p->Finish();
        DropBodyStream(false);
        read_state_ = ReadState::kHeld;  // pipelined bytes wait in in_
        return;
      }
      if (consumed > 0) continue;
    }
    if (p->Full()) {
      // Woken by OnRequestBodyDrained. The origin is behind: not the client's time.
      pace_.SetWaiting(false, w_->reactor.NowMs());
      return;
    }
    if (peer_closed_) {
      // The client went away before its body was complete.
      Close();
      return;
    }
    if (!read_blocked_) {  // woken by the next EPOLLIN
      pace_.SetWaiting(true, w_->reactor.NowMs());
      ArmPaceTimer();
      return;
    }
    read_blocked_ = false;
    size_t before = in_.size();
    ReadAvailable(false);
    if (closed_) return;
    if (in_.size() == before && !peer_closed_) {
      pace_.SetWaiting(true, w_->reactor.NowMs());
      ArmPaceTimer();
      return;
    }
  }
}

void Session::ArmPaceTimer() {
  int64_t due = pace_.Deadline(w_->config->body_pace);
  if (due == BodyPace::kNever) return;
  // An earlier pending check re-arms itself when it finds the body on time.
  if (pace_timer_ && pace_timer_due_ms_ <= due) return;
  if (pace_timer_) w_->reactor.Cancel(pace_timer_);
  pace_timer_due_ms_ = due;
  std::weak_ptr<bool> alive = alive_;
  pace_timer_ =
      w_->reactor.RunAfter(std::max<int64_t>(1, due - w_->reactor.NowMs()), [this, alive] {
        if (alive.expired()) return;
        pace_timer_ = 0;
        OnPaceTimer();
      });
}

void Session::OnPaceTimer() {
  if (closed_ || read_state_ != ReadState::kStream || !body_stream_) return;
  // The origin has answered and let go of the body: no origin connection waits on it any more,
  // and the connection closes once the response is out.
  if (delivering_ && !body_stream_->has_reader()) return;
  BodyPaceVerdict v = pace_.Check(w_->reactor.NowMs(), w_->config->body_pace);
  if (v == BodyPaceVerdict::kOk) {
    ArmPaceTimer();
    return;
  }
  depth_++;
  BodyTimedOut(v);
  depth_--;
  if (depth_ == 0) retired_.reset();
}

void Session::BodyTimedOut(BodyPaceVerdict v) {
  w_->metrics.Inc(w_->metrics.client_body_timeouts);
  LOG_VERBOSE("client %s: request body %s after %llu bytes", peer_.c_str(), BodyPaceVerdictName(v),
              static_cast<unsigned long long>(pace_.bytes()));
  // Failing the pipe makes the origin connection close before the body completes upstream:
  // it is never returned to a pool.
  DropBodyStream(true);
  if (!delivering_ && out_.empty()) {
    RefuseAndClose(408, "request body timeout\n", "request body timeout");
    return;
  }
  Close();  // a response is already under way: cut the connection
}

void Session::BodyFailed(http1::ParseError e) {
  DropBodyStream(true);
  if (!delivering_ && out_.empty()) {
    RejectRequest(e);  // answers 400/413 and closes
    return;
  }
  w_->metrics.Inc(w_->metrics.bad_requests);
  Close();  // a response is already under way: cut the connection
}

void Session::DropBodyStream(bool failed) {
  if (pace_timer_) {
    w_->reactor.Cancel(pace_timer_);
    pace_timer_ = 0;
  }
  if (!body_stream_) return;
  if (failed) body_stream_->Fail();
  body_stream_->SetWriter(nullptr);
  body_stream_.reset();
}

void Session::OnRequestBodyDrained() {
  if (closed_) return;
  depth_++;
  PumpBody();
  depth_--;
  if (depth_ == 0) retired_.reset();
}

int Session::HandOffTarget() const {
  if (!w_->all_workers || w_->all_workers->size() < 2) return -1;
  std::string_view m = head_.Method();
  if (m != "GET" && m != "HEAD") return -1;  // only lookups need the key's owner
  if (!target_) return -1;
  int owner = w_->OwnerOf(target_->Key());
  return owner == w_->index ? -1 : owner;
}

void Session::FinishHandOff(int to) {
  if (closed_) return;  // closed meanwhile (idle sweep): already being deleted here
  if (kick_posted_) {   // let a pending kick run here first
    std::weak_ptr<bool> alive = alive_;
    w_->reactor.Post([this, alive, to] {
      if (!alive.expired()) FinishHandOff(to);
    });
    return;
  }
  w_->reactor.Remove(fd_);
  retired_.reset();
  // From here on the session belongs to worker `to`: nothing on this thread touches it.
  worker_->HandOff(this, to);
}

void Session::Adopt(Worker* worker) {
  worker_ = worker;
  w_ = worker->ctx();
  handing_off_ = false;
  last_activity_ms_ = w_->reactor.NowMs();
  // Edge-triggered registration reports the socket's current readiness.
  w_->reactor.Add(fd_, this);
  depth_++;
  ProcessInput();
  depth_--;
  if (depth_ == 0) retired_.reset();
}

void Session::StartTransaction() {
  retired_.reset();  // never on the stack here
  request_started_ms_ = 0;
  if (read_state_ != ReadState::kStream) read_state_ = ReadState::kHeld;
  txn_ = std::make_unique<Transaction>(w_, this, std::move(head_), std::move(target_),
                                       std::move(body_), peer_, body_stream_);
  target_.reset();
  body_.clear();
  depth_++;
  txn_->Start();
  depth_--;
}

void Session::SendInterim(std::string bytes) {
  if (closed_) return;
  // Interim responses precede the final one; nothing else is queued while a txn runs.
  out_ += bytes;
  if (depth_ == 0)
    Kick();
  else
    Flush();
}

void Session::Deliver(Delivery d) {
  if (closed_) return;
  delivering_ = true;
  last_activity_ms_ = w_->reactor.NowMs();
  d_ = std::move(d);
  out_ += d_.head;
  d_.head.clear();
  if (!d_.body.empty()) out_ += d_.body;
  d_.body.clear();
  body_sent_ = 0;
  body_done_ = !d_.obj || (d_.end && *d_.end <= d_.offset);
  if (depth_ == 0) {
    Kick();
  } else {
    Flush();
  }
}

void Session::OnBodyProgress() {
  if (closed_) return;
  if (depth_ == 0)
    Kick();
  else
    Flush();
}

void Session::Flush() {
  if (closed_) return;
  for (;;) {
    iovec iov[2];
    int iovcnt = 0;
    CachedObject* o = delivering_ && !body_done_ ? d_.obj.get() : nullptr;
    if (o && d_.chunked && out_.size() - out_off_ < kChunkStep) {
      uint64_t avail = o->available();
      if (d_.offset < avail) {
        uint64_t n = std::min<uint64_t>(avail - d_.offset, kChunkStep);
        http1::AppendChunk(&out_, std::string_view(o->body).substr(d_.offset - o->body_base, n));
        d_.offset += n;
        body_sent_ += n;
        o->ConsumedTo(d_.offset);
      }
      if (d_.offset == o->available() && o->complete) {
        http1::AppendLastChunk(&out_);
        body_done_ = true;
      }
    }
    if (out_off_ < out_.size()) {
      iov[iovcnt++] = {out_.data() + out_off_, out_.size() - out_off_};
    }
    uint64_t direct = 0;
    if (o && !d_.chunked && !body_done_) {
      uint64_t limit = o->available();
      if (d_.end && *d_.end < limit) limit = *d_.end;
      if (d_.offset < limit) {
        direct = limit - d_.offset;
        iov[iovcnt++] = {const_cast<char*>(o->body.data()) + (d_.offset - o->body_base),
                         size_t(direct)};
      }
    }
    if (iovcnt == 0) {
      if (!delivering_) return;
      if (o && o->failed) {
        Close();  // the origin failed mid-body: the response cannot be completed
        return;
      }
      if (o && !body_done_) {
        bool complete_now =
            d_.end ? d_.offset >= *d_.end : (o->complete && d_.offset >= o->available());
        if (complete_now) {
          body_done_ = true;
          continue;
        }
        if (!listening_) {
          o->AddListener(this);
          listening_ = true;
        }
        return;  // wait for more body
      }
      FinishResponse();
      return;
    }
    ssize_t n = writev(fd_, iov, iovcnt);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      Close();
      return;
    }
    last_activity_ms_ = w_->reactor.NowMs();
    size_t written = size_t(n);
    size_t from_out = std::min(written, out_.size() - out_off_);
    out_off_ += from_out;
    written -= from_out;
    if (out_off_ == out_.size()) {
      out_.clear();
      out_off_ = 0;
    }
    if (written > 0) {
      d_.offset += written;
      body_sent_ += written;
      if (o && o->transient) o->ConsumedTo(d_.offset);
    }
  }
}

void Session::FinishResponse() {
  if (d_.from_cache) w_->metrics.Inc(w_->metrics.bytes_from_cache, body_sent_);
  if (w_->access_log && w_->access_log->enabled() && txn_) {
    const http1::RequestHead& r = txn_->request();
    std::string line =
        std::to_string(UnixMillis() / 1000) + " " + peer_ + " \"" + std::string(r.Method()) + " " +
        std::string(r.Target()) + (r.version_minor ? " HTTP/1.1\" " : " HTTP/1.0\" ") +
        std::to_string(txn_->status()) + " " + std::to_string(body_sent_) + " " +
        txn_->cache_label() + " " + std::to_string((MonoMicros() - started_us_) / 1000) + "\n";
    w_->access_log->Write(line);
  }
  if (d_.obj && listening_) d_.obj->RemoveListener(this);
  listening_ = false;
  bool close_after = d_.close;
  if (read_state_ == ReadState::kStream) {
    // Answered before the client finished sending its body (an early origin response, or an
    // error): the rest of the body is not read, so the connection cannot carry another request.
    DropBodyStream(true);
    close_after = true;
  }
  d_ = Delivery{};
  delivering_ = false;
  // The transaction may still be on the call stack (a hit delivered synchronously): destroy it
  // at the next safe point.
  retired_ = std::move(txn_);
  read_state_ = ReadState::kHead;
  if (close_after) {
    shutdown(fd_, SHUT_WR);
    Close();
    return;
  }
  if (read_blocked_) {
    read_blocked_ = false;
    ReadAvailable(true);
    if (closed_) return;
  }
  ProcessInput();
}

}  // namespace strata::edge
